"""Dataset helpers: spike-train encoding (``PreprocessedSpikes``) and dict-of-arrays datasets.

A spiking example is stored as :class:`PreprocessedSpikes`: ``spike_times`` holds every spike,
sorted by neuron and then by time, and ``end_spikes[i]`` is the number of spikes of neurons
``0..i`` (so neuron ``i``'s spikes are ``spike_times[start_i:end_spikes[i]]`` with ``start_i``
the previous entry, or 0). That layout lets an input population read its spikes with one index
per neuron. A batch of examples uses the same layout with ``end_spikes`` of shape
``(batch_size, num_neurons)`` counting through the whole batch (see :func:`batch_spikes`).

Datasets are dicts keyed by population (or any key): ``{input: images, output: labels}``; every
value is indexed by example.
"""
from __future__ import annotations

from collections import namedtuple
from numbers import Integral, Real
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from ..errors import InvalidTypeError, InvalidValueError

DataDictType = Mapping[Any, Union[Sequence, np.ndarray]]

PreprocessedSpikes = namedtuple("PreprocessedSpikes", ["end_spikes", "spike_times"])
PreprocessedSpikes.__doc__ = """One example's (or one batch's) spike train.

end_spikes : np.ndarray
    Cumulative spike count per neuron (``(num_neurons,)``, or ``(batch_size, num_neurons)``
    for a batch, counting on through the batch in row-major order).
spike_times : np.ndarray
    Spike times, sorted by neuron and then by time.
"""


class DatasetError(RuntimeError, ValueError):
    """A dataset or spike-data argument mlGeNN rejects with ``RuntimeError`` (an invalid
    split, a tonic sensor it cannot handle, spikes that cannot be batched). It is also a
    ``ValueError``, what the argument's problem is."""


def _is_int(value) -> bool:
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, (Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_))


#: Largest magnitude a spike time or an input value may have: beyond it the engine's single
#: precision turns the value into infinity (a spike at "infinity" never happens)
MAX_ENGINE_VALUE = float(np.finfo(np.float32).max)


