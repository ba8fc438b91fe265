"""Neuron, synapse, initializer and readout declarations: mlGeNN's signatures, registered
names, parameter values and their validation."""
import inspect

import numpy as np
import pytest

from ml_genn import Network, Population
from ml_genn.initializers import Initializer, Normal, Uniform, VarInit, Wrapper
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, BinarySpikeInput, Input,
                             IntegrateFire, IntegrateFireInput, LeakyIntegrate,
                             LeakyIntegrateFire, LeakyIntegrateFireInput, Neuron, PoissonInput,
                             SpikeInput)
from ml_genn.readouts import (AvgVar, AvgVarExpWeight, FirstSpikeTime, MaxVar, Readout,
                              SpikeCount, SumVar, Var)
from ml_genn.synapses import Delta, Exponential, Synapse
from ml_genn.utils.module import get_object
from ml_genn.utils.value import get_values, set_values

# mlGeNN 2.4's documented constructor defaults
SIGNATURES = {
    LeakyIntegrateFire: dict(v_thresh=1.0, v_reset=0.0, v=0.0, tau_mem=20.0, tau_refrac=None,
                             relative_reset=True, integrate_during_refrac=True, scale_i=False,
                             readout=None),
    LeakyIntegrate: dict(v=0.0, bias=0.0, tau_mem=20.0, scale_i=False, readout=None),
    IntegrateFire: dict(v_thresh=1.0, v_reset=0.0, v=0.0, readout=None),
    AdaptiveLeakyIntegrateFire: dict(v_thresh=1.0, v_reset=0.0, v=0.0, a=0.0, beta=0.0174,
                                     tau_mem=20.0, tau_refrac=None, tau_adapt=2000.0,
                                     relative_reset=True, integrate_during_refrac=True,
                                     readout=None),
    SpikeInput: dict(max_spikes=1000000),
    PoissonInput: dict(signed_spikes=False, input_frames=1, input_frame_timesteps=1),
    BinarySpikeInput: dict(signed_spikes=False, input_frames=1, input_frame_timesteps=1),
    IntegrateFireInput: dict(v_thresh=1.0, v_reset=0.0, v=0.0, input_frames=1,
                             input_frame_timesteps=1),
    LeakyIntegrateFireInput: dict(v_thresh=1.0, v_reset=0.0, v=0.0, tau_mem=20.0,
                                  tau_refrac=None, relative_reset=True,
                                  integrate_during_refrac=True, scale_i=False, input_frames=1,
                                  input_frame_timesteps=1),
    Exponential: dict(tau=5.0, scale_i=False),
    Delta: dict(),
    Normal: dict(mean=0.0, sd=1.0),
    Uniform: dict(min=0.0, max=1.0),
}

NAMES = {
    "neuron": (Neuron, {"leaky_integrate_fire": LeakyIntegrateFire,
                        "leaky_integrate": LeakyIntegrate, "integrate_fire": IntegrateFire,
                        "adaptive_leaky_integrate_fire": AdaptiveLeakyIntegrateFire,
                        "spike_input": SpikeInput, "poisson_input": PoissonInput,
                        "binary_spike_input": BinarySpikeInput,
                        "integrate_fire_input": IntegrateFireInput,
                        "leaky_integrate_fire_input": LeakyIntegrateFireInput}),
    "synapse": (Synapse, {"delta": Delta, "exponential": Exponential}),
    "initializer": (Initializer, {"normal": Normal, "uniform": Uniform}),
    "readout": (Readout, {"var": Var, "avg_var": AvgVar, "avg_var_exp_weight": AvgVarExpWeight,
                          "sum_var": SumVar, "max_var": MaxVar, "spike_count": SpikeCount,
                          "first_spike_time": FirstSpikeTime}),
}


# mlGeNN's constructors that pass unknown keywords up the MRO (for cooperative subclasses)
TAKES_KWARGS = {IntegrateFire, LeakyIntegrateFire}


@pytest.mark.parametrize("cls", list(SIGNATURES), ids=lambda c: c.__name__)
def test_signature_and_defaults_match_mlgenn(cls):
    params = dict(inspect.signature(cls).parameters)
    var_keyword = [n for n, p in params.items() if p.kind is inspect.Parameter.VAR_KEYWORD]
    assert bool(var_keyword) == (cls in TAKES_KWARGS)
    for n in var_keyword:
        del params[n]
    expected = SIGNATURES[cls]
    assert list(params) == list(expected)
    assert {n: p.default for n, p in params.items()} == expected
    # Every argument is held as an attribute of the same name
    obj = cls()
    for name, default in expected.items():
        value = getattr(obj, name)
        assert value == default or (value is None and default is None)


