"""RecordingDecoder: turns a population's bit-packed spike recording into times and ids.

A recorder reads the ring once per batch. Everything that does not change between batches
(the buffer, the neuron mask packed like a row, the native functions) is prepared once here,
so that a batch costs two native calls: one counting the spikes per slot, so that the caller
can allocate exactly the memory they need, and one writing them.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np

from ...engine.errors import RuntimeStateError

Allocator = Callable[[int], Tuple[np.ndarray, np.ndarray]]
COUNT_FAILED = 2 ** 64 - 1


class RecordingDecoder:
    """Decoder of one population's spikes (or spike-like events) with a fixed neuron mask.

    Parameters
    ----------
    runtime
        The loaded model.
    group_description
        The population, as error messages name it.
    buffer
        Its packed recording ring, ``(buffer_steps, batch, words)`` of ``uint32``.
    row_counts
        Set bits per ring row, ``(buffer_steps, batch)``.
    num_neurons
        Neurons of the population.
    neuron_mask
        Boolean mask over the population's neurons to keep, or ``None`` for all.
    """

    def __init__(self, runtime, group_description: str, buffer: np.ndarray,
                 row_counts: np.ndarray, num_neurons: int,
                 neuron_mask: Optional[np.ndarray] = None):
        self._runtime = runtime
        self._describe = group_description
        self._buffer = buffer
        self._buffer_steps, self._batch_size, words = buffer.shape
        if neuron_mask is None:
            self._mask_words = np.full(words, 0xFFFFFFFF, dtype=np.uint32)
            # The engine's per-row counts replace counting bits when every neuron is kept
            self._row_counts = row_counts
        else:
            mask = np.asarray(neuron_mask, dtype=bool).reshape(-1)
            if mask.size != num_neurons:
                raise ValueError(f"{group_description}: neuron_mask must have one entry per neuron "
                                 f"({num_neurons}), got {mask.size}")
            bits = np.zeros(words * 32, dtype=bool)
            bits[:num_neurons] = mask
            self._mask_words = np.packbits(bits, bitorder="little").view("<u4").astype(np.uint32)
            self._row_counts = None
        self._fixed_args = (buffer.ctypes.data, self._buffer_steps, self._batch_size, words)
        self._mask_args = (self._mask_words.ctypes.data,
                           None if self._row_counts is None else self._row_counts.ctypes.data)
        self._checked_slots: Optional[np.ndarray] = None

    def _check_slots(self, slots: np.ndarray) -> np.ndarray:
        # Recorders pass the same array batch after batch: check it once
        if slots is self._checked_slots:
            return slots
        checked = np.ascontiguousarray(slots, dtype=np.int64)
        if checked.size and (checked.min() < 0 or checked.max() >= self._batch_size):
            raise RuntimeStateError(f"{self._describe}: batch slots must lie in "
                                    f"[0, {self._batch_size}), got {slots}")
        if checked is slots:
            self._checked_slots = slots
        return checked

    def __call__(self, first_step: int, end_step: int, slots: np.ndarray,
                 allocate: Optional[Allocator] = None
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode timesteps ``[first_step, end_step)`` of the batch slots ``slots``.

        Parameters
        ----------
        first_step, end_step
            Engine timesteps to read; at most ``num_recording_timesteps`` of them, all still
            in the ring.
        slots
            Batch slots to read, in the order wanted.
        allocate
            ``allocate(n)`` returns the ``(times, ids)`` arrays to decode into: C-contiguous,
            writeable, ``float64`` and ``int64``, ``n`` entries each. Called once, with the
            exact count; ``None`` allocates new arrays.

        Returns
        -------
        offsets, times, ids
            Slot ``k``'s spikes are entries ``offsets[k]:offsets[k + 1]`` (``int64``) of
            ``times`` (``timestep * dt``, ``float64``) and ``ids`` (``int64``), ordered by
            time, then neuron id.
        """
        rt = self._runtime
        timestep = rt.timestep
        first_step, end_step = int(first_step), int(end_step)
        if end_step - first_step > self._buffer_steps or first_step < 0 \
                or first_step < timestep - self._buffer_steps or end_step > timestep:
            raise RuntimeStateError(f"{self._describe}: timesteps [{first_step}, {end_step}) are "
                                    f"not all in the recording ring (timestep {timestep}, "
                                    f"{self._buffer_steps} recorded timesteps)")
        slots = self._check_slots(slots)
        offsets = np.empty(slots.size + 1, dtype=np.int64)
        args = (*self._fixed_args, first_step, end_step, slots.ctypes.data, slots.size,
                *self._mask_args)
        count = int(rt._lib.ml_genn_count_recording(*args, offsets.ctypes.data))
        if count == COUNT_FAILED:
            raise MemoryError(f"{self._describe}: out of memory decoding the spike recording")
        if allocate is None:
            times, ids = np.empty(count, dtype=np.float64), np.empty(count, dtype=np.int64)
        else:
            times, ids = allocate(count)
            self._check_allocated(count, times, ids)
        if count and rt._lib.ml_genn_fill_recording(*args, float(rt.dt), offsets.ctypes.data,
                                                    times.ctypes.data, ids.ctypes.data) != 0:
            raise MemoryError(f"{self._describe}: out of memory decoding the spike recording")
        return offsets, times, ids

    def _check_allocated(self, count: int, times: np.ndarray, ids: np.ndarray) -> None:
        for name, array, dtype in (("times", times, np.float64), ("ids", ids, np.int64)):
            if not isinstance(array, np.ndarray) or array.dtype != dtype \
                    or array.shape != (count,) or not array.flags.c_contiguous \
                    or not array.flags.writeable:
                got = f"{array.dtype.name} array of shape {array.shape}" \
                    if isinstance(array, np.ndarray) else type(array).__name__
                raise ValueError(f"{self._describe}: the allocate({count}) passed to the spike "
                                 f"decoder must return writeable C-contiguous "
                                 f"{np.dtype(dtype).name} arrays of shape ({count},); its "
                                 f"{name} is a {got}")
