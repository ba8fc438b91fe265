"""The native decoder of packed spike recordings (``recording_decoder``/``unpack_recording``)
against the spikes the engine's own state shows step by step.

A source whose neurons fire with very different probabilities gives empty rows, words with a
single spike, words with many (up to all 32 bits, bit 31 included) and a last, partial word;
the batch is large enough for the decoder to split the work between threads. Windows include
one that wraps around the recording ring."""
import numpy as np
import pytest

from engine_models import build
from ml_genn.engine import ModelSpec, create_neuron_model
from ml_genn.engine.errors import RuntimeStateError

BERNOULLI = create_neuron_model(
    "PerNeuronBernoulli", vars=[("p", "scalar"), ("fired", "scalar")],
    sim_code="fired = (gennrand_uniform() < p) ? 1.0 : 0.0;",
    threshold_condition_code="fired > 0.5")
NUM_NEURONS, BATCH, STEPS, RING_STEPS = 100, 8, 40, 30


def _probabilities():
    p = np.random.default_rng(3).choice([0.0, 0.03, 0.3, 0.7], NUM_NEURONS)
    p[:32] = 0.97            # a word that is nearly always full
    p[[31, 63, 95, 99]] = 0.9   # top bits of words, and the last neuron of the partial word
    return p


def _run_source(name, probabilities, batch, steps, ring_steps, threads, seed):
    """A Bernoulli source (firing probability per neuron) recorded over ``steps`` steps; returns
    the runtime and its raster ``[step, batch, neuron]`` read from the state."""
    neurons = len(probabilities)
    m = ModelSpec("double", name)
    m.batch_size = batch
    m.seed = seed
    pop = m.add_neuron_population("src", neurons, BERNOULLI, {},
                                  {"p": probabilities, "fired": 0.0})
    pop.spike_recording_enabled = True
    rt = build(m, num_recording_timesteps=ring_steps)
    rt.set_num_threads(threads)
    fired = rt.neuron_populations["src"].vars["fired"]
    raster = np.zeros((steps, batch, neurons), dtype=bool)
    for step in range(steps):
        rt.step_time()
        fired.pull_from_device()
        raster[step] = fired.view.reshape(batch, neurons) > 0.5
    return rt, raster


@pytest.fixture(scope="module", params=[1, 2], ids=["1thread", "2threads"])
def recorded(request):
    """A run of STEPS steps and its raster ``[step, batch, neuron]`` read from the state."""
    return _run_source("decoder_source", _probabilities(), BATCH, STEPS, RING_STEPS,
                       request.param, seed=5)


def _expected(raster, first, end, slots, mask=None):
    keep = np.ones(NUM_NEURONS, dtype=bool) if mask is None else mask
    out = []
    for b in slots:
        steps, ids = np.nonzero(raster[first:end, b] & keep)
        out.append((steps + first, ids))
    return out


def _check(rt, offsets, times, ids, expected):
    assert offsets[0] == 0 and offsets[-1] == len(times) == len(ids)
    for k, (steps, neuron_ids) in enumerate(expected):
        a, b = offsets[k], offsets[k + 1]
        np.testing.assert_array_equal(ids[a:b], neuron_ids, err_msg=f"slot position {k}")
        np.testing.assert_array_equal(times[a:b], steps * rt.dt, err_msg=f"slot position {k}")


def test_the_source_covers_the_cases_the_decoder_distinguishes(recorded):
    _, raster = recorded
    words = np.pad(raster, ((0, 0), (0, 0), (0, 28))).reshape(STEPS, BATCH, 4, 32).sum(-1)
    assert (words == 0).any() and (words == 1).any() and (words >= 8).any()
    assert (words == 32).any()
    assert raster[..., 31].any() and raster[..., 99].any()
    # Enough spikes in the last RING_STEPS steps for the threads to share the work
    assert raster[STEPS - RING_STEPS:].sum() > 8192


@pytest.mark.parametrize("slots", [list(range(BATCH)), [6, 1, 3], [5],
                                   [2, 2, 5, 2, 0, 1, 3, 4, 6, 7, 7]],
                         ids=["all", "reordered_subset", "one", "repeated_beyond_batch"])
def test_decoded_spikes_equal_the_state(recorded, slots):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    first, end = STEPS - RING_STEPS, STEPS   # the ring has wrapped: row STEPS % RING_STEPS first
    offsets, times, ids = group.unpack_recording("spk", first, end, np.array(slots))
    _check(rt, offsets, times, ids, _expected(raster, first, end, slots))
    # A window inside the ring, through a decoder prepared once and called twice
    decoder = group.recording_decoder("spk")
    for window in ((15, 27), (33, 40)):
        _check(rt, *decoder(*window, np.array(slots)), _expected(raster, *window, slots))


