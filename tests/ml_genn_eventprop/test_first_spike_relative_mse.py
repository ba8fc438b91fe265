"""mlGeNN's ``RelativeMeanSquareError(delta)`` for first-spike outputs.

mlGeNN's loss takes one parameter, the margin ``delta`` (its Yin-Yang example passes it
positionally: ``RelativeMeanSquareError(5.0 * 0.2)``), and is
``L = 1/2 sum_{k != y} (t_k - t_y - delta)^2``. Checked here: the constructor keeps that API,
the host-side gradient is the derivative of the loss (central differences) and matches a
hand-computed example where an incorrect neuron stays silent (it must not pull the correct
neuron later), core's ``value`` agrees with the host loss, and one SGD batch through the engine
applies the NumPy reference's EventProp gradient of this loss.
"""
import numpy as np
import pytest

import reference as R
import reference_discrete as D
from ml_genn import Connection, Network, Population
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.losses import RelativeMeanSquareError
from ml_genn.neurons import LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.readouts import FirstSpikeTime
from ml_genn.utils.data import preprocess_spikes
from ml_genn.synapses import Exponential

from ml_genn_eventprop import output_gradients as OG

T = 30.0


def _loss_by_loops(t, labels, delta):
    """Per-example loops over the definition: a silent correct neuron counts as firing at T,
    a silent incorrect one at T only where that breaks the margin (min(0, T - t_y - delta))."""
    total = 0.0
    for row, y in zip(t, labels):
        t_y = row[y] if np.isfinite(row[y]) else T
        for k in range(len(row)):
            if k == y:
                continue
            r = row[k] - t_y - delta if np.isfinite(row[k]) else min(0.0, T - t_y - delta)
            total += 0.5 * r ** 2
    return total / len(t)


def test_delta_is_mlgenns_positional_parameter():
    loss = RelativeMeanSquareError(5.0 * 0.2)
    assert loss.delta == 1.0
    assert "delta=1.0" in repr(loss)
    goeltz = RelativeMeanSquareError(tau_0=0.5, tau_1=6.4, alpha=3e-3)
    assert goeltz.delta is None and goeltz.tau_1 == 6.4


@pytest.mark.parametrize("kwargs, match", [({"delta": 0.0}, "delta must be positive"),
                                           ({"delta": 1.0, "tau_0": 0.5}, "either delta")])
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RelativeMeanSquareError(**kwargs)


def test_gradient_is_the_derivative_of_the_loss():
    rng = np.random.default_rng(11)
    t, labels = rng.uniform(1.0, 25.0, size=(4, 3)), np.array([0, 2, 1, 1])
    t[1, 0] = np.inf                      # a silent incorrect neuron, label fires early
    t[2, 0], t[2, 1] = np.inf, 29.6       # a silent incorrect neuron, label fires late
    loss, grad = OG.first_spike_relative_mse(t, labels, 1.0, T)
    assert loss == pytest.approx(_loss_by_loops(t, labels, 1.0), rel=1e-12)
    eps = 1e-6
    for idx in zip(*np.nonzero(np.isfinite(t))):
        up, down = t.copy(), t.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (_loss_by_loops(up, labels, 1.0) - _loss_by_loops(down, labels, 1.0)) / (2 * eps)
        assert grad[idx] == pytest.approx(numeric, abs=1e-6)
    assert grad[1, 0] == 0.0 and grad[2, 0] == 0.0   # silent: no spike to carry a gradient
    # The late label (29.6 > T - delta) is pulled earlier by the silent neuron's margin term
    assert _loss_by_loops(t[2:3], labels[2:3], 1.0) > 0.5 * (T - 29.6 - 1.0) ** 2 - 1e-12


def test_all_silent_outputs_are_not_loss_free():
    # Everything silent (the correct neuron carries a phantom spike at T, so the caller passes
    # t_y = T as spiking): each silent incorrect neuron adds 1/2 delta^2 and pulls the correct
    # one earlier with dL/dt_y = delta
    t = np.array([[T, np.inf, np.inf]])
    loss, grad = OG.first_spike_relative_mse(t, np.array([0]), 1.0, T)
    assert loss == pytest.approx(2 * 0.5 * 1.0 ** 2)
    np.testing.assert_allclose(grad, [[2.0, 0.0, 0.0]])


