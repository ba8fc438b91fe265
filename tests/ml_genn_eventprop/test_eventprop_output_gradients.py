"""Host-side losses (``ml_genn_eventprop.output_gradients``): each returned sensitivity is the
derivative of the returned loss (central differences, eps 1e-6: error ~1e-9 for these smooth
functions; asserted to 1e-6), and each matches the NumPy reference's per-example formula."""
import numpy as np
import pytest

import reference as R
from ml_genn_eventprop import output_gradients as OG

EPS, TOL = 1e-6, 1e-6


def _numeric(f, x):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += EPS
        xm[idx] -= EPS
        g[idx] = (f(xp) - f(xm)) / (2 * EPS)
    return g


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def test_crossentropy(rng):
    z, labels = rng.normal(size=(4, 5)), np.array([0, 3, 4, 1])
    loss, grad = OG.crossentropy(z, labels)
    np.testing.assert_allclose(grad, _numeric(lambda v: OG.crossentropy(v, labels)[0], z),
                               atol=TOL)


def test_per_timestep_crossentropy(rng):
    v, labels = rng.normal(size=(3, 6, 4)), np.array([0, 3, 2])
    _, grad = OG.per_timestep_crossentropy(v, labels)
    np.testing.assert_allclose(
        grad, _numeric(lambda x: OG.per_timestep_crossentropy(x, labels)[0], v), atol=TOL)


def test_mean_square_error_matches_reference(rng):
    v, target = rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 6, 3))
    loss, grad = OG.mean_square_error(v, target)
    np.testing.assert_allclose(grad, _numeric(lambda x: OG.mean_square_error(x, target)[0], v),
                               atol=TOL)
    net = R.Net([R.Pop(1, "input"), R.Pop(3, "li")], [], 6.0, 1.0)
    per_example = [R.loss_and_output_gradients(net, R.Trace([], {}, {}, {1: v[b]}), "mse",
                                               target[b], 1, "var") for b in range(2)]
    assert loss == pytest.approx(np.mean([p[0] for p in per_example]))


@pytest.mark.parametrize("silent", [False, True])
def test_first_spike_crossentropy(rng, silent):
    t, labels = rng.uniform(1.0, 20.0, size=(3, 4)), np.array([1, 0, 3])
    if silent:
        t[0, 2] = np.inf      # a silent competitor counts as firing at T, without gradient
    f = lambda x: OG.first_spike_crossentropy(x, labels, 0.5, 0.1, 30.0)   # noqa: E731
    _, grad = f(t)
    numeric = _numeric(lambda x: f(np.where(np.isfinite(t), x, np.inf))[0],
                       np.where(np.isfinite(t), t, 30.0))
    np.testing.assert_allclose(grad, np.where(np.isfinite(t), numeric, 0.0), atol=TOL)


def test_silence_is_not_rewarded():
    labels = np.array([0])
    all_silent_but_label = np.array([[29.0, np.inf, np.inf]])
    label_first = np.array([[5.0, 10.0, 12.0]])
    silent_loss = OG.first_spike_crossentropy(all_silent_but_label, labels, 0.5, 0.0, 30.0)[0]
    assert silent_loss > 0.2      # log(1 + 2 exp(-2)): silent rivals still cost loss
    assert OG.first_spike_crossentropy(label_first, labels, 0.5, 0.0, 30.0)[0] < 1e-3


def test_first_spike_goeltz_matches_reference(rng):
    t, labels = rng.uniform(1.0, 20.0, size=(3, 4)), np.array([1, 0, 3])
    loss, grad = OG.first_spike_goeltz(t, labels, 0.5, 6.4, 3e-3, 30.0)
    np.testing.assert_allclose(
        grad, _numeric(lambda x: OG.first_spike_goeltz(x, labels, 0.5, 6.4, 3e-3, 30.0)[0], t),
        atol=TOL)
    net = R.Net([R.Pop(1, "input"), R.Pop(4, "lif")], [], 30.0, 1.0)
    ref = [R.loss_and_output_gradients(net, R.Trace([], {1: t[b]}, {}), "relative_mse_goeltz",
                                       labels[b], 1) for b in range(3)]
    assert loss == pytest.approx(np.mean([r[0] for r in ref]))
    np.testing.assert_allclose(grad, np.array([r[2] for r in ref]) / 3, atol=1e-12)


def test_first_spike_relative_mse(rng):
    t, labels = rng.uniform(1.0, 20.0, size=(3, 4)), np.array([1, 0, 3])
    _, grad = OG.first_spike_relative_mse(t, labels, 2.0, 30.0)
    np.testing.assert_allclose(
        grad, _numeric(lambda x: OG.first_spike_relative_mse(x, labels, 2.0, 30.0)[0], t),
        atol=TOL)
