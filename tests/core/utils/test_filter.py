"""Property tests for ml_genn.utils.filter, checked against plain-Python set arithmetic."""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_genn.utils.filter import (ExampleFilter, FilterIndexError, FilterShapeError,
                                  FilterTypeError, NeuronFilter, get_neuron_filter,
                                  get_neuron_filter_mask)

FAST = settings(max_examples=40, deadline=None)

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def flat_id(coords, shape):
    """Row-major flat index written out by hand (independent of np.ravel_multi_index)."""
    index = 0
    for c, n in zip(coords, shape):
        index = index * n + c
    return index


def mask_from_ids(ids, size):
    return [i in set(ids) for i in range(size)]


# ---------------------------------------------------------------------------------------------
# ExampleFilter
# ---------------------------------------------------------------------------------------------
@FAST
@given(st.integers(0, 5), st.integers(1, 8))
def test_example_filter_none_records_every_slot(batch, batch_size):
    f = ExampleFilter(None)
    assert f.records_all
    assert f.get_batch_mask(batch, batch_size).tolist() == [True] * batch_size
    assert f.get_batch_indices(batch, batch_size).tolist() == list(range(batch_size))
    assert f.any_in_batch(batch, batch_size)


@FAST
@given(st.lists(st.integers(0, 40), min_size=1, max_size=15, unique=True).map(sorted),
       st.integers(1, 7))