def test_silent_incorrect_neuron_does_not_pull_the_correct_one_later():
    # label 0 fires at 5, neuron 2 at 8, neuron 1 is silent; delta 1:
    # only neuron 2 is compared, r = 8 - 5 - 1 = 2 -> L = 2, dL/dt_0 = -2, dL/dt_2 = 2
    t = np.array([[5.0, np.inf, 8.0]])
    loss, grad = OG.first_spike_relative_mse(t, np.array([0]), 1.0, T)
    assert loss == pytest.approx(2.0)
    np.testing.assert_allclose(grad, [[-2.0, 0.0, 2.0]])


def test_core_value_agrees_with_the_host_loss():
    rng = np.random.default_rng(4)
    t, labels = rng.uniform(1.0, 25.0, size=(5, 3)), np.array([0, 1, 2, 0, 1])
    t[2, 0] = np.inf
    t[3, 0] = np.inf                      # silent correct neuron: counts as firing at T
    readout = np.where(np.isfinite(t), -t, -np.finfo(np.float32).max)   # engine's readout
    value = RelativeMeanSquareError(1.0).value(labels, readout, duration=T)
    assert value == pytest.approx(_loss_by_loops(t, labels, 1.0), rel=1e-12)
    assert value == pytest.approx(OG.first_spike_relative_mse(t, labels, 1.0, T)[0], rel=1e-12)


def test_one_sgd_batch_applies_the_reference_gradient_of_the_delta_loss():
    dt, steps, alpha = 0.1, 200, 0.5
    rng = np.random.default_rng(7)
    w = [rng.normal(2.0, 0.8, (4, 5)), rng.normal(2.0, 0.5, (5, 3))]
    trains, data = [], []
    for _ in range(2):
        # Distinct steps per input; times half a step off the grid (see the training tests)
        k = [np.sort(rng.choice(150, 3, replace=False)) for _ in range(4)]
        trains.append([(s + 1.5) * dt for s in k])
        flat_t = np.concatenate([(s + 0.5) * dt for s in k])
        flat_i = np.repeat(np.arange(4), 3)
        order = np.argsort(flat_t, kind="stable")
        data.append(preprocess_spikes(flat_t[order], flat_i[order], 4))
    labels = [0, 2]
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=100), 4, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 5, name="hidden")
        out = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0,
                                            readout=FirstSpikeTime()), 3, name="output")
        conns = [Connection(inp, hid, Dense(w[0].copy()), Exponential(5.0)),
                 Connection(hid, out, Dense(w[1].copy()), Exponential(5.0))]
    compiler = EventPropCompiler(example_timesteps=steps, dt=dt, batch_size=2,
                                 optimiser=SGD(alpha), precision="double", max_spikes=64,
                                 losses=RelativeMeanSquareError(1.0))
    compiled = compiler.compile(net, "eventprop_rmse_delta")
    with compiled:
        compiled.genn_model.set_num_threads(1)
        before = [compiled.connection_populations[c].vars["g"].view.copy() for c in conns]
        compiled.train({inp: data}, {out: np.asarray(labels)}, num_epochs=1, shuffle=False,
                       callbacks=[])
        after = [compiled.connection_populations[c].vars["g"].view.copy() for c in conns]
    ref = R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(3, "lif", 10.0, 5.0)],
                [R.Conn(0, 1, w[0]), R.Conn(1, 2, w[1])], steps * dt, dt)
    for x in trains:
        assert np.all(D.simulate(ref, x).first_step[2] >= 0), "every output must spike"
    expected = D.batch_gradient(ref, trains, labels, loss="relative_mse", delta=1.0,
                                out_pop=2)[0]
    scale = D.mlgenn_scale(ref, 2, "relative_mse", batch_size=len(trains))
    expected = [g * scale for g in expected]
    for b, a, want, c in zip(before, after, expected, conns):
        got = (b - a).reshape(want.shape) / alpha
        assert np.max(np.abs(want)) > 1e-6
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * np.max(np.abs(want)),
                                   err_msg=c.name)