def _check_positive(name: str, value, allow_zero: bool = False) -> None:
    if not _is_real(value) or not np.isfinite(value) or value < 0 or (
            value == 0 and not allow_zero):
        expected = "a non-negative" if allow_zero else "a positive"
        raise InvalidValueError(f"{name} must be {expected} number, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Dict-of-arrays datasets
# ---------------------------------------------------------------------------------------------
def get_dataset_size(data: DataDictType) -> Optional[int]:
    """Number of examples in a dataset dict.

    Parameters
    ----------
    data
        Dict mapping keys (usually populations) to per-example sequences or arrays.

    Returns
    -------
    int or None
        The common length of the values, or ``None`` when they differ (or the dict is empty).
    """
    sizes = {len(v) for v in data.values()}
    return sizes.pop() if len(sizes) == 1 else None


def _require_dataset_size(data: DataDictType, what: str) -> int:
    if not isinstance(data, Mapping):
        raise InvalidTypeError(f"{what} needs a dataset dict mapping keys to per-example data, got "
                               f"{type(data).__name__}")
    size = get_dataset_size(data)
    if size is None:
        sizes = {k: len(v) for k, v in data.items()}
        raise InvalidValueError(
            f"{what} needs every entry of the dataset to hold the same number of "
            f"examples, got sizes {sizes!r}" if sizes else
            f"{what} needs a non-empty dataset dict")
    return size


def split_dataset(data: DataDictType,
                  split: float) -> Tuple[Dict[Any, Any], Dict[Any, Any]]:
    """Split a dataset into two, keeping order (e.g. training and validation).

    Parameters
    ----------
    data
        Dataset dict.
    split
        Fraction (0 to 1) of examples that go into the *second* part; the split point is
        ``round((1 - split) * size)``.

    Returns
    -------
    tuple of dict
        ``(first, second)`` with the same keys as ``data``.
    """
    if not _is_real(split) or not 0.0 <= split <= 1.0:
        raise DatasetError(f"split_dataset split must be a fraction between 0 and 1, got "
                           f"{split!r}")
    size = _require_dataset_size(data, "split_dataset")
    split_point = int(round((1.0 - split) * size))
    return ({k: v[:split_point] for k, v in data.items()},
            {k: v[split_point:] for k, v in data.items()})


def batch_dataset(data: DataDictType, batch_size: int, size: int) -> List[Dict[Any, Any]]:
    """Cut a dataset into consecutive batches.

    Parameters
    ----------
    data
        Dataset dict.
    batch_size
        Examples per batch; the last batch holds the remainder.
    size
        Number of examples to batch (normally :func:`get_dataset_size`).

    Returns
    -------
    list of dict
        One dataset dict per batch, ``ceil(size / batch_size)`` of them.
    """
    if not _is_int(batch_size) or batch_size < 1:
        raise InvalidValueError(f"batch_dataset batch_size must be a positive int, got {batch_size!r}")
    if not _is_int(size) or size < 0:
        raise InvalidValueError(f"batch_dataset size must be a non-negative int, got {size!r}")
    return [{k: v[start:start + batch_size] for k, v in data.items()}
            for start in range(0, size, batch_size)]


def permute_dataset(data: DataDictType,
                    indices: Union[Sequence[int], np.ndarray]) -> Dict[Any, Any]:
    """Reorder every entry of a dataset by the same permutation.

    Parameters
    ----------
    data
        Dataset dict.
    indices
        A permutation of ``range(size)``; example ``i`` of the result is example
        ``indices[i]`` of ``data``.

    Returns
    -------
    dict
        NumPy values are fancy-indexed; other sequences become lists.
    """
    size = _require_dataset_size(data, "permute_dataset")
    indices = np.asarray(indices)
    if (indices.shape != (size,) or (size and not np.issubdtype(indices.dtype, np.integer))
            or not np.array_equal(np.sort(indices), np.arange(size))):
        raise InvalidValueError(
            f"permute_dataset indices must be a permutation of range({size}) (the "
            f"dataset size), got {indices.shape[0] if indices.ndim else 'scalar'} "
            f"values {indices.tolist()[:10]!r}{'...' if indices.size > 10 else ''}")
    indices = indices.astype(np.intp)
    return {k: v[indices] if isinstance(v, np.ndarray) else [v[i] for i in indices]
            for k, v in data.items()}


# ---------------------------------------------------------------------------------------------
# Spike trains
# ---------------------------------------------------------------------------------------------
def preprocess_spikes(times: Union[Sequence[float], np.ndarray],
                      ids: Union[Sequence[int], np.ndarray],
                      num_neurons: int) -> PreprocessedSpikes:
    """Build a :class:`PreprocessedSpikes` from parallel lists of spike times and neuron ids.

    Parameters
    ----------
    times
        Spike times (ms), one per spike.
    ids
        Neuron index (``0 <= id < num_neurons``) of each spike.
    num_neurons
        Number of neurons of the input population.

    Returns
    -------
    PreprocessedSpikes
        ``end_spikes`` (``int64``, ``(num_neurons,)``) and ``spike_times`` (``float64``) sorted
        by neuron, then time.
    """
    if not _is_int(num_neurons) or num_neurons < 1:
        raise InvalidValueError(f"preprocess_spikes num_neurons must be a positive int, got "
                                f"{num_neurons!r}")
    times = np.asarray(times, dtype=np.float64).reshape(-1) if np.ndim(times) <= 1 else None
    ids_array = np.asarray(ids)
    if times is None or ids_array.ndim > 1:
        raise InvalidValueError("preprocess_spikes needs one-dimensional times and ids, got shapes "
                                f"{np.shape(times)} and {ids_array.shape}")
    ids_array = ids_array.reshape(-1)
    if ids_array.shape != times.shape:
        raise InvalidValueError(f"preprocess_spikes needs one id per spike time, got {times.size} "
                                f"times and {ids_array.size} ids")
    if ids_array.size == 0:
        ids_array = ids_array.astype(np.int64)
    elif not np.issubdtype(ids_array.dtype, np.integer):
        raise InvalidTypeError(f"preprocess_spikes ids must be integers, got dtype {ids_array.dtype}")
    if not np.all(np.isfinite(times)):
        raise InvalidValueError("preprocess_spikes times must be finite, got NaN or infinity")
    if ids_array.size and (ids_array.min() < 0 or ids_array.max() >= num_neurons):
        bad = ids_array[(ids_array < 0) | (ids_array >= num_neurons)][0]
        raise InvalidValueError(f"preprocess_spikes id {int(bad)} out of range for {num_neurons} "
                                f"neurons (ids must be 0 to {num_neurons - 1})")

    counts = np.bincount(ids_array, minlength=num_neurons)
    # lexsort sorts by the last key first: neuron id, then time (stable for equal pairs)
    order = np.lexsort((times, ids_array))
    return PreprocessedSpikes(np.cumsum(counts).astype(np.int64), times[order])


def _as_real_array(values: Any, owner: str, field: str) -> np.ndarray:
    """``values`` as a NumPy array of real numbers (ints or floats), or a clear error."""
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise InvalidValueError(f"{owner} {field} must be a rectangular array of numbers "
                                f"({exc})") from None
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        received = (type(values).__name__ if array.ndim == 0 and array.dtype == object
                    else f"dtype {array.dtype}")
        raise InvalidTypeError(f"{owner} {field} must be an array of real numbers (ints or "
                               f"floats), got {received}"
                               + (" (complex values have no meaning here)"
                                  if np.issubdtype(array.dtype, np.complexfloating) else ""))
    return array


def check_preprocessed_spikes(spikes: Any, num_neurons: int,
                              owner: str = "PreprocessedSpikes") -> PreprocessedSpikes:
    """Check that one example's spike train is consistent and return it with NumPy arrays.

    The engine reads neuron ``i``'s spikes at ``spike_times[end_spikes[i - 1]:end_spikes[i]]``
    without bounds checks, so a hand-built :class:`PreprocessedSpikes` whose counts do not
    match its spike times would make it read outside the array; this refuses such data
    first.

    Parameters
    ----------
    spikes
        The example's :class:`PreprocessedSpikes`.
    num_neurons
        Neurons of the population it feeds.
    owner
        How errors name the example, e.g. ``"x['input'] example 3"``.

    Returns
    -------
    PreprocessedSpikes
        ``end_spikes`` as a flat ``int64`` array of ``num_neurons`` entries and
        ``spike_times`` as a flat ``float64`` array (no copy when they already are).

    Raises
    ------
    InvalidTypeError
        When ``spikes`` is not a PreprocessedSpikes or holds non-numeric, boolean or
        complex arrays.
    InvalidValueError
        When ``end_spikes`` has the wrong length, is not a cumulative count (non-negative,
        non-decreasing, whole numbers, ending at ``len(spike_times)``), or a spike time is
        NaN, infinite, beyond the engine's float range or out of order within its neuron.
    """
    if not isinstance(spikes, PreprocessedSpikes):
        raise InvalidTypeError(f"{owner} must be a PreprocessedSpikes (see "
                               f"ml_genn.utils.data.preprocess_spikes), got "
                               f"{type(spikes).__name__}")
    end = _as_real_array(spikes.end_spikes, owner, "end_spikes").reshape(-1)
    times = _as_real_array(spikes.spike_times, owner, "spike_times").reshape(-1)
    if end.size != num_neurons:
        raise InvalidValueError(f"{owner} has end_spikes for {end.size} neurons, the population "
                                f"has {num_neurons}")
    if not np.issubdtype(end.dtype, np.integer):
        fractional = ~np.isfinite(end) | (end != np.round(end))
        if fractional.any():
            raise InvalidValueError(f"{owner} end_spikes must be whole spike counts, got "
                                    f"values such as {float(end[fractional][0])!r}")
        if end.size and np.abs(end).max() > np.iinfo(np.int64).max:
            raise InvalidValueError(f"{owner} end_spikes holds counts too large for any array, "
                                    f"e.g. {float(np.abs(end).max())!r}")
    elif end.dtype == np.uint64 and end.size and end.max() > np.iinfo(np.int64).max:
        raise InvalidValueError(f"{owner} end_spikes holds counts too large for any array, "
                                f"e.g. {int(end.max())}")
    end = end.astype(np.int64, copy=False)
    num_spikes = times.size
    if end.size:
        # Cumulative counts: each entry at least the one before, the first at least 0
        previous = np.concatenate(([0], end[:-1]))
        drops = np.flatnonzero(end < previous)
        if drops.size:
            i = int(drops[0])
            before = "0 (the start)" if i == 0 else f"end_spikes[{i - 1}] = {previous[i]}"
            raise InvalidValueError(
                f"{owner} end_spikes must be cumulative spike counts (non-decreasing from 0), "
                f"got end_spikes[{i}] = {end[i]} after {before}; build spike trains with "
                f"preprocess_spikes")
        if end[-1] != num_spikes:
            raise InvalidValueError(
                f"{owner} end_spikes must end at the number of spike times ({num_spikes}), got "
                f"end_spikes[-1] = {end[-1]}; every spike time must belong to exactly one "
                f"neuron")
    if not np.issubdtype(times.dtype, np.floating):
        times = times.astype(np.float64)
    if num_spikes:
        bad = ~np.isfinite(times) | (np.abs(times) > MAX_ENGINE_VALUE)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(
                f"{owner} spike time {float(times[k])!r} (index {k}) is not a finite time the "
                f"engine can represent (at most {MAX_ENGINE_VALUE:.3g} ms in magnitude)")
        # Times must rise within each neuron; they may fall where the next neuron's start
        falls = np.flatnonzero(times[1:] < times[:-1]) + 1
        if falls.size:
            falls = falls[~np.isin(falls, end)]
        if falls.size:
            k = int(falls[0])
            neuron = int(np.searchsorted(end, k, side="right"))
            raise InvalidValueError(
                f"{owner} spike times of neuron {neuron} are not sorted: {float(times[k - 1])!r} "
                f"comes before {float(times[k])!r}; each neuron's spike times must be ascending "
                f"(as preprocess_spikes makes them)")
    return PreprocessedSpikes(end, times.astype(np.float64, copy=False))


def _timestep_bins(times: np.ndarray, dt: float) -> np.ndarray:
    """Index of the timestep ``[k * dt, (k + 1) * dt)`` each time falls in.

    ``floor(t / dt)`` can be one off through rounding; fix it against the edges ``k * dt``
    that the returned spike times use, so a spike never lands outside its own bin.
    """
    bins = np.floor(times / dt).astype(np.int64)
    bins -= (bins * dt) > times
    bins += ((bins + 1) * dt) <= times
    return bins


def preprocess_tonic_spikes(events: np.ndarray, ordering: Sequence[str],
                            shape: Tuple[int, ...], time_scale: float = 1.0 / 1000.0,
                            dt: Optional[float] = 1.0,
                            histogram_thresh: Optional[int] = None) -> PreprocessedSpikes:
    """Convert a Tonic-style structured event array into :class:`PreprocessedSpikes`.

    Parameters
    ----------
    events
        Structured array with fields ``t`` and ``p`` and ``x`` (1-D sensors) or ``x`` and ``y``
        (2-D sensors). Tonic itself is not needed.
    ordering
        Names of the fields, e.g. ``"xytp"`` (Tonic's ``dataset.ordering``); must contain
        ``"t"`` and ``"p"``.
    shape
        Sensor size ``(width, height, polarities)`` (Tonic's ``dataset.sensor_size``); missing
        trailing entries count as 1. Neuron ids are ``(y * width + x) * polarities + p``, or
        ``y * width + x`` when there is a single polarity (``p`` is then ignored).
    time_scale
        Factor applied to event times, by default microseconds to milliseconds.
    dt
        Timestep (ms) used to bin events when ``histogram_thresh`` is given.
    histogram_thresh
        When given, events are counted per neuron and per timestep ``[k * dt, (k + 1) * dt)``
        and a single spike at ``k * dt`` is emitted where the count reaches this threshold.

    Returns
    -------
    PreprocessedSpikes
    """
    names = events.dtype.names if isinstance(events, np.ndarray) else None
    if names is None:
        raise InvalidTypeError(
            f"preprocess_tonic_spikes events must be a structured NumPy array with "
            f"fields such as x, y, t and p, got {type(events).__name__}")
    ordering = tuple(ordering)
    if "t" not in ordering or "p" not in ordering:
        raise DatasetError(f"preprocess_tonic_spikes supports only events with time (t) and "
                         f"polarity (p) in their ordering, got {''.join(ordering)!r}")
    if "x" not in ordering:
        raise DatasetError(f"preprocess_tonic_spikes supports only 1-D (x) and 2-D (x, y) "
                         f"sensors, got ordering {''.join(ordering)!r}")
    spatial = ("x", "y") if "y" in ordering else ("x",)
    missing = [f for f in ("t", "p") + spatial if f not in names]
    if missing:
        raise InvalidValueError(
            f"preprocess_tonic_spikes events lack the field(s) {missing} named in "
            f"ordering {''.join(ordering)!r}; fields present: {list(names)}")

    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        raise InvalidTypeError(f"preprocess_tonic_spikes shape must be a sensor size such as "
                               f"(width, height, polarities), got {shape!r}") from None
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise InvalidValueError(f"preprocess_tonic_spikes shape must be 1 to 3 positive ints "
                                f"(width, height, polarities), got {shape!r}")
    width, height, polarities = dims + (1,) * (3 - len(dims))
    num_neurons = width * height * polarities
    _check_positive("preprocess_tonic_spikes time_scale", time_scale)

    # Check coordinates before flattening so a bad event cannot alias another neuron
    limits = {"x": width, "y": height} if len(spatial) == 2 else {"x": width}
    if polarities > 1:
        limits["p"] = polarities
    coords = {}
    for field, limit in limits.items():
        values = np.asarray(events[field])
        if values.size and not np.issubdtype(values.dtype, np.integer):
            if not np.all(np.mod(values, 1) == 0):
                raise InvalidValueError(f"preprocess_tonic_spikes field '{field}' must hold whole "
                                        f"numbers, got dtype {values.dtype}")
        values = values.astype(np.int64)
        if values.size and (values.min() < 0 or values.max() >= limit):
            bad = values[(values < 0) | (values >= limit)][0]
            raise InvalidValueError(
                f"preprocess_tonic_spikes event {field}={int(bad)} is outside the "
                f"sensor shape {shape!r} ({field} must be 0 to {limit - 1})")
        coords[field] = values

    ids = coords["x"]
    if "y" in coords:
        ids = coords["y"] * width + ids
    if polarities > 1:
        ids = ids * polarities + coords["p"]

    times = np.asarray(events["t"], dtype=np.float64) * time_scale
    if histogram_thresh is None:
        return preprocess_spikes(times, ids, num_neurons)

    if not _is_int(histogram_thresh) or histogram_thresh < 1:
        raise InvalidValueError(f"preprocess_tonic_spikes histogram_thresh must be a positive int "
                                f"(events per timestep), got {histogram_thresh!r}")
    if dt is None:
        raise InvalidValueError(
            "preprocess_tonic_spikes needs dt (the timestep to bin events into) "
            "when histogram_thresh is given")
    _check_positive("preprocess_tonic_spikes dt", dt)
    if times.size and times.min() < 0:
        raise InvalidValueError(f"preprocess_tonic_spikes events must not have negative times when "
                                f"binning with histogram_thresh, got t={times.min() / time_scale}")
    bins = _timestep_bins(times, dt)
    # Count events per (neuron, timestep) pair; each pair that reaches the threshold spikes once
    pairs, counts = np.unique(np.stack((ids, bins)), axis=1, return_counts=True)
    keep = counts >= histogram_thresh
    return preprocess_spikes(pairs[1, keep] * dt, pairs[0, keep], num_neurons)


def _per_example_values(data: np.ndarray, what: str) -> np.ndarray:
    data = np.asarray(data)
    if data.ndim < 2:
        raise InvalidValueError(
            f"{what} needs data with one row per example (at least 2 dimensions: "
            f"examples, features...), got shape {data.shape}")
    if not (np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)):
        raise InvalidTypeError(f"{what} needs numeric data, got dtype {data.dtype}")
    return data


