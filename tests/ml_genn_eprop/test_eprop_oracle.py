"""The engine's e-prop weight updates against an independent NumPy implementation
(``eprop_reference.py``): LIF and ALIF, feed-forward, recurrent and two hidden layers,
classification (avg_var, sum_var, max_var) and regression (var), batch > 1 with a partial last
batch, several epochs, validation in between; both implementations of the rule.

In double precision the engine and the reference agree to 1e-9 of the weight change (observed
about 1e-14: the same arithmetic in another order). In the engine's default float precision
they agree to 1e-3 (observed about 3e-5 after six batches).
"""
from __future__ import annotations

import numpy as np
import pytest

from eprop_harness import (build, engine_weights, random_raster, reference_batches,
                           spike_trains)
from eprop_reference import Conn, EPropReference, Hidden, Net, Output

K, B, EXAMPLES = 40, 3, 7   # two full batches and a partial one
LR = 0.01


def _case(name: str, rng: np.random.Generator) -> Net:
    w = lambda *shape, mean=0.0, sd=0.3: rng.normal(mean, sd, shape)
    lif = dict(v_thresh=0.5, v_reset=0.0, tau_mem=20.0)
    if name == "lif_feedforward":
        return Net({"in": 6}, {"h": Hidden(5, **lif)}, {"out": Output(3, 15.0, 0.1, "avg_var")},
                   [Conn("in", "h", w(6, 5, mean=0.3)), Conn("h", "out", w(5, 3, sd=0.5))],
                   c_reg=0.2)
    if name == "lif_recurrent_refractory":
        return Net({"in": 6}, {"h": Hidden(5, tau_refrac=3.0, **lif)},
                   {"out": Output(3, 15.0, -0.1, "sum_var")},
                   [Conn("in", "h", w(6, 5, mean=0.3)), Conn("h", "h", w(5, 5)),
                    Conn("h", "out", w(5, 3, sd=0.5))], c_reg=0.1, f_target=20.0)
    if name == "alif_recurrent":
        return Net({"in": 6}, {"h": Hidden(5, tau_refrac=2.0, adaptive=True, beta=0.1,
                                           tau_adapt=60.0, **lif)},
                   {"out": Output(3, 15.0, 0.1, "avg_var")},
                   [Conn("in", "h", w(6, 5, mean=0.3)), Conn("h", "h", w(5, 5)),
                    Conn("h", "out", w(5, 3, sd=0.5))], c_reg=0.3)
    if name == "two_layers_max_var":
        # ALIF then LIF, absolute reset, no integration while refractory; both feed the output
        return Net({"in": 6},
                   {"h1": Hidden(5, tau_refrac=2.0, adaptive=True, beta=0.2, tau_adapt=30.0,
                                 relative_reset=False, integrate_during_refrac=False, **lif),
                    "h2": Hidden(4, tau_refrac=1.0, **lif)},
                   {"out": Output(3, 10.0, 0.0, "max_var")},
                   [Conn("in", "h1", w(6, 5, mean=0.3)), Conn("h1", "h2", w(5, 4, mean=0.3)),
                    Conn("h1", "out", w(5, 3, sd=0.5)), Conn("h2", "out", w(4, 3, sd=0.5)),
                    Conn("in", "out", w(6, 3))], c_reg=0.05)
    if name == "alif_regression":
        return Net({"in": 4}, {"h": Hidden(6, adaptive=True, beta=0.05, tau_adapt=100.0, **lif)},
                   {"out": Output(2, 20.0, 0.0, "var")},
                   [Conn("in", "h", w(4, 6, mean=0.3)), Conn("h", "h", w(6, 6)),
                    Conn("h", "out", w(6, 2, sd=0.5))], c_reg=0.01)
    raise KeyError(name)


CASES = ["lif_feedforward", "lif_recurrent_refractory", "alif_recurrent", "two_layers_max_var",
         "alif_regression"]


def _data(spec: Net, rng: np.random.Generator):
    (name, num), = spec.inputs.items()
    raster = random_raster(rng, EXAMPLES, K, num, 0.1)
    (out, o), = spec.outputs.items()
    if o.readout == "var":
        t = np.arange(K) / K
        y = np.stack([np.sin(2 * np.pi * (t + rng.random())) for _ in range(EXAMPLES * o.n)])
        y = y.reshape(EXAMPLES, o.n, K).transpose(0, 2, 1)
    else:
        y = rng.integers(0, o.n, EXAMPLES)
    return raster, y


