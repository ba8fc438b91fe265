"""EventProp on the engine: gradients of the engine models (``ml_genn_eventprop.engine_models``).

Two independent checks:

1. *Exactness of the implementation*: the engine's backward pass equals the NumPy time-stepped
   scheme (``reference_discrete``, itself shown to converge to the finite-difference-proven
   exact gradient) to double precision, for every loss and readout.
2. *Gradient check on the engine's own simulation*: the engine's EventProp gradient agrees with a
   central finite difference of the loss computed by the engine's forward pass at a fine dt.
"""
from dataclasses import replace

import numpy as np
import pytest

import reference as R
import reference_discrete as D
from engine_harness import EngineNet

# (1) Same arithmetic in C and NumPy (double precision; sums in a different order)
EXACT_RTOL = 1e-9

# (2) At dt = 0.01 ms the engine's loss is piecewise constant in the weights at the scale of one
# step (spike times are quantised), so a two-point finite difference with a small eps measures
# that staircase, not the slope. We therefore take directional derivatives: the loss is sampled at
# 7 points over +-0.05 along a unit direction in weight space (moving spikes by ~10-100 steps)
# and the slope at 0 of a least-squares quadratic is compared with the EventProp gradient
# projected on that direction. Directions: the gradient itself (slope must equal |g|) and two
# random ones. The remaining error is the O(dt) difference between the time-stepped and the
# exact gradient plus the fit's O(h^2) bias, measured at 0.1-7% of |g| on networks whose spikes
# all cross threshold with (I - theta) > 0.5; we assert 15% of |g|. A missing term, a wrong sign
# or a wrong factor breaks this by far.
FD_DT, FD_HALF_RANGE, FD_POINTS, FD_RTOL = 0.01, 0.05, 7, 0.15
# First-spike-time losses see only a few spike times, each quantised to the step, so their
# staircase is coarser: sample 11 points over +-0.15 instead (measured error 1-5% of |g|)
FD_TTFS_HALF_RANGE, FD_TTFS_POINTS = 0.15, 11



def _single_neuron(dt, seed=11):
    rng = np.random.default_rng(seed)
    net = R.Net([R.Pop(3, "input"), R.Pop(1, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, rng.normal(1.8, 0.3, (3, 1))), R.Conn(1, 2, np.array([[1.0, -0.5]]))],
                duration=20.0, dt=dt)
    inputs = [[rng.uniform(0.0, 15.0, 3) for _ in range(3)] for _ in range(2)]
    return net, inputs