def test_a_neuron_mask_keeps_only_its_neurons(recorded):
    rt, raster = recorded
    mask = np.zeros(NUM_NEURONS, dtype=bool)
    mask[[0, 5, 31, 32, 63, 70, 99]] = True
    decoder = rt.neuron_populations["src"].recording_decoder("spk", mask)
    slots = [0, 2, 7]
    _check(rt, *decoder(STEPS - RING_STEPS, STEPS, np.array(slots)),
           _expected(raster, STEPS - RING_STEPS, STEPS, slots, mask))


def test_the_caller_can_provide_the_memory(recorded):
    rt, raster = recorded
    given = []

    def allocate(count):
        # Larger blocks, handed out as exact views (as a recorder's arena does)
        times, ids = np.full(count + 10, -1.0), np.full(count + 10, -1, dtype=np.int64)
        given.append((times, ids))
        return times[:count], ids[:count]

    slots = list(range(BATCH))
    offsets, times, ids = rt.neuron_populations["src"].unpack_recording(
        "spk", STEPS - RING_STEPS, STEPS, np.array(slots), allocate=allocate)
    assert len(given) == 1 and np.shares_memory(times, given[0][0])
    _check(rt, offsets, times, ids, _expected(raster, STEPS - RING_STEPS, STEPS, slots))
    # Nothing is written past the arrays it was given
    assert (given[0][0][len(times):] == -1.0).all() and (given[0][1][len(ids):] == -1).all()

    with pytest.raises(ValueError, match=r"allocate\(\d+\) passed to the spike decoder must "
                                         r"return writeable C-contiguous float64"):
        rt.neuron_populations["src"].unpack_recording(
            "spk", STEPS - RING_STEPS, STEPS, np.array(slots),
            allocate=lambda n: (np.empty(n, dtype=np.float32), np.empty(n, dtype=np.int64)))


def test_windows_outside_the_ring_and_bad_slots_are_refused(recorded):
    rt, _ = recorded
    decoder = rt.neuron_populations["src"].recording_decoder("spk")
    with pytest.raises(RuntimeStateError, match=r"timesteps \[5, 40\) are not all in the "
                                                r"recording ring"):
        decoder(5, STEPS, np.arange(BATCH))
    with pytest.raises(RuntimeStateError, match=r"batch slots must lie in \[0, 8\)"):
        decoder(STEPS - 5, STEPS, np.array([0, 8]))
    with pytest.raises(ValueError, match="neuron_mask must have one entry per neuron"):
        rt.neuron_populations["src"].recording_decoder("spk", np.ones(7, dtype=bool))


def test_the_engine_logs_the_current_ring_cycles_spike_ids(recorded):
    rt, raster = recorded
    log = rt._arrays[("rec_log", "src")]
    logged = rt._arrays[("rec_log_n", "src")][:, 0]
    capacity = log.shape[1]
    cycle_start = STEPS - STEPS % RING_STEPS   # the log restarted at ring row 0
    for b in range(BATCH):
        steps, ids = np.nonzero(raster[cycle_start:STEPS, b])
        assert logged[b] == len(ids)
        kept = min(len(ids), capacity)
        np.testing.assert_array_equal(log[b, :kept], ids[:kept])


@pytest.mark.parametrize("window", [(30, 33), (30, 40)], ids=["logged", "over_capacity"])
@pytest.mark.parametrize("masked", [False, True], ids=["all", "masked"])
def test_windows_from_ring_row_0_come_from_the_log(recorded, window, masked):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    capacity = rt._arrays[("rec_log", "src")].shape[1]
    mask = None
    if masked:
        mask = np.zeros(NUM_NEURONS, dtype=bool)
        mask[[0, 5, 31, 32, 63, 70, 99]] = True
    slots = [0, 3, 7]
    decoder = group.recording_decoder("spk", mask)
    expected = _expected(raster, *window, slots, mask)
    logged = [raster[window[0]:window[1], b].sum() for b in slots]
    assert all(n <= capacity for n in logged) == (window == (30, 33))
    if window != (30, 33):
        # Over the log's capacity: the bits are decoded
        _check(rt, *decoder(*window, np.array(slots)), expected)
        return
    # With the window's bits cleared, only what the log holds can come out
    bits = group.spike_recording_buffer
    rows = slice(window[0] % RING_STEPS, window[1] % RING_STEPS)
    saved = bits[rows].copy()
    bits[rows] = 0
    try:
        _check(rt, *decoder(*window, np.array(slots)), expected)
    finally:
        bits[rows] = saved