def linear_latency_encode_data(data: np.ndarray, max_time: float, min_time: float = 0.0,
                               thresh: int = 1) -> List[PreprocessedSpikes]:
    """Encode 8-bit data with one spike per value above ``thresh``, brighter is earlier.

    A value ``v`` spikes at ``min_time + (255 - v) / 255 * (max_time - min_time)``.

    Parameters
    ----------
    data
        Array ``(num_examples, ...)`` of values 0 to 255 (e.g. ``uint8`` images); each example
        is flattened in C order.
    max_time
        Spike time for a value of 0.
    min_time
        Spike time for a value of 255.
    thresh
        Only values strictly greater than this spike.

    Returns
    -------
    list of PreprocessedSpikes
        One per example.
    """
    data = _per_example_values(data, "linear_latency_encode_data")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise InvalidValueError(
            f"linear_latency_encode_data needs 8-bit values (0 to 255), got values "
            f"from {data.min()} to {data.max()}")
    if not (_is_real(max_time) and _is_real(min_time)) or max_time < min_time:
        raise InvalidValueError(f"linear_latency_encode_data needs max_time >= min_time, got "
                                f"max_time={max_time!r}, min_time={min_time!r}")
    time_range = float(max_time) - float(min_time)
    spikes = []
    for example in data.reshape(len(data), -1):
        spiking = example > thresh
        values = example[spiking].astype(np.float64)
        spikes.append(PreprocessedSpikes(np.cumsum(spiking).astype(np.int64),
                                         ((255.0 - values) / 255.0) * time_range + min_time))
    return spikes