@pytest.mark.parametrize("kind", list(NAMES))
def test_registered_names_build_the_classes(kind):
    base, table = NAMES[kind]
    for name, cls in table.items():
        assert type(get_object(name, base, "test", kind)) is cls


def test_input_neurons_are_inputs():
    for cls in (SpikeInput, PoissonInput, BinarySpikeInput, IntegrateFireInput,
                LeakyIntegrateFireInput):
        assert isinstance(cls(), Input) and isinstance(cls(), Neuron)
    assert not isinstance(LeakyIntegrateFire(), Input)


def test_values_are_normalised_to_constants_arrays_or_initializers():
    lif = LeakyIntegrateFire(v_thresh=np.float32(2.0), v=[0.1, 0.2], v_reset=np.array(0.5),
                             tau_refrac=3)
    assert type(lif.v_thresh) is float and lif.v_thresh == 2.0
    assert isinstance(lif.v, np.ndarray) and lif.v.tolist() == pytest.approx([0.1, 0.2])
    assert lif.v_reset == 0.5 and lif.tau_refrac == 3
    lif2 = LeakyIntegrateFire(v="normal", v_thresh=Uniform(1.0, 2.0))
    assert isinstance(lif2.v, Normal) and lif2.v_thresh.max == 2.0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(v_thresh="nonsense"), Exception, "nonsense"),
    (dict(v_thresh={"a": 1}), TypeError, "LeakyIntegrateFire v_thresh must be a number, an "
                                         "array of numbers or an Initializer, got dict"),
    (dict(v_thresh=True), TypeError, "v_thresh must be"),
    (dict(v=[[1.0], [1.0, 2.0]]), ValueError, "must be rectangular"),
    (dict(v=np.array(["a"])), TypeError, "array of <U1"),
    (dict(tau_mem=0.0), ValueError, "tau_mem must be greater than zero"),
    (dict(tau_mem=Normal()), TypeError, "tau_mem must be a number, an array of numbers; it "
                                        "cannot be set by an initializer"),
    (dict(tau_refrac=-1.0), ValueError, "tau_refrac must not be negative"),
    (dict(v=np.nan), ValueError, "v must be finite"),
    (dict(relative_reset="yes"), TypeError, "relative_reset must be True or False"),
    (dict(v_thresh=None), TypeError, "v_thresh must be given"),
])
def test_bad_values_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        LeakyIntegrateFire(**kwargs)


def test_parameter_arrays_must_match_population_shape():
    with Network():
        Population(LeakyIntegrateFire(v_thresh=np.ones((2, 3))), (2, 3))
        Population(LeakyIntegrateFire(v_thresh=np.ones(6)), (2, 3))
        with pytest.raises(ValueError) as info:
            Population(LeakyIntegrateFire(v_thresh=np.ones(5)), (2, 3), name="hidden")
    message = str(info.value)
    assert "Population 'hidden'" in message and "'v_thresh'" in message
    assert "(5,)" in message and "expected (2, 3) or (6,)" in message


def test_parameter_arrays_checked_when_shape_is_inferred():
    with pytest.raises(ValueError, match=r"Population 'out' LeakyIntegrate parameter 'bias' is "
                                         r"an array of shape \(3,\), expected \(4,\)"):
        with Network():
            from ml_genn import Connection
            from ml_genn.connectivity import Dense
            a = Population("spike_input", 2)
            b = Population(LeakyIntegrate(bias=np.zeros(3)), name="out")
            Connection(a, b, Dense(np.ones((2, 4))))


def test_engine_values_and_transforms():
    dt = 0.5
    tau = np.array([10.0, 20.0])
    lif = LeakyIntegrateFire(v_thresh=1.5, tau_mem=tau, tau_refrac=2.0)
    values = get_values(lif, dt)
    np.testing.assert_allclose(values["Alpha"], np.exp(-dt / tau))
    assert values["Vthresh"] == 1.5 and values["TauRefrac"] == 2.0 and values["V"] == 0.0
    assert "TauRefrac" not in get_values(LeakyIntegrateFire(), dt)

    syn = get_values(Exponential(tau=4.0), dt)
    assert syn["ExpDecay"] == pytest.approx(np.exp(-dt / 4.0))
    # Scaling that makes the summed injected current of one unit input equal to tau / dt * ...
    # sum over k of IScale * ExpDecay^k = IScale / (1 - ExpDecay) = tau / dt
    assert syn["IScale"] / (1.0 - syn["ExpDecay"]) == pytest.approx(4.0 / dt)

    alif = get_values(AdaptiveLeakyIntegrateFire(tau_adapt=100.0), 1.0)
    assert alif["Rho"] == pytest.approx(np.exp(-1.0 / 100.0))

    # Checkpoints set untransformed values only
    li = LeakyIntegrate()
    assert set_values(li, {"Bias": np.ones(3), "Alpha": 0.5, "unknown": 1}) == ("bias",)
    assert li.bias.tolist() == [1.0, 1.0, 1.0] and li.tau_mem == 20.0