def test_example_filter_indices_select_exactly_those_examples(indices, batch_size):
    f = ExampleFilter(indices)
    chosen = set(indices)
    num_batches = (max(indices) // batch_size) + 2  # one batch beyond the last chosen example
    for b in range(num_batches):
        expected = [b * batch_size + i in chosen for i in range(batch_size)]
        assert f.get_batch_mask(b, batch_size).tolist() == expected
        assert f.get_batch_indices(b, batch_size).tolist() == [
            i for i in range(batch_size) if expected[i]]
        assert f.any_in_batch(b, batch_size) == any(expected)


@FAST
@given(st.lists(st.booleans(), min_size=1, max_size=30), st.integers(1, 7))
def test_example_filter_bool_mask_round_trips_through_batches(mask, batch_size):
    f = ExampleFilter(mask)
    num_batches = len(mask) // batch_size + 2
    joined = np.concatenate([f.get_batch_mask(b, batch_size) for b in range(num_batches)])
    # Concatenated batch masks give back the user's mask, then False beyond its end
    assert joined.tolist() == mask + [False] * (len(joined) - len(mask))
    # Same mask as a NumPy array gives the same result
    g = ExampleFilter(np.array(mask))
    for b in range(num_batches):
        assert np.array_equal(g.get_batch_mask(b, batch_size), f.get_batch_mask(b, batch_size))


@FAST
@given(st.integers(0, 30), st.integers(1, 6))
def test_example_filter_int_is_single_example(example, batch_size):
    f = ExampleFilter(example)
    g = ExampleFilter(np.int64(example))
    for b in range(example // batch_size + 2):
        expected = [b * batch_size + i == example for i in range(batch_size)]
        assert f.get_batch_mask(b, batch_size).tolist() == expected
        assert g.get_batch_mask(b, batch_size).tolist() == expected


@FAST
@given(st.integers(0, 20), st.integers(0, 20), st.integers(1, 4), st.integers(1, 6))
def test_example_filter_range(start, length, step, batch_size):
    r = range(start, start + length, step)
    f = ExampleFilter(r)
    chosen = set(r)
    for b in range((start + length) // batch_size + 2):
        assert f.get_batch_mask(b, batch_size).tolist() == [
            b * batch_size + i in chosen for i in range(batch_size)]


def test_example_filter_empty_records_nothing():
    for empty in ([], range(0), np.array([], dtype=int)):
        f = ExampleFilter(empty)
        assert not f.records_all
        assert not f.any_in_batch(0, 4)
        assert f.get_batch_indices(0, 4).tolist() == []


def test_example_filter_unsorted_warns_but_records_in_dataset_order():
    with pytest.warns(UserWarning, match="not sorted"):
        f = ExampleFilter([3, 0, 2])
    assert f.get_batch_indices(0, 4).tolist() == [0, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ExampleFilter([0, 2, 3])  # sorted: no warning


@pytest.mark.parametrize("bad, error, words", [
    (1.5, FilterTypeError, "got float 1.5"),
    ("abc", FilterTypeError, "got str 'abc'"),
    (True, FilterTypeError, "got bool True"),
    ([1.0, 2.0], FilterTypeError, "dtype float64"),
    (["hello", 2, 4], FilterTypeError, "dtype <U"),
    ([True, 3], FilterTypeError, "mixes booleans and integers"),
    ([[1, 2], [3]], FilterTypeError, "ragged"),
    (np.zeros((2, 2), dtype=bool), FilterShapeError, "shape (2, 2)"),
    ([-1, 2], FilterIndexError, "index -1"),
])
def test_example_filter_errors(bad, error, words):
    with pytest.raises(error) as info:
        ExampleFilter(bad)
    assert words in str(info.value)
    assert "Example filter" in str(info.value)


def test_example_filter_type_errors_are_runtime_errors_as_in_mlgenn():
    with pytest.raises(RuntimeError):
        ExampleFilter(["hello", 2, 4])


@pytest.mark.parametrize("batch, batch_size", [(-1, 4), (0, 0), (1.0, 4), (0, True)])
def test_example_filter_bad_batch(batch, batch_size):
    with pytest.raises(ValueError, match="ExampleFilter batch"):
        ExampleFilter([1]).get_batch_mask(batch, batch_size)


# ---------------------------------------------------------------------------------------------
# Neuron filters
# ---------------------------------------------------------------------------------------------
@FAST
@given(shapes)
def test_neuron_filter_none_selects_all(shape):
    size = int(np.prod(shape))
    nf = get_neuron_filter(None, shape)
    assert nf.records_all and nf.num_selected == size
    assert get_neuron_filter_mask(None, shape).tolist() == [True] * size


@FAST
@given(st.integers(1, 12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(-n, n - 1), max_size=10))))
def test_neuron_filter_1d_indices(args):
    n, ids = args
    expected = mask_from_ids([i % n for i in ids], n)
    assert get_neuron_filter_mask(ids, n).tolist() == expected
    assert get_neuron_filter_mask(tuple(ids), (n,)).tolist() == expected
    assert get_neuron_filter_mask(np.array(ids, dtype=np.int32), [n]).tolist() == expected
    nf = get_neuron_filter(ids, n)
    assert nf.indices.tolist() == sorted(set(i % n for i in ids))


@FAST
@given(st.integers(1, 12), st.integers(-14, 14) | st.none(), st.integers(-14, 14) | st.none(),
       st.sampled_from([None, 1, 2, 3, -1, -2]))
def test_neuron_filter_1d_slice(n, start, stop, step):
    s = slice(start, stop, step)
    expected = mask_from_ids(list(range(n))[s], n)
    assert get_neuron_filter_mask(s, n).tolist() == expected
    # np.index_exp form of the same slice
    assert get_neuron_filter_mask(np.index_exp[start:stop:step], n).tolist() == expected


@FAST
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(-n, n - 1))))
def test_neuron_filter_1d_int(args):
    n, i = args
    assert get_neuron_filter_mask(i, n).tolist() == mask_from_ids([i % n], n)
    assert get_neuron_filter_mask(np.int16(i), n).tolist() == mask_from_ids([i % n], n)


@FAST
@given(shapes.flatmap(lambda s: st.tuples(
    st.just(s), st.lists(st.booleans(), min_size=int(np.prod(s)), max_size=int(np.prod(s))))))
