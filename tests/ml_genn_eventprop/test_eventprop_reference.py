"""The EventProp derivation, proven on the NumPy reference before any engine code.

Each test compares the adjoint (EventProp) gradient of ``reference.py`` with a central finite
difference of the *same* loss computed by the reference's exact forward simulation.

Tolerance: the forward simulation is exact up to root finding (xtol 1e-15), so the loss is smooth
in the parameters while no spike appears or disappears. A central difference with eps = 1e-6 then
has truncation error ~eps^2 * L''' (< 1e-10) and round-off ~1e-16 * L / eps (~1e-10), so the two
agree to ~1e-8 relative. We assert 1e-5 of the largest gradient entry: three orders of margin,
yet a single wrong sign or factor anywhere in the derivation is off by O(1).
"""
import numpy as np
import pytest

from reference import (Conn, Net, Pop, batch_gradient, finite_difference, simulate)

EPS = 1e-6
RTOL = 1e-5


def _inputs(rng, num_inputs, num_examples, spikes_per_input=3, t_max=15.0):
    return [[rng.uniform(0.0, t_max, spikes_per_input) for _ in range(num_inputs)]
            for _ in range(num_examples)]


def _check(net, inputs, labels, which="w", conn_indices=None, per_conn=3, seed=0, **kw):
    """Compare adjoint and finite-difference gradients on ``per_conn`` entries per connection."""
    grad_w, grad_d = batch_gradient(net, inputs, labels, **kw)
    grads = grad_w if which == "w" else grad_d
    rng = np.random.default_rng(seed)
    conn_indices = range(len(net.conns)) if conn_indices is None else conn_indices
    checked = 0
    for c in conn_indices:
        g = grads[c]
        scale = np.max(np.abs(g))
        # A gradient check on all-zero gradients would prove nothing
        assert scale > 1e-6, f"connection {c} has no gradient; the test network is inert"
        flat = rng.choice(g.size, size=min(per_conn, g.size), replace=False)
        for f in flat:
            idx = np.unravel_index(f, g.shape)
            fd = finite_difference(net, inputs, labels, which, c, idx, EPS, **kw)
            assert abs(fd - g[idx]) <= RTOL * scale, \
                f"conn {c} {which}{idx}: adjoint {g[idx]!r} vs finite difference {fd!r}"
            checked += 1
    return checked


@pytest.fixture(scope="module")
def single_neuron():
    # One LIF neuron between 3 inputs and 2 leaky-integrator outputs
    rng = np.random.default_rng(11)
    net = Net([Pop(3, "input"), Pop(1, "lif"), Pop(2, "li")],
              [Conn(0, 1, rng.normal(1.8, 0.3, (3, 1))), Conn(1, 2, np.array([[1.0, -0.5]]))],
              duration=20.0, dt=0.5)
    inputs = _inputs(rng, 3, 2)
    assert all(len(simulate(net, x).spikes) >= 2 for x in inputs)
    return net, inputs


@pytest.mark.parametrize("readout", ["avg_var", "sum_var", "avg_var_exp_weight", "max_var", "var"])
def test_single_lif_neuron_classification(single_neuron, readout):
    net, inputs = single_neuron
    _check(net, inputs, [0, 1], loss="sce", out_pop=2, readout=readout)


def test_single_lif_neuron_regression(single_neuron):
    net, inputs = single_neuron
    rng = np.random.default_rng(3)
    targets = [rng.normal(0.0, 0.5, (net.num_samples, 2)) for _ in inputs]
    _check(net, inputs, targets, loss="mse", out_pop=2, readout="var")


@pytest.fixture(scope="module")
def three_layer():
    # input -> LIF -> LIF -> LI: gradients must cross two spiking layers
    rng = np.random.default_rng(5)
    net = Net([Pop(4, "input"), Pop(4, "lif"), Pop(3, "lif"), Pop(2, "li")],
              [Conn(0, 1, rng.normal(1.5, 0.8, (4, 4))),
               Conn(1, 2, rng.normal(1.4, 0.6, (4, 3))),
               Conn(2, 3, rng.normal(0.5, 1.0, (3, 2)))],
              duration=20.0, dt=0.5)
    inputs = _inputs(rng, 4, 2)
    return net, inputs


@pytest.mark.parametrize("readout", ["avg_var", "sum_var", "avg_var_exp_weight", "max_var", "var"])
def test_three_layer_feed_forward(three_layer, readout):
    net, inputs = three_layer
    _check(net, inputs, [0, 1], loss="sce", out_pop=3, readout=readout)


