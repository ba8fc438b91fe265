"""SpikeRecorder against a NumPy reference: times, ids, counts, every filter kind, errors."""
import weakref

import numpy as np
import pytest

import ml_genn_recorders.spike_recorder as spike_recorder_module
import ml_genn_recorders.spike_segments as spike_segments_module
from ml_genn_recorders.sinks import RaggedSink
from ml_genn.backends.cpu.runtime import NeuronGroupRuntime
from ml_genn.backends.cpu.recording_decoder import RecordingDecoder, RecordingStreams
from ml_genn.callbacks import CallbackList, SpikeRecorder
from recorders_reference import (IFNetwork, TIMESTEPS, expected_spikes, random_inputs,
                                 random_weights, simulate)

NUM_EXAMPLES = 10

# (example filter, the example indices it selects among NUM_EXAMPLES)
EXAMPLE_FILTERS = {
    "all": (None, list(range(NUM_EXAMPLES))),
    "int": (3, [3]),
    "list": ([1, 4, 8], [1, 4, 8]),
    "mask": (np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 1], dtype=bool), [1, 2, 5, 9]),
    "short_mask": (np.array([1, 0, 0, 0, 0, 1], dtype=bool), [0, 5]),
}


def _mask_1d(f, n):
    # NumPy's own indexing is the independent definition of what a neuron filter selects
    mask = np.zeros(n, dtype=bool)
    if f is None:
        mask[:] = True
    else:
        mask[f] = True
    return mask


NEURON_FILTERS_1D = {
    "all": None,
    "int": 2,
    "list": [0, 3, 5],
    "mask": np.array([1, 0, 1, 1, 0, 0], dtype=bool),
    "slice": slice(1, 5),
    "step_slice": slice(None, None, 2),
}

NEURON_FILTERS_2D = {
    "index_exp": np.index_exp[1:3, 0],
    "per_axis_lists": [[0, 2], [1, 3]],
    "mask": np.arange(12).reshape(3, 4) % 5 == 0,
    "column_lists": np.index_exp[:, [0, 3]],
    "row_int": 1,
}


def _mask_2d(f, shape):
    mask = np.zeros(shape, dtype=bool)
    mask[tuple(f) if isinstance(f, list) else f] = True
    return mask.reshape(-1)


@pytest.fixture(scope="module", params=[1, 5], ids=["batch1", "batch5"])
def net_1d(request):
    weights = random_weights(6, 4, seed=2)
    net = IFNetwork(6, 4, weights, batch_size=request.param)
    with net.compiled:
        yield net


@pytest.fixture(scope="module", params=[1, 5], ids=["batch1", "batch5"])
def net_2d(request):
    weights = random_weights(12, 6, seed=3)
    net = IFNetwork((3, 4), (2, 3), weights, batch_size=request.param)
    with net.compiled:
        yield net


def _check_lists(data, spikes, examples, mask):
    times, ids = data
    assert len(times) == len(ids) == len(examples)
    for i, example in enumerate(examples):
        exp_times, exp_ids = expected_spikes(spikes, example, mask)
        np.testing.assert_array_equal(times[i], exp_times)
        np.testing.assert_array_equal(ids[i], exp_ids)


def test_every_example_and_neuron_filter_on_1d_populations(net_1d):
    x = random_inputs(NUM_EXAMPLES, 6, seed=4)
    ref = simulate(x, net_1d.weights)
    # Both populations must actually spike for the comparison to mean something
    assert ref["in_spikes"].sum() > 20 and ref["hid_spikes"].sum() > 5

    recorders, expected = [], {}
    for ename, (ef, examples) in EXAMPLE_FILTERS.items():
        for nname, nf in NEURON_FILTERS_1D.items():
            key = f"in_{ename}_{nname}"
            recorders.append(SpikeRecorder(net_1d.inp, key=key, example_filter=ef,
                                           neuron_filter=nf))
            expected[key] = ("in_spikes", examples, _mask_1d(nf, 6))
        recorders.append(SpikeRecorder(net_1d.hid, key=f"hid_{ename}", example_filter=ef))
        expected[f"hid_{ename}"] = ("hid_spikes", examples, None)
    cb_data = net_1d.evaluate(x, recorders)
    for key, (which, examples, mask) in expected.items():
        _check_lists(cb_data[key], ref[which], examples, mask)


