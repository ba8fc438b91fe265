"""GeNN 5's random functions gennrand_log_normal, gennrand_gamma and gennrand_binomial: drawn
by a neuron model into variables over many neurons and checked against their closed-form
moments (tolerances from the standard error of the sample mean and variance) and, for the
binomial, against its probabilities."""
import math

import numpy as np
import pytest

from engine_models import build
from ml_genn.engine import CodeCompileError, ModelSpec, create_neuron_model

N = 20000
#: Allowed deviation in standard errors (the draws are fixed by the seed, so this only
#: decides how far a wrong distribution must be to be caught)
Z = 5.0

# name -> (code, mean, variance, fourth central moment / variance^2)
CASES = {
    "ln": ("gennrand_log_normal(0.3, 0.5)",) + (lambda m, s: (
        math.exp(m + s * s / 2), (math.exp(s * s) - 1) * math.exp(2 * m + s * s),
        math.exp(4 * s * s) + 2 * math.exp(3 * s * s) + 3 * math.exp(2 * s * s) - 3))(0.3, 0.5),
    # Shape below 1 (boosted) and above
    "ga_small": ("gennrand_gamma(0.3)", 0.3, 0.3, 3 + 6 / 0.3),
    "ga_big": ("gennrand_gamma(4.5)", 4.5, 4.5, 3 + 6 / 4.5),
}
# name -> (n, p): small means (inversion, p above 0.5 by symmetry) and large ones (splitting)
BINOMIAL = {"bi_small": (20, 0.1), "bi_flip": (50, 0.93), "bi_big": (1000, 0.3), "bi_half": (301, 0.5),
            "bi_huge": (4000000, 0.002)}


def _draws(precision):
    code = "\n".join(f"{name} = {c};" for name, (c, *_) in CASES.items())
    code += "\n" + "\n".join(f"{name} = gennrand_binomial({n}, {p});" for name, (n, p) in BINOMIAL.items())
    model = create_neuron_model(
        "Draws", vars=[(n, "scalar") for n in CASES] + [(n, "unsigned int") for n in BINOMIAL], sim_code=code)
    m = ModelSpec(precision, f"rng_dists_{precision}")
    m.seed = 7
    m.add_neuron_population("p", N, model, {}, {n: 0 for n in list(CASES) + list(BINOMIAL)})
    rt = build(m)
    rt.step_time()
    return {n: v.view.reshape(-1).astype(np.float64) for n, v in rt.neuron_populations["p"].vars.items()}


def _check_moments(name, x, mean, var, kurtosis):
    assert np.all(np.isfinite(x)), name
    se_mean = math.sqrt(var / len(x))
    se_var = math.sqrt((kurtosis - 1.0) * var * var / len(x))
    assert abs(x.mean() - mean) < Z * se_mean, (name, x.mean(), mean)
    assert abs(x.var(ddof=1) - var) < Z * se_var, (name, x.var(ddof=1), var)


@pytest.mark.parametrize("precision", ["double", "float"])
def test_distributions_have_their_moments(precision):
    x = _draws(precision)
    for name, (_, mean, var, kurtosis) in CASES.items():
        _check_moments(name, x[name], mean, var, kurtosis)
        assert np.all(x[name] > 0.0), name
    for name, (n, p) in BINOMIAL.items():
        b = x[name]
        assert np.all(b == np.round(b)) and b.min() >= 0 and b.max() <= n, name
        q = 1.0 - p
        _check_moments(name, b, n * p, n * p * q, 3.0 + (1.0 - 6.0 * p * q) / (n * p * q))
    # Neurons draw independently: neighbouring draws are uncorrelated
    for name in ("ga_big", "bi_big"):
        r = np.corrcoef(x[name][:-1], x[name][1:])[0, 1]
        assert abs(r) < Z / math.sqrt(N), (name, r)


def test_binomial_matches_its_probabilities():
    from scipy import stats
    x = _draws("double")
    for name, (n, p) in BINOMIAL.items():
        counts = np.bincount(x[name].astype(np.int64), minlength=n + 1)
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        # Pool the tails so that every bin expects at least 20 draws
        keep = np.nonzero(pmf * N >= 20)[0]
        lo, hi = keep[0], keep[-1]
        obs = np.concatenate(([counts[:lo + 1].sum()], counts[lo + 1:hi], [counts[hi:].sum()]))
        exp = np.concatenate(([pmf[:lo + 1].sum()], pmf[lo + 1:hi], [pmf[hi:].sum()])) * N
        _, p_value = stats.chisquare(obs, exp * obs.sum() / exp.sum())
        assert p_value > 1e-4, (name, p_value)


def test_gamma_matches_its_distribution():
    from scipy import stats
    x = _draws("double")
    for name, a in (("ga_small", 0.3), ("ga_big", 4.5)):
        assert stats.kstest(x[name], stats.gamma(a).cdf).pvalue > 1e-4, name
    assert stats.kstest(x["ln"], stats.lognorm(s=0.5, scale=math.exp(0.3)).cdf).pvalue > 1e-4


def test_unknown_random_function_is_a_compile_error_naming_the_line():
    model = create_neuron_model("Typo", vars=[("x", "scalar")],
                                sim_code="x = 1.0;  // gennrand_commented(1) is no call\nx = gennrand_poisson(3.0);")
    m = ModelSpec("double", "rng_unknown")
    m.add_neuron_population("p", 2, model, {}, {"x": 0.0})
    with pytest.raises(CodeCompileError, match=r"Typo\.sim_code:2: unknown random function 'gennrand_poisson'; "
                                               r"the random functions are .*gennrand_binomial\(\)"):
        build(m)
