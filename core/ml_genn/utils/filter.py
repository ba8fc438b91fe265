"""Example and neuron filters: which examples and which neurons a recorder keeps.

Both kinds of filter are given by users to recorders (``SpikeRecorder(pop, example_filter=...,
neuron_filter=...)``). They are parsed and checked here, once, when the recorder is created, so a
typo is reported before any simulation starts.

*Example filters* pick examples by their index in the dataset: ``None`` (all), an int, a sequence
or ``range`` of ints, or a 1-D boolean mask over the dataset.

*Neuron filters* pick neurons of a population the way the same object would index a NumPy array
of the population's shape: ``None`` (all), an int, a sequence of ints, a slice, a boolean mask of
the population's shape, or, for multi-dimensional populations, a per-dimension tuple such as
``np.index_exp[2:5, 0]``. Neurons are numbered in the population's flattened (C) order, which is
how the engine stores them, so the result is a boolean mask over flattened neurons.
"""
from __future__ import annotations

import warnings
from numbers import Integral
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from ..errors import InvalidValueError

ExampleFilterType = Union[Sequence, np.ndarray, np.integer, int, range, None]
NeuronFilterType = Union[Sequence, slice, np.ndarray, np.integer, int, tuple, None]
ShapeType = Union[int, Sequence[int]]


class FilterTypeError(TypeError, RuntimeError):
    """A filter was given as an object of a kind filters cannot be built from.

    Also a ``RuntimeError`` because mlGeNN raises ``RuntimeError`` for these.
    """


class FilterShapeError(ValueError, RuntimeError):
    """A boolean filter mask does not have the shape it must have.

    Also a ``RuntimeError`` because mlGeNN raises ``RuntimeError`` for these.
    """


class FilterIndexError(IndexError):
    """A filter names an example or neuron that cannot exist."""


class EmptyFilterError(InvalidValueError):
    """A recorder was given a filter that selects nothing (``[]``, an all-False mask, an empty
    slice), so it could never record anything: almost always a mistake in building the
    filter. Also a ``RuntimeError`` and a ``ValueError``."""


class FilterSelectsNothingWarning(UserWarning):
    """A recorder's example filter selects none of the examples of the run about to start
    (its indices lie beyond the dataset), so the run records nothing for it."""


def _is_int(value) -> bool:
    # bool is a subclass of int, but True/False as an index is almost always a mistake
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _describe(value) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _as_array(f, what: str) -> Optional[np.ndarray]:
    """Convert a list/tuple/range/array to an array, refusing mixes of bools and ints.

    NumPy silently turns ``[True, 2]`` into ``[1, 2]``; a filter like that is a mistake.
    Returns None for ragged sequences (e.g. ``[[0, 1], [2]]``), which only make sense as
    per-dimension indices.
    """
    if isinstance(f, np.ndarray):
        return f
    try:
        array = np.asarray(f)
    except ValueError:
        return None
    if np.issubdtype(array.dtype, np.integer) and array.size > 0:
        flat = np.asarray(f, dtype=object).ravel()
        if any(_is_bool(v) for v in flat):
            raise FilterTypeError(f"{what} mixes booleans and integers ({_describe(f)}); pass "
                                  f"either a boolean mask or a list of indices")
    return array


