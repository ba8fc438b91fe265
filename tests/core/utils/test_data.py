"""Property tests for ml_genn.utils.data, checked against plain-Python reconstructions."""
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_genn.utils.data import (PreprocessedSpikes, batch_dataset, batch_spikes,
                                calc_latest_spike_time, calc_max_spikes, calc_start_spikes,
                                generate_yin_yang_dataset, get_dataset_size,
                                linear_latency_encode_data, log_latency_encode_data,
                                permute_dataset, preprocess_spikes, preprocess_tonic_spikes,
                                split_dataset)

FAST = settings(max_examples=40, deadline=None)

# Times on a 1/8 ms grid so sums and comparisons are exact in floating point
spike_time = st.integers(0, 800).map(lambda i: i / 8.0)


@st.composite
def spike_trains(draw, num_neurons=None, max_spikes=20):
    n = draw(st.integers(1, 8)) if num_neurons is None else num_neurons
    events = draw(st.lists(st.tuples(st.integers(0, n - 1), spike_time), max_size=max_spikes))
    return n, [e[0] for e in events], [e[1] for e in events]


def per_neuron(spikes, n):
    """Each neuron's spike times, read back through end_spikes (1-D)."""
    starts = [0] + list(spikes.end_spikes[:-1])
    return [spikes.spike_times[s:e].tolist() for s, e in zip(starts, spikes.end_spikes)]


# ---------------------------------------------------------------------------------------------
# preprocess_spikes
# ---------------------------------------------------------------------------------------------
@FAST
@given(spike_trains())
def test_preprocess_spikes_round_trip(train):
    n, ids, times = train
    spikes = preprocess_spikes(np.array(times), np.array(ids, dtype=int), n)
    assert isinstance(spikes, PreprocessedSpikes)
    assert spikes.end_spikes.shape == (n,)
    assert spikes.end_spikes.tolist() == [sum(1 for i in ids if i <= k) for k in range(n)]
    # Neuron k's slice holds exactly its spikes, in time order
    for k, got in enumerate(per_neuron(spikes, n)):
        assert got == sorted(t for i, t in zip(ids, times) if i == k)
    # Lists work as well as arrays (mlGeNN's documentation passes lists)
    again = preprocess_spikes(times, ids, n)
    assert np.array_equal(again.end_spikes, spikes.end_spikes)
    assert np.array_equal(again.spike_times, spikes.spike_times)


def test_preprocess_spikes_documented_example():
    spikes = preprocess_spikes([0.0, 10.0, 20.0, 30.0], [0, 1, 2, 3], 4)
    assert spikes.end_spikes.tolist() == [1, 2, 3, 4]
    assert spikes.spike_times.tolist() == [0.0, 10.0, 20.0, 30.0]


def test_preprocess_spikes_no_spikes():
    spikes = preprocess_spikes([], [], 3)
    assert spikes.end_spikes.tolist() == [0, 0, 0]
    assert spikes.spike_times.shape == (0,)


@pytest.mark.parametrize("times, ids, n, error, words", [
    ([1.0, 2.0], [0, 3], 3, ValueError, "id 3 out of range for 3 neurons"),
    ([1.0], [-1], 3, ValueError, "id -1 out of range"),
    ([1.0, 2.0], [0], 3, ValueError, "2 times and 1 ids"),
    ([1.0], [0.5], 3, TypeError, "ids must be integers"),
    ([float("nan")], [0], 3, ValueError, "finite"),
    ([1.0], [0], 0, ValueError, "num_neurons must be a positive int"),
    ([[1.0]], [[0]], 3, ValueError, "one-dimensional"),
])
def test_preprocess_spikes_errors(times, ids, n, error, words):
    with pytest.raises(error, match="preprocess_spikes") as info:
        preprocess_spikes(times, ids, n)
    assert words in str(info.value)


