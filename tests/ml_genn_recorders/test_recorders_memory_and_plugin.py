"""Memory estimates and their warning; registration as an ml_genn plugin."""
import warnings

import numpy as np
import pytest

import ml_genn.callbacks
from ml_genn.callbacks import CallbackList
from ml_genn.utils.module import get_object
from ml_genn_recorders import ConnVarRecorder, RecordingMemoryWarning, SpikeRecorder, VarRecorder
from ml_genn_recorders.memory import (ASSUMED_SPIKE_PROBABILITY, BYTES_PER_SPIKE, format_bytes,
                                      warn_threshold)
from recorders_reference import TIMESTEPS, IFNetwork, random_weights


@pytest.fixture(scope="module")
def net():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=41), batch_size=5)
    with net.compiled:
        yield net


def _bind(net, recorder, num_batches):
    # The run works on a (shallow) copy of the recorder: return that one
    return CallbackList([recorder], compiled_network=net.compiled, num_batches=num_batches)[0]


def test_estimates_follow_from_what_is_recorded(net, monkeypatch):
    monkeypatch.setenv("ML_GENN_RECORDER_WARN_BYTES", str(10 ** 12))
    # Before any run, from the recorder's arguments alone (float32 is the engine default)
    assert VarRecorder(net.hid, "v").estimate_memory(2, 3) == 2 * 3 * 4 * 4
    assert ConnVarRecorder(net.conn, "g", src_neuron_filter=[1]).estimate_memory(1, 2) == 32
    v = _bind(net, VarRecorder(net.hid, "v", neuron_filter=[0, 3]), 4)
    assert v.estimate_memory(7, 100) == 7 * 100 * 2 * 4  # float32 per neuron and timestep
    g = _bind(net, ConnVarRecorder(net.conn, "g", trg_neuron_filter=1), 4)
    assert g.estimate_memory(3, 10) == 3 * 10 * 6 * 1 * 4
    counts = _bind(net, SpikeRecorder(net.inp, record_counts=True), 4)
    assert counts.estimate_memory(9, 50) == 9 * 6 * 8
    spikes = _bind(net, SpikeRecorder(net.inp, neuron_filter=slice(0, 4)), 4)
    assert spikes.estimate_memory(10, 100) == int(10 * 100 * 4 * ASSUMED_SPIKE_PROBABILITY
                                                  * BYTES_PER_SPIKE)
    # 4 batches of 5 examples; the filter keeps examples 3, 4 and 17 of those 20
    assert _bind(net, VarRecorder(net.hid, "v", example_filter=[3, 4, 17, 25]),
                 4).count_examples(4) == 3


def test_large_estimate_warns_before_the_run_unless_streaming_to_disk(net, monkeypatch, tmp_path):
    # 1000 batches x 5 examples x TIMESTEPS (8) x 4 neurons x 4 bytes = 640000 bytes
    assert TIMESTEPS == 8
    monkeypatch.setenv("ML_GENN_RECORDER_WARN_BYTES", "600000")
    assert warn_threshold() == 600000
    with pytest.warns(RecordingMemoryWarning, match=r"VarRecorder\(Population 'hid', 'v'\) is "
                                                    r"estimated to record 625\.0 KiB in memory.*"
                                                    r"to_disk="):
        _bind(net, VarRecorder(net.hid, "v"), 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _bind(net, VarRecorder(net.hid, "v", neuron_filter=[0, 1]), 1000)  # 320000 bytes
        _bind(net, VarRecorder(net.hid, "v", to_disk=tmp_path), 1000)
    monkeypatch.setenv("ML_GENN_RECORDER_WARN_BYTES", "lots")
    with pytest.raises(ValueError, match="ML_GENN_RECORDER_WARN_BYTES must be a number"):
        warn_threshold()


def test_format_bytes():
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 * 1024 ** 3) == "3.0 GiB"


def test_recorders_are_registered_under_mlgenn_paths_and_names(net):
    assert ml_genn.callbacks.SpikeRecorder is SpikeRecorder
    assert ml_genn.callbacks.VarRecorder is VarRecorder
    assert ml_genn.callbacks.ConnVarRecorder is ConnVarRecorder
    from ml_genn.plugins.manager import get_registry
    registry = get_registry()
    for name, cls in (("spike_recorder", SpikeRecorder), ("var_recorder", VarRecorder),
                      ("conn_var_recorder", ConnVarRecorder)):
        assert registry.get("callback", name) is cls
    # Recorders need arguments, so a bare name cannot construct one; the error says so
    with pytest.raises(TypeError):
        get_object("spike_recorder", ml_genn.callbacks.Callback, "callbacks[0]", "callback")


def test_recorder_that_never_ran_returns_empty_data(net):
    assert SpikeRecorder(net.inp, key="s").get_data() == ("s", ([], []))
    assert SpikeRecorder(net.inp, key="c", record_counts=True).get_data() == ("c", [])
    assert VarRecorder(net.hid, "v", key="v").get_data() == ("v", [])


def test_recorder_objects_can_be_reused_across_runs(net):
    # Callbacks are shallow-copied per run: each run's data must be its own
    from recorders_reference import random_inputs
    recorder = SpikeRecorder(net.inp, key="s", record_counts=True)
    first = net.evaluate(random_inputs(5, 6, seed=1), [recorder])["s"]
    second = net.evaluate(random_inputs(10, 6, seed=2), [recorder])["s"]
    assert len(first) == 5 and len(second) == 10
    assert not np.array_equal(np.stack(first), np.stack(second[:5]))