class ExampleFilter:
    """Which examples of a dataset a recorder records.

    Parameters
    ----------
    f
        ``None`` to record every example; an int to record one example; a sequence, array or
        ``range`` of (non-negative) ints to record those examples; or a 1-D boolean mask over the
        dataset, where examples beyond the end of the mask are not recorded.

    Raises
    ------
    FilterTypeError
        When ``f`` is none of the above (e.g. floats, strings, a bare ``True``).
    FilterShapeError
        When a boolean mask or an index array is not one-dimensional.
    FilterIndexError
        When an index is negative (examples are counted from the start of the dataset).

    Notes
    -----
    Examples are always recorded in dataset order; integer filters that are not sorted get a
    warning because the recordings will not come back in the order the filter lists them.
    """

    def __init__(self, f: ExampleFilterType):
        # ``_mask`` is None when every example is recorded; otherwise a boolean mask over the
        # first ``len(_mask)`` examples of the dataset (all later examples are not recorded)
        self._mask: Optional[np.ndarray]
        if f is None:
            self._mask = None
        elif _is_bool(f):
            raise FilterTypeError(f"Example filter must be None, an int, a sequence of ints or a "
                                  f"boolean mask, got {_describe(f)}")
        elif _is_int(f):
            self._mask = self._mask_from_indices(np.asarray([f]))
        elif isinstance(f, (np.ndarray, Sequence, range)) and not isinstance(f, (str, bytes)):
            array = _as_array(f, "Example filter")
            if array is None:
                raise FilterTypeError(f"Example filter must be a flat sequence of ints or "
                                      f"bools, got ragged {_describe(f)}")
            if array.size == 0:
                self._mask = np.zeros(0, dtype=bool)
            elif array.ndim != 1:
                raise FilterShapeError(f"Example filter must be one-dimensional (one entry per "
                                       f"example), got an array of shape {array.shape}")
            elif array.dtype == bool:
                self._mask = array.copy()
            elif np.issubdtype(array.dtype, np.integer):
                if np.any(array[:-1] > array[1:]):
                    warnings.warn("Example filter indices are not sorted; examples are "
                                  "recorded in dataset order, not in the order listed",
                                  stacklevel=2)
                self._mask = self._mask_from_indices(array)
            else:
                raise FilterTypeError(f"Example filter must contain ints or bools, got "
                                      f"elements of dtype {array.dtype} ({_describe(f)})")
        else:
            raise FilterTypeError(f"Example filter must be None, an int, a sequence of ints or a "
                                  f"boolean mask, got {_describe(f)}")

    @staticmethod
    def _mask_from_indices(indices: np.ndarray) -> np.ndarray:
        if np.any(indices < 0):
            raise FilterIndexError(f"Example filter index {int(indices.min())} out of range: "
                                   f"example indices count from 0 and must not be negative")
        mask = np.zeros(int(indices.max()) + 1, dtype=bool)
        mask[indices] = True
        return mask

    @property
    def records_all(self) -> bool:
        """True when no filter was given, so every example of every batch is recorded."""
        return self._mask is None

    @property
    def selects_nothing(self) -> bool:
        """True when the filter selects no example at all (``[]``, an all-False mask)."""
        return self._mask is not None and not self._mask.any()

    def get_batch_mask(self, batch: int, batch_size: int) -> np.ndarray:
        """Boolean mask over the ``batch_size`` slots of batch ``batch``.

        Parameters
        ----------
        batch
            Index of the batch (0-based); batch ``b`` holds examples ``b * batch_size`` to
            ``(b + 1) * batch_size - 1``.
        batch_size
            Number of examples per batch.

        Returns
        -------
        np.ndarray
            ``bool`` array of length ``batch_size``; ``True`` where that slot is recorded.
        """
        batch, batch_size = self._check_batch(batch, batch_size)
        if self._mask is None:
            return np.ones(batch_size, dtype=bool)
        start = batch * batch_size
        window = self._mask[start:start + batch_size]
        # Examples past the end of the mask are never recorded
        return np.concatenate((window, np.zeros(batch_size - len(window), dtype=bool)))

    def get_batch_indices(self, batch: int, batch_size: int) -> np.ndarray:
        """Indices (within the batch, ascending) of the slots of batch ``batch`` to record.

        Parameters
        ----------
        batch
            Index of the batch (0-based).
        batch_size
            Number of examples per batch.

        Returns
        -------
        np.ndarray
            ``int64`` array, possibly empty.
        """
        return np.flatnonzero(self.get_batch_mask(batch, batch_size)).astype(np.int64)

    def any_in_batch(self, batch: int, batch_size: int) -> bool:
        """Whether anything is recorded in batch ``batch`` (lets recorders skip pulls).

        Parameters
        ----------
        batch
            Index of the batch (0-based).
        batch_size
            Number of examples per batch.
        """
        return bool(np.any(self.get_batch_mask(batch, batch_size)))

    @staticmethod
    def _check_batch(batch, batch_size) -> Tuple[int, int]:
        if not _is_int(batch) or batch < 0:
            raise InvalidValueError(f"ExampleFilter batch must be a non-negative int, got "
                                    f"{_describe(batch)}")
        if not _is_int(batch_size) or batch_size < 1:
            raise InvalidValueError(f"ExampleFilter batch_size must be a positive int, got "
                                    f"{_describe(batch_size)}")
        return int(batch), int(batch_size)

    def __repr__(self) -> str:
        if self._mask is None:
            return "ExampleFilter(None)"
        return f"ExampleFilter({np.flatnonzero(self._mask).tolist()!r})"


def _normalise_shape(shape: ShapeType) -> Tuple[int, ...]:
    if _is_int(shape):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise FilterTypeError(f"Population shape must be an int or a sequence of ints, got "
                              f"{_describe(shape)}") from None
    if len(dims) == 0 or not all(_is_int(d) and d >= 1 for d in dims):
        raise FilterTypeError(f"Population shape must be one or more positive ints, got "
                              f"{_describe(shape)}")
    return tuple(int(d) for d in dims)


def _check_indices(indices: np.ndarray, size: int, dim: int, shape: Tuple[int, ...]) -> None:
    """Raise if any index falls outside ``[-size, size)`` (NumPy's valid range)."""
    if indices.size == 0:
        return
    bad = indices[(indices >= size) | (indices < -size)]
    if bad.size:
        where = "" if len(shape) == 1 else f" in dimension {dim}"
        raise FilterIndexError(f"neuron filter index {int(bad.flat[0])}{where} out of range "
                               f"for population shape {shape}")