def log_latency_encode_data(data: np.ndarray, tau_eff: float,
                            thresh: float) -> List[PreprocessedSpikes]:
    """Encode data with one spike per value ``x > thresh`` at ``tau_eff * log(x / (x - thresh))``.

    Parameters
    ----------
    data
        Array ``(num_examples, ...)`` of non-negative values; each example is flattened in C
        order.
    tau_eff
        Time scale (ms).
    thresh
        Values must exceed this (non-negative) threshold to spike; values just above it spike
        late, large values early.

    Returns
    -------
    list of PreprocessedSpikes
        One per example.
    """
    data = _per_example_values(data, "log_latency_encode_data")
    _check_positive("log_latency_encode_data tau_eff", tau_eff)
    _check_positive("log_latency_encode_data thresh", thresh, allow_zero=True)
    spikes = []
    for example in data.reshape(len(data), -1):
        spiking = example > thresh
        values = example[spiking].astype(np.float64)
        spikes.append(PreprocessedSpikes(np.cumsum(spiking).astype(np.int64),
                                         tau_eff * np.log(values / (values - thresh))))
    return spikes


def _yin_yang_class(x: float, y: float, r_small: float, r_big: float) -> int:
    """0 (yang), 1 (yin) or 2 (dots) for a point inside the big circle."""
    d_right = np.hypot(x - 1.5 * r_big, y - r_big)
    d_left = np.hypot(x - 0.5 * r_big, y - r_big)
    if d_right < r_small or d_left < r_small:
        return 2
    is_yin = (d_right <= r_small
              or r_small < d_left <= 0.5 * r_big
              or (y > r_big and d_right > 0.5 * r_big))
    return int(is_yin)


