"""Neuron models against closed forms and NumPy step-by-step references.

A BinarySpikeInput neuron fed 1 spikes every timestep; through a Dense weight ``w`` and a delta
synapse the neuron under test receives ``I = w`` from the second timestep on (spikes propagate
one step later). A callback records the voltage after every timestep.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, BinarySpikeInput, IntegrateFire,
                             LeakyIntegrate, LeakyIntegrateFire, LeakyIntegrateFireInput)
from ml_genn.synapses import Exponential


class RecordVars(Callback):
    def __init__(self, pop, names):
        self.pop, self.names, self.trace = pop, names, {n: [] for n in names}

    def set_params(self, compiled_network=None, **kwargs):
        self.net = compiled_network

    def on_timestep_end(self, timestep):
        group = self.net.neuron_populations[self.pop]
        for n in self.names:
            self.trace[n].append(np.array(group.vars[n].view[0, 0]))

    def get_data(self):
        return "trace", {n: np.array(v) for n, v in self.trace.items()}


def simulate(neuron, weight, timesteps, names=("V",), synapse="delta", dt=1.0):
    net = Network()
    with net:
        inp = Population(BinarySpikeInput(), 1)
        pop = Population(neuron, 1)
        Connection(inp, pop, Dense(np.array([[weight]])), synapse=synapse)
    compiled = InferenceCompiler(evaluate_timesteps=timesteps, reset_in_syn_between_batches=True, dt=dt).compile(net)
    with compiled:
        _, cb = compiled.predict({inp: np.ones((1, 1))}, [], callbacks=[RecordVars(pop, names)])
    return cb["trace"]


def inputs(weight, timesteps):
    current = np.full(timesteps, weight)
    current[0] = 0.0
    return current


def test_leaky_integrator_closed_form():
    tau, w, bias, T = 10.0, 0.3, 0.05, 12
    v = simulate(LeakyIntegrate(tau_mem=tau, bias=bias), w, T)["V"]
    alpha = np.exp(-1.0 / tau)
    k = np.arange(T + 1)
    # V_k = sum_{j<=k} alpha^(k-j) (I_j + bias) with I_0 = 0
    bias_part = bias * (1 - alpha ** (k + 1)) / (1 - alpha)
    input_part = w * (1 - alpha ** k) / (1 - alpha)
    np.testing.assert_allclose(v, (bias_part + input_part)[:T], rtol=1e-5)


def test_lif_below_threshold_closed_form_with_scale_i():
    tau, w, T = 5.0, 0.4, 10
    v = simulate(LeakyIntegrateFire(v_thresh=100.0, tau_mem=tau, scale_i=True), w, T)["V"]
    alpha = np.exp(-1.0 / tau)
    k = np.arange(T)
    np.testing.assert_allclose(v, w * (1 - alpha) * (1 - alpha ** k) / (1 - alpha), rtol=1e-5)


def lif_reference(current, alpha, v_thresh, v_reset, relative, tau_refrac, during_refrac, dt=1.0):
    v, refrac, out, spikes = 0.0, 0.0, [], []
    for i in current:
        if tau_refrac is not None:
            if refrac > 0:
                refrac -= dt
            if during_refrac or refrac <= 0:
                v = alpha * v + i
        else:
            v = alpha * v + i
        spike = v >= v_thresh and (tau_refrac is None or refrac <= 0)
        if spike:
            v = v - (v_thresh - v_reset) if relative else v_reset
            if tau_refrac is not None:
                refrac = tau_refrac
        out.append(v)
        spikes.append(spike)
    return np.array(out), np.array(spikes)


@pytest.mark.parametrize("relative", [True, False])
@pytest.mark.parametrize("tau_refrac,during", [(None, True), (3.0, True), (3.0, False)])
def test_lif_reset_and_refractoriness(relative, tau_refrac, during):
    tau, w, T = 20.0, 0.45, 30
    neuron = LeakyIntegrateFire(v_thresh=1.0, v_reset=0.1, tau_mem=tau, tau_refrac=tau_refrac,
                                relative_reset=relative, integrate_during_refrac=during)
    v = simulate(neuron, w, T)["V"]
    expected, spikes = lif_reference(inputs(w, T), np.exp(-1.0 / tau), 1.0, 0.1, relative,
                                     tau_refrac, during)
    assert spikes.sum() >= 3
    np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)


def test_integrate_fire_resets_to_v_reset():
    w, T = 0.3, 15
    v = simulate(IntegrateFire(v_thresh=1.0, v_reset=-0.2), w, T)["V"]
    expected, _ = lif_reference(inputs(w, T), 1.0, 1.0, -0.2, False, None, True)
    np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)


def test_adaptive_lif_against_reference():
    tau, tau_a, beta, w, T = 20.0, 50.0, 0.5, 0.6, 30
    rec = simulate(AdaptiveLeakyIntegrateFire(v_thresh=1.0, tau_mem=tau, tau_adapt=tau_a,
                                              beta=beta), w, T, names=("V", "A"))
    alpha, rho = np.exp(-1 / tau), np.exp(-1 / tau_a)
    v = a = 0.0
    vs, as_ = [], []
    for i in inputs(w, T):
        a *= rho
        v = alpha * v + i
        if v >= 1.0 + beta * a:
            v -= (1.0 + beta * a)
            a += 1.0
        vs.append(v)
        as_.append(a)
    assert as_[-1] > 0
    np.testing.assert_allclose(rec["V"], vs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rec["A"], as_, rtol=1e-5, atol=1e-6)


def test_exponential_synapse_current():
    # LI with tau -> infinity integrates the synaptic current: V_k = sum of injected currents
    tau_syn, w, T = 4.0, 1.0, 8
    v = simulate(LeakyIntegrate(tau_mem=1e9), w, T, synapse=Exponential(tau_syn))["V"]
    decay = np.exp(-1.0 / tau_syn)
    in_syn, total, expected = 0.0, 0.0, []
    for i in inputs(w, T):
        in_syn += i
        total += in_syn
        in_syn *= decay
        expected.append(total)
    np.testing.assert_allclose(v, expected, rtol=1e-4)


def test_lif_input_multi_frame():
    # Two frames of 2 timesteps each; the input current is the frame's value
    net = Network()
    with net:
        inp = Population(LeakyIntegrateFireInput(v_thresh=100.0, tau_mem=10.0, input_frames=2,
                                                 input_frame_timesteps=2), 3)
    compiled = InferenceCompiler(evaluate_timesteps=5, reset_in_syn_between_batches=True, batch_size=2).compile(net)
    x = np.array([[[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]], [[0.5, 0.0, 0.0], [0.0, 0.5, 1.0]]])
    rec = RecordVars(inp, ("V",))
    with compiled:
        compiled.predict({inp: x}, [], callbacks=[rec])
        v = compiled.neuron_populations[inp].vars["V"].view
        alpha = np.exp(-0.1)
        expected = np.zeros((2, 3))
        for k in range(5):
            frame = min(k // 2, 1)
            expected = alpha * expected + x[:, frame]
        np.testing.assert_allclose(v, expected, rtol=1e-5)
