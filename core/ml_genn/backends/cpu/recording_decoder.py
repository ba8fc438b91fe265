"""RecordingDecoder: turns a population's bit-packed spike recording into times and ids.

A recorder reads the ring once per batch. Everything that does not change between batches
(the buffer, the neuron mask packed like a row, the native functions) is prepared once here.
A batch then costs one native call: :meth:`RecordingDecoder.decode_into` counts the spikes and
writes them into free memory the caller owns (``decode_all_into`` does so for several
populations in one call), or, where the caller allocates once it knows the count,
:meth:`RecordingDecoder.__call__` counts and then fills. Calls take a single pointer to a
request whose fields are set in place: converting a dozen arguments per call cost more than
the call.
"""
from __future__ import annotations

import ctypes
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from ...engine.errors import RuntimeStateError

Allocator = Callable[[int], Tuple[np.ndarray, np.ndarray]]


class DecodeRequest(ctypes.Structure):
    """``MlGennDecodeRequest`` of the generated code (c_support.py), field for field."""
    _fields_ = [("buf", ctypes.c_void_p), ("buffer_steps", ctypes.c_uint64),
                ("batch_size", ctypes.c_uint64), ("words", ctypes.c_uint64),
                ("first_step", ctypes.c_uint64), ("end_step", ctypes.c_uint64),
                ("slots", ctypes.c_void_p), ("num_slots", ctypes.c_uint64),
                ("mask", ctypes.c_void_p), ("row_counts", ctypes.c_void_p),
                ("dt", ctypes.c_double), ("offsets", ctypes.c_void_p),
                ("out_time", ctypes.c_void_p), ("out_id", ctypes.c_void_p),
                ("out", ctypes.c_void_p), ("out_bytes", ctypes.c_uint64),
                ("written", ctypes.c_uint64)]

#: Where decode_into puts ids after times: the first multiple of this many bytes past them
OUTPUT_ALIGNMENT = 64