# ---------------------------------------------------------------------------------------------
# batch_spikes / calc_start_spikes / calc_max_spikes / calc_latest_spike_time
# ---------------------------------------------------------------------------------------------
@FAST
@given(st.integers(1, 6), st.integers(1, 5), st.data())
def test_batch_spikes_keeps_each_example_separate(n, batch_size, data):
    count = data.draw(st.integers(1, batch_size))
    trains = [data.draw(spike_trains(num_neurons=n, max_spikes=8)) for _ in range(count)]
    examples = [preprocess_spikes(t, i, n) for _, i, t in trains]
    batch = batch_spikes(examples, batch_size)
    assert batch.end_spikes.shape == (batch_size, n)
    assert len(batch.spike_times) == sum(len(i) for _, i, _ in trains)
    start = calc_start_spikes(batch.end_spikes)
    for b in range(batch_size):
        for k in range(n):
            got = batch.spike_times[start[b, k]:batch.end_spikes[b, k]].tolist()
            if b < count:
                _, ids, times = trains[b]
                assert got == sorted(t for i, t in zip(ids, times) if i == k)
            else:
                assert got == []  # padding examples have no spikes


@FAST
@given(st.lists(st.integers(0, 5), min_size=1, max_size=12), st.integers(1, 3))
def test_calc_start_spikes_is_previous_end(counts, rows):
    end = np.cumsum(np.tile(counts, rows)).reshape(rows, len(counts))
    start = calc_start_spikes(end)
    assert start.shape == end.shape and start.dtype == end.dtype
    flat_end = end.ravel().tolist()
    assert start.ravel().tolist() == [0] + flat_end[:-1]
    assert calc_start_spikes(end[0]).tolist() == [0] + end[0].tolist()[:-1]


@FAST
@given(st.lists(spike_trains(num_neurons=4, max_spikes=10), min_size=1, max_size=5))
def test_calc_max_spikes_and_latest_time(trains):
    examples = [preprocess_spikes(t, i, 4) for _, i, t in trains]
    assert calc_max_spikes(examples) == max(len(i) for _, i, _ in trains)
    all_times = [t for _, _, ts in trains for t in ts]
    if all_times:
        assert calc_latest_spike_time(examples) == max(all_times)
    else:
        with pytest.raises(ValueError, match="none of the examples has any spikes"):
            calc_latest_spike_time(examples)


def test_calc_helpers_accept_single_example():
    one = preprocess_spikes([3.0, 1.0, 7.0], [0, 1, 1], 2)
    assert calc_max_spikes(one) == 3
    assert calc_latest_spike_time(one) == 7.0


def test_batch_spikes_errors():
    a = preprocess_spikes([1.0], [0], 2)
    b = preprocess_spikes([1.0], [0], 3)
    with pytest.raises(ValueError, match="Cannot batch 2 PreprocessedSpikes when batch size is "
                                         "only 1"):
        batch_spikes([a, a], 1)
    with pytest.raises(ValueError, match="example 0 has 2, example 1 has 3"):
        batch_spikes([a, b], 2)
    with pytest.raises(ValueError, match="at least one"):
        batch_spikes([], 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        batch_spikes([a], 0)
    with pytest.raises(ValueError, match="at least one"):
        calc_max_spikes([])


# ---------------------------------------------------------------------------------------------
# preprocess_tonic_spikes
# ---------------------------------------------------------------------------------------------
def make_events(fields, columns):
    events = np.zeros(len(columns[0]), dtype=[(f, np.int64) for f in fields])
    for f, c in zip(fields, columns):
        events[f] = c
    return events


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 2), st.data())
def test_tonic_2d_sensor_ids_decode_to_events(width, height, polarities, data):
    events_list = data.draw(st.lists(st.tuples(
        st.integers(0, width - 1), st.integers(0, height - 1), st.integers(0, polarities - 1),
        st.integers(0, 5000)), max_size=15))
    cols = list(zip(*events_list)) if events_list else [[], [], [], []]
    events = make_events("xypt", cols)
    spikes = preprocess_tonic_spikes(events, "xypt", (width, height, polarities))
    num = width * height * polarities
    assert spikes.end_spikes.shape == (num,)
    # Decode every neuron as (y, x, p) of a row-major (height, width, polarities) array
    decoded = Counter()
    for neuron, times in enumerate(per_neuron(spikes, num)):
        y, rest = divmod(neuron, width * polarities)
        x, p = divmod(rest, polarities)
        for t in times:
            decoded[(x, y, p, t)] += 1
    # Times are multiplied by the default time_scale of 1/1000 (us to ms)
    expected = Counter((x, y, p if polarities > 1 else 0, t * (1.0 / 1000.0))
                       for x, y, p, t in events_list)
    assert decoded == expected


