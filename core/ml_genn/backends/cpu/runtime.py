"""The loaded model: NumPy-owned state driven by the generated shared library."""
from __future__ import annotations

import ctypes
import os
import time
from contextlib import contextmanager
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ...engine.errors import ModelSpecError, RuntimeStateError
from ...errors import InvalidTypeError, InvalidValueError
from ...engine.initialisers import fill_initial_values
from ...engine.synapse_matrix_type import SynapseMatrixType
from .codegen import CTL_CU_STEP, CTL_VAR_REC, GeneratedModel
from .c_support import LOG_COUNT_STRIDE, SPIKE_LOG_IDS_PER_WORD
from .memory_estimate import check_state_memory
from .recording_decoder import Allocator, RecordingDecoder
from .runtime_views import EGPView, GroupView, VarView
from .timing import (TIMING_CATEGORIES, TIMING_NEURON, TIMING_POSTSYNAPTIC, TIMING_PRESYNAPTIC,
                     TIMING_SYNAPSE_DYNAMICS)

CTL_TIMESTEP, CTL_RNG_STEP, CTL_SEED, CTL_NUM_REC, CTL_OVERFLOW = 0, 1, 2, 3, 4
CACHE_LINE_BYTES = 64


#: Most OpenMP threads per CPU :meth:`Runtime.set_num_threads` accepts: the engine's work is
#: compute-bound, so threads beyond the CPUs only take turns, while an absurd count makes the
#: OpenMP runtime run out of memory or of threads and end the process outright
MAX_THREADS_PER_CPU = 8


def max_num_threads() -> int:
    """Largest thread count :meth:`Runtime.set_num_threads` accepts on this machine."""
    return MAX_THREADS_PER_CPU * (os.cpu_count() or 1)


def check_num_threads(n: object, what: str) -> int:
    """Return ``n`` as an int if it is a usable OpenMP thread count, else raise naming ``what``.

    Parameters
    ----------
    n
        The thread count asked for.
    what
        Where it came from, for the error (``"set_num_threads"``, ``"ML_GENN_NUM_THREADS"``).
    """
    limit = max_num_threads()
    expected = (f"a whole number of threads from 1 to {limit} ({MAX_THREADS_PER_CPU} per CPU of "
                f"this machine's {os.cpu_count() or 1})")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise InvalidTypeError(f"{what} needs {expected}, got {type(n).__name__}: {n!r}")
    if not 1 <= n <= limit:
        raise InvalidValueError(f"{what} needs {expected}, got {n!r}" + (
            "; more threads than CPUs do not run faster" if n > limit else ""))
    return int(n)


def _parse_num_threads(text: str) -> int:
    """The thread count in environment variable ML_GENN_NUM_THREADS, checked."""
    try:
        n = int(text.strip())
    except ValueError:
        raise InvalidValueError(f"ML_GENN_NUM_THREADS must be a whole number of threads, got "
                                f"{text!r}") from None
    return check_num_threads(n, "ML_GENN_NUM_THREADS")


def _seconds_per_tick(ticks) -> float:
    """Seconds per tick of the profiling clock (the time-stamp counter on x86-64), measured
    against ``time.perf_counter`` over 20 ms."""
    t0, k0 = time.perf_counter(), ticks()
    while time.perf_counter() - t0 < 0.02:
        pass
    t1, k1 = time.perf_counter(), ticks()
    return (t1 - t0) / max(k1 - k0, 1)