def test_initializers_expose_engine_snippets():
    assert Normal(1.0, 2.0).get_snippet() == VarInit("Normal", {"mean": 1.0, "sd": 2.0})
    assert Uniform(-1, 1).get_snippet() == VarInit("Uniform", {"min": -1.0, "max": 1.0})
    params = {"rate": 3.0}
    wrapped = Wrapper("Exponential", params)
    params["rate"] = 99.0
    assert wrapped.get_snippet().snippet == "Exponential"
    assert wrapped.get_snippet().param_vals == {"rate": 3.0}
    with pytest.raises(ValueError, match="Normal sd must not be negative"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="Uniform max must not be less than min"):
        Uniform(2.0, 1.0)
    with pytest.raises(TypeError, match="Normal mean must be a number, got str"):
        Normal("0")
    with pytest.raises(TypeError, match="Wrapper param_vals must be a dict"):
        Wrapper("Constant", [1.0])


def test_readouts_must_fit_the_neuron():
    assert isinstance(LeakyIntegrate(readout="avg_var").readout, AvgVar)
    assert isinstance(LeakyIntegrateFire(readout=SpikeCount()).readout, SpikeCount)
    assert isinstance(LeakyIntegrateFire(readout="first_spike_time").readout, FirstSpikeTime)
    with pytest.raises(ValueError, match="SpikeCount readout needs a spiking neuron model, but "
                                         "LeakyIntegrate never spikes"):
        LeakyIntegrate(readout="spike_count")
    with pytest.raises(Exception, match="no_such_readout"):
        LeakyIntegrate(readout="no_such_readout")
    with pytest.raises(TypeError, match="LeakyIntegrate readout must be a "
                                        "ml_genn.readouts.readout.Readout"):
        LeakyIntegrate(readout=3)
    readout = MaxVar()
    a, b = LeakyIntegrate(readout=readout), LeakyIntegrate(readout=readout)
    assert a.readout is not readout and a.readout is not b.readout


def test_input_neuron_arguments():
    assert PoissonInput(input_frames=4, input_frame_timesteps=5).input_frames == 4
    with pytest.raises(NotImplementedError, match="cannot emit signed spikes from time-varying"):
        BinarySpikeInput(signed_spikes=True, input_frames=2)
    with pytest.raises(ValueError, match="PoissonInput input_frames must be a positive integer"):
        PoissonInput(input_frames=0)
    with pytest.raises(TypeError, match="SpikeInput max_spikes must be a positive integer"):
        SpikeInput(max_spikes=1.5)


def test_neuron_constructors_cooperate_like_mlgenns():
    # mlGeNN's Neuron, IntegrateFire, LeakyIntegrateFire and InputBase pass keywords they do
    # not take to the next base, so one super().__init__ call fills both bases of an input
    # neuron; keywords no base takes are an error naming the class and the keyword
    from ml_genn.neurons.input import InputBase

    class LifInput(LeakyIntegrateFire, InputBase):
        def __init__(self, **kwargs):
            super().__init__(egp_name="Frames", input_frames=4, **kwargs)

    neuron = LifInput(tau_mem=12.0, v_thresh=0.5, input_frame_timesteps=3)
    assert (neuron.tau_mem, neuron.v_thresh) == (12.0, 0.5)
    assert (neuron.egp_name, neuron.input_frames, neuron.input_frame_timesteps) == ("Frames", 4, 3)
    assert neuron.var_name == "Input"
    with pytest.raises(TypeError, match=r"LifInput\(\) got unexpected keyword argument\(s\) "
                                        r"'tau_membrane'"):
        LifInput(tau_membrane=12.0)
    with pytest.raises(TypeError, match=r"IntegrateFire\(\) got unexpected keyword argument\(s\) "
                                        r"'v_threshold'"):
        IntegrateFire(v_threshold=2.0)
