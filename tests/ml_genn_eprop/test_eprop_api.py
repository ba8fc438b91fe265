"""EPropCompiler: mlGeNN 2.4's API at its paths, registration, and compile-time refusal of every
network e-prop cannot train (before anything is built), naming the object and what e-prop
supports."""
from __future__ import annotations

import inspect
import logging

import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import Conv2D, Dense
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, IntegrateFire, LeakyIntegrate,
                             LeakyIntegrateFire, SpikeInput)
from ml_genn.synapses import Delta, Exponential

from ml_genn_eprop.compiler import EPropCompiler, default_params
from ml_genn.errors import InvalidValueError
from ml_genn_eprop.errors import UnsupportedNetworkError

SCE = "sparse_categorical_crossentropy"

#: mlGeNN 2.4's EPropCompiler parameters, in order, with their defaults
MLGENN_SIGNATURE = [
    ("example_timesteps", inspect.Parameter.empty), ("losses", inspect.Parameter.empty),
    ("optimiser", "adam"), ("tau_reg", 500.0), ("c_reg", 0.001), ("f_target", 10.0),
    ("train_output_bias", True), ("dt", 1.0), ("batch_size", 1), ("rng_seed", 0),
    ("kernel_profiling", False), ("reset_time_between_batches", True), ("communicator", None),
    ("deep_r_conns", []), ("deep_r_l1_strength", 0.01), ("deep_r_record_rewirings", {})]


def _network(hidden=None, output=None, synapse=None, params=default_params, recurrent=False,
             delay=0, connectivity=None, hidden2=None, hidden2_to_output=True):
    with Network(params) as net:
        inp = Population(SpikeInput(max_spikes=10), 4, name="input")
        hid = Population(hidden or LeakyIntegrateFire(tau_mem=20.0), 3, name="hidden")
        out = Population(output or LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 2,
                         name="output")
        Connection(inp, hid, connectivity or Dense(np.ones((4, 3)), delay=delay),
                   synapse or Delta(), name="in_hid")
        if recurrent:
            Connection(hid, hid, Dense(np.zeros((3, 3))), Delta(), name="hid_hid")
        Connection(hid, out, Dense(np.ones((3, 2))), Delta(), name="hid_out")
        if hidden2 is not None:
            hid2 = Population(hidden2, 3, name="hidden2")
            Connection(hid, hid2, Dense(np.ones((3, 3))), Delta(), name="hid_hid2")
            if hidden2_to_output:
                Connection(hid2, out, Dense(np.ones((3, 2))), Delta(), name="hid2_out")
    return net, inp, hid, out


def _compile_error(net, **kwargs):
    kwargs.setdefault("losses", SCE)
    with pytest.raises(UnsupportedNetworkError) as info:
        EPropCompiler(example_timesteps=10, **kwargs).compile(net)
    return str(info.value)


# ------------------------------------------------------------------------------ the API
def test_signature_is_mlgenns():
    params = list(inspect.signature(EPropCompiler.__init__).parameters.values())[1:]
    got = [(p.name, p.default) for p in params[:len(MLGENN_SIGNATURE)]]
    assert got == MLGENN_SIGNATURE
    # Ours come after mlGeNN's, keyword-only in practice
    assert [p.name for p in params[len(MLGENN_SIGNATURE):]] == ["implementation", "backend",
                                                                "genn_kwargs"]


def test_positional_arguments_as_mlgenn_scripts_pass_them():
    c = EPropCompiler(100, SCE, "sgd", 200.0, 0.01, 5.0, False, 0.5, 8, 3)
    assert (c.example_timesteps, c.tau_reg, c.c_reg, c.f_target, c.train_output_bias, c.dt,
            c.batch_size, c.rng_seed) == (100, 200.0, 0.01, 5.0, False, 0.5, 8, 3)


def test_reachable_at_mlgenn_paths_and_registered():
    from ml_genn.compilers import EPropCompiler as FromCore
    from ml_genn.compilers.eprop_compiler import default_params as core_defaults
    from ml_genn.plugins.manager import get_registry
    assert FromCore is EPropCompiler
    assert core_defaults is default_params
    assert get_registry().get("compiler", "eprop") is EPropCompiler


def test_default_params_are_mlgenns():
    from ml_genn.neurons import LeakyIntegrateFireInput
    assert default_params[AdaptiveLeakyIntegrateFire] == {"relative_reset": True,
                                                          "integrate_during_refrac": True}
    assert default_params[LeakyIntegrate] == {"scale_i": False}
    for cls in (LeakyIntegrateFire, LeakyIntegrateFireInput):
        assert default_params[cls] == {"relative_reset": True, "integrate_during_refrac": True,
                                       "scale_i": False}
    net, _, hid, out = _network(params=default_params)
    assert hid.neuron.relative_reset is True and hid.neuron.integrate_during_refrac is True
    assert out.neuron.scale_i is False


def test_deep_r_arguments_are_checked_before_anything_runs():
    net, inp, hid, out = _network()
    conn = net.connections[0]
    # Recording the rewirings of a connection that is not rewired
    with pytest.raises(InvalidValueError, match="deep_r_record_rewirings names Connection "
                                                f"'{conn.name}', which is not in deep_r_conns"):
        EPropCompiler(10, SCE, deep_r_record_rewirings={conn: "rewirings"})
    with pytest.raises(InvalidValueError, match="deep_r_l1_strength must be a finite number"):
        EPropCompiler(10, SCE, deep_r_conns=[conn], deep_r_l1_strength=-1.0)
    # Dense connectivity cannot be rewired: refused when compiling, naming the connection
    with pytest.raises(InvalidValueError, match=f"Connection '{conn.name}'.*Dense was compiled "
                                                "DENSE; Deep-R rewires SPARSE"):
        EPropCompiler(10, SCE, deep_r_conns=[conn]).compile(net)