def test_tonic_single_polarity_ignores_p():
    events = make_events("xytp", [[1, 1], [0, 1], [10, 20], [0, 1]])
    spikes = preprocess_tonic_spikes(events, "xytp", (2, 2, 1))
    # x + y * width
    assert per_neuron(spikes, 4) == [[], [0.01], [], [0.02]]


@FAST
@given(spike_trains(max_spikes=15))
def test_tonic_1d_sensor_matches_preprocess_spikes(train):
    n, ids, times = train
    events = make_events("xtp", [ids, [int(t * 8) for t in times], [0] * len(ids)])
    spikes = preprocess_tonic_spikes(events, ("x", "t", "p"), (n, 1, 1), time_scale=1 / 8)
    direct = preprocess_spikes(times, ids, n)
    assert np.array_equal(spikes.end_spikes, direct.end_spikes)
    assert np.array_equal(spikes.spike_times, direct.spike_times)


@FAST
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.data())
def test_tonic_histogram_threshold(n, dt, thresh, data):
    events_list = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 20)),
                                     max_size=30))
    ids = [e[0] for e in events_list]
    ts = [e[1] for e in events_list]
    events = make_events("xtp", [ids, ts, [0] * len(ids)])
    spikes = preprocess_tonic_spikes(events, "xtp", (n, 1, 1), time_scale=1.0, dt=float(dt),
                                     histogram_thresh=thresh)
    counts = Counter((i, t // dt) for i, t in zip(ids, ts))
    for k, got in enumerate(per_neuron(spikes, n)):
        assert got == sorted(float(b * dt) for (i, b), c in counts.items()
                             if i == k and c >= thresh)


def test_tonic_histogram_default_dt_is_one_ms():
    events = make_events("xtp", [[0, 0, 0], [1000, 1500, 2500], [0, 0, 0]])
    spikes = preprocess_tonic_spikes(events, "xtp", (1, 1, 1), histogram_thresh=2)
    assert spikes.spike_times.tolist() == [1.0]


def test_tonic_empty_events():
    spikes = preprocess_tonic_spikes(make_events("xytp", [[], [], [], []]), "xytp", (2, 2, 2))
    assert spikes.end_spikes.tolist() == [0] * 8 and spikes.spike_times.size == 0


@pytest.mark.parametrize("fields, ordering, shape, kwargs, error, words", [
    ("xyt", "xyt", (2, 2, 1), {}, ValueError, "time (t) and polarity (p)"),
    ("ytp", "ytp", (2, 2, 1), {}, ValueError, "1-D (x) and 2-D (x, y)"),
    ("xtp", "xytp", (2, 2, 1), {}, ValueError, "lack the field(s) ['y']"),
    ("xytp", "xytp", (2, 2, 1), {}, ValueError, "event x=5 is outside the sensor shape"),
    ("xytp", "xytp", (8, 2, 1), {}, ValueError, "event y=5"),
    ("xytp", "xytp", (8, 8, 2), {}, ValueError, "event p=5"),
    ("xytp", "xytp", (8, 8, 0), {}, ValueError, "1 to 3 positive ints"),
    ("xytp", "xytp", (8, 8, 8), {"histogram_thresh": 0}, ValueError, "histogram_thresh"),
    ("xytp", "xytp", (8, 8, 8), {"histogram_thresh": 1, "dt": None}, ValueError, "needs dt"),
    ("xytp", "xytp", (8, 8, 8), {"histogram_thresh": 1, "dt": -1.0}, ValueError, "dt must"),
    ("xytp", "xytp", (8, 8, 8), {"time_scale": 0.0}, ValueError, "time_scale must"),
])
def test_tonic_errors(fields, ordering, shape, kwargs, error, words):
    events = make_events(fields, [[5]] * len(fields))
    with pytest.raises(error) as info:
        preprocess_tonic_spikes(events, ordering, shape, **kwargs)
    assert words in str(info.value)
    assert "preprocess_tonic_spikes" in str(info.value)


def test_tonic_needs_structured_array():
    with pytest.raises(TypeError, match="structured NumPy array"):
        preprocess_tonic_spikes(np.zeros(3), "xytp", (2, 2, 1))


# ---------------------------------------------------------------------------------------------
# Latency encoders
# ---------------------------------------------------------------------------------------------
images = st.integers(1, 3).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, 255), min_size=6, max_size=6), min_size=n, max_size=n))