def decoded_bytes(count: int) -> int:
    """Bytes :meth:`RecordingDecoder.decode_into` needs for ``count`` spikes."""
    return -(-8 * count // OUTPUT_ALIGNMENT) * OUTPUT_ALIGNMENT + 8 * count


def _address(array: np.ndarray) -> int:
    """Address of a writeable, non-empty array's data (a third of ``array.ctypes.data``'s cost)."""
    return ctypes.addressof(ctypes.c_char.from_buffer(array))


class RecordingDecoder:
    """Decoder of one population's spikes (or spike-like events) with a fixed neuron mask.

    Parameters
    ----------
    runtime
        The loaded model.
    group_description
        The population, as error messages name it.
    buffer
        Its packed recording ring as the engine keeps it, ``(batch, buffer_steps, words)`` of
        ``uint32``.
    row_counts
        Set bits per ring row, ``(batch, buffer_steps)``.
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
        self._batch_size, self._buffer_steps, words = buffer.shape
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
        self._request = DecodeRequest(
            buf=buffer.ctypes.data, buffer_steps=self._buffer_steps, batch_size=self._batch_size,
            words=words, mask=self._mask_words.ctypes.data,
            row_counts=None if self._row_counts is None else self._row_counts.ctypes.data,
            dt=float(runtime.dt))
        self._request_ref = ctypes.byref(self._request)
        self._request_address = ctypes.addressof(self._request)
        self._count = runtime._lib.ml_genn_count_recording
        self._fill = runtime._lib.ml_genn_fill_recording
        self._checked_slots: Optional[np.ndarray] = None
        # The counting pass writes the slots' boundaries here; callers get a copy
        self._offsets = np.empty(self._batch_size + 1, dtype=np.int64)
        self._request.offsets = self._offsets.ctypes.data

    def _set_slots(self, slots: np.ndarray) -> np.ndarray:
        # Recorders pass the same read-only array batch after batch: check it once (a
        # writeable one could have changed since)
        if slots is self._checked_slots:
            return slots
        checked = np.ascontiguousarray(slots, dtype=np.int64)
        if checked.size and (checked.min() < 0 or checked.max() >= self._batch_size):
            raise RuntimeStateError(f"{self._describe}: batch slots must lie in "
                                    f"[0, {self._batch_size}), got {slots}")
        self._checked_slots = checked if checked is slots and not slots.flags.writeable else None
        self._slots_kept = checked   # the request points into it
        self._request.slots = checked.ctypes.data
        self._request.num_slots = checked.size
        if checked.size + 1 > self._offsets.size:   # slots may repeat
            self._offsets = np.empty(checked.size + 1, dtype=np.int64)
            self._request.offsets = self._offsets.ctypes.data
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
        first_step, end_step = int(first_step), int(end_step)
        self._check_window(first_step, end_step)
        slots = self._set_slots(slots)
        request = self._request
        request.first_step = first_step
        request.end_step = end_step
        count = self._count(self._request_ref)
        offsets = self._offsets[:slots.size + 1].copy()
        if allocate is None:
            times, ids = np.empty(count, dtype=np.float64), np.empty(count, dtype=np.int64)
        else:
            times, ids = allocate(count)
            self._check_allocated(count, times, ids)
        if count:
            request.out_time = _address(times)
            request.out_id = _address(ids)
            self._fill(self._request_ref)
        return offsets, times, ids

    #: decode_into's layout: ids start at the first multiple of this many bytes after times
    output_alignment = OUTPUT_ALIGNMENT

    @staticmethod
    def decoded_bytes(count: int) -> int:
        """Bytes :meth:`decode_into` needs for ``count`` spikes."""
        return decoded_bytes(count)

    def decode_into(self, first_step: int, end_step: int, slots: np.ndarray, address: int,
                    nbytes: int) -> Tuple[np.ndarray, int, bool]:
        """Decode like :meth:`__call__`, into free memory the caller owns, in one native call.

        Parameters
        ----------
        first_step, end_step, slots
            As for :meth:`__call__`.
        address
            Start of the free memory, a multiple of :data:`OUTPUT_ALIGNMENT`.
        nbytes
            Its length in bytes.

        Returns
        -------
        offsets, count, written
            Slot boundaries and the number of spikes. When ``written``, the times
            (``float64``) start at ``address`` and the ids (``int64``) at the first multiple of
            :data:`OUTPUT_ALIGNMENT` after them, :func:`decoded_bytes` ``(count)`` bytes in
            all; otherwise nothing was written, and a second call with that much memory will
            succeed.
        """
        return self.decode_all_into([(self, first_step, end_step, slots, address, nbytes)])[0]

    def _prepare_into(self, first_step: int, end_step: int, slots: np.ndarray, address: int,
                      nbytes: int) -> None:
        if address % OUTPUT_ALIGNMENT:
            raise ValueError(f"{self._describe}: decode_into needs memory aligned to "
                             f"{OUTPUT_ALIGNMENT} bytes, got address {address:#x}")
        self._check_window(first_step, end_step)
        self._set_slots(slots)
        request = self._request
        request.first_step = int(first_step)
        request.end_step = int(end_step)
        request.out = address
        request.out_bytes = int(nbytes)

    @staticmethod
    def decode_all_into(jobs: Sequence[Tuple["RecordingDecoder", int, int, np.ndarray, int, int]]
                        ) -> List[Tuple[np.ndarray, int, bool]]:
        """:meth:`decode_into` for several decoders of one model in one native call, which
        fills all of them in one parallel region.

        Parameters
        ----------
        jobs
            ``(decoder, first_step, end_step, slots, address, nbytes)`` each, as for
            :meth:`decode_into`; distinct decoders of the same loaded model.

        Returns
        -------
        list
            ``(offsets, count, written)`` per job, as :meth:`decode_into` returns.
        """
        if not jobs:
            return []
        runtime = jobs[0][0]._runtime
        if len({id(job[0]) for job in jobs}) != len(jobs):
            raise ValueError("decode_all_into: each decoder may appear once (a decoder holds one "
                             "request)")
        if any(job[0]._runtime is not runtime for job in jobs):
            raise ValueError("decode_all_into: the decoders must belong to one loaded model")
        requests = (ctypes.c_void_p * len(jobs))()
        for k, (decoder, first_step, end_step, slots, address, nbytes) in enumerate(jobs):
            decoder._prepare_into(first_step, end_step, slots, address, nbytes)
            requests[k] = decoder._request_address
        runtime._lib.ml_genn_decode_recordings(requests, len(jobs))
        return [(decoder._offsets[:decoder._request.num_slots + 1].copy(),
                 int(decoder._offsets[decoder._request.num_slots]),
                 bool(decoder._request.written)) for decoder, *_ in jobs]

    def _check_window(self, first_step: int, end_step: int) -> None:
        timestep = self._runtime.timestep
        if end_step - first_step > self._buffer_steps or first_step < 0 \
                or first_step < timestep - self._buffer_steps or end_step > timestep:
            raise RuntimeStateError(f"{self._describe}: timesteps [{first_step}, {end_step}) are "
                                    f"not all in the recording ring (timestep {timestep}, "
                                    f"{self._buffer_steps} recorded timesteps)")

    def _check_allocated(self, count: int, times: np.ndarray, ids: np.ndarray) -> None:
        for name, array, dtype in (("times", times, np.float64), ("ids", ids, np.int64)):
            if type(array) is not np.ndarray or array.dtype != dtype \
                    or array.shape != (count,) or not array.flags.c_contiguous \
                    or not array.flags.writeable:
                got = f"{array.dtype.name} array of shape {array.shape}" \
                    if isinstance(array, np.ndarray) else type(array).__name__
                raise ValueError(f"{self._describe}: the allocate({count}) passed to the spike "
                                 f"decoder must return writeable C-contiguous "
                                 f"{np.dtype(dtype).name} arrays of shape ({count},); its "
                                 f"{name} is a {got}")