def _run(spec: Net, raster, y, implementation: str, precision: str, validate: bool):
    from ml_genn.compilers import EPropCompiler
    from ml_genn.optimisers import SGD
    (out, o), = spec.outputs.items()
    loss = "mean_square_error" if o.readout == "var" else "sparse_categorical_crossentropy"
    net, pops, conns = build(spec)
    compiler = EPropCompiler(K, loss, optimiser=SGD(LR), batch_size=B, c_reg=spec.c_reg,
                             f_target=spec.f_target, tau_reg=spec.tau_reg,
                             implementation=implementation, precision=precision)
    compiled = compiler.compile(net)
    (inp,) = spec.inputs
    x = {pops[inp]: spike_trains(raster)}
    with compiled:
        for epoch in range(2):
            compiled.train(x, {pops[out]: y}, num_epochs=1, start_epoch=epoch, shuffle=False,
                           callbacks=[])
            if validate:
                compiled.evaluate(x, {pops[out]: y}, callbacks=[])
        weights = engine_weights(compiled, conns)
        bias = np.array(compiled.neuron_populations[pops[out]].vars["Bias"].view, dtype=float)
    return weights, bias


def _reference(spec: Net, raster, y, validate: bool):
    ref = EPropReference(spec, B)
    (inp,) = spec.inputs
    (out,) = spec.outputs
    for _ in range(2):
        reference_batches(ref, {inp: raster}, {out: y}, B, True, LR)
        if validate:
            reference_batches(ref, {inp: raster}, {out: y}, B, False, LR)
    return ref


def _relative_error(spec: Net, ref: EPropReference, weights, bias) -> float:
    worst = 0.0
    for k, c in enumerate(spec.conns):
        change = ref.W[k] - c.weight
        assert np.abs(change).max() > 1e-3, "the case must actually learn"
        worst = max(worst, np.abs(weights[k] - ref.W[k]).max() / np.abs(change).max())
    (out, o), = spec.outputs.items()
    bias_change = np.abs(ref.bias[out] - o.bias).max()
    assert bias_change > 1e-4
    return max(worst, np.abs(bias - ref.bias[out]).max() / bias_change)


@pytest.mark.parametrize("implementation", ["per_synapse", "factorised"])
@pytest.mark.parametrize("case", CASES)
def test_weight_updates_equal_the_reference_in_double(case, implementation):
    rng = np.random.default_rng(CASES.index(case))
    spec = _case(case, rng)
    raster, y = _data(spec, rng)
    validate = case in ("alif_recurrent", "two_layers_max_var")
    weights, bias = _run(spec, raster, y, implementation, "double", validate)
    ref = _reference(spec, raster, y, validate)
    assert _relative_error(spec, ref, weights, bias) < 1e-9


@pytest.mark.parametrize("implementation", ["per_synapse", "factorised"])
def test_weight_updates_equal_the_reference_in_float(implementation):
    rng = np.random.default_rng(2)
    spec = _case("alif_recurrent", rng)
    raster, y = _data(spec, rng)
    weights, bias = _run(spec, raster, y, implementation, "float", False)
    ref = _reference(spec, raster, y, False)
    assert _relative_error(spec, ref, weights, bias) < 1e-3


def test_the_comparison_would_notice_a_missing_term():
    """Dropping the regulariser or the adaptation component of ALIF's eligibility changes the
    weight updates far beyond the tolerances above, so the comparisons can fail."""
    rng = np.random.default_rng(2)
    spec = _case("alif_recurrent", rng)
    raster, y = _data(spec, rng)
    base = _reference(spec, raster, y, False)
    for variant in ("no_regulariser", "no_adaptation_trace"):
        other = _case("alif_recurrent", np.random.default_rng(2))
        if variant == "no_regulariser":
            other.c_reg = 0.0
        ref = EPropReference(other, B, adaptation_trace=variant != "no_adaptation_trace")
        for _ in range(2):
            reference_batches(ref, {"in": raster}, {"out": y}, B, True, LR)
        diff = max(np.abs(ref.W[k] - base.W[k]).max()
                   / np.abs(base.W[k] - spec.conns[k].weight).max() for k in base.W)
        assert diff > 1e-2, variant