def _per_dimension_index(components: Sequence, shape: Tuple[int, ...], f) -> tuple:
    """Check a per-dimension index (``np.index_exp`` style) and return it as a tuple."""
    components = list(components)
    num_ellipsis = sum(c is Ellipsis for c in components)
    if num_ellipsis > 1:
        raise FilterIndexError(f"neuron filter {_describe(f)} may contain at most one "
                               f"Ellipsis (...)")
    num_explicit = len(components) - num_ellipsis
    if num_explicit > len(shape):
        raise FilterIndexError(f"neuron filter {_describe(f)} indexes {num_explicit} "
                               f"dimensions but the population shape {shape} has only "
                               f"{len(shape)}")
    # Expand the Ellipsis so each remaining component lines up with one dimension
    if num_ellipsis:
        e = next(i for i, c in enumerate(components) if c is Ellipsis)
        components[e:e + 1] = [slice(None)] * (len(shape) - num_explicit)

    index = []
    for dim, component in enumerate(components):
        if isinstance(component, slice) or _is_int(component):
            if _is_int(component):
                _check_indices(np.asarray([component]), shape[dim], dim, shape)
            index.append(component)
            continue
        if component is None or _is_bool(component) or isinstance(component, (str, bytes)):
            raise FilterTypeError(f"neuron filter {_describe(f)}: dimension {dim} must be "
                                  f"indexed by an int, a slice or a sequence of ints, got "
                                  f"{_describe(component)}")
        array = _as_array(component, f"neuron filter dimension {dim}")
        if array is None:
            raise FilterTypeError(f"neuron filter {_describe(f)}: indices for dimension {dim} "
                                  f"must be a rectangular sequence of ints, got ragged "
                                  f"{_describe(component)}")
        if array.size == 0:
            array = array.astype(np.intp)
        if array.dtype == bool:
            if array.shape != (shape[dim],):
                raise FilterShapeError(f"neuron filter {_describe(f)}: boolean mask for "
                                       f"dimension {dim} must have shape ({shape[dim]},), got "
                                       f"{array.shape}")
        elif np.issubdtype(array.dtype, np.integer):
            _check_indices(array, shape[dim], dim, shape)
        else:
            raise FilterTypeError(f"neuron filter {_describe(f)}: dimension {dim} must be "
                                  f"indexed by ints, got elements of dtype {array.dtype}")
        index.append(array)
    return tuple(index)


def _index_for(f: NeuronFilterType, shape: Tuple[int, ...]):
    """Turn a user's neuron filter into something that indexes a ``shape`` array."""
    if _is_bool(f):
        raise FilterTypeError(f"Neuron filter must be None, an int, a slice, a sequence of ints, "
                              f"a boolean mask or a per-dimension tuple, got {_describe(f)}")
    if _is_int(f):
        _check_indices(np.asarray([f]), shape[0], 0, shape)
        return f
    if isinstance(f, slice):
        return f
    if isinstance(f, (str, bytes)) or not isinstance(f, (np.ndarray, Sequence, range)):
        raise FilterTypeError(f"Neuron filter must be None, an int, a slice, a sequence of ints, "
                              f"a boolean mask or a per-dimension tuple, got {_describe(f)}")

    # Sequences holding slices, Ellipsis or nested ragged lists are per-dimension indices
    array = _as_array(f, "Neuron filter")
    if array is None:
        return _per_dimension_index(f, shape, f)
    if array.size == 0:
        return np.zeros(0, dtype=np.intp)
    if array.dtype == bool:
        if array.shape != shape:
            raise FilterShapeError(f"Neuron filter given as a boolean mask must have the "
                                   f"population's shape {shape}, got shape {array.shape}")
        return array
    if np.issubdtype(array.dtype, np.integer):
        # As mlGeNN: for 1-D populations the ints are neuron indices; for multi-dimensional
        # ones the first axis of the sequence runs over dimensions (one index array each)
        if len(shape) == 1:
            _check_indices(array, shape[0], 0, shape)
            return array
        return _per_dimension_index(list(array) if array.ndim else [array], shape, f)
    if array.dtype == object and not isinstance(f, np.ndarray):
        return _per_dimension_index(f, shape, f)
    raise FilterTypeError(f"Neuron filter must contain ints or bools, got elements of dtype "
                          f"{array.dtype} ({_describe(f)})")