def _zeros_on_cache_lines(shape, dtype) -> np.ndarray:
    """Zeros starting on a cache line: threads own batch elements, and where an element's
    part of an array starts on a line no two threads write the same line."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    raw = np.zeros(count * dtype.itemsize + CACHE_LINE_BYTES, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE_BYTES
    return raw[start:start + count * dtype.itemsize].view(dtype).reshape(shape)


class NeuronGroupRuntime(GroupView):
    """A loaded neuron population (pygenn's ``NeuronGroup``)."""

    def __init__(self, runtime, spec_group):
        super().__init__(spec_group.name, spec_group.describe())
        self._runtime = runtime
        self.num_neurons = spec_group.num_neurons
        self.spec = spec_group
        # Decoders given back by finished recordings, by (kind, neuron mask), for the next
        self._idle_decoders: Dict[Tuple[str, Optional[bytes]], List[RecordingDecoder]] = {}

    def _recording_buffer(self, kind: str) -> np.ndarray:
        rt = self._runtime
        enabled = self.spec.spike_recording_enabled if kind == "spk" else self.spec.spike_event_recording_enabled
        what = "spike_recording_enabled" if kind == "spk" else "spike_event_recording_enabled"
        if not enabled:
            raise RuntimeStateError(f"{self._describe}: recording was not switched on; set {what} = True "
                                    f"on the population before building the model")
        if not rt.num_recording_timesteps:
            raise RuntimeStateError(f"{self._describe}: no recording buffer; load the model with "
                                    f"num_recording_timesteps=<n>")
        return rt._arrays[("rec_spk" if kind == "spk" else "rec_evt", self.name)]

    @property
    def spike_recording_buffer(self) -> np.ndarray:
        """The bit-packed spike recording, zero-copy (our extension of pygenn's surface).

        Shape ``(num_recording_timesteps, batch_size, ceil(num_neurons / 32))``, ``uint32``: row
        ``timestep % num_recording_timesteps`` holds that timestep, bit ``i % 32`` of word
        ``i // 32`` neuron ``i``. Lets a reader unpack only the examples and neurons it keeps.
        (A view: the engine keeps each batch element's rows together.)
        """
        return self._recording_buffer("spk").transpose(1, 0, 2)

    @property
    def spike_event_recording_buffer(self) -> np.ndarray:
        """The bit-packed spike-like-event recording; layout as :attr:`spike_recording_buffer`."""
        return self._recording_buffer("evt").transpose(1, 0, 2)

    def record_var(self, var_name: str, num_steps: int) -> np.ndarray:
        """Record variable ``var_name`` natively after every timestep (our extension of
        pygenn's surface): a run then needs no per-timestep host callback.

        Parameters
        ----------
        var_name
            A variable of this population.
        num_steps
            Rows of the ring; every variable recorded at once shares one length.

        Returns
        -------
        np.ndarray
            The ring, zero-copy, ``(batch_size, num_steps, num_neurons)``: row
            ``[b, timestep % num_steps]`` holds batch element ``b``'s value after that
            timestep (an element's rows lie together, so one example's trace is one block).
        """
        if var_name not in self.spec.vars:
            raise RuntimeStateError(f"{self._describe}: no variable '{var_name}' to record; "
                                    f"variables: {sorted(self.spec.vars)}")
        rt = self._runtime
        key = ("vrec", self.name, var_name)
        if rt._claim_var_recording(key, int(num_steps), self._describe):
            rt._set_array(key, np.zeros((rt.batch_size, int(num_steps), self.num_neurons),
                                        dtype=rt._gen.table[key].dtype))
            rt._var_ring_of[key] = rt._arrays[key]
        return rt._var_ring_of[key]

    def record_var_into(self, var_name: str, target: Optional[np.ndarray]) -> bool:
        """Have the engine write ``var_name``'s recording into ``target`` instead of its ring
        (our extension of pygenn's surface): a recorder can hand the engine the memory its
        results will live in, and copy nothing. ``None`` goes back to the ring.

        Parameters
        ----------
        var_name
            A variable being recorded (:meth:`record_var`).
        target
            A writeable C-contiguous array of the ring's shape and dtype, kept alive until
            the next call, or ``None``.

        Returns
        -------
        bool
            Whether the engine now writes into ``target``: only while the recording has a
            single user, for whom the ring's contents are not needed by another.
        """
        rt = self._runtime
        key = ("vrec", self.name, var_name)
        if rt._var_recordings.get(key, 0) == 0:
            raise RuntimeStateError(f"{self._describe}: '{var_name}' is not being recorded; "
                                    f"call record_var first")
        ring = rt._var_ring_of[key]
        if target is None:
            rt._set_array(key, ring)
            return True
        if rt._var_recordings[key] != 1:
            return False
        if (type(target) is not np.ndarray or target.shape != ring.shape
                or target.dtype != ring.dtype or not target.flags.c_contiguous
                or not target.flags.writeable):
            raise ValueError(f"{self._describe}: record_var_into needs a writeable C-contiguous "
                             f"{ring.dtype.name} array of shape {ring.shape}, got "
                             f"{getattr(target, 'dtype', type(target).__name__)} of shape "
                             f"{getattr(target, 'shape', None)}")
        rt._set_array(key, target)
        return True

    def stop_recording_var(self, var_name: str) -> None:
        """Drop one :meth:`record_var` of ``var_name``; when none is left, the variable is no
        longer recorded (recording nothing costs nothing again).

        Parameters
        ----------
        var_name
            A variable passed to :meth:`record_var`.
        """
        rt = self._runtime
        key = ("vrec", self.name, var_name)
        if rt._release_var_recording(key):
            rt._set_array(key, np.zeros(0))
            rt._var_ring_of.pop(key, None)

    def recording_decoder(self, kind: str, neuron_mask: Optional[np.ndarray] = None
                          ) -> RecordingDecoder:
        """A decoder of this population's packed recording (our extension of pygenn's surface),
        prepared once for reading batch after batch.

        Parameters
        ----------
        kind
            ``"spk"`` (spikes) or ``"evt"`` (spike-like events).
        neuron_mask
            Boolean mask over the population's neurons to keep, or ``None`` for all.
        """
        buf = self._recording_buffer(kind)
        counts = self._runtime._arrays[("rec_spk_n" if kind == "spk" else "rec_evt_n", self.name)]
        log = self._runtime._arrays[("rec_log", self.name)] if kind == "spk" else None
        key = (kind, None if neuron_mask is None
               else np.asarray(neuron_mask, dtype=bool).reshape(-1).tobytes())
        idle = self._idle_decoders.get(key)
        while idle:
            decoder = idle.pop()
            # Only while it still reads this model's current arrays (a reload replaces them)
            if decoder.reads(buf, counts, log):
                return decoder
        decoder = RecordingDecoder(self._runtime, self._describe, buf, counts, self.num_neurons,
                                   neuron_mask, log)
        decoder._pool_key = key
        return decoder

    def release_recording_decoder(self, decoder: RecordingDecoder) -> None:
        """Give back a decoder from :meth:`recording_decoder` that its user has finished with,
        so that a later call with the same kind and mask returns it instead of preparing a new
        one (a run's recorders then start cheaply).

        Parameters
        ----------
        decoder
            The decoder; nothing may use it afterwards.
        """
        key = getattr(decoder, "_pool_key", None)
        if key is None or decoder._runtime is not self._runtime:
            raise ValueError(f"{self._describe}: release_recording_decoder got a decoder this "
                             f"population did not make")
        decoder.stop_streaming()
        idle = self._idle_decoders.setdefault(key, [])
        if all(d is not decoder for d in idle):
            idle.append(decoder)

    def unpack_recording(self, kind: str, first_step: int, end_step: int, slots: np.ndarray,
                         neuron_mask: Optional[np.ndarray] = None,
                         allocate: Optional[Allocator] = None
                         ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set bits of the packed recording, decoded natively: a one-off
        :meth:`recording_decoder` call (see :meth:`RecordingDecoder.__call__`)."""
        return self.recording_decoder(kind, neuron_mask)(first_step, end_step, slots, allocate)

    def _recording(self, kind: str) -> List[Tuple[np.ndarray, np.ndarray]]:
        rt = self._runtime
        T = rt.num_recording_timesteps
        self._recording_buffer(kind)
        ts = rt.timestep
        offsets, times, ids = self.unpack_recording(kind, max(0, ts - T), ts, np.arange(rt.batch_size))
        return [(times[a:b], ids[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]

    @property
    def spike_recording_data(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Per batch ``(times, ids)`` of spikes in the last ``num_recording_timesteps`` steps."""
        return self._recording("spk")

    @property
    def spike_event_recording_data(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Per batch ``(times, ids)`` of spike-like events."""
        return self._recording("evt")

    @property
    def spike_count(self) -> np.ndarray:
        """Spikes emitted in the last step, per batch (from the current queue slot)."""
        rt = self._runtime
        slot = rt._ctl[rt._gen.ctl_slots[("qptr", self.name)]] if ("qptr", self.name) in rt._gen.ctl_slots else 0
        return rt._arrays[("spkcnt", self.name)][:, slot].copy()


class SynapseGroupRuntime(GroupView):
    """A loaded synapse population (pygenn's ``SynapseGroup``)."""

    def __init__(self, runtime, spec_group):
        super().__init__(spec_group.name, spec_group.describe())
        self._runtime = runtime
        self.spec = spec_group
        self.matrix_type = spec_group.matrix_type
        self.pre_vars: Dict[str, VarView] = {}
        self.post_vars: Dict[str, VarView] = {}
        self.psm_vars: Dict[str, VarView] = {}
        self.psm_extra_global_params: Dict[str, EGPView] = {}
        self._psm_dynamic: Dict[str, tuple] = {}

    def _row_layout(self):
        rt = self._runtime
        rowlen = rt._arrays[("rowlen", self.name)]
        M = self.spec.max_row_length
        mask = (np.arange(M)[None, :] < rowlen[:, None]).reshape(-1)
        return rowlen, M, mask

    def get_sparse_pre_inds(self) -> np.ndarray:
        """Presynaptic index of each synapse (rows ascending)."""
        self._need_sparse()
        rowlen, M, mask = self._row_layout()
        return np.repeat(np.arange(len(rowlen)), rowlen).astype(np.int64)

    def get_sparse_post_inds(self) -> np.ndarray:
        """Postsynaptic index of each synapse, in the order of ``get_sparse_pre_inds``."""
        self._need_sparse()
        rowlen, M, mask = self._row_layout()
        return self._runtime._arrays[("ind", self.name)][mask].astype(np.int64)

    def set_sparse_connections(self, pre_inds: Any, post_inds: Any) -> None:
        """Replace the synapses of this SPARSE group in place (to restore connectivity saved
        from a run whose synapses were rewired): synapse ``k`` joins ``pre_inds[k]`` to
        ``post_inds[k]``; each row keeps its synapses in the given order. Per-synapse
        variables keep their storage slots: assign their ``values`` (in the given order,
        sorted stably by ``pre_inds``) afterwards.

        Parameters
        ----------
        pre_inds, post_inds
            Integer arrays of equal length, no row longer than ``max_row_length``.
        """
        self._need_sparse()
        spec = self.spec
        pre, post = np.asarray(pre_inds), np.asarray(post_inds)
        if pre.ndim != 1 or pre.shape != post.shape:
            raise RuntimeStateError(f"{self._describe}: set_sparse_connections needs two 1-D index "
                                    f"arrays of equal length, got shapes {pre.shape} and {post.shape}")
        if pre.size and not (np.issubdtype(pre.dtype, np.integer)
                             and np.issubdtype(post.dtype, np.integer)):
            raise RuntimeStateError(f"{self._describe}: sparse indices must be integers, got "
                                    f"{pre.dtype} and {post.dtype}")
        npre, npost = spec.source.num_neurons, spec.target.num_neurons
        if pre.size and (pre.min() < 0 or pre.max() >= npre or post.min() < 0
                         or post.max() >= npost):
            raise RuntimeStateError(f"{self._describe}: sparse indices out of range; pre must be in "
                                    f"[0, {npre}) and post in [0, {npost})")
        counts = np.bincount(pre, minlength=npre)
        if counts.size and counts.max() > spec.max_row_length:
            row = int(np.argmax(counts))
            raise RuntimeStateError(f"{self._describe}: row {row} would hold {int(counts[row])} "
                                    f"synapses but rows were built for at most "
                                    f"{spec.max_row_length} (max_row_length)")
        order = np.argsort(pre, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        pre_sorted = pre[order]
        positions = pre_sorted * spec.max_row_length + (np.arange(len(pre)) - starts[pre_sorted])
        rt = self._runtime
        rt._arrays[("rowlen", self.name)][:] = counts
        rt._arrays[("ind", self.name)][positions] = post[order]
        rt._refresh_sparse_views(spec)

    def sparse_storage(self) -> Tuple[np.ndarray, np.ndarray]:
        """The live ``(row_length, ind)`` arrays of this SPARSE group (``ind`` holds
        ``max_row_length`` slots per row), for copying connectivity wholesale (e.g. between
        the ranks of a data-parallel run); call :meth:`connectivity_changed` after writing
        them."""
        self._need_sparse()
        rt = self._runtime
        return rt._arrays[("rowlen", self.name)], rt._arrays[("ind", self.name)]

    def connectivity_changed(self) -> None:
        """Bring derived indices and the per-synapse views up to date after the arrays of
        :meth:`sparse_storage` were written."""
        self._need_sparse()
        self._runtime._refresh_sparse_views(self.spec)

    def _need_sparse(self):
        if self.matrix_type is not SynapseMatrixType.SPARSE:
            raise RuntimeStateError(f"{self._describe}: sparse indices exist only for SPARSE groups, "
                                    f"this one is {self.matrix_type.name}")

    @property
    def in_syn(self) -> np.ndarray:
        """The postsynaptic input accumulator ``inSyn`` (batch, num_post)."""
        return self._runtime._arrays[("insyn", self.name)]

    def set_dynamic_param_value(self, name: str, value: float) -> None:
        if name in self._psm_dynamic and name not in self._dynamic:
            array, index = self._psm_dynamic[name]
            array[index] = float(value)
            return
        super().set_dynamic_param_value(name, value)


class CustomUpdateRuntime(GroupView):
    """A loaded custom update."""

    def __init__(self, runtime, spec_group):
        super().__init__(spec_group.name, spec_group.describe())
        self.spec = spec_group
        self.update_group_name = spec_group.update_group_name


class CustomConnectivityUpdateRuntime(GroupView):
    """A loaded custom connectivity update: its own ``vars`` (per synapse, packed like the
    synapse group's), ``pre_vars``, ``post_vars`` and extra global params."""

    def __init__(self, runtime, spec_group):
        super().__init__(spec_group.name, spec_group.describe())
        self._runtime = runtime
        self.spec = spec_group
        self.update_group_name = spec_group.update_group_name
        self.pre_vars: Dict[str, VarView] = {}
        self.post_vars: Dict[str, VarView] = {}

    @property
    def num_failed_additions(self) -> int:
        """How many ``add_synapse`` calls, since load, were refused because the row was already
        ``max_row_length`` long (or ``id_post`` was out of range); the row was left unchanged."""
        return int(self._runtime._arrays[("ccufail", self.name)].sum())


class Runtime:
    """A loaded model with pygenn 5's runtime names.

    State lives in NumPy arrays; ``step_time()`` and ``run_timesteps(n)`` call the
    native library.  ``pull_*``/``push_*`` methods exist for pygenn compatibility and
    do nothing.
    """

    def __init__(self, spec, gen: GeneratedModel, lib_path: str, num_recording_timesteps: Optional[int]):
        self._spec = spec
        self._gen = gen
        self._lib = ctypes.CDLL(str(lib_path))
        for name, res, args in (("ml_genn_step", None, [ctypes.c_void_p]),
                                ("ml_genn_run", None, [ctypes.c_void_p, ctypes.c_uint64]),
                                ("ml_genn_custom_update", ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
                                ("ml_genn_init_vars", None, [ctypes.c_void_p]),
                                ("ml_genn_init_connectivity", None, [ctypes.c_void_p]),
                                ("ml_genn_set_num_threads", None, [ctypes.c_int]),
                                ("ml_genn_get_num_threads", ctypes.c_int, []),
                                ("ml_genn_has_openmp", ctypes.c_int, []),
                                ("ml_genn_count_recording", ctypes.c_uint64, [ctypes.c_void_p]),
                                ("ml_genn_fill_recording", ctypes.c_int, [ctypes.c_void_p]),
                                ("ml_genn_stream_recordings", ctypes.c_uint64,
                                 [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64])):
            fn = getattr(self._lib, name)
            fn.restype, fn.argtypes = res, args
        if num_recording_timesteps is not None and (isinstance(num_recording_timesteps, bool)
                                                    or int(num_recording_timesteps) != num_recording_timesteps
                                                    or num_recording_timesteps < 0):
            raise ModelSpecError(f"load(): num_recording_timesteps must be a non-negative integer or None, "
                                 f"got {num_recording_timesteps!r}")
        self.num_recording_timesteps = int(num_recording_timesteps or 0)
        self.batch_size = spec.batch_size
        self.dt = spec.dt
        self.model_name = spec.model_name
        self.precision = spec.precision
        # Before any state is allocated: an allocation beyond the machine's memory would
        # "succeed" lazily and the process be killed when the engine first writes to it
        check_state_memory(spec, gen.table.slots, self.num_recording_timesteps)
        self._ptrs = (ctypes.c_void_p * max(1, len(gen.table.slots)))()
        self._arrays: Dict[tuple, np.ndarray] = {}
        self._allocate()
        self._ctl = self._arrays[("ctl",)]
        self._time = self._arrays[("time",)]
        seed = int(spec.seed)
        if seed == 0:
            # GeNN's convention: seed 0 draws a seed from the OS.
            seed = int.from_bytes(os.urandom(8), "little") or 1
        self._ctl[CTL_SEED] = seed
        self._ctl[CTL_NUM_REC] = self.num_recording_timesteps
        self._var_recordings: Dict[tuple, int] = {}   # ("vrec", group, var) -> users
        self._var_ring_of: Dict[tuple, np.ndarray] = {}   # its own ring (see record_var_into)
        self._ctl[CTL_VAR_REC] = 0
        self._ctx = ctypes.cast(self._ptrs, ctypes.c_void_p)
        self._build_views()
        self._timing = self._arrays.get(("timing",))
        if self._timing is not None:
            self._lib.ml_genn_ticks.restype, self._lib.ml_genn_ticks.argtypes = ctypes.c_uint64, []
            self._seconds_per_tick = _seconds_per_tick(self._lib.ml_genn_ticks)
        start = time.perf_counter()
        self._initialise()
        self._init_time = time.perf_counter() - start
        threads = os.environ.get("ML_GENN_NUM_THREADS")
        if threads:
            self.set_num_threads(_parse_num_threads(threads))

    # -------------------------------------------------------------- allocation
    @contextmanager
    def recording_paused(self):
        """Context in which steps write no spike, spike-event or variable recordings (our
        extension of pygenn's surface): e.g. a training algorithm's backward phase, whose
        steps must not overwrite the forward pass that recorders read at the end of a batch."""
        saved = int(self._ctl[CTL_NUM_REC]), int(self._ctl[CTL_VAR_REC])
        self._ctl[CTL_NUM_REC] = 0
        self._ctl[CTL_VAR_REC] = 0
        try:
            yield self
        finally:
            self._ctl[CTL_NUM_REC], self._ctl[CTL_VAR_REC] = saved

    def _claim_var_recording(self, key, num_steps: int, owner: str) -> bool:
        """Count one more user of ``key``'s ring; True when it must be allocated."""
        if num_steps < 1:
            raise RuntimeStateError(f"{owner}: num_steps must be at least 1, got {num_steps}")
        current = int(self._ctl[CTL_VAR_REC])
        if self._var_recordings and current != num_steps:
            raise RuntimeStateError(f"{owner}: variables recorded at once share one ring length; "
                                    f"{sorted(k[1] + '.' + k[2] for k in self._var_recordings)} "
                                    f"record {current} steps, asked for {num_steps}")
        users = self._var_recordings.get(key, 0)
        self._var_recordings[key] = users + 1
        self._ctl[CTL_VAR_REC] = num_steps
        return users == 0

    def _release_var_recording(self, key) -> bool:
        """Count one user of ``key``'s ring less; True when it is no longer used."""
        users = self._var_recordings.get(key, 0)
        if users == 0:
            return False
        if users > 1:
            self._var_recordings[key] = users - 1
            return False
        del self._var_recordings[key]
        if not self._var_recordings:
            self._ctl[CTL_VAR_REC] = 0
        return True

    def _set_array(self, key, array: np.ndarray) -> None:
        slot = self._gen.table[key]
        array = np.ascontiguousarray(array, dtype=slot.dtype)
        self._arrays[key] = array
        self._ptrs[slot.index] = array.ctypes.data if array.size else None

    def _allocate(self):
        spec, B, T = self._spec, self._spec.batch_size, self.num_recording_timesteps
        for slot in self._gen.table.slots:
            shape = slot.shape
            kind = slot.key[0]
            if kind == "ctl":
                shape = (self._gen.num_ctl,)
            elif kind in ("rec_spk", "rec_evt", "rec_spk_n", "rec_evt_n"):
                g = spec.neuron_populations[slot.key[1]]
                on = g.spike_recording_enabled if kind.startswith("rec_spk") else g.spike_event_recording_enabled
                row = (g.num_neurons + 31) // 32
                # [batch][ring row](...): see the generated code's recording
                shape = ((B, T) + ((row,) if kind in ("rec_spk", "rec_evt") else ())) if (on and T) else (0,)
            elif kind in ("rec_log", "rec_log_n"):
                g = spec.neuron_populations[slot.key[1]]
                capacity = T * SPIKE_LOG_IDS_PER_WORD * ((g.num_neurons + 31) // 32)
                shape = (((B, capacity) if kind == "rec_log" else (B, LOG_COUNT_STRIDE))
                         if (g.spike_recording_enabled and T) else (0,))
            elif kind == "egp":
                _, role, gname, ename = slot.key
                egp = self._egp_spec(role, gname, ename)
                if egp.values is not None:
                    self._set_array(slot.key, np.asarray(egp.values, dtype=slot.dtype).reshape(-1))
                    continue
            self._set_array(slot.key, _zeros_on_cache_lines(shape, slot.dtype))

    def _egp_spec(self, role, gname, ename):
        spec = self._spec
        if role == "neuron":
            return spec.neuron_populations[gname].extra_global_params[ename]
        if role == "wu":
            return spec.synapse_populations[gname].extra_global_params[ename]
        if role == "psm":
            return spec.synapse_populations[gname].psm_extra_global_params[ename]
        if role == "custom_connectivity_update":
            return spec.custom_connectivity_updates[gname].extra_global_params[ename]
        return spec.custom_updates[gname].extra_global_params[ename]

    # ------------------------------------------------------------------ views
    def _egp_view(self, key, owner):
        def get():
            return self._arrays[key]

        def realloc(values):
            slot = self._gen.table[key]
            if not slot.key or np.asarray(values).dtype == object:
                raise RuntimeStateError(f"{owner}: extra global param '{key[3]}' needs numeric values")
            self._set_array(key, np.asarray(values, dtype=slot.dtype).reshape(-1))
        return EGPView(key[3], owner, get, realloc)

    def _dyn(self, group, role, kind_key, target: GroupView, store: Dict[str, tuple]):
        names = sorted(group.dynamic_params.get(role, ()))
        if names:
            arr = self._arrays[("dyn", role, group.name)]
            values = {"neuron": lambda: group.param_values, "cu": lambda: group.param_values,
                      "ccu": lambda: group.param_values,
                      "wu": lambda: group.wu_param_values, "psm": lambda: group.ps_param_values}[role]()
            for k, n in enumerate(names):
                arr[k] = values[n]
                store[n] = (arr, k)

    def _build_views(self):
        spec = self._spec
        self.neuron_populations: Dict[str, NeuronGroupRuntime] = {}
        self.synapse_populations: Dict[str, SynapseGroupRuntime] = {}
        self.custom_update_populations: Dict[str, CustomUpdateRuntime] = {}
        for g in spec.neuron_populations.values():
            r = NeuronGroupRuntime(self, g)
            r._all_params = set(g.model.param_names)
            for v in g.vars:
                r.vars[v] = VarView(v, self._arrays[("nvar", g.name, v)], g.describe())
            for e in g.extra_global_params:
                r.extra_global_params[e] = self._egp_view(("egp", "neuron", g.name, e), g.describe())
            self._dyn(g, "neuron", None, r, r._dynamic)
            self.neuron_populations[g.name] = r
        for s in spec.synapse_populations.values():
            r = SynapseGroupRuntime(self, s)
            r._all_params = set(s.wu_model.param_names) | set(s.ps_model.param_names)
            for v in s.vars:
                r.vars[v] = VarView(v, self._arrays[("wu", s.name, v)], s.describe())
            for src, dst, kind in ((s.pre_vars, r.pre_vars, "wu_pre"), (s.post_vars, r.post_vars, "wu_post"),
                                   (s.psm_vars, r.psm_vars, "psm")):
                for v in src:
                    dst[v] = VarView(v, self._arrays[(kind, s.name, v)], s.describe())
            for e in s.extra_global_params:
                r.extra_global_params[e] = self._egp_view(("egp", "wu", s.name, e), s.describe())
            for e in s.psm_extra_global_params:
                r.psm_extra_global_params[e] = self._egp_view(("egp", "psm", s.name, e), s.describe())
            self._dyn(s, "wu", None, r, r._dynamic)
            self._dyn(s, "psm", None, r, r._psm_dynamic)
            self.synapse_populations[s.name] = r
        for c in spec.custom_updates.values():
            r = CustomUpdateRuntime(self, c)
            r._all_params = set(c.model.param_names)
            for v in c.vars:
                r.vars[v] = VarView(v, self._arrays[("cuvar", c.name, v)], c.describe())
            for e in c.extra_global_params:
                r.extra_global_params[e] = self._egp_view(("egp", "custom_update", c.name, e), c.describe())
            self._dyn(c, "cu", None, r, r._dynamic)
            self.custom_update_populations[c.name] = r
        self.custom_connectivity_update_populations: Dict[str, CustomConnectivityUpdateRuntime] = {}
        for c in spec.custom_connectivity_updates.values():
            r = CustomConnectivityUpdateRuntime(self, c)
            r._all_params = set(c.model.param_names)
            for src, dst, kind in ((c.vars, r.vars, "ccuvar"), (c.pre_vars, r.pre_vars, "ccupre"),
                                   (c.post_vars, r.post_vars, "ccupost")):
                for v in src:
                    dst[v] = VarView(v, self._arrays[(kind, c.name, v)], c.describe())
            for e in c.extra_global_params:
                r.extra_global_params[e] = self._egp_view(("egp", "custom_connectivity_update", c.name, e),
                                                          c.describe())
            self._dyn(c, "ccu", None, r, r._dynamic)
            self.custom_connectivity_update_populations[c.name] = r

    # --------------------------------------------------------- initialisation
    _fill = staticmethod(fill_initial_values)

    def _initialise(self):
        spec = self._spec
        self._lib.ml_genn_init_connectivity(self._ctx)
        overflow = int(self._ctl[CTL_OVERFLOW])
        if overflow:
            s = list(spec.synapse_populations.values())[overflow - 1]
            raise ModelSpecError(f"{s.describe()}: row_build_code added more than calc_max_row_len_func's "
                                 f"{s.max_row_length} synapses to a row; return a larger bound")
        for s in spec.synapse_populations.values():
            positions = order = None
            if s.matrix_type is SynapseMatrixType.SPARSE and s.sparse_pre_inds is not None:
                pre, post = s.sparse_pre_inds, s.sparse_post_inds
                order = s.sparse_order
                pre_sorted = pre[order]
                counts = np.bincount(pre, minlength=s.source.num_neurons)
                starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                positions = pre_sorted * s.max_row_length + (np.arange(len(pre)) - starts[pre_sorted])
                self._arrays[("rowlen", s.name)][:] = counts
                self._arrays[("ind", s.name)][positions] = post[order]
            for v in s.vars.values():
                self._fill(self._arrays[("wu", s.name, v.name)], v.init, positions, order)
            for kind, vs in (("wu_pre", s.pre_vars), ("wu_post", s.post_vars), ("psm", s.psm_vars)):
                for v in vs.values():
                    self._fill(self._arrays[(kind, s.name, v.name)], v.init)
        for g in spec.neuron_populations.values():
            for v in g.vars.values():
                self._fill(self._arrays[("nvar", g.name, v.name)], v.init)
        for c in spec.custom_updates.values():
            positions = order = None
            sg = c.synapse_group
            if c.kind == "wu" and sg.matrix_type is SynapseMatrixType.SPARSE and sg.sparse_pre_inds is not None:
                order = sg.sparse_order
                pre_sorted = sg.sparse_pre_inds[order]
                counts = np.bincount(sg.sparse_pre_inds, minlength=sg.source.num_neurons)
                starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                positions = pre_sorted * sg.max_row_length + (np.arange(len(order)) - starts[pre_sorted])
            for v in c.vars.values():
                self._fill(self._arrays[("cuvar", c.name, v.name)], v.init, positions, order)
        for c in spec.custom_connectivity_updates.values():
            positions, order = self._sparse_positions(c.synapse_group)
            for v in c.vars.values():
                self._fill(self._arrays[("ccuvar", c.name, v.name)], v.init, positions, order)
            for kind, vs in (("ccupre", c.pre_vars), ("ccupost", c.post_vars)):
                for v in vs.values():
                    self._fill(self._arrays[(kind, c.name, v.name)], v.init)
        self._lib.ml_genn_init_vars(self._ctx)
        for s in spec.synapse_populations.values():
            if s.matrix_type is SynapseMatrixType.SPARSE:
                self._build_columns(s)
                r = self.synapse_populations[s.name]
                mask = r._row_layout()[2]
                for v in r.vars.values():
                    v._mask = mask
        for c in spec.custom_updates.values():
            if c.kind == "wu" and c.synapse_group.matrix_type is SynapseMatrixType.SPARSE:
                mask = self.synapse_populations[c.synapse_group.name]._row_layout()[2]
                for v in self.custom_update_populations[c.name].vars.values():
                    if v._array.shape[-1] == mask.size:
                        v._mask = mask
        for s in {id(c.synapse_group): c.synapse_group for c in spec.custom_connectivity_updates.values()}.values():
            self._refresh_sparse_views(s)

    @staticmethod
    def _sparse_positions(sg):
        """Storage slots of the synapses given by ``set_sparse_connections`` and the order that
        takes arrays given in their order there (None, None when built by a snippet)."""
        if sg.sparse_pre_inds is None:
            return None, None
        order = sg.sparse_order
        pre_sorted = sg.sparse_pre_inds[order]
        counts = np.bincount(sg.sparse_pre_inds, minlength=sg.source.num_neurons)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        return pre_sorted * sg.max_row_length + (np.arange(len(order)) - starts[pre_sorted]), order

    def _refresh_sparse_views(self, s) -> None:
        """After connectivity of SPARSE group ``s`` changed: rebuild its column index and point
        every per-synapse view (``values``) at the synapses that now exist."""
        self._build_columns(s)
        mask = self.synapse_populations[s.name]._row_layout()[2]
        views = list(self.synapse_populations[s.name].vars.values())
        for c in self._spec.custom_updates.values():
            if c.kind == "wu" and c.synapse_group is s:
                views += [v for v in self.custom_update_populations[c.name].vars.values()
                          if v._array.shape[-1] == mask.size]
        for c in self._spec.custom_connectivity_updates.values():
            if c.synapse_group is s:
                views += list(self.custom_connectivity_update_populations[c.name].vars.values())
        for v in views:
            v._mask = mask

    def _build_columns(self, s):
        rowlen = self._arrays[("rowlen", s.name)]
        M = s.max_row_length
        ind = self._arrays[("ind", s.name)]
        syn = np.nonzero((np.arange(M)[None, :] < rowlen[:, None]).reshape(-1))[0]
        post = ind[syn].astype(np.int64)
        collen = np.bincount(post, minlength=s.target.num_neurons).astype(np.uint32)
        self._arrays[("collen", s.name)][:] = collen
        if ("maxcol", s.name) in self._gen.ctl_slots:
            max_col = int(collen.max()) if collen.size else 0
            order = np.argsort(post, kind="stable")
            starts = np.concatenate(([0], np.cumsum(collen)[:-1])).astype(np.int64)
            pos = post[order] * max(max_col, 1) + (np.arange(len(order)) - starts[post[order]])
            remap = np.zeros(s.target.num_neurons * max(max_col, 1), dtype=np.uint32)
            remap[pos] = syn[order]
            self._set_array(("remap", s.name), remap)
            self._ctl[self._gen.ctl_slots[("maxcol", s.name)]] = max(max_col, 1)

    # ---------------------------------------------------------------- running
    @property
    def timestep(self) -> int:
        return int(self._ctl[CTL_TIMESTEP])

    @timestep.setter
    def timestep(self, value: int) -> None:
        if int(value) != value or value < 0:
            raise RuntimeStateError(f"timestep must be a non-negative integer, got {value!r}")
        self._ctl[CTL_TIMESTEP] = int(value)

    @property
    def t(self) -> float:
        return float(self._time[0])

    @t.setter
    def t(self, value: float) -> None:
        self._time[0] = float(value)

    def step_time(self) -> None:
        """Advance one timestep (synapses, then neurons, then time)."""
        self._lib.ml_genn_step(self._ctx)

    def run_timesteps(self, n: int) -> None:
        """Advance ``n`` timesteps in one native call.

        Parameters
        ----------
        n
            Number of timesteps (non-negative).
        """
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise RuntimeStateError(f"run_timesteps needs a non-negative integer, got {n!r}")
        self._lib.ml_genn_run(self._ctx, int(n))

    def custom_update(self, name: str) -> None:
        """Run every custom update of update group ``name``."""
        try:
            index = self._gen.update_groups.index(name)
        except ValueError:
            raise RuntimeStateError(f"Model '{self.model_name}' has no custom update group '{name}'; groups: "
                                    f"{self._gen.update_groups}") from None
        self._lib.ml_genn_custom_update(self._ctx, index)
        for sg_name in self._gen.rewired_synapse_groups.get(name, ()):
            self._refresh_sparse_views(self._spec.synapse_populations[sg_name])

    # ------------------------------------------------------ kernel profiling (pygenn's names)
    def _require_profiling(self) -> None:
        if self._timing is None:
            raise RuntimeStateError(f"Model '{self.model_name}' was built without kernel "
                                    f"profiling; pass kernel_profiling=True to the compiler")

    def _timer(self, index: int) -> float:
        self._require_profiling()
        return float(self._timing[index]) * self._seconds_per_tick

    @property
    def neuron_update_time(self) -> float:
        """Seconds spent in neuron updates (with kernel profiling)."""
        return self._timer(TIMING_NEURON)

    @property
    def presynaptic_update_time(self) -> float:
        """Seconds spent propagating spikes and spike-like events (with kernel profiling)."""
        return self._timer(TIMING_PRESYNAPTIC)

    @property
    def postsynaptic_update_time(self) -> float:
        """Seconds spent in postsynaptic spike code (with kernel profiling)."""
        return self._timer(TIMING_POSTSYNAPTIC)

    @property
    def synapse_dynamics_time(self) -> float:
        """Seconds spent in synapse dynamics code (with kernel profiling)."""
        return self._timer(TIMING_SYNAPSE_DYNAMICS)

    @property
    def init_time(self) -> float:
        """Seconds spent initialising variables and connectivity when the model was loaded."""
        self._require_profiling()
        return self._init_time

    @property
    def init_sparse_time(self) -> float:
        """Seconds spent initialising sparse structures; included in ``init_time`` here (the
        engine initialises them together), so 0."""
        self._require_profiling()
        return 0.0

    @property
    def custom_update_time(self) -> float:
        """Seconds spent in all custom updates (with kernel profiling)."""
        self._require_profiling()
        return sum(self.get_custom_update_time(g) for g in self._gen.update_groups)

    def get_custom_update_time(self, name: str) -> float:
        """Seconds spent in custom update group ``name`` (with kernel profiling)."""
        if name not in self._gen.update_groups and name in self._spec.host_update_groups:
            self._require_profiling()
            return 0.0
        try:
            index = self._gen.update_groups.index(name)
        except ValueError:
            raise RuntimeStateError(f"Model '{self.model_name}' has no custom update group "
                                    f"'{name}'; groups: {self._gen.update_groups}") from None
        return self._timer(TIMING_CATEGORIES + index)

    def get_custom_update_transpose_time(self, name: str) -> float:
        """Seconds spent transposing in custom update group ``name``: transposes run inside
        the group's update here, so 0 (with kernel profiling)."""
        self.get_custom_update_time(name)
        return 0.0

    def reset_in_flight_state(self) -> None:
        """Zero inSyn, dendritic delay buffers, addToPre accumulators and spike/event queues.

        Compilers call this between examples so nothing emitted in one batch reaches the next.
        """
        for slot in self._gen.table.slots:
            if slot.zero_on_reset:
                self._arrays[slot.key][...] = 0

    # ----------------------------------------------------------- RNG / threads
    def get_rng_state(self) -> Dict[str, int]:
        """Everything that determines future random numbers (for checkpoints)."""
        return {"seed": int(self._ctl[CTL_SEED]), "step": int(self._ctl[CTL_RNG_STEP]),
                "custom_update_step": int(self._ctl[CTL_CU_STEP])}

    def set_rng_state(self, state: Dict[str, int]) -> None:
        """Restore a state from :meth:`get_rng_state`."""
        try:
            self._ctl[CTL_SEED] = int(state["seed"])
            self._ctl[CTL_RNG_STEP] = int(state["step"])
            self._ctl[CTL_CU_STEP] = int(state.get("custom_update_step", 0))
        except (KeyError, TypeError, ValueError) as e:
            raise RuntimeStateError(f"set_rng_state needs the dict get_rng_state returns, got {state!r}") from e

    def set_num_threads(self, n: int) -> None:
        """Number of OpenMP threads (process-wide; ignored without OpenMP).

        Parameters
        ----------
        n
            Threads, 1 to :func:`max_num_threads` (a few per CPU of this machine).

        Raises
        ------
        InvalidTypeError
            When ``n`` is not an integer.
        InvalidValueError
            When ``n`` is below 1 or above :func:`max_num_threads`: the OpenMP runtime
            would try to start that many threads and end the process when it cannot.
        """
        check_num_threads(n, "set_num_threads")
        self._lib.ml_genn_set_num_threads(int(n))

    @property
    def num_threads(self) -> int:
        return int(self._lib.ml_genn_get_num_threads())

    @property
    def has_openmp(self) -> bool:
        return bool(self._lib.ml_genn_has_openmp())

    # --------------------------------------------------------- pygenn no-ops
    def pull_recording_buffers_from_device(self) -> None:
        """No-op: recording buffers live in host memory."""

    def unload(self) -> None:
        """Drop references to native state (pygenn compatibility)."""
