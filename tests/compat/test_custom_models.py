"""Custom models written the mlGeNN way (``ml_genn.utils.model``: a GeNN 5 model dictionary
plus values, parameters declared as ValueDescriptors) run on the cpu engine; each is checked
against a NumPy simulation of the same equations."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.engine import create_var_init_snippet
from ml_genn.initializers import Initializer
from ml_genn.neurons import IntegrateFireInput, Neuron
from ml_genn.synapses import Delta
from ml_genn.utils.model import NeuronModel, WeightUpdateModel
from ml_genn.utils.snippet import InitializerSnippet
from ml_genn.utils.value import ValueDescriptor

# Izhikevich's resonate-and-fire neuron, forward Euler: z = X + iY rotates and decays; a spike
# when Y crosses a threshold resets it
RESONATOR = {
    "params": [("B", "scalar"), ("Omega", "scalar"), ("YThresh", "scalar")],
    "vars": [("X", "scalar"), ("Y", "scalar")],
    "sim_code": """
        const scalar xNew = X + DT * ((B * X) - (Omega * Y) + Isyn);
        const scalar yNew = Y + DT * ((Omega * X) + (B * Y));
        X = xNew;
        Y = yNew;
        """,
    "threshold_condition_code": "Y >= YThresh",
    "reset_code": """
        X = 0.0;
        Y = 0.0;
        """}


class ResonateFire(Neuron):
    """A user's neuron, as mlGeNN's documentation writes them."""
    b = ValueDescriptor("B")
    omega = ValueDescriptor("Omega")
    y_thresh = ValueDescriptor("YThresh")
    x = ValueDescriptor("X")
    y = ValueDescriptor("Y")

    def __init__(self, b=-0.1, omega=0.5, y_thresh=1.0, x=0.0, y=0.0, readout=None):
        super().__init__(readout)
        self.b, self.omega, self.y_thresh, self.x, self.y = b, omega, y_thresh, x, y

    def get_model(self, population, dt, batch_size):
        return NeuronModel.from_val_descriptors(RESONATOR, "Y", self, dt)


def input_spikes(x, timesteps):
    """Spikes of IntegrateFireInput (threshold 1, reset 0) neurons driven by x: (T, n)."""
    acc, out = np.zeros_like(x), []
    for _ in range(timesteps):
        acc = acc + x
        fired = acc >= 1.0
        acc[fired] = 0.0
        out.append(fired.astype(float))
    return np.array(out)


def driven(neuron, num_inputs, num_neurons, weight, synapse=None):
    """Network of IntegrateFireInput neurons (threshold 1) driving ``neuron`` through Dense
    ``weight``; returns (network, input population, driven population)."""
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=1.0), num_inputs)
        pop = Population(neuron, num_neurons)
        Connection(inp, pop, Dense(weight), synapse or Delta())
    return net, inp, pop


def resonator_reference(drive, b, omega, thresh, dt=1.0):
    """Y at the end, and spike counts, of resonate-and-fire neurons receiving drive[t]."""
    x = np.zeros(drive.shape[1])
    y = np.zeros_like(x)
    spikes = np.zeros_like(x)
    for isyn in drive:
        x, y = x + dt * (b * x - omega * y + isyn), y + dt * (omega * x + b * y)
        fired = y >= thresh
        spikes += fired
        x[fired] = 0.0
        y[fired] = 0.0
    return y, spikes


@pytest.mark.parametrize("readout", ["var", "spike_count"])
def test_custom_neuron_matches_numpy(readout):
    rng = np.random.default_rng(0)
    T = 60
    x = rng.uniform(0.0, 0.8, (3, 4))
    w = rng.normal(0.3, 0.4, (4, 5))
    omega = rng.uniform(0.2, 0.6, 5)          # a per-neuron parameter: becomes a variable
    neuron = ResonateFire(b=-0.05, omega=omega, y_thresh=0.8, readout=readout)
    net, inp, res = driven(neuron, 4, 5, w)
    with InferenceCompiler(evaluate_timesteps=T, batch_size=3,
                           precision="double").compile(net) as compiled:
        y, _ = compiled.predict({inp: x}, res, callbacks=[])
    for example in range(3):
        spikes = input_spikes(x[example], T)
        # A spike reaches the resonators one step after it is emitted
        drive = np.vstack([np.zeros((1, 5)), spikes[:-1] @ w])
        final_y, counts = resonator_reference(drive, -0.05, omega, 0.8)
        expected = final_y if readout == "var" else counts
        np.testing.assert_allclose(y[example], expected, rtol=1e-9, atol=1e-12)
    if readout == "spike_count":
        assert y.sum() > 0


class Ramp(Initializer):
    """A custom initializer snippet: value = start + step * id."""
    snippet = create_var_init_snippet("Ramp", params=["start", "step"],
                                      var_init_code="value = start + (step * id);")

    def __init__(self, start, step):
        self.start, self.step = start, step

    def get_snippet(self):
        return InitializerSnippet(self.snippet, {"start": self.start, "step": self.step})


def test_custom_initializer_snippet_initialises_a_variable():
    net, inp, res = driven(ResonateFire(x=Ramp(0.5, 0.25), readout="var"), 2, 6, 0.0)
    with InferenceCompiler(evaluate_timesteps=1).compile(net) as compiled:
        genn = compiled.neuron_populations[res]
        genn.vars["X"].pull_from_device()
        np.testing.assert_allclose(np.ravel(genn.vars["X"].values), 0.5 + 0.25 * np.arange(6))


class TraceCompiler(InferenceCompiler):
    """A compiler whose connections use a custom weight update with a presynaptic trace:
    each spike delivers g times the trace, which decays every step and grows by one per
    spike (mlGeNN's WeightUpdateModel)."""

    def build_weight_update_model(self, conn, connect_snippet, compile_state):
        return WeightUpdateModel(
            {"params": [("Decay", "scalar")],
             "vars": [("g", "scalar")],
             "pre_vars": [("Trace", "scalar")],
             "pre_spike_code": "Trace += 1.0;",
             "pre_dynamics_code": "Trace *= Decay;",
             "pre_spike_syn_code": "addToPost(g * Trace);"},
            param_vals={"Decay": 0.9}, var_vals={"g": connect_snippet.weight},
            pre_var_vals={"Trace": 0.0})


def test_custom_weight_update_with_a_trace_matches_numpy():
    rng = np.random.default_rng(2)
    T = 30
    x = rng.uniform(0.2, 0.9, (1, 3))
    w = rng.normal(0.0, 1.0, (3, 2))
    net, inp, res = driven(ResonateFire(b=-0.2, omega=0.3, y_thresh=1e9, readout="var"), 3, 2, w)
    with TraceCompiler(evaluate_timesteps=T, precision="double").compile(net) as compiled:
        y, _ = compiled.predict({inp: x}, res, callbacks=[])
    # GeNN order within a step: presynaptic dynamics (decay) run with the neuron update,
    # the spike's trace increment after it, and the synapse delivers the incremented trace
    spikes = input_spikes(x[0], T)
    trace = np.zeros(3)
    drive = [np.zeros(2)]
    for step in range(T - 1):
        trace = trace * 0.9
        trace = trace + spikes[step]
        drive.append((spikes[step] * trace) @ w)
    final_y, _ = resonator_reference(np.array(drive), -0.2, 0.3, 1e9)
    np.testing.assert_allclose(y[0], final_y, rtol=1e-9, atol=1e-12)


def test_bad_custom_models_fail_before_running_naming_the_model():
    class Broken(ResonateFire):
        def __init__(self, model, **kwargs):
            super().__init__(**kwargs)
            self.model = model

        def get_model(self, population, dt, batch_size):
            return NeuronModel.from_val_descriptors(self.model, "Y", self, dt)

    def compile_with(model):
        net = Network()
        with net:
            inp = Population(IntegrateFireInput(), 2)
            Connection(inp, Population(Broken(model, readout="var"), 2), Dense(1.0), Delta())
        return InferenceCompiler(evaluate_timesteps=2).compile(net)

    # An unknown variable in a code string: the error names the class, the field and line
    bad_code = dict(RESONATOR, sim_code="X += Isyn;\nY += Z;")
    with pytest.raises(Exception, match=r"Broken\.sim_code:2.*'Z'"):
        compile_with(bad_code)
    # A parameter without a value
    missing = dict(RESONATOR, params=RESONATOR["params"] + [("Gain", "scalar")])
    with pytest.raises(KeyError, match="Broken: parameter 'Gain' has no value"):
        compile_with(missing)
    # A variable access mode that is not one
    bad_access = dict(RESONATOR, vars=[("X", "scalar", "sometimes"), ("Y", "scalar")])
    with pytest.raises(Exception, match="Broken.*'X'.*access"):
        compile_with(bad_access)
    # A misspelt dictionary key
    typo = dict(RESONATOR)
    typo["reset"] = typo.pop("reset_code")
    with pytest.raises(KeyError, match=r"Broken: NeuronModel dictionary has unknown key\(s\) "
                                       r"\['reset'\]"):
        compile_with(typo)


def test_custom_readout_written_for_mlgenn():
    """A readout as mlGeNN's documentation writes them: add_readout_logic(model, **kwargs)
    amends the NeuronModel and returns it; get_readout pulls its variable."""
    from ml_genn.readouts import Readout

    class Peak(Readout):
        def add_readout_logic(self, model, **kwargs):
            self.output_var_name = model.output_var_name
            model.add_var("Peak", "scalar", -1.0e9)
            model.append_sim_code(f"Peak = fmax(Peak, {self.output_var_name});")
            return model

        def get_readout(self, genn_pop, batch_size, shape):
            genn_pop.vars["Peak"].pull_from_device()
            return np.reshape(genn_pop.vars["Peak"].view, (batch_size,) + shape).copy()

    rng = np.random.default_rng(4)
    T = 40
    x = rng.uniform(0.0, 0.8, (2, 3))
    w = rng.normal(0.4, 0.3, (3, 4))
    net, inp, res = driven(ResonateFire(b=-0.1, omega=0.4, y_thresh=1e9, readout=Peak()), 3, 4, w)
    # (reset_in_syn: the previous batch's last spikes would otherwise arrive in the next)
    with InferenceCompiler(evaluate_timesteps=T, batch_size=2, precision="double",
                           reset_in_syn_between_batches=True).compile(net) as compiled:
        first, _ = compiled.predict({inp: x}, res, callbacks=[])
        # The readout's variable is reset between batches like the neuron's own
        second, _ = compiled.predict({inp: x[::-1]}, res, callbacks=[])
    for example in range(2):
        spikes = input_spikes(x[example], T)
        drive = np.vstack([np.zeros((1, 4)), spikes[:-1] @ w])
        xs, ys, peak = np.zeros(4), np.zeros(4), np.full(4, -1.0e9)
        for isyn in drive:
            xs, ys = xs + (-0.1 * xs - 0.4 * ys + isyn), ys + (0.4 * xs - 0.1 * ys)
            peak = np.maximum(peak, ys)
        np.testing.assert_allclose(first[example], peak, rtol=1e-9)
        np.testing.assert_allclose(second[1 - example], peak, rtol=1e-9)


def test_eventprop_says_why_it_cannot_train_a_custom_neuron():
    from ml_genn.compilers import EventPropCompiler
    from ml_genn.neurons import LeakyIntegrate, SpikeInput
    from ml_genn.synapses import Exponential
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=100), 3)
        hidden = Population(ResonateFire(), 4)
        out = Population(LeakyIntegrate(readout="sum_var"), 2)
        Connection(inp, hidden, Dense(1.0), Exponential(5.0))
        Connection(hidden, out, Dense(1.0), Exponential(5.0))
    with pytest.raises(Exception, match=r"Population 'Pop1' \(ResonateFire\): EventPropCompiler "
                                        r"trains hidden populations of LeakyIntegrateFire "
                                        r"neurons only, got ResonateFire"):
        EventPropCompiler(example_timesteps=10,
                          losses="sparse_categorical_crossentropy").compile(net)