def _stream(decoder, capacity, ends_capacity):
    """Stream arrays filled with sentinels, so that writes past what was decoded show."""
    times = np.full(capacity, -1.0)
    ids = np.full(capacity, -1, dtype=np.int64)
    ends = np.full(ends_capacity, -1, dtype=np.int64)
    decoder.stream_to(times, ids)
    decoder.stream_ends_to(ends)
    return times, ids, ends


def _check_stream(rt, decoder, arrays, expected):
    """The stream holds ``expected`` (per example: steps and ids), back to back."""
    times, ids, ends = arrays
    counts = [len(neuron_ids) for _, neuron_ids in expected]
    assert decoder.stream_examples == len(expected)
    assert decoder.stream_used == sum(counts)
    np.testing.assert_array_equal(ends[:len(expected)], np.cumsum(counts))
    _check(rt, np.concatenate([[0], np.cumsum(counts)]), times[:decoder.stream_used],
           ids[:decoder.stream_used], expected)
    # Nothing past what was decoded
    assert (times[decoder.stream_used:] == -1.0).all() and (ids[decoder.stream_used:] == -1).all()
    assert (ends[len(expected):] == -1).all()


def test_streams_append_batch_after_batch(recorded):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    mask = np.zeros(NUM_NEURONS, dtype=bool)
    mask[[0, 5, 31, 32, 63, 70, 99]] = True
    decoders = [group.recording_decoder("spk"), group.recording_decoder("spk", mask)]
    masks = [None, mask]
    streams = decoders[0].streams(decoders)
    arrays = [_stream(d, BATCH * RING_STEPS * NUM_NEURONS, 16) for d in decoders]
    # Two batches' windows with different slots, the second wrapping around the ring
    batches = [((12, 30), [1, 4, 6]), ((STEPS - RING_STEPS, STEPS), [0, 2, 2, 7])]
    expected = [[], []]
    for (first, end), slots in batches:
        for decoder in decoders:
            decoder.set_slots(np.array(slots))
        assert streams.decode_batch(first, end) == 0
        for k, decoder in enumerate(decoders):
            assert decoder.fitted
            expected[k] += _expected(raster, first, end, slots, masks[k])
    for k, decoder in enumerate(decoders):
        _check_stream(rt, decoder, arrays[k], expected[k])
    # The latest ring's worth of timesteps, the window a batch is
    latest = [decoders[0].streams([d]) for d in decoders]
    for k, (decoder, group_streams) in enumerate(zip(decoders, latest)):
        decoder.set_slots(np.array([5, 1]))
        assert group_streams.decode_latest() == 0
        assert (group_streams.first_step, group_streams.end_step) == (STEPS - RING_STEPS, STEPS)
        expected[k] += _expected(raster, STEPS - RING_STEPS, STEPS, [5, 1], masks[k])
        _check_stream(rt, decoder, arrays[k], expected[k])
    # A batch without slots writes nothing and fits
    for decoder in decoders:
        decoder.set_slots(np.zeros(0, dtype=np.int64))
    assert streams.decode_batch(STEPS - 5, STEPS) == 0
    for k, decoder in enumerate(decoders):
        _check_stream(rt, decoder, arrays[k], expected[k])


def test_a_batch_that_does_not_fit_is_not_written(recorded):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    roomy, tight, few_ends = (group.recording_decoder("spk") for _ in range(3))
    streams = roomy.streams([roomy, tight, few_ends])
    slots = [3, 5]
    window = (STEPS - RING_STEPS, STEPS)
    expected = _expected(raster, *window, slots)
    count = sum(len(ids) for _, ids in expected)
    arrays = {id(roomy): _stream(roomy, count, 2), id(tight): _stream(tight, count - 1, 2),
              id(few_ends): _stream(few_ends, count, 1)}
    for decoder in (roomy, tight, few_ends):
        decoder.set_slots(np.array(slots))
    assert streams.decode_batch(*window) == 2
    _check_stream(rt, roomy, arrays[id(roomy)], expected)
    for decoder in (tight, few_ends):
        assert not decoder.fitted and decoder.needed == count
        _check_stream(rt, decoder, arrays[id(decoder)], [])
    # Given room, the same batch decodes alone
    times, ids = np.full(count, -1.0), np.full(count, -1, dtype=np.int64)
    tight.stream_to(times, ids)
    arrays[id(tight)] = (times, ids, arrays[id(tight)][2])
    assert streams.decode_again(tight, *window)
    _check_stream(rt, tight, arrays[id(tight)], expected)
    ends = np.full(4, -1, dtype=np.int64)
    few_ends.stream_ends_to(ends)
    assert streams.decode_again(few_ends, *window)
    _check_stream(rt, few_ends, (*arrays[id(few_ends)][:2], ends), expected)
    # The roomy one was not decoded again
    assert roomy.stream_examples == 2