@FAST
@given(images, st.floats(1.0, 50.0), st.floats(0.0, 1.0), st.integers(0, 254))
def test_linear_latency_encode(data, max_time, min_time, thresh):
    array = np.array(data, dtype=np.uint8).reshape(len(data), 2, 3)
    spikes = linear_latency_encode_data(array, max_time, min_time, thresh)
    assert len(spikes) == len(data)
    for example, s in zip(data, spikes):
        assert s.end_spikes.tolist() == [sum(v > thresh for v in example[:k + 1])
                                         for k in range(6)]
        expected = [min_time + (255 - v) / 255 * (max_time - min_time)
                    for v in example if v > thresh]
        assert s.spike_times.tolist() == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert all(min_time - 1e-12 <= t <= max_time + 1e-12 for t in s.spike_times)


@FAST
@given(images, st.floats(1.0, 50.0), st.integers(0, 200))
def test_log_latency_encode(data, tau_eff, thresh):
    array = np.array(data, dtype=np.uint8)
    spikes = log_latency_encode_data(array, tau_eff, thresh)
    for example, s in zip(data, spikes):
        assert s.end_spikes.tolist() == [sum(v > thresh for v in example[:k + 1])
                                         for k in range(6)]
        expected = [tau_eff * math.log(v / (v - thresh)) for v in example if v > thresh]
        assert s.spike_times.tolist() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_latency_encoder_errors():
    with pytest.raises(ValueError, match=r"8-bit values \(0 to 255\).*to 300"):
        linear_latency_encode_data(np.array([[0, 300]]), 20.0)
    with pytest.raises(ValueError, match="max_time >= min_time"):
        linear_latency_encode_data(np.zeros((1, 2), np.uint8), 1.0, 5.0)
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*shape \(4,\)"):
        linear_latency_encode_data(np.zeros(4, np.uint8), 20.0)
    with pytest.raises(ValueError, match="tau_eff must be a positive number"):
        log_latency_encode_data(np.zeros((1, 2), np.uint8), 0.0, 51)
    with pytest.raises(ValueError, match="thresh must be a non-negative number"):
        log_latency_encode_data(np.zeros((1, 2), np.uint8), 20.0, -1)
    with pytest.raises(TypeError, match="numeric data"):
        log_latency_encode_data(np.array([["a", "b"]]), 20.0, 51)