def test_neuron_filter_bool_mask_round_trip(args):
    shape, flat = args
    mask = np.array(flat).reshape(shape)
    nf = get_neuron_filter(mask, shape)
    assert nf.mask.tolist() == flat
    assert nf.indices.tolist() == [i for i, m in enumerate(flat) if m]
    # Rebuilding from the selected neurons' coordinates gives the same mask
    coords = np.unravel_index(nf.indices, shape)
    again = get_neuron_filter_mask(tuple(c.tolist() for c in coords), shape)
    assert again.tolist() == flat
    # Nested lists work as well as arrays
    assert get_neuron_filter_mask(mask.tolist(), shape).tolist() == flat


slice_parts = st.builds(slice, st.integers(-6, 6) | st.none(), st.integers(-6, 6) | st.none(),
                        st.sampled_from([None, 1, 2, -1]))


@FAST
@given(shapes.filter(lambda s: len(s) >= 2).flatmap(
    lambda s: st.tuples(st.just(s), st.tuples(*[slice_parts for _ in s]))))
def test_neuron_filter_per_dimension_slices(args):
    shape, slices = args
    per_dim = [list(range(n))[sl] for n, sl in zip(shape, slices)]
    expected_ids = [flat_id(c, shape) for c in itertools.product(*per_dim)]
    assert get_neuron_filter_mask(slices, shape).tolist() == mask_from_ids(
        expected_ids, int(np.prod(shape)))


@FAST
@given(shapes.filter(lambda s: len(s) >= 2).flatmap(
    lambda s: st.tuples(st.just(s), st.lists(
        st.tuples(*[st.integers(0, n - 1) for n in s]), min_size=1, max_size=6))))
def test_neuron_filter_per_dimension_index_arrays_mlgenn_style(args):
    # mlGeNN: [[rows...], [cols...]] selects neurons (rows[k], cols[k])
    shape, points = args
    per_dim = [list(axis) for axis in zip(*points)]
    expected = mask_from_ids([flat_id(p, shape) for p in points], int(np.prod(shape)))
    assert get_neuron_filter_mask(per_dim, shape).tolist() == expected
    assert get_neuron_filter_mask(np.array(per_dim), shape).tolist() == expected
    assert get_neuron_filter_mask(tuple(per_dim), shape).tolist() == expected


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.data())
def test_neuron_filter_index_exp_with_ints_and_ellipsis(a, b, c, data):
    shape = (a, b, c)
    i = data.draw(st.integers(0, a - 1))
    k = data.draw(st.integers(-c, c - 1))
    size = a * b * c
    # First dimension fixed, everything else selected
    expected = mask_from_ids([flat_id((i, y, z), shape) for y in range(b) for z in range(c)],
                             size)
    assert get_neuron_filter_mask(np.index_exp[i], shape).tolist() == expected
    assert get_neuron_filter_mask(np.index_exp[i, ...], shape).tolist() == expected
    assert get_neuron_filter_mask(i, shape).tolist() == expected
    # Last dimension fixed through an Ellipsis
    expected = mask_from_ids([flat_id((x, y, k % c), shape) for x in range(a) for y in range(b)],
                             size)
    assert get_neuron_filter_mask(np.index_exp[..., k], shape).tolist() == expected


@FAST
@given(shapes, st.integers(1, 3), st.data())
def test_neuron_filter_selection_helpers_agree(shape, lead, data):
    size = int(np.prod(shape))
    flat = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    nf = get_neuron_filter(np.array(flat).reshape(shape), shape)
    values = np.arange(lead * size).reshape((lead,) + shape)
    flat_values = values.reshape(lead, size)
    expected = [[row[j] for j in range(size) if flat[j]] for row in flat_values.tolist()]
    assert values[nf.nd_index].tolist() == expected
    assert nf.select(flat_values).tolist() == expected
    assert nf.num_selected == sum(flat)


def test_neuron_filter_mask_is_writable_copy_and_filter_is_read_only():
    nf = get_neuron_filter([1], 3)
    with pytest.raises(ValueError):
        nf.mask[0] = True
    mask = get_neuron_filter_mask([1], 3)
    mask[0] = True  # recorders may combine masks in place
    assert nf.mask.tolist() == [False, True, False]


def test_neuron_filter_empty_selects_nothing():
    for empty in ([], (), np.array([], dtype=int)):
        assert not get_neuron_filter_mask(empty, 4).any()