def generate_yin_yang_dataset(size: int, scale: float, offset: float = 0.0,
                              bias: bool = True, r_small: float = 0.1, r_big: float = 0.5,
                              rng: Union[None, int, np.random.Generator] = None
                              ) -> Tuple[List[PreprocessedSpikes], List[int]]:
    """Generate the Yin-Yang dataset (Kriener et al. 2021) as spike latencies.

    Each example is a point ``(x, y)`` in a circle of radius ``r_big`` centred on
    ``(r_big, r_big)``, labelled yang (0), yin (1) or dot (2), with the three classes equally
    likely. It is encoded as one spike per input neuron at ``offset + scale * v`` for
    ``v`` in ``(x, y, 1 - x, 1 - y)``, preceded (if ``bias``) by a bias neuron spiking at
    ``offset``.

    Parameters
    ----------
    size
        Number of examples.
    scale
        Factor applied to the coordinates to get spike times (ms).
    offset
        Time (ms) of the earliest possible spike.
    bias
        Add a fifth input neuron (index 0) spiking at ``offset``.
    r_small
        Radius of the dots; must be below ``r_big / 2`` so every class exists.
    r_big
        Radius of the whole symbol.
    rng
        A ``numpy.random.Generator`` or an int seed for reproducible datasets; ``None`` draws
        from NumPy's global random state (so ``np.random.seed`` also makes it reproducible).

    Returns
    -------
    tuple
        ``(spikes, labels)``: a list of :class:`PreprocessedSpikes` and a list of int labels.
    """
    if not _is_int(size) or size < 0:
        raise InvalidValueError(f"generate_yin_yang_dataset size must be a non-negative int, got "
                                f"{size!r}")
    _check_positive("generate_yin_yang_dataset r_big", r_big)
    _check_positive("generate_yin_yang_dataset r_small", r_small)
    if r_small >= 0.5 * r_big:
        raise InvalidValueError(
            f"generate_yin_yang_dataset needs r_small < r_big / 2 or the yin and "
            f"yang regions vanish, got r_small={r_small!r}, r_big={r_big!r}")
    if not (_is_real(scale) and _is_real(offset)):
        raise InvalidTypeError(f"generate_yin_yang_dataset scale and offset must be numbers, got "
                               f"{scale!r} and {offset!r}")

    if rng is None:
        # NumPy's legacy global state, as mlGeNN draws from it
        draw_class = lambda: int(np.random.randint(3))  # noqa: E731
        draw_point = lambda: np.random.random_sample(2)  # noqa: E731
    else:
        if not isinstance(rng, np.random.Generator):
            if not _is_int(rng):
                raise InvalidTypeError(
                    f"generate_yin_yang_dataset rng must be None, an int seed or a "
                    f"numpy.random.Generator, got {type(rng).__name__}")
            rng = np.random.default_rng(int(rng))
        draw_class = lambda: int(rng.integers(3))  # noqa: E731
        draw_point = lambda: rng.random(2)  # noqa: E731

    num_channels = 5 if bias else 4
    ids = np.arange(num_channels)
    spikes, labels = [], []
    for _ in range(size):
        # Pick the class first, then rejection-sample a point of it, so classes are balanced
        goal = draw_class()
        while True:
            x, y = draw_point() * 2.0 * r_big
            if (np.hypot(x - r_big, y - r_big) <= r_big
                    and _yin_yang_class(x, y, r_small, r_big) == goal):
                break
        values = [x, y, 1.0 - x, 1.0 - y]
        if bias:
            values.insert(0, 0.0)
        spikes.append(preprocess_spikes(offset + np.asarray(values) * scale, ids, num_channels))
        labels.append(goal)
    return spikes, labels