def test_streams_refuse_bad_memory_windows_and_decoders(recorded):
    rt, _ = recorded
    group = rt.neuron_populations["src"]
    decoder = group.recording_decoder("spk")
    with pytest.raises(ValueError, match=r"stream_to needs writeable C-contiguous 1-D float64 "
                                         r"times and int64 ids of one length; its ids is a "
                                         r"int32 array"):
        decoder.stream_to(np.zeros(4), np.zeros(4, dtype=np.int32))
    with pytest.raises(ValueError, match="its ids is a int64 array of shape \\(3,\\)"):
        decoder.stream_to(np.zeros(4), np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="stream_ends_to needs a writeable C-contiguous 1-D "
                                         "int64 array, got a float64 array"):
        decoder.stream_ends_to(np.zeros(4))
    with pytest.raises(ValueError, match="stream_ends_to got 5 entries used of an array of 4"):
        decoder.stream_ends_to(np.zeros(4, dtype=np.int64), 5)
    with pytest.raises(ValueError, match="each decoder may appear once"):
        decoder.streams([decoder, decoder])
    streams = decoder.streams([decoder])
    with pytest.raises(RuntimeStateError, match=r"timesteps \[5, 40\) are not all in the "
                                                r"recording ring"):
        streams.decode_batch(5, STEPS)
    with pytest.raises(ValueError, match="not one of this RecordingStreams' decoders"):
        streams.decode_again(group.recording_decoder("spk"), STEPS - 5, STEPS)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_long_logged_window_decodes_in_one_copy(threads):
    # 300 neurons firing 1 in 10: about 900 logged spikes per batch element over the window,
    # all in the log and copied out in one piece per element, rows of every length
    neurons, batch, ring = 300, 3, 30
    rt, raster = _run_source("decoder_long_log", np.full(neurons, 0.1), batch, ring, ring,
                             threads, seed=11)
    group = rt.neuron_populations["src"]
    capacity = rt._arrays[("rec_log", "src")].shape[1]
    assert 600 < raster.sum(axis=(0, 2)).min() and raster.sum(axis=(0, 2)).max() <= capacity
    decoder = group.recording_decoder("spk")
    slots = [2, 0, 1]
    offsets, times, ids = decoder(0, ring, np.array(slots))
    assert offsets[-1] == raster.sum()
    for k, b in enumerate(slots):
        steps, neuron_ids = np.nonzero(raster[:, b])
        np.testing.assert_array_equal(ids[offsets[k]:offsets[k + 1]], neuron_ids)
        np.testing.assert_array_equal(times[offsets[k]:offsets[k + 1]], steps * rt.dt)


def test_a_released_decoder_is_returned_again_and_still_decodes(recorded):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    mask = np.zeros(NUM_NEURONS, dtype=bool)
    mask[[1, 40, 99]] = True
    first, end = STEPS - RING_STEPS, STEPS
    plain, masked = group.recording_decoder("spk"), group.recording_decoder("spk", mask)
    plain(first, end, np.array([0, 1]))
    group.release_recording_decoder(plain)
    group.release_recording_decoder(masked)
    group.release_recording_decoder(plain)   # twice: kept once
    # Same kind and mask: the released one, which decodes other slots and windows correctly
    again = group.recording_decoder("spk")
    assert again is plain
    assert group.recording_decoder("spk") is not plain   # it was handed out only once
    _check(rt, *again(15, 27, np.array([6, 2])), _expected(raster, 15, 27, [6, 2]))
    assert group.recording_decoder("spk", mask.copy()) is masked
    other_mask = mask.copy()
    other_mask[2] = True
    assert group.recording_decoder("spk", other_mask) is not masked


def test_only_decoders_of_the_current_arrays_are_given_back(recorded):
    rt, _ = recorded
    group = rt.neuron_populations["src"]
    decoder = group.recording_decoder("spk")
    group.release_recording_decoder(decoder)
    key = ("rec_spk", "src")
    current = rt._arrays[key]
    try:
        rt._arrays[key] = current.copy()   # as if the buffers had been allocated again
        assert group.recording_decoder("spk") is not decoder
    finally:
        rt._arrays[key] = current
    with pytest.raises(ValueError, match="did not make"):
        group.release_recording_decoder(object.__new__(type(decoder)))
