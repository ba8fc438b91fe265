"""RecordingDecoder: turns a population's bit-packed spike recording into times and ids.

A recorder reads the ring once per batch. Everything that does not change between batches
(the buffer, the neuron mask packed like a row, the native functions) is prepared once here.
:meth:`RecordingDecoder.__call__` decodes a window of timesteps into arrays it allocates (or
the caller does, once it knows the count). For a whole run, :class:`RecordingStreams` appends
every batch of several decoders to memory the caller gave them, in one native call per batch
and without a Python object per batch. Calls take a single pointer to a request whose fields
are set in place: converting a dozen arguments per call cost more than the call.

A window that starts at ring row 0 (a batch, where time restarts with each batch) is copied from
the population's spike log, ids widened and times filled in per row, with no bit scanned; other
windows, and a ring cycle busier than the log holds, are decoded from the bits.
"""
from __future__ import annotations

import ctypes
from typing import Callable, Optional, Sequence, Tuple

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
                ("stream_times", ctypes.c_void_p), ("stream_ids", ctypes.c_void_p),
                ("stream_capacity", ctypes.c_uint64), ("stream_used", ctypes.c_uint64),
                ("stream_ends", ctypes.c_void_p), ("ends_capacity", ctypes.c_uint64),
                ("stream_examples", ctypes.c_uint64), ("needed", ctypes.c_uint64),
                ("written", ctypes.c_uint64), ("log", ctypes.c_void_p),
                ("log_capacity", ctypes.c_uint64), ("log_row_counts", ctypes.c_void_p)]


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
    log
        The population's spike log, ``(batch, capacity)`` of ``uint32``, or ``None``:
        windows that start at ring row 0 are copied from it where it holds them.
    """

    def __init__(self, runtime, group_description: str, buffer: np.ndarray,
                 row_counts: np.ndarray, num_neurons: int,
                 neuron_mask: Optional[np.ndarray] = None, log: Optional[np.ndarray] = None):
        self._runtime = runtime
        self._describe = group_description
        self._buffer = buffer
        self._row_counts_source = row_counts
        # (kind, neuron mask) under which the population that made it takes it back for reuse
        self._pool_key: Optional[Tuple[str, Optional[bytes]]] = None
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
            buf=_address(buffer), buffer_steps=self._buffer_steps, batch_size=self._batch_size,
            words=words, mask=_address(self._mask_words),
            row_counts=None if self._row_counts is None else _address(self._row_counts),
            dt=float(runtime.dt))
        if log is not None and log.size:
            self._log = log   # the request points into it
            self._log_row_counts = row_counts
            self._request.log = _address(log)
            self._request.log_capacity = log.shape[1]
            self._request.log_row_counts = _address(row_counts)
        self._request_ref = ctypes.byref(self._request)
        self._request_address = ctypes.addressof(self._request)
        self._count = runtime._lib.ml_genn_count_recording
        self._fill = runtime._lib.ml_genn_fill_recording
        self._checked_slots: Optional[np.ndarray] = None
        self._slots_kept = np.zeros(0, dtype=np.int64)
        # The counting pass writes the slots' boundaries here; callers get a copy
        self._offsets = np.empty(self._batch_size + 1, dtype=np.int64)
        self._request.offsets = _address(self._offsets)

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
            self._request.offsets = _address(self._offsets)
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

    def reads(self, buffer: np.ndarray, row_counts: np.ndarray,
              log: Optional[np.ndarray]) -> bool:
        """Whether this decoder reads exactly these arrays (the model's current ones).

        Parameters
        ----------
        buffer, row_counts, log
            The population's recording buffer, row counts and spike log (or ``None``).
        """
        own_log = getattr(self, "_log", None)
        return (self._buffer is buffer and self._row_counts_source is row_counts
                and (own_log is log or (own_log is None and (log is None or not log.size))))

    def stop_streaming(self) -> None:
        """Forget the stream memory and ends given to :meth:`stream_to` and
        :meth:`stream_ends_to`, so that the decoder keeps none of a finished recording alive."""
        self.stream_to(np.empty(0), np.empty(0, dtype=np.int64))
        self.stream_ends_to(np.empty(0, dtype=np.int64), 0)

    def set_slots(self, slots: np.ndarray) -> None:
        """The batch slots :class:`RecordingStreams` decodes next, in output order.

        Parameters
        ----------
        slots
            Batch slots; a read-only array passed again is not checked again.
        """
        self._set_slots(slots)

    def stream_to(self, times: np.ndarray, ids: np.ndarray) -> None:
        """Where :class:`RecordingStreams` appends this decoder's next batches: from the
        first entry of ``times`` and ``ids`` on, as long as they hold whole batches.

        Parameters
        ----------
        times, ids
            Writeable C-contiguous ``float64`` and ``int64`` arrays of one length.
        """
        capacity = len(times) if isinstance(times, np.ndarray) else -1
        self._check_allocated(capacity, times, ids, "stream_to")
        self._stream_arrays = (times, ids)   # the request points into them
        request = self._request
        request.stream_times = _address(times) if capacity else None
        request.stream_ids = _address(ids) if capacity else None
        request.stream_capacity = capacity
        request.stream_used = 0

    def stream_ends_to(self, ends: np.ndarray, examples: int = 0) -> None:
        """Where :class:`RecordingStreams` writes, per decoded slot, the end of its spikes
        in the stream (``stream_to``'s arrays at the time), from entry ``examples`` on.

        Parameters
        ----------
        ends
            Writeable C-contiguous ``int64`` array.
        examples
            Entries of ``ends`` already used.
        """
        if type(ends) is not np.ndarray or ends.dtype != np.int64 or ends.ndim != 1 \
                or not ends.flags.c_contiguous or not ends.flags.writeable:
            got = f"{ends.dtype.name} array of shape {ends.shape}" \
                if isinstance(ends, np.ndarray) else type(ends).__name__
            raise ValueError(f"{self._describe}: stream_ends_to needs a writeable C-contiguous "
                             f"1-D int64 array, got a {got}")
        if not 0 <= examples <= ends.size:
            raise ValueError(f"{self._describe}: stream_ends_to got {examples} entries used of "
                             f"an array of {ends.size}")
        self._stream_ends = ends
        request = self._request
        request.stream_ends = _address(ends) if ends.size else None
        request.ends_capacity = ends.size
        request.stream_examples = int(examples)

    @property
    def num_slots(self) -> int:
        """Batch slots decoded per batch (the last :meth:`set_slots`)."""
        return self._request.num_slots

    @property
    def slots(self) -> np.ndarray:
        """The batch slots decoded per batch (the last :meth:`set_slots` or call)."""
        return self._slots_kept[:self._request.num_slots]

    @staticmethod
    def streams(decoders: Sequence["RecordingDecoder"]) -> "RecordingStreams":
        """A :class:`RecordingStreams` of ``decoders`` (distinct decoders of one model)."""
        return RecordingStreams(decoders)

    @property
    def stream_used(self) -> int:
        """Entries of the stream's arrays written so far."""
        return self._request.stream_used

    @property
    def stream_examples(self) -> int:
        """Entries of the ends array written so far."""
        return self._request.stream_examples

    @property
    def stream_capacity(self) -> int:
        """Entries the stream's arrays hold."""
        return self._request.stream_capacity

    @property
    def needed(self) -> int:
        """Spikes of the last batch :class:`RecordingStreams` decoded (or found no room for)."""
        return self._request.needed

    @property
    def fitted(self) -> bool:
        """Whether the last batch :class:`RecordingStreams` decoded was written."""
        return bool(self._request.written)

    def _check_window(self, first_step: int, end_step: int) -> None:
        timestep = self._runtime.timestep
        if end_step - first_step > self._buffer_steps or first_step < 0 \
                or first_step < timestep - self._buffer_steps or end_step > timestep:
            raise RuntimeStateError(f"{self._describe}: timesteps [{first_step}, {end_step}) are "
                                    f"not all in the recording ring (timestep {timestep}, "
                                    f"{self._buffer_steps} recorded timesteps)")

    def _check_allocated(self, count: int, times: np.ndarray, ids: np.ndarray,
                         what: str = "") -> None:
        for name, array, dtype in (("times", times, np.float64), ("ids", ids, np.int64)):
            if type(array) is not np.ndarray or array.dtype != dtype \
                    or array.shape != (max(count, 0),) or count < 0 \
                    or not array.flags.c_contiguous or not array.flags.writeable:
                got = f"{array.dtype.name} array of shape {array.shape}" \
                    if isinstance(array, np.ndarray) else type(array).__name__
                if what:
                    raise ValueError(f"{self._describe}: {what} needs writeable C-contiguous "
                                     f"1-D float64 times and int64 ids of one length; its "
                                     f"{name} is a {got}")
                raise ValueError(f"{self._describe}: the allocate({count}) passed to the spike "
                                 f"decoder must return writeable C-contiguous "
                                 f"{np.dtype(dtype).name} arrays of shape ({count},); its "
                                 f"{name} is a {got}")


class RecordingStreams:
    """Decoders of one loaded model that append batch after batch to their streams
    (:meth:`RecordingDecoder.stream_to`, :meth:`RecordingDecoder.stream_ends_to`), all in one
    native call and one parallel region per batch.

    Parameters
    ----------
    decoders
        Distinct decoders of the same loaded model.
    """

    def __init__(self, decoders: Sequence[RecordingDecoder]):
        decoders = list(decoders)
        if not decoders:
            raise ValueError("RecordingStreams needs at least one decoder")
        if len({id(d) for d in decoders}) != len(decoders):
            raise ValueError("RecordingStreams: each decoder may appear once (a decoder holds "
                             "one request)")
        runtime = decoders[0]._runtime
        if any(d._runtime is not runtime for d in decoders):
            raise ValueError("RecordingStreams: the decoders must belong to one loaded model")
        self.decoders = decoders
        self._first = decoders[0]
        self._requests = (ctypes.c_void_p * len(decoders))(
            *(d._request_address for d in decoders))
        self._one = {id(d): (ctypes.c_void_p * 1)(d._request_address) for d in decoders}
        self._stream = runtime._lib.ml_genn_stream_recordings
        self._runtime = runtime
        self._buffer_steps = decoders[0]._buffer_steps
        #: The window :meth:`decode_latest` decoded last
        self.first_step = self.end_step = 0

    def decode_batch(self, first_step: int, end_step: int) -> int:
        """Append timesteps ``[first_step, end_step)`` of every decoder's slots
        (:meth:`RecordingDecoder.set_slots`) to its stream.

        Parameters
        ----------
        first_step, end_step
            Engine timesteps to read; at most ``num_recording_timesteps`` of them, all still
            in the ring.

        Returns
        -------
        int
            How many decoders' batches did not fit (nothing written for them; their
            :attr:`~RecordingDecoder.fitted` is False and :attr:`~RecordingDecoder.needed`
            says how many spikes the batch has): give them room and call
            :meth:`decode_again`.
        """
        self._first._check_window(first_step, end_step)
        return self._stream(self._requests, len(self.decoders), first_step, end_step)

    def decode_latest(self) -> int:
        """:meth:`decode_batch` of the ring's latest ``num_recording_timesteps`` timesteps (a
        batch, as pygenn reads it), which are always in the ring: no window to check. The
        window is left in :attr:`first_step` and :attr:`end_step`.

        Returns
        -------
        int
            As :meth:`decode_batch`.
        """
        end = self._runtime.timestep
        first = end - self._buffer_steps if end > self._buffer_steps else 0
        self.first_step, self.end_step = first, end
        return self._stream(self._requests, len(self.decoders), first, end)

    def decode_again(self, decoder: RecordingDecoder, first_step: int, end_step: int) -> bool:
        """:meth:`decode_batch` for one of the decoders alone; returns whether it fitted.

        Parameters
        ----------
        decoder
            One of this group's decoders.
        first_step, end_step
            As for :meth:`decode_batch`.
        """
        one = self._one.get(id(decoder))
        if one is None:
            raise ValueError(f"{decoder._describe}: not one of this RecordingStreams' decoders")
        decoder._check_window(first_step, end_step)
        return self._stream(one, 1, first_step, end_step) == 0