def test_initializer_egps_are_refused_not_ignored():
    class Table(Initializer):
        snippet = create_var_init_snippet("Table", extra_global_params=[("table", "scalar*")],
                                          var_init_code="value = table[id];")

        def get_snippet(self):
            return InitializerSnippet(self.snippet, {}, {"table": np.arange(4.0)})

    net, inp, res = driven(ResonateFire(x=Table(), readout="var"), 2, 4, 0.0)
    with pytest.raises(NotImplementedError, match="Table: var-init snippets with extra global "
                                                  "parameters \\(table\\)"):
        InferenceCompiler(evaluate_timesteps=1).compile(net)


def test_custom_synapse_matches_numpy():
    """A postsynaptic model written the mlGeNN way: a dual-exponential (rise and decay)
    current, with its time constants as ValueDescriptors transformed for dt."""
    from ml_genn.synapses import Synapse
    from ml_genn.utils.model import SynapseModel

    class DualExp(Synapse):
        tau_rise = ValueDescriptor(("RiseDecay", lambda v, dt: np.exp(-dt / v)))
        tau_decay = ValueDescriptor(("Decay", lambda v, dt: np.exp(-dt / v)))

        def __init__(self, tau_rise=2.0, tau_decay=8.0):
            super().__init__()
            self.tau_rise, self.tau_decay = tau_rise, tau_decay

        def get_model(self, connection, dt, batch_size):
            return SynapseModel.from_val_descriptors(
                {"params": [("RiseDecay", "scalar"), ("Decay", "scalar")],
                 "vars": [("Rise", "scalar"), ("I", "scalar")],
                 "sim_code": """
                    Rise = (Rise * RiseDecay) + inSyn;
                    inSyn = 0.0;
                    I = (I * Decay) + Rise;
                    injectCurrent(I);
                    """}, self, dt, var_vals={"Rise": 0.0, "I": 0.0})

    rng = np.random.default_rng(6)
    T = 50
    x = rng.uniform(0.1, 0.7, (1, 3))
    w = rng.normal(0.2, 0.3, (3, 2))
    neuron = ResonateFire(b=-0.1, omega=0.2, y_thresh=1e9, readout="var")
    net, inp, res = driven(neuron, 3, 2, w, DualExp(2.0, 8.0))
    with InferenceCompiler(evaluate_timesteps=T, precision="double").compile(net) as compiled:
        y, _ = compiled.predict({inp: x}, res, callbacks=[])
    spikes = input_spikes(x[0], T)
    rise, decay = np.exp(-1.0 / 2.0), np.exp(-1.0 / 8.0)
    rising, current, drive = np.zeros(2), np.zeros(2), []
    arriving = np.vstack([np.zeros((1, 2)), spikes[:-1] @ w])
    for step in range(T):
        rising = rising * rise + arriving[step]
        current = current * decay + rising
        drive.append(current.copy())
    final_y, _ = resonator_reference(np.array(drive), -0.1, 0.2, 1e9)
    np.testing.assert_allclose(y[0], final_y, rtol=1e-9, atol=1e-12)