# ---------------------------------------------------------------------------------------------
# Yin-Yang
# ---------------------------------------------------------------------------------------------
@FAST
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 30.0), st.floats(0.0, 5.0), st.booleans())
def test_yin_yang_encoding_geometry(seed, scale, offset, bias):
    spikes, labels = generate_yin_yang_dataset(6, scale, offset, bias=bias, rng=seed)
    assert len(spikes) == len(labels) == 6
    num = 5 if bias else 4
    for s, label in zip(spikes, labels):
        assert label in (0, 1, 2)
        assert s.end_spikes.tolist() == list(range(1, num + 1))  # one spike per neuron
        times = s.spike_times.tolist()
        if bias:
            assert times[0] == offset
            times = times[1:]
        x, y = ((t - offset) / scale for t in times[:2])
        # Mirror channels encode 1 - x and 1 - y
        assert times[2] == pytest.approx(offset + scale * (1 - x), abs=1e-9)
        assert times[3] == pytest.approx(offset + scale * (1 - y), abs=1e-9)
        assert (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.25 + 1e-9  # inside the symbol


def decode_points(spikes, offset, scale):
    return [((s.spike_times[1] - offset) / scale, (s.spike_times[2] - offset) / scale)
            for s in spikes]


def test_yin_yang_labels_match_regions():
    spikes, labels = generate_yin_yang_dataset(300, 1.0, 0.0, rng=7)
    for (x, y), label in zip(decode_points(spikes, 0.0, 1.0), labels):
        d_left = math.dist((x, y), (0.25, 0.5))
        d_right = math.dist((x, y), (0.75, 0.5))
        if label == 2:
            assert min(d_left, d_right) < 0.1
        else:
            assert min(d_left, d_right) >= 0.1
            # Away from the dots and the S-curve, the upper half is yin and the lower yang
            if d_left > 0.25 + 1e-9 and d_right > 0.25 + 1e-9:
                assert label == (1 if y > 0.5 else 0)
            # The ring around the left dot is yin, around the right dot yang
            if d_left <= 0.25:
                assert label == 1
            if d_right <= 0.25 and y <= 0.5:
                assert label == 0
    # Classes are drawn with equal probability
    counts = Counter(labels)
    assert all(70 <= counts[c] <= 130 for c in (0, 1, 2)), counts


def test_yin_yang_is_deterministic():
    a = generate_yin_yang_dataset(20, 10.0, 1.0, rng=123)
    b = generate_yin_yang_dataset(20, 10.0, 1.0, rng=np.random.default_rng(123))
    c = generate_yin_yang_dataset(20, 10.0, 1.0, rng=124)
    assert a[1] == b[1]
    assert all(np.array_equal(x.spike_times, y.spike_times) for x, y in zip(a[0], b[0]))
    assert not all(np.array_equal(x.spike_times, y.spike_times) for x, y in zip(a[0], c[0]))
    # Without rng it follows NumPy's global seed, as in mlGeNN
    np.random.seed(5)
    d = generate_yin_yang_dataset(10, 10.0)
    np.random.seed(5)
    e = generate_yin_yang_dataset(10, 10.0)
    assert d[1] == e[1]
    assert all(np.array_equal(x.spike_times, y.spike_times) for x, y in zip(d[0], e[0]))


def test_yin_yang_radii():
    spikes, labels = generate_yin_yang_dataset(40, 1.0, bias=False, r_small=0.05, r_big=0.4,
                                               rng=3)
    for s, label in zip(spikes, labels):
        x, y = s.spike_times[0], s.spike_times[1]
        assert math.dist((x, y), (0.4, 0.4)) <= 0.4 + 1e-12
        if label == 2:
            assert min(math.dist((x, y), (0.2, 0.4)), math.dist((x, y), (0.6, 0.4))) < 0.05


@pytest.mark.parametrize("kwargs, error, words", [
    ({"size": -1}, ValueError, "size must be a non-negative int"),
    ({"r_small": 0.3}, ValueError, "r_small < r_big / 2"),
    ({"r_big": 0.0}, ValueError, "r_big must be a positive number"),
    ({"rng": "seed"}, TypeError, "rng must be None, an int seed or a numpy.random.Generator"),
    ({"scale": "1"}, TypeError, "scale and offset must be numbers"),
])
def test_yin_yang_errors(kwargs, error, words):
    args = {"size": 2, "scale": 1.0}
    args.update(kwargs)
    with pytest.raises(error) as info:
        generate_yin_yang_dataset(**args)
    assert words in str(info.value)


# ---------------------------------------------------------------------------------------------
# Dataset dicts
# ---------------------------------------------------------------------------------------------
datasets = st.integers(0, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(-100, 100), min_size=n, max_size=n),
    st.lists(st.integers(0, 9), min_size=n, max_size=n)))