def test_three_layer_regression(three_layer):
    net, inputs = three_layer
    rng = np.random.default_rng(4)
    targets = [rng.normal(0.0, 0.5, (net.num_samples, 2)) for _ in inputs]
    _check(net, inputs, targets, loss="mse", out_pop=3, readout="var")


@pytest.fixture(scope="module")
def recurrent():
    rng = np.random.default_rng(2)
    net = Net([Pop(4, "input"), Pop(4, "lif"), Pop(3, "li")],
              [Conn(0, 1, rng.normal(1.5, 0.8, (4, 4))),
               Conn(1, 1, rng.normal(0.0, 0.5, (4, 4))),
               Conn(1, 2, rng.normal(0.5, 1.0, (4, 3)))],
              duration=15.0, dt=0.5)
    inputs = _inputs(rng, 4, 2, t_max=12.0)
    return net, inputs


@pytest.mark.parametrize("readout", ["avg_var", "max_var", "var"])
def test_recurrent_layer(recurrent, readout):
    net, inputs = recurrent
    _check(net, inputs, [0, 2], loss="sce", out_pop=2, readout=readout)


def test_recurrent_regression(recurrent):
    net, inputs = recurrent
    rng = np.random.default_rng(8)
    targets = [rng.normal(0.0, 0.5, (net.num_samples, 3)) for _ in inputs]
    _check(net, inputs, targets, loss="mse", out_pop=2, readout="var")


@pytest.fixture(scope="module")
def delayed():
    rng = np.random.default_rng(5)
    net = Net([Pop(4, "input"), Pop(4, "lif"), Pop(3, "lif"), Pop(2, "li")],
              [Conn(0, 1, rng.normal(1.5, 0.8, (4, 4)), rng.uniform(0.0, 3.0, (4, 4))),
               Conn(1, 2, rng.normal(1.4, 0.6, (4, 3)), rng.uniform(0.0, 3.0, (4, 3))),
               Conn(2, 3, rng.normal(0.5, 1.0, (3, 2)))],
              duration=20.0, dt=0.5)
    inputs = _inputs(rng, 4, 2)
    return net, inputs


def test_weight_gradients_with_delays(delayed):
    net, inputs = delayed
    _check(net, inputs, [0, 1], loss="sce", out_pop=3, readout="avg_var")


def test_delay_gradients(delayed):
    net, inputs = delayed
    _check(net, inputs, [0, 1], which="d", conn_indices=[0, 1], loss="sce", out_pop=3,
           readout="avg_var")


@pytest.fixture(scope="module")
def first_spike_net():
    rng = np.random.default_rng(2)
    net = Net([Pop(4, "input"), Pop(5, "lif"), Pop(3, "lif")],
              [Conn(0, 1, rng.normal(2.0, 0.8, (4, 5))), Conn(1, 2, rng.normal(2.0, 0.5, (5, 3)))],
              duration=30.0, dt=0.5)
    inputs = _inputs(rng, 4, 2)
    for x in inputs:
        assert np.all(np.isfinite(simulate(net, x).first_spike[2]))
    return net, inputs


def test_first_spike_time_crossentropy(first_spike_net):
    net, inputs = first_spike_net
    _check(net, inputs, [0, 2], loss="sce", out_pop=2, ttfs_alpha=0.1, softmax_temperature=0.5)


def test_first_spike_time_relative_mse(first_spike_net):
    net, inputs = first_spike_net
    _check(net, inputs, [0, 2], loss="relative_mse", out_pop=2, delta=2.0)


def test_first_spike_time_goeltz_relative_mse(first_spike_net):
    net, inputs = first_spike_net
    _check(net, inputs, [0, 2], loss="relative_mse_goeltz", out_pop=2, goeltz=(0.5, 6.4, 3e-3))


def test_finite_difference_detects_a_wrong_gradient(three_layer):
    """Guard against a check that cannot fail: a deliberately wrong jump must be caught."""
    import reference
    net, inputs = three_layer
    original = reference.Spike
    try:
        # Pretend dV/dt after the reset were zero: the classic mistake of forgetting the reset term
        reference.Spike = lambda p, i, t, vm, vp: original(p, i, t, vm, 0.0)
        with pytest.raises(AssertionError):
            _check(net, inputs, [0, 1], loss="sce", out_pop=3, readout="avg_var")
    finally:
        reference.Spike = original
