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


@pytest.fixture(scope="module", params=[1, 2], ids=["1thread", "2threads"])
def recorded(request):
    """A run of STEPS steps and its raster ``[step, batch, neuron]`` read from the state."""
    m = ModelSpec("double", "decoder_source")
    m.batch_size = BATCH
    m.seed = 5
    pop = m.add_neuron_population("src", NUM_NEURONS, BERNOULLI,
                                  {}, {"p": _probabilities(), "fired": 0.0})
    pop.spike_recording_enabled = True
    rt = build(m, num_recording_timesteps=RING_STEPS)
    rt.set_num_threads(request.param)
    fired = rt.neuron_populations["src"].vars["fired"]
    raster = np.zeros((STEPS, BATCH, NUM_NEURONS), dtype=bool)
    for step in range(STEPS):
        rt.step_time()
        fired.pull_from_device()
        raster[step] = fired.view.reshape(BATCH, NUM_NEURONS) > 0.5
    return rt, raster


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


def test_decoding_into_given_memory_in_one_call(recorded):
    rt, raster = recorded
    decoder = rt.neuron_populations["src"].recording_decoder("spk")
    slots = [1, 4, 6]
    first, end = STEPS - RING_STEPS, STEPS
    expected = _expected(raster, first, end, slots)
    count = sum(len(ids) for _, ids in expected)
    raw = np.full(decoder.decoded_bytes(count) + 256, 0xAB, dtype=np.uint8)
    start = -raw.ctypes.data % decoder.output_alignment
    address = raw.ctypes.data + start

    # Too little memory: the count comes back and nothing is written
    offsets, got, written = decoder.decode_into(first, end, np.array(slots), address, 8 * count)
    assert got == count and not written and (raw == 0xAB).all()
    # Enough: times from the start, ids from the next aligned byte, nothing past them
    offsets, got, written = decoder.decode_into(first, end, np.array(slots), address,
                                                decoder.decoded_bytes(count))
    assert written and got == count
    ids_at = start + -(-8 * count // decoder.output_alignment) * decoder.output_alignment
    times = raw[start:start + 8 * count].view(np.float64)
    ids = raw[ids_at:ids_at + 8 * count].view(np.int64)
    _check(rt, offsets, times, ids, expected)
    assert (raw[ids_at + 8 * count:] == 0xAB).all() and (raw[:start] == 0xAB).all()

    with pytest.raises(ValueError, match="aligned to 64 bytes"):
        decoder.decode_into(first, end, np.array(slots), address + 8, 1 << 20)


def _aligned(nbytes, alignment):
    raw = np.full(nbytes + alignment, 0xAB, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw, start


def test_several_decoders_in_one_call(recorded):
    rt, raster = recorded
    group = rt.neuron_populations["src"]
    mask = np.zeros(NUM_NEURONS, dtype=bool)
    mask[[3, 31, 40, 99]] = True
    decoders = [group.recording_decoder("spk"), group.recording_decoder("spk", mask),
                group.recording_decoder("spk")]
    specs = [([7, 0, 4], (STEPS - RING_STEPS, STEPS), None), ([1, 2], (12, 30), mask),
             ([6], (25, 40), None)]
    expected = [_expected(raster, *window, slots, m) for slots, window, m in specs]
    counts = [sum(len(ids) for _, ids in e) for e in expected]
    buffers = []
    jobs = []
    for k, (decoder, (slots, window, _)) in enumerate(zip(decoders, specs)):
        # The last one gets too little memory
        nbytes = decoder.decoded_bytes(counts[k]) if k < 2 else 8 * counts[k]
        raw, start = _aligned(nbytes, decoder.output_alignment)
        buffers.append((raw, start))
        jobs.append((decoder, *window, np.array(slots), raw.ctypes.data + start, nbytes))
    results = decoders[0].decode_all_into(jobs)
    for k, ((offsets, count, written), (raw, start), decoder) in enumerate(
            zip(results, buffers, decoders)):
        assert count == counts[k]
        if k == 2:
            assert not written and (raw == 0xAB).all()
            continue
        assert written
        ids_at = start + decoder.decoded_bytes(count) - 8 * count
        _check(rt, offsets, raw[start:start + 8 * count].view(np.float64),
               raw[ids_at:ids_at + 8 * count].view(np.int64), expected[k])

    with pytest.raises(ValueError, match="each decoder may appear once"):
        decoders[0].decode_all_into([jobs[0], jobs[0]])