def make_dataset(pair):
    inputs, labels = pair
    return {"input": np.array(inputs, dtype=np.int64).reshape(-1, 1), "output": list(labels)}


@FAST
@given(datasets, st.floats(0.0, 1.0))
def test_split_dataset_round_trip(pair, split):
    data = make_dataset(pair)
    size = len(pair[0])
    first, second = split_dataset(data, split)
    point = int(round((1.0 - split) * size))
    assert get_dataset_size(first) == point and get_dataset_size(second) == size - point
    assert np.concatenate((first["input"], second["input"])).tolist() == data["input"].tolist()
    assert first["output"] + second["output"] == data["output"]


@FAST
@given(datasets, st.integers(1, 5))
def test_batch_dataset_round_trip(pair, batch_size):
    data = make_dataset(pair)
    size = len(pair[0])
    batches = batch_dataset(data, batch_size, size)
    assert len(batches) == -(-size // batch_size)
    assert [get_dataset_size(b) for b in batches] == [
        min(batch_size, size - s) for s in range(0, size, batch_size)]
    assert sum((b["output"] for b in batches), []) == data["output"]
    joined = [row for b in batches for row in b["input"].tolist()]
    assert joined == data["input"].tolist()


@FAST
@given(datasets, st.randoms(use_true_random=False))
def test_permute_dataset_round_trip(pair, random):
    data = make_dataset(pair)
    size = len(pair[0])
    order = list(range(size))
    random.shuffle(order)
    permuted = permute_dataset(data, order)
    assert permuted["output"] == [data["output"][i] for i in order]
    assert isinstance(permuted["output"], list) and isinstance(permuted["input"], np.ndarray)
    assert permuted["input"].tolist() == [data["input"].tolist()[i] for i in order]
    inverse = [order.index(i) for i in range(size)]
    restored = permute_dataset(permuted, np.array(inverse, dtype=np.int64))
    assert restored["output"] == data["output"]
    assert np.array_equal(restored["input"], data["input"])


def test_get_dataset_size():
    assert get_dataset_size({"a": [1, 2, 3], "b": np.zeros((3, 4))}) == 3
    assert get_dataset_size({"a": [1, 2, 3], "b": [1, 2]}) is None
    assert get_dataset_size({}) is None


def test_dataset_helper_errors():
    bad = {"a": [1, 2, 3], "b": [1, 2]}
    with pytest.raises(ValueError, match=r"same number of examples, got sizes \{'a': 3, 'b': 2\}"):
        split_dataset(bad, 0.5)
    with pytest.raises(ValueError, match="split must be a fraction between 0 and 1, got 1.5"):
        split_dataset({"a": [1]}, 1.5)
    with pytest.raises(ValueError, match=r"permutation of range\(3\)"):
        permute_dataset({"a": [1, 2, 3]}, [0, 0, 1])
    with pytest.raises(ValueError, match=r"permutation of range\(3\)"):
        permute_dataset({"a": [1, 2, 3]}, [0, 1])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        batch_dataset({"a": [1]}, 0, 1)
    with pytest.raises(TypeError, match="dataset dict"):
        split_dataset([1, 2, 3], 0.5)