# ---------------------------------------------------------------------------------------------
# Batching and statistics of spike trains
# ---------------------------------------------------------------------------------------------
def batch_spikes(spikes: Sequence[PreprocessedSpikes], batch_size: int) -> PreprocessedSpikes:
    """Merge up to ``batch_size`` examples' spikes into one batch.

    Parameters
    ----------
    spikes
        Examples, all for the same number of neurons.
    batch_size
        Batch size of the compiled network; missing examples (a short last batch) are padded
        with neurons that have no spikes.

    Returns
    -------
    PreprocessedSpikes
        ``end_spikes`` of shape ``(batch_size, num_neurons)`` counting on through the batch,
        and all spike times concatenated in example order.
    """
    if not _is_int(batch_size) or batch_size < 1:
        raise InvalidValueError(f"batch_spikes batch_size must be a positive int, got {batch_size!r}")
    spikes = list(spikes)
    if not spikes:
        raise InvalidValueError("batch_spikes needs at least one PreprocessedSpikes example")
    if len(spikes) > batch_size:
        raise DatasetError(f"Cannot batch {len(spikes)} PreprocessedSpikes when batch size is "
                         f"only {batch_size}")
    end_spikes = [np.asarray(s.end_spikes).reshape(-1) for s in spikes]
    num_neurons = len(end_spikes[0])
    for i, e in enumerate(end_spikes):
        if len(e) != num_neurons:
            raise DatasetError(f"Cannot batch PreprocessedSpikes with different numbers of "
                             f"neurons: example 0 has {num_neurons}, example {i} has {len(e)}")
    counts = [len(s.spike_times) for s in spikes]
    offsets = np.concatenate(([0], np.cumsum(counts)))
    batch_end = np.full((batch_size, num_neurons), offsets[-1], dtype=np.int64)
    for i, e in enumerate(end_spikes):
        batch_end[i] = e + offsets[i]
    times = np.concatenate([np.asarray(s.spike_times, dtype=np.float64).reshape(-1)
                            for s in spikes])
    return PreprocessedSpikes(batch_end, times)


