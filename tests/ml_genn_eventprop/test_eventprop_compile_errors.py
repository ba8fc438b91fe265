"""EventPropCompiler: parameters, registration and compile-time errors for unsupported networks.

Every unsupported network must fail in ``compile`` (before anything is built or simulated) with
an error that names the population or connection and says what EventProp supports instead.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import Conv2D, Dense
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, IntegrateFire, LeakyIntegrate,
                             LeakyIntegrateFire, SpikeInput)
from ml_genn.readouts import AvgVar, FirstSpikeTime
from ml_genn.synapses import Delta, Exponential

from ml_genn_eventprop.compiler import EventPropCompiler, default_params
from ml_genn_eventprop.errors import UnsupportedNetworkError

SCE = "sparse_categorical_crossentropy"


def _network(hidden=None, output=None, synapse=None, out_synapse=None, params=default_params,
             recurrent=False, delay=0, max_delay_steps=None):
    with Network(params) as net:
        inp = Population(SpikeInput(max_spikes=10), 4, name="input")
        hid = Population(hidden or LeakyIntegrateFire(tau_mem=20.0), 3, name="hidden")
        out = Population(output or LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 2,
                         name="output")
        Connection(inp, hid, Dense(np.ones((4, 3)), delay=delay), synapse or Exponential(5.0),
                   name="in_hid", max_delay_steps=max_delay_steps)
        if recurrent:
            Connection(hid, hid, Dense(np.zeros((3, 3))), Exponential(5.0), name="hid_hid")
        Connection(hid, out, Dense(np.ones((3, 2))), out_synapse or Exponential(5.0),
                   name="hid_out")
    return net, inp, hid, out


def _compile_error(net, **kwargs):
    kwargs.setdefault("losses", SCE)
    with pytest.raises(UnsupportedNetworkError) as info:
        EventPropCompiler(example_timesteps=10, **kwargs).compile(net)
    return str(info.value)


# ------------------------------------------------------------------------------ registration
def test_reachable_at_mlgenn_paths():
    from ml_genn.compilers import EventPropCompiler as FromCore
    from ml_genn.compilers.event_prop_compiler import default_params as core_defaults
    assert FromCore is EventPropCompiler
    assert core_defaults is default_params


def test_registered_as_event_prop():
    from ml_genn.plugins.manager import get_registry
    assert get_registry().get("compiler", "event_prop") is EventPropCompiler


def test_default_params_are_mlgenn_eventprop_defaults():
    net, _, hid, out = _network()
    assert hid.neuron.relative_reset is False
    assert hid.neuron.integrate_during_refrac is False
    assert hid.neuron.scale_i is True
    assert out.neuron.scale_i is True
    assert all(c.synapse.scale_i for c in net.connections)


# ------------------------------------------------------------------------------ parameters
def test_mlgenn_parameters_are_kept():
    c = EventPropCompiler(example_timesteps=30, losses=SCE, reg_lambda_upper=1e-9,
                          reg_lambda_lower=2e-9, reg_nu_upper=14, max_spikes=20,
                          strict_buffer_checking=True, per_timestep_loss=True, dt=0.5,
                          ttfs_alpha=0.1, softmax_temperature=0.5, batch_size=8, rng_seed=3)
    assert (c.example_timesteps, c.max_spikes, c.batch_size, c.rng_seed) == (30, 20, 8, 3)
    assert (c.reg_lambda_upper, c.reg_lambda_lower, c.reg_nu_upper) == (1e-9, 2e-9, 14.0)
    assert c.strict_buffer_checking and c.per_timestep_loss and c.regulariser_enabled
    assert (c.dt, c.ttfs_alpha, c.softmax_temperature) == (0.5, 0.1, 0.5)
    assert c.delay_optimiser == c.optimiser == "adam"


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(example_timesteps=0), "example_timesteps must be a positive integer"),
    (dict(example_timesteps=2.5), "example_timesteps must be a positive integer"),
    (dict(max_spikes=0), "max_spikes must be a positive integer"),
    (dict(reg_lambda_upper=-1.0), "reg_lambda_upper must be a number zero or more"),
    (dict(softmax_temperature=0.0), "softmax_temperature must be a number greater than zero"),
    (dict(dt=-1.0), "dt must be a positive"),
])
def test_bad_parameters_are_named(kwargs, fragment):
    kwargs = {"example_timesteps": 10, "losses": SCE, **kwargs}
    with pytest.raises((ValueError, TypeError), match=fragment):
        EventPropCompiler(**kwargs)


# ------------------------------------------------------------------------------ networks
def test_non_exponential_synapse_names_connection():
    net, *_ = _network(out_synapse=Delta())
    msg = _compile_error(net)
    assert "Connection 'hid_out'" in msg and "Delta" in msg and "Exponential" in msg


@pytest.mark.parametrize("neuron", [IntegrateFire(), AdaptiveLeakyIntegrateFire()])
def test_unsupported_hidden_neuron_names_population(neuron):
    net, *_ = _network(hidden=neuron)
    msg = _compile_error(net)
    assert "Population 'hidden'" in msg and type(neuron).__name__ in msg
    assert "LeakyIntegrateFire" in msg


def test_missing_scale_i_gives_default_params_advice():
    net, *_ = _network(params=None)
    msg = _compile_error(net)
    assert "scale_i=True" in msg and "default_params" in msg


def test_refractory_period_is_refused():
    with Network(default_params):
        neuron = LeakyIntegrateFire(tau_refrac=2.0)
    net, *_ = _network(hidden=neuron)
    assert "tau_refrac=None" in _compile_error(net)


def test_unequal_synapse_taus_into_one_population():
    with Network(default_params) as net:
        a = Population(SpikeInput(max_spikes=10), 2, name="a")
        b = Population(SpikeInput(max_spikes=10), 2, name="b")
        out = Population(LeakyIntegrate(readout="avg_var"), 2, name="output")
        Connection(a, out, Dense(np.ones((2, 2))), Exponential(5.0), name="a_out")
        Connection(b, out, Dense(np.ones((2, 2))), Exponential(10.0), name="b_out")
    msg = _compile_error(net)
    assert "Population 'output'" in msg and "5.0" in msg and "10.0" in msg


def test_equal_membrane_and_synapse_tau_is_refused():
    with Network(default_params):
        neuron = LeakyIntegrateFire(tau_mem=5.0)
    net, *_ = _network(hidden=neuron)
    msg = _compile_error(net)
    assert "Connection 'in_hid'" in msg and "tau_mem" in msg


def test_var_readout_needs_per_timestep_loss():
    with Network(default_params):
        out = LeakyIntegrate(readout="var")
    net, *_ = _network(output=out)
    assert "per_timestep_loss=True" in _compile_error(net)
    # ...and is accepted with it
    plan = EventPropCompiler(10, SCE, per_timestep_loss=True).plan(net)
    assert [p.readout for p in plan.outputs] == ["var"]


def test_regression_needs_var_readout():
    net, *_ = _network()
    msg = _compile_error(net, losses="mean_square_error")
    assert "MeanSquareError" in msg and "var readout" in msg and "AvgVar" in msg


def test_spiking_output_needs_first_spike_time():
    with Network(default_params):
        out = LeakyIntegrateFire(readout="spike_count")
    net, *_ = _network(output=out)
    msg = _compile_error(net)
    assert "Population 'output'" in msg and "first_spike_time" in msg and "SpikeCount" in msg


def test_first_spike_time_rejects_mean_square_error():
    with Network(default_params):
        out = LeakyIntegrateFire(readout=FirstSpikeTime())
    net, *_ = _network(output=out)
    msg = _compile_error(net, losses="mean_square_error")
    assert "RelativeMeanSquareError" in msg and "MeanSquareError" in msg


def test_unsupported_output_neuron():
    with Network(default_params):
        out = IntegrateFire(readout="avg_var")
    net, *_ = _network(output=out)
    assert "IntegrateFire" in _compile_error(net)


def test_unknown_loss_name():
    net, *_ = _network()
    with pytest.raises(Exception, match="no_such_loss"):
        EventPropCompiler(10, "no_such_loss").compile(net)


def test_losses_dict_must_cover_outputs():
    net, inp, hid, out = _network()
    with pytest.raises(KeyError, match="output"):
        EventPropCompiler(10, {hid: SCE}).compile(net)


def test_learned_delays_need_max_delay_steps():
    net, *_ = _network()
    conn = [c for c in net.connections if c.name == "in_hid"][0]
    msg = _compile_error(net, delay_learn_conns=[conn])
    assert "Connection 'in_hid'" in msg and "max_delay_steps" in msg


def test_learned_delays_need_room_to_move():
    net, *_ = _network(max_delay_steps=0)
    conn = [c for c in net.connections if c.name == "in_hid"][0]
    msg = _compile_error(net, delay_learn_conns=[conn])
    assert "Connection 'in_hid'" in msg and "max_delay_steps >= 1" in msg


def test_delay_learn_conns_must_belong_to_network():
    net, *_ = _network()
    other, *_ = _network()
    msg = _compile_error(net, delay_learn_conns=[other.connections[0]])
    assert "not in the network" in msg


def test_unsupported_connectivity_names_connection():
    with Network(default_params) as net:
        inp = Population(SpikeInput(max_spikes=10), (4, 4, 1), name="input")
        out = Population(LeakyIntegrate(readout=AvgVar()), (2, 2, 1), name="output")
        Connection(inp, out, Conv2D(np.ones((3, 3, 1, 1)), 1, 3), Exponential(5.0),
                   name="conv")
    msg = _compile_error(net)
    assert "Connection 'conv'" in msg and "Conv2D" in msg and "Dense" in msg


def test_supported_network_is_planned():
    net, inp, hid, out = _network(recurrent=True, delay=2)
    plan = EventPropCompiler(10, SCE).plan(net)
    assert plan.populations[inp].role == "input"
    assert plan.populations[hid].role == "hidden"
    assert plan.populations[out].role == "output_li"
    assert plan.populations[out].readout == "avg_var"
    assert plan.populations[hid].tau_syn == 5.0 and plan.populations[hid].tau_mem == 20.0
    by_name = {c.name: p for c, p in plan.connections.items()}
    assert by_name["in_hid"].max_delay_steps == 2 and not by_name["in_hid"].learn_delay
    assert set(by_name) == {"in_hid", "hid_hid", "hid_out"}
