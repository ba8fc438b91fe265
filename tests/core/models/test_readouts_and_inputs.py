"""Readouts and spike inputs against NumPy references."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import (IntegrateFire, IntegrateFireInput, LeakyIntegrate, PoissonInput,
                             SpikeInput)
from ml_genn.readouts import FirstSpikeTime
from ml_genn.utils.data import preprocess_spikes

T, TAU = 10, 8.0


def li_trace(x, w):
    """V after each of T steps of an LI neuron fed the weighted spikes of IF inputs with
    threshold 0.5 and constant input x (each spikes every step from step 0)."""
    alpha = np.exp(-1.0 / TAU)
    v, out = np.zeros((len(x), w.shape[1])), []
    for k in range(T):
        v = alpha * v + (x @ w if k > 0 else 0.0)
        out.append(v.copy())
    return np.array(out)  # (T, examples, neurons)


@pytest.mark.parametrize("readout", ["var", "avg_var", "sum_var", "max_var", "avg_var_exp_weight"])
def test_variable_readouts(readout):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3))
    x = (rng.random((5, 4)) < 0.6).astype(float)
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=0.5, v_reset=0.0), 4)
        out = Population(LeakyIntegrate(tau_mem=TAU, readout=readout), 3)
        Connection(inp, out, Dense(w))
    compiled = InferenceCompiler(evaluate_timesteps=T, reset_in_syn_between_batches=True, batch_size=2).compile(net)
    with compiled:
        y, _ = compiled.predict({inp: x}, out, callbacks=[])
    trace = li_trace(x, w)
    weights = np.exp(-np.arange(T) / T)[:, None, None]
    expected = {"var": trace[-1], "avg_var": trace.mean(0), "sum_var": trace.sum(0),
                "max_var": trace.max(0), "avg_var_exp_weight": (weights * trace).sum(0) / T}[readout]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def spike_net(readout, max_spikes=1000):
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=max_spikes), 3)
        out = Population(IntegrateFire(v_thresh=0.5, readout=readout), 3)
        Connection(inp, out, Dense(np.eye(3)))
    return net, inp, out


def test_spike_input_spike_count_and_first_spike_time():
    # Output i copies input i one step later (weight 1 > threshold 0.5)
    examples = [preprocess_spikes([1.0, 4.0, 2.0], [0, 0, 2], 3),
                preprocess_spikes([0.0, 3.0, 5.0, 6.0], [1, 1, 1, 2], 3),
                preprocess_spikes([], [], 3)]
    for readout in ("spike_count", "first_spike_time"):
        net, inp, out = spike_net(readout)
        compiled = InferenceCompiler(evaluate_timesteps=T, reset_in_syn_between_batches=True, batch_size=2).compile(net)
        with compiled:
            y, _ = compiled.predict({inp: examples}, out, callbacks=[])
        if readout == "spike_count":
            expected = [np.diff(np.concatenate(([0], e.end_spikes))) for e in examples]
            np.testing.assert_array_equal(y, expected)
        else:
            no_spike = -np.finfo(np.float32).max
            expected = np.full((3, 3), no_spike)
            for e, ex in enumerate(examples):
                start = 0
                for n, end in enumerate(ex.end_spikes):
                    if end > start:
                        expected[e, n] = -(ex.spike_times[start] + 1.0)
                    start = end
            np.testing.assert_allclose(y, expected, rtol=1e-6)


def test_spike_input_budget_error_names_population_and_count():
    net, inp, out = spike_net("spike_count", max_spikes=3)
    compiled = InferenceCompiler(evaluate_timesteps=T, reset_in_syn_between_batches=True, batch_size=2).compile(net)
    examples = [preprocess_spikes([1.0, 2.0], [0, 1], 3), preprocess_spikes([1.0, 2.0], [0, 1], 3)]
    with compiled:
        with pytest.raises(ValueError, match=rf"Population '{inp.name}'.*4 spikes.*max_spikes is 3"):
            compiled.predict({inp: examples}, out, callbacks=[])


def test_poisson_input_rate():
    rate, steps = 0.2, 400
    net = Network()
    with net:
        inp = Population(PoissonInput(), 50)
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 1)
        Connection(inp, out, Dense(1.0))
    compiled = InferenceCompiler(evaluate_timesteps=steps, reset_in_syn_between_batches=True, batch_size=1, rng_seed=3).compile(net)
    with compiled:
        y, _ = compiled.predict({inp: np.full((1, 50), rate)}, out, callbacks=[])
    p = 1 - np.exp(-rate)
    n = 50 * (steps - 1)  # spikes of the last step have not arrived
    assert abs(y[0, 0] - p * n) < 4 * np.sqrt(n * p * (1 - p))