def test_multidimensional_neuron_filters(net_2d):
    x = random_inputs(NUM_EXAMPLES, 12, seed=5).reshape(NUM_EXAMPLES, 3, 4)
    ref = simulate(x.reshape(NUM_EXAMPLES, 12), net_2d.weights)
    assert ref["in_spikes"].sum() > 20 and ref["hid_spikes"].sum() > 5

    recorders = [SpikeRecorder(net_2d.inp, key=name, neuron_filter=f)
                 for name, f in NEURON_FILTERS_2D.items()]
    recorders.append(SpikeRecorder(net_2d.hid, key="hid_rows",
                                   neuron_filter=np.index_exp[1, :],
                                   example_filter=[0, 6, 7]))
    cb_data = net_2d.evaluate(x, recorders)
    for name, f in NEURON_FILTERS_2D.items():
        _check_lists(cb_data[name], ref["in_spikes"], list(range(NUM_EXAMPLES)),
                     _mask_2d(f, (3, 4)))
    hid_mask = np.zeros((2, 3), dtype=bool)
    hid_mask[1, :] = True
    _check_lists(cb_data["hid_rows"], ref["hid_spikes"], [0, 6, 7], hid_mask.reshape(-1))


def test_counts_equal_reference_and_length_of_spike_lists(net_1d):
    x = random_inputs(NUM_EXAMPLES, 6, seed=6)
    ref = simulate(x, net_1d.weights)
    nf = [0, 2, 3, 5]
    cb_data = net_1d.evaluate(x, [
        SpikeRecorder(net_1d.inp, key="counts", record_counts=True, neuron_filter=nf),
        SpikeRecorder(net_1d.inp, key="lists", neuron_filter=nf),
        SpikeRecorder(net_1d.hid, key="hid_counts", record_counts=True, example_filter=[2, 9])])
    counts, (times, ids) = cb_data["counts"], cb_data["lists"]
    assert len(counts) == NUM_EXAMPLES
    for e in range(NUM_EXAMPLES):
        np.testing.assert_array_equal(counts[e], ref["in_spikes"][:, e][:, nf].sum(axis=0))
        assert counts[e].sum() == len(times[e]) == len(ids[e])
        np.testing.assert_array_equal(counts[e], [np.count_nonzero(ids[e] == n) for n in nf])
    for i, e in enumerate([2, 9]):
        np.testing.assert_array_equal(cb_data["hid_counts"][i],
                                      ref["hid_spikes"][:, e].sum(axis=0))


@pytest.mark.parametrize("backend", ["lists_only", "packed_without_native_decoder"])
def test_portable_paths_give_same_data(net_1d, monkeypatch, backend):
    x = random_inputs(NUM_EXAMPLES, 6, seed=7)
    ref = simulate(x, net_1d.weights)
    if backend == "lists_only":
        # A backend that only offers pygenn's spike_recording_data lists
        monkeypatch.setattr(spike_recorder_module, "packed_recording_buffer", lambda g, k: None)
    else:
        # A packed buffer but no native decoder: NumPy unpacks it
        monkeypatch.delattr(NeuronGroupRuntime, "recording_decoder")
    cb_data = net_1d.evaluate(x, [
        SpikeRecorder(net_1d.inp, key="lists", example_filter=[0, 5, 9], neuron_filter=[1, 4]),
        SpikeRecorder(net_1d.inp, key="counts", record_counts=True, neuron_filter=slice(0, 3))])
    _check_lists(cb_data["lists"], ref["in_spikes"], [0, 5, 9], _mask_1d([1, 4], 6))
    for e in range(NUM_EXAMPLES):
        np.testing.assert_array_equal(cb_data["counts"][e], ref["in_spikes"][:, e, :3].sum(0))


@pytest.mark.parametrize("run_length", ["known", "unknown"])
def test_a_run_too_big_for_its_first_segments_streams_into_more(net_1d, monkeypatch, run_length):
    # Tiny segments with no headroom: nearly every batch needs a new one, sized from the run's
    # rate when its length is known and by doubling when not
    monkeypatch.setattr(spike_recorder_module, "FIRST_SEGMENT_MAX_ENTRIES", 1)
    monkeypatch.setattr(spike_segments_module, "MIN_SEGMENT_ENTRIES", 1)
    monkeypatch.setattr(spike_segments_module, "SEGMENT_HEADROOM", 0.0)
    # Nothing learnt from earlier runs of these populations sizes the first segment
    monkeypatch.setattr(spike_recorder_module, "_OBSERVED_RATES", weakref.WeakKeyDictionary())
    segments = []
    real_append_batch = RaggedSink.append_batch

    def spy(self, offsets, arrays):
        segments.append(len(offsets) - 1)
        return real_append_batch(self, offsets, arrays)

    monkeypatch.setattr(RaggedSink, "append_batch", spy)
    x = random_inputs(NUM_EXAMPLES, 6, seed=12)
    ref = simulate(x, net_1d.weights)
    recorders = [SpikeRecorder(net_1d.inp, key="inp"),
                 SpikeRecorder(net_1d.hid, key="hid", example_filter=[0, 3, 4, 9])]
    compiled = net_1d.compiled
    if run_length == "known":
        _, cb_data = compiled.predict({net_1d.inp: x}, net_1d.hid, callbacks=recorders)
    else:
        batch = compiled.batch_size
        batches = ((x[i:i + batch], np.zeros(len(x[i:i + batch]), dtype=int))
                   for i in range(0, NUM_EXAMPLES, batch))
        _, cb_data = compiled.evaluate_batch_iter(net_1d.inp, net_1d.hid, batches,
                                                  callbacks=recorders)
    _check_lists(cb_data["inp"], ref["in_spikes"], list(range(NUM_EXAMPLES)), None)
    _check_lists(cb_data["hid"], ref["hid_spikes"], [0, 3, 4, 9], None)
    # The examples went into several segments, each example into exactly one
    assert len(segments) > 2 and sum(segments) == NUM_EXAMPLES + 4