def _three_layer(dt, seed=5):
    rng = np.random.default_rng(seed)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, rng.normal(1.5, 0.8, (4, 4))),
                 R.Conn(1, 2, rng.normal(1.4, 0.6, (4, 3))),
                 R.Conn(2, 3, rng.normal(0.5, 1.0, (3, 2)))], 20.0, dt)
    inputs = [[rng.uniform(0.0, 15.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


def _recurrent(dt, seed=1):
    rng = np.random.default_rng(seed)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "li")],
                [R.Conn(0, 1, rng.normal(1.2, 0.5, (4, 4))),
                 R.Conn(1, 1, rng.normal(0.0, 0.2, (4, 4))),
                 R.Conn(1, 2, rng.normal(0.5, 1.0, (4, 3)))], 25.0, dt)
    inputs = [[rng.uniform(0.0, 8.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


def _first_spike(dt, seed=7):
    rng = np.random.default_rng(seed)
    net = R.Net([R.Pop(4, "input"), R.Pop(5, "lif"), R.Pop(3, "lif")],
                [R.Conn(0, 1, rng.normal(2.0, 0.8, (4, 5))),
                 R.Conn(1, 2, rng.normal(2.0, 0.5, (5, 3)))], 30.0, dt)
    inputs = [[rng.uniform(0.0, 15.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


def _labels(net, inputs, loss, out_pop):
    if loss == "mse":
        rng = np.random.default_rng(0)
        return [rng.normal(0.0, 0.5, (net.num_samples, net.pops[out_pop].n)) for _ in inputs]
    return [i % net.pops[out_pop].n for i in range(len(inputs))]


LI_LOSSES = [dict(loss="sce", readout=r) for r in
             ("avg_var", "sum_var", "avg_var_exp_weight", "max_var", "var")] + \
            [dict(loss="mse", readout="var")]
TTFS_LOSSES = [dict(loss="sce", ttfs_alpha=0.1, softmax_temperature=0.5),
               dict(loss="relative_mse", delta=2.0)]
CASES = ([("single", _single_neuron, 2, kw) for kw in LI_LOSSES]
         + [("three_layer", _three_layer, 3, kw) for kw in LI_LOSSES]
         + [("recurrent", _recurrent, 2, kw) for kw in LI_LOSSES[:1] + LI_LOSSES[3:]]
         + [("first_spike", _first_spike, 2, kw) for kw in TTFS_LOSSES])


def _case_id(case):
    name, _, _, kw = case
    return f"{name}-{kw['loss']}-{kw.get('readout', 'first_spike_time')}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_engine_equals_time_stepped_reference(case):
    _, make, out_pop, kw = case
    net, inputs = make(0.1)
    labels = _labels(net, inputs, kw["loss"], out_pop)
    engine = EngineNet(net, len(inputs), out_pop=out_pop, **kw)
    result = engine.run(inputs, labels)
    expected = D.batch_gradient(net, inputs, labels, out_pop=out_pop, **kw)[0]
    assert result.loss == pytest.approx(D.batch_loss(net, inputs, labels, out_pop=out_pop, **kw),
                                        rel=EXACT_RTOL)
    for c, (got, want) in enumerate(zip(result.grad_w, expected)):
        assert np.max(np.abs(want)) > 0.0, f"connection {c}: no gradient, the test is inert"
        np.testing.assert_allclose(got, want, rtol=0.0, atol=EXACT_RTOL * np.max(np.abs(want)),
                                   err_msg=f"connection {c}")


def _with_reset(net, v_thresh, v_reset):
    """``net`` with every LIF population's threshold and reset voltage replaced."""
    pops = [replace(p, v_thresh=v_thresh, v_reset=v_reset) if p.kind == "lif" else p
            for p in net.pops]
    return R.Net(pops, net.conns, net.duration, net.dt)


def _bursting(dt):
    """One LIF neuron, two strong input spikes per example 10-13 ms apart: with a relative
    reset to just below the threshold it fires every step of a burst, V stays above the
    threshold while I decays below it (spikes whose V fell, I - V <= 0), and the second input
    starts a burst of spikes that cross the threshold again later."""
    net = R.Net([R.Pop(2, "input"), R.Pop(1, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, np.array([[10.0], [10.0]])), R.Conn(1, 2, np.array([[1.0, -0.5]]))],
                duration=30.0, dt=dt)
    return net, [[np.array([1.2]), np.array([12.5])], [np.array([2.3]), np.array([15.1])]]


def _falls_then_crosses(net, inputs):
    """Whether some LIF neuron has a spike whose V did not rise through the threshold followed,
    later in the same example, by one that did (lambda_V then reaches the first through the
    second: it matters whether the reset passes it through)."""
    for x in inputs:
        trace = D.simulate(net, x, relative_reset=True)
        for p, pop in enumerate(net.pops):
            if pop.kind != "lif":
                continue
            rose = trace.currents[p] > trace.voltages[p]
            fell = np.flatnonzero((trace.spikes[p] & ~rose).any(axis=1))
            crossed = np.flatnonzero((trace.spikes[p] & rose).any(axis=1))
            if fell.size and crossed.size and crossed.max() > fell.min():
                return True
    return False


# (dt, v_thresh, v_reset): at dt = 0.1 ms V crosses the threshold by up to a few percent of it;
# at dt = 1 ms with v_reset close to the threshold the neuron bursts (see _bursting)
RELATIVE_CASES = [("recurrent-dt0.1", _recurrent, 2, LI_LOSSES[0], 0.1, 1.0, -0.3),
                  ("bursts-dt1", _bursting, 2, LI_LOSSES[0], 1.0, 1.0, 0.9),
                  ("first_spike-dt0.1", _first_spike, 2, TTFS_LOSSES[0], 0.1, 1.0, -0.3)]


@pytest.mark.parametrize("case", RELATIVE_CASES, ids=[c[0] for c in RELATIVE_CASES])
def test_engine_equals_time_stepped_reference_with_a_relative_reset(case):
    """With a relative reset (``V -= v_thresh - v_reset``) the slope after a spike is taken at
    the voltage the reset leaves, and a spike whose V did not rise through the threshold passes
    ``lambda_V`` through (DERIVATION.md section 6): the engine's loss and gradients equal the
    NumPy scheme's to double precision. The cases are chosen so that treating the reset as
    absolute in the backward pass alone moves some connection's gradient by far more than
    that (asserted: >= 1e-4 of its largest entry; measured 0.18% to 17 times it)."""
    name, make, out_pop, kw, dt, v_thresh, v_reset = case
    net, inputs = make(dt)
    net = _with_reset(net, v_thresh, v_reset)
    assert _falls_then_crosses(net, inputs) == name.startswith("bursts")
    labels = _labels(net, inputs, kw["loss"], out_pop)
    engine = EngineNet(net, len(inputs), out_pop=out_pop, relative_reset=True, **kw)
    result = engine.run(inputs, labels)
    expected = D.batch_gradient(net, inputs, labels, relative_reset=True, out_pop=out_pop,
                                **kw)[0]
    assert result.loss == pytest.approx(
        D.batch_loss(net, inputs, labels, relative_reset=True, out_pop=out_pop, **kw),
        rel=EXACT_RTOL)
    for c, (got, want) in enumerate(zip(result.grad_w, expected)):
        assert np.max(np.abs(want)) > 0.0, f"connection {c}: no gradient, the test is inert"
        np.testing.assert_allclose(got, want, rtol=0.0, atol=EXACT_RTOL * np.max(np.abs(want)),
                                   err_msg=f"connection {c}")
    # The same forward trace, its reset treated as absolute backwards: the check must see it
    absolute = [np.zeros_like(c.w) for c in net.conns]
    for x, y in zip(inputs, labels):
        trace = D.simulate(net, x, relative_reset=True)
        _, dv, dt_first = D.loss_and_output_gradients(net, trace, label=y, out_pop=out_pop, **kw)
        for a, g in zip(absolute, D.backward(net, trace, dv, dt_first, out_pop)[0]):
            a += g / len(inputs)
    assert max(np.max(np.abs(a - w)) / np.max(np.abs(w))
               for a, w in zip(absolute, expected)) >= 1e-4


def _directional_slope(engine, net, inputs, labels, direction, half_range=FD_HALF_RANGE,
                       points=FD_POINTS):
    weights = [c.w.copy() for c in net.conns]
    steps = np.linspace(-half_range, half_range, points)
    losses = []
    for step in steps:
        offset, moved = 0, []
        for w in weights:
            moved.append(w + step * direction[offset:offset + w.size].reshape(w.shape))
            offset += w.size
        engine.set_weights(moved)
        losses.append(engine.run(inputs, labels, backward=False).loss)
    engine.set_weights(weights)
    return np.polyfit(steps, losses, 2)[1]


# sum_var is left out: at dt = 0.01 ms it sums 2000 samples, the softmax saturates and both
# gradients vanish; its backward pass is avg_var's times a constant, checked exactly above
FD_CASES = ([("single", _single_neuron, 2, kw) for kw in LI_LOSSES
             if kw.get("readout") != "sum_var"]
            + [("three_layer", _three_layer, 3, LI_LOSSES[0]),
               ("recurrent", _recurrent, 2, LI_LOSSES[0])]
            + [("first_spike", _first_spike, 2, kw) for kw in TTFS_LOSSES])


@pytest.mark.parametrize("case", FD_CASES, ids=[_case_id(c) for c in FD_CASES])
def test_engine_gradient_matches_finite_differences(case):
    _, make, out_pop, kw = case
    net, inputs = make(FD_DT)
    for x in inputs:
        spikes = R.simulate(net, x).spikes
        assert min(s.v_dot_minus * net.pops[s.pop].tau_mem for s in spikes) > 0.5
    labels = _labels(net, inputs, kw["loss"], out_pop)
    engine = EngineNet(net, len(inputs), out_pop=out_pop, **kw)
    g = np.concatenate([x.ravel() for x in engine.run(inputs, labels).grad_w])
    norm = np.linalg.norm(g)
    assert norm > 1e-4, "EventProp gradient is zero: the test network is inert"
    rng = np.random.default_rng(0)
    directions = [g / norm]
    # max_var is not differentiable where the step of the maximum changes, which random
    # directions cross within the sampled range; the gradient direction is checked
    if kw.get("readout") != "max_var":
        directions += [v / np.linalg.norm(v) for v in rng.normal(size=(2, g.size))]
    for k, u in enumerate(directions):
        sampling = ((FD_TTFS_HALF_RANGE, FD_TTFS_POINTS) if net.pops[out_pop].kind == "lif"
                    else (FD_HALF_RANGE, FD_POINTS))
        slope = _directional_slope(engine, net, inputs, labels, u, *sampling)
        assert abs(slope - g @ u) <= FD_RTOL * norm, \
            f"direction {k}: EventProp {g @ u} vs finite differences {slope} (|g| = {norm})"