def get_neuron_filter_mask(f: NeuronFilterType, shape: ShapeType) -> np.ndarray:
    """Boolean mask over the flattened neurons of a population that ``f`` selects.

    Parameters
    ----------
    f
        ``None`` (every neuron); an int, a sequence of ints, a slice or a boolean mask of the
        population's shape; or, for multi-dimensional populations, a per-dimension tuple (ints,
        slices, int sequences, one ``...``) such as ``np.index_exp[2:5, 0]``. A sequence of ints
        for a multi-dimensional population gives one index (or index array) per dimension, as in
        mlGeNN: ``[[0, 0], [0, 2]]`` on shape ``(2, 3)`` selects neurons ``(0, 0)`` and ``(0, 2)``.
    shape
        The population's shape (an int for 1-D populations).

    Returns
    -------
    np.ndarray
        ``bool`` array of ``prod(shape)`` entries, in the population's flattened (C) order.

    Raises
    ------
    FilterIndexError
        For an index outside the population (e.g. "neuron filter index 12 out of range for
        population shape (10,)") or more per-dimension indices than the population has.
    FilterShapeError
        For a boolean mask whose shape is not the population's.
    FilterTypeError
        For anything else that is not a filter.
    """
    # A writable copy: the NeuronFilter's own mask is read-only
    return get_neuron_filter(f, shape).mask.copy()


class NeuronFilter:
    """A parsed neuron filter: what recorders need to select neurons.

    Parameters
    ----------
    mask
        ``bool`` array over the population's flattened neurons.
    shape
        The population's shape.

    Attributes
    ----------
    shape : tuple of int
    mask : np.ndarray
        ``bool`` mask over the ``prod(shape)`` flattened neurons (read-only).
    """

    def __init__(self, mask: np.ndarray, shape: Tuple[int, ...]):
        self.shape = tuple(shape)
        self.mask = np.asarray(mask, dtype=bool).reshape(-1)
        if self.mask.size != int(np.prod(self.shape)):
            raise FilterShapeError(f"NeuronFilter mask has {self.mask.size} entries but the "
                                   f"population shape {self.shape} has "
                                   f"{int(np.prod(self.shape))} neurons")
        self.mask.flags.writeable = False
        self._records_all = bool(self.mask.all())   # the mask is read-only: answer once

    @property
    def records_all(self) -> bool:
        """True when every neuron is selected (recorders can skip masking)."""
        return self._records_all

    @property
    def num_selected(self) -> int:
        """Number of selected neurons."""
        return int(np.count_nonzero(self.mask))

    @property
    def indices(self) -> np.ndarray:
        """Ascending flat (engine) ids of the selected neurons, ``int64``."""
        return np.flatnonzero(self.mask).astype(np.int64)

    @property
    def nd_index(self) -> tuple:
        """Index for an array of shape ``(..., *shape)``.

        ``values[filter.nd_index]`` has shape ``(..., num_selected)``, neurons in flat order.
        """
        return (Ellipsis,) + tuple(np.nonzero(self.mask.reshape(self.shape)))

    def select(self, values: np.ndarray) -> np.ndarray:
        """Select the filtered neurons from ``values`` of shape ``(..., prod(shape))``.

        Parameters
        ----------
        values
            Array whose last axis runs over the population's flattened neurons.

        Returns
        -------
        np.ndarray
            Array of shape ``(..., num_selected)``.
        """
        values = np.asarray(values)
        if values.ndim == 0 or values.shape[-1] != self.mask.size:
            raise FilterShapeError(f"NeuronFilter.select needs an array whose last axis has "
                                   f"{self.mask.size} neurons (population shape {self.shape}), "
                                   f"got shape {values.shape}")
        return values[..., self.mask]

    def __repr__(self) -> str:
        return f"NeuronFilter(shape={self.shape}, num_selected={self.num_selected})"


def get_neuron_filter(f: NeuronFilterType, shape: ShapeType) -> NeuronFilter:
    """Parse and check a neuron filter for a population of ``shape``.

    Parameters
    ----------
    f
        Anything :func:`get_neuron_filter_mask` accepts.
    shape
        The population's shape (an int for 1-D populations).

    Returns
    -------
    NeuronFilter
        Holds the flattened boolean ``mask``, the ``indices`` of selected neurons, an
        ``nd_index`` for ``(..., *shape)`` arrays and a ``select`` helper.

    Raises
    ------
    FilterIndexError, FilterShapeError, FilterTypeError
        As :func:`get_neuron_filter_mask`.
    """
    dims = _normalise_shape(shape)
    if f is None:
        return NeuronFilter(np.ones(dims, dtype=bool), dims)
    index = _index_for(f, dims)
    mask = np.zeros(dims, dtype=bool)
    try:
        mask[index] = True
    except IndexError as exc:
        # Remaining NumPy complaints are about per-dimension arrays that do not broadcast
        raise FilterIndexError(f"neuron filter {_describe(f)} cannot index population shape "
                               f"{dims}: {exc}") from None
    return NeuronFilter(mask, dims)