def test_a_later_run_sizes_its_first_segment_from_the_rate_an_earlier_one_recorded(net_1d,
                                                                                  monkeypatch):
    # The first run starts from a one-entry segment, so a batch finds no room and the recorder
    # makes more; the second starts from what the first recorded per example and timestep, and
    # every batch fits its first segment
    monkeypatch.setattr(spike_recorder_module, "FIRST_SEGMENT_MAX_ENTRIES", 1)
    monkeypatch.setattr(spike_segments_module, "MIN_SEGMENT_ENTRIES", 1)
    monkeypatch.setattr(spike_recorder_module, "_OBSERVED_RATES", weakref.WeakKeyDictionary())
    rooms_made = []
    real_make_room = spike_segments_module.SpikeSegments.make_room

    def spy(self):
        rooms_made.append(self)
        return real_make_room(self)

    monkeypatch.setattr(spike_segments_module.SpikeSegments, "make_room", spy)
    x = random_inputs(NUM_EXAMPLES, 6, seed=13)
    ref = simulate(x, net_1d.weights)
    compiled = net_1d.compiled
    for run in range(2):
        rooms_made.clear()
        recorders = [SpikeRecorder(net_1d.inp, key="inp"),
                     SpikeRecorder(net_1d.hid, key="hid", neuron_filter=[0, 3])]
        _, cb_data = compiled.predict({net_1d.inp: x}, net_1d.hid, callbacks=recorders)
        _check_lists(cb_data["inp"], ref["in_spikes"], list(range(NUM_EXAMPLES)), None)
        _check_lists(cb_data["hid"], ref["hid_spikes"], list(range(NUM_EXAMPLES)),
                     _mask_1d([0, 3], net_1d.hid.shape[0]))
        if run == 0:
            assert len(rooms_made) >= 2   # both recorders outgrew their first segment
    assert rooms_made == []
    # What was learnt: each (population, filter)'s recorded spikes per example and timestep
    expected_rates = [ref["in_spikes"].sum() / (NUM_EXAMPLES * TIMESTEPS),
                      ref["hid_spikes"][..., [0, 3]].sum() / (NUM_EXAMPLES * TIMESTEPS)]
    rates = sorted(rate for group_rates in spike_recorder_module._OBSERVED_RATES.values()
                   for rate in group_rates.values())
    np.testing.assert_allclose(rates, sorted(expected_rates))