@FAST
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(n, n + 20) | st.integers(-n - 20, -n - 1))))
def test_neuron_filter_out_of_range_index_names_index_and_shape(args):
    n, bad = args
    for f in (bad, [0, bad], np.array([bad])):
        with pytest.raises(IndexError) as info:  # IndexError, as mlGeNN raises
            get_neuron_filter_mask(f, n)
        assert isinstance(info.value, FilterIndexError)
        assert str(info.value) == (f"neuron filter index {bad} out of range for population "
                                   f"shape ({n},)")


def test_neuron_filter_out_of_range_names_dimension():
    with pytest.raises(FilterIndexError, match=r"index 4 in dimension 1 out of range for "
                                               r"population shape \(2, 3\)"):
        get_neuron_filter_mask([[0, 0], [0, 4]], (2, 3))
    with pytest.raises(FilterIndexError, match="index 2 in dimension 0"):
        get_neuron_filter_mask(np.index_exp[2, 0:1], (2, 3))


def test_neuron_filter_too_many_dimensions():
    with pytest.raises(IndexError, match=r"indexes 3 dimensions but the population shape "
                                         r"\(2, 3\) has only 2"):
        get_neuron_filter_mask([[0, 0], [0, 2], [0, 0]], (2, 3))
    with pytest.raises(FilterIndexError, match="at most one Ellipsis"):
        get_neuron_filter_mask((Ellipsis, 0, Ellipsis), (2, 3))


@FAST
@given(shapes, shapes)
def test_neuron_filter_bool_mask_wrong_shape(shape, mask_shape):
    if mask_shape == shape:
        return
    with pytest.raises(FilterShapeError) as info:
        get_neuron_filter_mask(np.ones(mask_shape, dtype=bool), shape)
    assert f"population's shape {shape}" in str(info.value)
    assert f"got shape {mask_shape}" in str(info.value)
    assert isinstance(info.value, RuntimeError)  # as mlGeNN raises


def test_neuron_filter_per_dimension_bool_component():
    expected = mask_from_ids([flat_id((r, 1), (2, 3)) for r in (0, 1)], 6)
    assert get_neuron_filter_mask(([True, True], 1), (2, 3)).tolist() == expected
    with pytest.raises(FilterShapeError, match=r"dimension 1 must have shape \(3,\)"):
        get_neuron_filter_mask((0, [True, False]), (2, 3))


@pytest.mark.parametrize("bad, words", [
    (1.5, "got float 1.5"),
    ("abc", "got str 'abc'"),
    (True, "got bool True"),
    ({1, 2}, "got set"),
    ([0.5, 1.5], "dtype float64"),
    ([True, 2], "mixes booleans and integers"),
    ((slice(None), "a"), "dimension 1 must be indexed"),
    ((None, 0), "dimension 0 must be indexed"),
    ((0, [[0, 1], [2]]), "ragged"),
])
def test_neuron_filter_type_errors(bad, words):
    with pytest.raises(FilterTypeError) as info:
        get_neuron_filter_mask(bad, (2, 3))
    assert words in str(info.value)


def test_neuron_filter_non_broadcasting_index_arrays():
    with pytest.raises(FilterIndexError, match=r"cannot index population shape \(3, 3\)"):
        get_neuron_filter_mask(([0, 1], [0, 1, 2]), (3, 3))


@pytest.mark.parametrize("shape", [0, (), (2, 0), (2.5,), "ab", None])
def test_neuron_filter_bad_shape(shape):
    with pytest.raises(FilterTypeError, match="Population shape"):
        get_neuron_filter([0], shape)


def test_neuron_filter_select_wrong_size():
    nf = NeuronFilter(np.array([True, False, True]), (3,))
    with pytest.raises(FilterShapeError, match=r"last axis has 3 neurons.*got shape \(2, 4\)"):
        nf.select(np.zeros((2, 4)))
    with pytest.raises(FilterShapeError, match="has 2 entries but the population shape"):
        NeuronFilter(np.array([True, False]), (3,))
