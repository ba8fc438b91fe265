"""The time-stepped scheme the engine runs (DERIVATION.md §6) converges to the exact gradient.

``reference_discrete`` implements the engine's forward update order and step-by-step backward
pass in NumPy; ``reference`` is the exact (event-driven, finite-difference-proven) EventProp.

Tolerance: at step ``dt`` the time-stepped forward pass delays every spike's effect by up to one
step and quantises spike times, so its gradient differs from the exact one by O(dt / tau) per
layer, amplified by 1 / (dV/dt at threshold) for each spike. With dt = 0.01 ms, tau_syn = 5 ms and
networks whose spikes all cross threshold with (I - theta) > 0.4 (asserted), the measured
differences are 0.5-8% of the largest gradient entry; we assert 12%. A wrong sign, factor or
missing term in the scheme gives O(1) differences (see the last test).
"""
import numpy as np
import pytest

import reference as R
import reference_discrete as D

RTOL = 0.12
DT = 0.01


def _inputs(rng, num_examples=2, t_max=8.0):
    return [[rng.uniform(0.0, t_max, 3) for _ in range(4)] for _ in range(num_examples)]


def _well_conditioned(net, inputs, min_drive=0.4):
    for x in inputs:
        spikes = R.simulate(net, x).spikes
        assert spikes, "test network must spike"
        assert min(s.v_dot_minus * net.pops[s.pop].tau_mem for s in spikes) > min_drive


def _compare(net, inputs, labels, which=(0,), **kw):
    exact_all = R.batch_gradient(net, inputs, labels, **kw)
    stepped_all = D.batch_gradient(net, inputs, labels, **kw)
    exact = [g for w in which for g in exact_all[w]]
    stepped = [g for w in which for g in stepped_all[w]]
    for c, (a, b) in enumerate(zip(exact, stepped)):
        scale = np.max(np.abs(a))
        if scale == 0.0:
            continue
        assert np.max(np.abs(a - b)) <= RTOL * scale, \
            f"connection {c}: exact\n{a}\ntime-stepped\n{b}"
    return exact, stepped


@pytest.fixture(scope="module")
def three_layer():
    rng = np.random.default_rng(5)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, rng.normal(1.5, 0.8, (4, 4))),
                 R.Conn(1, 2, rng.normal(1.4, 0.6, (4, 3))),
                 R.Conn(2, 3, rng.normal(0.5, 1.0, (3, 2)))], 20.0, DT)
    inputs = [[rng.uniform(0.0, 15.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


@pytest.mark.parametrize("readout", ["avg_var", "avg_var_exp_weight"])
def test_feed_forward_converges(three_layer, readout):
    net, inputs = three_layer
    _compare(net, inputs, [0, 1], loss="sce", out_pop=3, readout=readout)


def test_recurrent_converges():
    rng = np.random.default_rng(1)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "li")],
                [R.Conn(0, 1, rng.normal(1.2, 0.5, (4, 4))),
                 R.Conn(1, 1, rng.normal(0.0, 0.4, (4, 4))),
                 R.Conn(1, 2, rng.normal(0.5, 1.0, (4, 3)))], 25.0, DT)
    inputs = _inputs(rng)
    _well_conditioned(net, inputs)
    _compare(net, inputs, [0, 2], loss="sce", out_pop=2, readout="avg_var")


def test_recurrent_with_a_relative_reset_converges():
    """In continuous time a relative reset leaves ``V = v_reset`` exactly as an absolute one
    (``V`` crosses at the threshold), so the time-stepped scheme with a relative reset (its
    overshoot kept after the reset) converges to the same exact gradient."""
    rng = np.random.default_rng(1)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif", v_reset=-0.3), R.Pop(3, "li")],
                [R.Conn(0, 1, rng.normal(1.2, 0.5, (4, 4))),
                 R.Conn(1, 1, rng.normal(0.0, 0.4, (4, 4))),
                 R.Conn(1, 2, rng.normal(0.5, 1.0, (4, 3)))], 25.0, DT)
    inputs = _inputs(rng)
    _well_conditioned(net, inputs)
    kw = dict(loss="sce", out_pop=2, readout="avg_var")
    exact = R.batch_gradient(net, inputs, [0, 2], **kw)[0]
    stepped = D.batch_gradient(net, inputs, [0, 2], relative_reset=True, **kw)[0]
    for c, (a, b) in enumerate(zip(exact, stepped)):
        assert np.max(np.abs(a - b)) <= RTOL * np.max(np.abs(a)), \
            f"connection {c}: exact\n{a}\ntime-stepped\n{b}"
    # The reset is relative indeed: each spike's overshoot stays, so the voltages differ
    relative, absolute = D.simulate(net, inputs[0], True), D.simulate(net, inputs[0])
    assert np.max(np.abs(relative.voltages[1] - absolute.voltages[1])) > 1e-3


@pytest.fixture(scope="module")
def delayed():
    rng = np.random.default_rng(6)
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, rng.normal(1.0, 0.5, (4, 4)), rng.integers(0, 30, (4, 4)) * 0.1),
                 R.Conn(1, 2, rng.normal(1.0, 0.5, (4, 3)), rng.integers(0, 30, (4, 3)) * 0.1),
                 R.Conn(2, 3, rng.normal(0.5, 1.0, (3, 2)))], 25.0, DT)
    inputs = _inputs(rng)
    _well_conditioned(net, inputs)
    return net, inputs


def test_delayed_weights_and_delays_converge(delayed):
    net, inputs = delayed
    _compare(net, inputs, [0, 1], which=(0, 1), loss="sce", out_pop=3, readout="avg_var")


@pytest.fixture(scope="module")
def first_spike_net():
    rng = np.random.default_rng(2)
    net = R.Net([R.Pop(4, "input"), R.Pop(5, "lif"), R.Pop(3, "lif")],
                [R.Conn(0, 1, rng.normal(2.0, 0.8, (4, 5))),
                 R.Conn(1, 2, rng.normal(2.0, 0.5, (5, 3)))], 30.0, DT)
    inputs = [[rng.uniform(0.0, 15.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


def test_first_spike_time_losses_converge(first_spike_net):
    net, inputs = first_spike_net
    _compare(net, inputs, [0, 2], loss="sce", out_pop=2, ttfs_alpha=0.1, softmax_temperature=0.5)
    _compare(net, inputs, [0, 2], loss="relative_mse", out_pop=2, delta=2.0)


def test_comparison_detects_a_wrong_scheme(three_layer, monkeypatch):
    """A scheme missing the feedback through spikes (the arrival terms) must fail the check."""
    net, inputs = three_layer
    original = D.backward

    def without_feedback(net_, trace, *args, **kwargs):
        # Same network, but pretend the hidden layers' outgoing spikes carry no timing gradient:
        # drop the pending (arrival) terms by zeroing the spike-time sensitivity via huge slopes
        fake = D.DiscreteTrace(trace.spikes, {p: c * 0 + 1e9 for p, c in trace.currents.items()},
                               trace.voltages, trace.samples, trace.first_step,
                               trace.input_raster)
        return original(net_, fake, *args, **kwargs)

    monkeypatch.setattr(D, "backward", without_feedback)
    with pytest.raises(AssertionError):
        _compare(net, inputs, [0, 1], loss="sce", out_pop=3, readout="avg_var")