def test_spikes_are_read_once_per_batch_and_only_for_recorded_examples(net_1d, monkeypatch):
    batch_size = net_1d.compiled.batch_size
    genn_model = net_1d.compiled.genn_model
    pulls = []
    monkeypatch.setattr(genn_model, "pull_recording_buffers_from_device",
                        lambda: pulls.append(genn_model.timestep), raising=False)
    gathered = []
    real_gather = spike_recorder_module.gather_words
    real_decode = RecordingDecoder.__call__
    real_decode_latest = RecordingStreams.decode_latest
    real_decode_again = RecordingStreams.decode_again

    def spy(buffer, first, end, slots):
        gathered.append((first, end, slots.tolist()))
        return real_gather(buffer, first, end, slots)

    def spy_native(self, first, end, slots, *args, **kwargs):
        gathered.append((first, end, [int(x) for x in slots]))
        return real_decode(self, first, end, slots, *args, **kwargs)

    def spy_streams(self):
        # A batch that did not fit is decoded again, so only the decodes that wrote count
        not_fitted = real_decode_latest(self)
        for decoder in self.decoders:
            if decoder.fitted and decoder.num_slots:
                gathered.append((self.first_step, self.end_step, decoder.slots.tolist()))
        return not_fitted

    def spy_again(self, decoder, first, end):
        fitted = real_decode_again(self, decoder, first, end)
        if fitted and decoder.num_slots:
            gathered.append((first, end, decoder.slots.tolist()))
        return fitted

    # Whichever decoder runs (native on the cpu backend, NumPy elsewhere) is watched
    monkeypatch.setattr(spike_recorder_module, "gather_words", spy)
    monkeypatch.setattr(RecordingDecoder, "__call__", spy_native)
    monkeypatch.setattr(RecordingStreams, "decode_latest", spy_streams)
    monkeypatch.setattr(RecordingStreams, "decode_again", spy_again)
    recorders = [SpikeRecorder(net_1d.inp, key="a", example_filter=[7]),
                 SpikeRecorder(net_1d.inp, key="b", example_filter=[7]),
                 SpikeRecorder(net_1d.hid, key="c", example_filter=[7])]
    callback_list = CallbackList(recorders, compiled_network=net_1d.compiled,
                                 num_batches=NUM_EXAMPLES // batch_size)
    # Spike recording needs no per-timestep hook, so examples run in one native call
    assert not callback_list.has_timestep_callbacks

    net_1d.evaluate(random_inputs(NUM_EXAMPLES, 6, seed=8), recorders)
    num_batches = NUM_EXAMPLES // batch_size
    assert len(pulls) == num_batches  # one pull per batch, by the first recorder only
    # Only the batch holding example 7 is unpacked, only its slot, once per recorder
    assert gathered == [(0, TIMESTEPS, [7 % batch_size])] * 3


def test_missing_record_spikes_is_an_error_before_running():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=9), batch_size=1, record_spikes=False)
    with pytest.raises(ValueError, match=r"SpikeRecorder needs record_spikes=True on "
                                         r"Population 'hid'"):
        SpikeRecorder(net.hid)
    with pytest.raises(ValueError, match=r"record_spike_events=True on Population 'inp'"):
        SpikeRecorder(net.inp, record_spike_events=True)

    # Switched on only after compiling: the engine has no buffer, so the run refuses to start
    net.hid.record_spikes = True
    recorder = SpikeRecorder(net.hid, key="late")
    with net.compiled:
        timestep = net.compiled.genn_model.timestep
        with pytest.raises(ValueError, match=r"record_spikes=True on Population 'hid' when the "
                                             r"network is compiled"):
            net.evaluate(random_inputs(2, 6, seed=1), [recorder])
        assert net.compiled.genn_model.timestep == timestep  # nothing was simulated


def test_bad_arguments_are_reported_with_the_recorder():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=9), batch_size=1)
    with pytest.raises(IndexError, match="out of range"):
        SpikeRecorder(net.inp, neuron_filter=[0, 6])
    with pytest.raises(TypeError, match="Example filter"):
        SpikeRecorder(net.inp, example_filter="all")
    with pytest.raises(TypeError, match=r"SpikeRecorder\(Population 'inp'\): record_counts must "
                                        r"be True or False"):
        SpikeRecorder(net.inp, record_counts="yes")
    with pytest.raises(TypeError, match="to_disk must be a folder path"):
        SpikeRecorder(net.inp, to_disk=3)


def test_partial_last_batch_records_only_real_examples():
    # 10 examples at batch size 4: the last batch has 2 real examples and 2 padding slots,
    # which the compiled network tells recorders about through num_examples
    weights = random_weights(6, 4, seed=2)
    net = IFNetwork(6, 4, weights, batch_size=4)
    x = random_inputs(NUM_EXAMPLES, 6, seed=5)
    reference = simulate(x, weights)
    with net.compiled:
        cb_data = net.evaluate(x, [SpikeRecorder(net.hid, key="hid"),
                                   SpikeRecorder(net.inp, key="counts", record_counts=True)])
    _check_lists(cb_data["hid"], reference["hid_spikes"], list(range(NUM_EXAMPLES)), None)
    assert len(cb_data["counts"]) == NUM_EXAMPLES
    np.testing.assert_array_equal(np.array(cb_data["counts"]),
                                  reference["in_spikes"].sum(axis=0))


def test_a_decoding_error_reaches_the_caller(net_1d, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("decoder broke")

    monkeypatch.setattr(RecordingDecoder, "__call__", broken)
    monkeypatch.setattr(RecordingStreams, "decode_latest", broken)
    with pytest.raises(RuntimeError, match="decoder broke"):
        net_1d.evaluate(random_inputs(NUM_EXAMPLES, 6, seed=8), [SpikeRecorder(net_1d.hid, key="h")])