def calc_start_spikes(end_spikes: np.ndarray) -> np.ndarray:
    """Index of each neuron's first spike, from ``end_spikes`` of one example or a batch.

    Parameters
    ----------
    end_spikes
        ``(num_neurons,)`` or ``(batch_size, num_neurons)`` cumulative counts.

    Returns
    -------
    np.ndarray
        Same shape and dtype: the previous entry in row-major order, 0 for the first.
    """
    end_spikes = np.asarray(end_spikes)
    flat = end_spikes.reshape(-1)
    start = np.empty_like(flat)
    if flat.size:
        start[0] = 0
        start[1:] = flat[:-1]
    return start.reshape(end_spikes.shape)


def _as_examples(spikes) -> List[PreprocessedSpikes]:
    # A lone PreprocessedSpikes is a tuple too; treat it as one example, not two
    if isinstance(spikes, PreprocessedSpikes):
        return [spikes]
    spikes = list(spikes)
    if not spikes:
        raise InvalidValueError("needs at least one PreprocessedSpikes example, got none")
    return spikes


def calc_max_spikes(spikes: Sequence[PreprocessedSpikes]) -> int:
    """Largest number of spikes in any one example.

    Parameters
    ----------
    spikes
        Examples (a single :class:`PreprocessedSpikes` counts as one).
    """
    return int(max(len(s.spike_times) for s in _as_examples(spikes)))


def calc_latest_spike_time(spikes: Sequence[PreprocessedSpikes]) -> float:
    """Time of the latest spike in any example.

    Parameters
    ----------
    spikes
        Examples (a single :class:`PreprocessedSpikes` counts as one); examples without
        spikes are skipped.
    """
    latest = [np.max(s.spike_times) for s in _as_examples(spikes) if len(s.spike_times)]
    if not latest:
        raise InvalidValueError("calc_latest_spike_time: none of the examples has any spikes")
    return float(max(latest))