@pytest.mark.parametrize("kwargs, match", [
    ({"example_timesteps": 0}, "example_timesteps"),
    ({"tau_reg": 0.0}, "tau_reg"),
    ({"c_reg": -1.0}, "c_reg"),
    ({"f_target": float("nan")}, "f_target"),
    ({"train_output_bias": 1}, "train_output_bias"),
    ({"implementation": "fast"}, "implementation"),
])
def test_bad_arguments_are_named(kwargs, match):
    from ml_genn.errors import InvalidValueError
    args = {"example_timesteps": 10, "losses": SCE, **kwargs}
    with pytest.raises(InvalidValueError, match=match):
        EPropCompiler(**args)


def test_unknown_keyword_is_an_error():
    with pytest.raises(Exception, match="no_such_option"):
        EPropCompiler(10, SCE, no_such_option=1)


# ------------------------------------------------------------------------------ refusals
def test_exponential_synapses_are_refused():
    msg = _compile_error(_network(synapse=Exponential(5.0))[0])
    assert "in_hid" in msg and "Delta" in msg


def test_non_lif_hidden_is_refused():
    msg = _compile_error(_network(hidden=IntegrateFire())[0])
    assert "hidden" in msg and "LeakyIntegrateFire" in msg


def test_spiking_output_is_refused():
    msg = _compile_error(_network(output=LeakyIntegrateFire(readout="spike_count"))[0])
    assert "output" in msg and "LeakyIntegrate" in msg


def test_readout_must_match_loss():
    msg = _compile_error(_network(output=LeakyIntegrate(readout="var"))[0])
    assert "output" in msg and "avg_var" in msg
    msg = _compile_error(_network()[0], losses="mean_square_error")
    assert "var readout" in msg


def test_hidden_time_constants_must_agree():
    msg = _compile_error(_network(hidden2=LeakyIntegrateFire(tau_mem=10.0))[0])
    assert "hidden2" in msg and "tau_mem" in msg
    msg = _compile_error(_network(hidden=AdaptiveLeakyIntegrateFire(tau_adapt=100.0),
                                  hidden2=AdaptiveLeakyIntegrateFire(tau_adapt=200.0))[0])
    assert "tau_adapt" in msg


def test_per_neuron_threshold_is_refused():
    msg = _compile_error(_network(hidden=LeakyIntegrateFire(v_thresh=np.arange(1.0, 4.0)))[0])
    assert "v_thresh" in msg


def test_hidden_must_reach_an_output():
    msg = _compile_error(_network(hidden2=LeakyIntegrateFire(), hidden2_to_output=False)[0])
    assert "hidden2" in msg and "output" in msg


def test_delays_and_kernels_are_refused():
    msg = _compile_error(_network(delay=2)[0])
    assert "in_hid" in msg and "delay" in msg
    with Network(default_params) as net:
        inp = Population(SpikeInput(max_spikes=10), (4, 4, 1), name="input")
        hid = Population(LeakyIntegrateFire(), (4, 4, 2), name="hidden")
        out = Population(LeakyIntegrate(readout="avg_var"), 2, name="output")
        Connection(inp, hid, Conv2D(0.1, 2, 3, conv_padding="same"), Delta(), name="conv")
        Connection(hid, out, Dense(np.ones((32, 2))), Delta())
    msg = _compile_error(net)
    assert "conv" in msg and "Conv2D" in msg


def test_a_network_without_hidden_neurons_is_refused():
    with Network(default_params) as net:
        inp = Population(SpikeInput(max_spikes=10), 4)
        out = Population(LeakyIntegrate(readout="avg_var"), 2)
        Connection(inp, out, Dense(np.ones((4, 2))), Delta())
    assert "hidden" in _compile_error(net)


def test_mlgenns_advice_is_logged(caplog):
    hidden = LeakyIntegrateFire(relative_reset=False, integrate_during_refrac=False)
    net = _network(hidden=hidden, params={})[0]
    with caplog.at_level(logging.WARNING):
        EPropCompiler(10, SCE).compile(net)
    text = caplog.text
    assert "integrate during their refractory period" in text and "relative reset" in text


def test_per_timestep_trace_recording_needs_the_per_synapse_form():
    from ml_genn.callbacks import ConnVarRecorder
    from ml_genn.errors import InvalidValueError
    from ml_genn.utils.data import preprocess_spikes
    net, inp, hid, out = _network()
    compiled = EPropCompiler(10, SCE).compile(net)
    with compiled:
        with pytest.raises(InvalidValueError, match="per_synapse"):
            empty = preprocess_spikes(np.zeros(0), np.zeros(0, dtype=int), 4)
            compiled.train({inp: [empty]}, {out: np.array([0])}, num_epochs=1,
                           callbacks=[ConnVarRecorder(net.connections[0], "eFiltered",
                                                      key="ef")])


def test_factorised_form_needs_a_backend_that_records_variables_natively():
    """GeNN's backends (and any backend without the cpu engine's native variable recording)
    get mlGeNN's per-synapse form by default; asking for the factorised form there is refused
    naming the backend and what to pass."""
    from ml_genn.backends import Backend

    class NoRecording(Backend):
        name = "no_recording"

    assert EPropCompiler(10, SCE).implementation == "factorised"
    assert EPropCompiler(10, SCE, backend=NoRecording()).implementation == "per_synapse"
    with pytest.raises(InvalidValueError, match="backend 'no_recording' does not have; pass "
                                                "implementation='per_synapse'"):
        EPropCompiler(10, SCE, backend=NoRecording(), implementation="factorised")
