"""A loaded GeNN model with the runtime API compiled networks use (pygenn's names).

It is pygenn underneath: ``step_time``, ``custom_update``, timers, recording buffers and
dynamic parameters are pygenn's. What the adapter adds, and why:

* Shapes. pygenn drops the batch axis of batch-size-1 models and gives shared variables a
  length-1 axis; compiled networks index ``(batch, elements)`` as the cpu backend lays variables
  out (``spec.var_shape``), so every view is that reshape of pygenn's array (zero-copy).
* Host/device coherence. On the cpu backend host arrays *are* the state. On a GPU backend the
  adapter keeps that promise for everything read and written through ``.view``/``.values``:
  reading a view after the device ran pulls it first (once), and every view handed out is
  pushed before the device runs next (``push_to_device``/``pull_from_device`` also transfer
  for real). GeNN's single-threaded CPU backend shares host and device memory, so there the
  adapter transfers nothing. Keep no view across a step on a GPU: take ``.view`` again.
* Pieces of the cpu runtime's surface compiled networks rely on: ``run_timesteps``,
  ``reset_in_flight_state`` (zeroes GeNN's postsynaptic inputs, dendritic delay buffers,
  ``addToPre`` outputs and spike queues), ``recording_paused`` (restores the recording
  buffers afterwards), the packed ``spike_recording_buffer`` (GeNN's own recording words, read
  in place), sparse connectivity in the cpu backend's row order, resizable extra global
  params and the RNG state names checkpoints store.

The cpu runtime's host-side extensions with no GeNN equivalent (``record_var``, recording
decoders) are not offered: recorders and compilers look for them and fall back to pygenn's
surface (reading variables every timestep).
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ml_genn.engine.errors import RuntimeStateError
from ml_genn.engine.initialisers import fill_initial_values
from ml_genn.engine.synapse_matrix_type import SynapseMatrixType


class GeNNRNGWarning(RuntimeWarning):
    """GeNN's random number streams cannot be saved or restored: a resumed run draws afresh."""


# ---------------------------------------------------------------------------- views
class GeNNVarView:
    """One variable of the loaded model (pygenn's ``.view``/``.values`` with the cpu
    backend's shapes: ``(batch, n)`` when batched, ``(n,)`` when shared).

    For SPARSE per-synapse variables ``view`` is the ragged ``num_pre * max_row_length``
    storage and ``values`` the synapses' values in the order of ``get_sparse_pre_inds()``.
    """

    def __init__(self, runtime: "GeNNRuntime", name: str, owner: str, pg_var: Any,
                 shape: Tuple[int, ...], mask: Optional[Callable[[], np.ndarray]] = None,
                 delay_group: Any = None):
        self._runtime = runtime
        self.name = name
        self.owner = owner
        self._pg = pg_var
        self._shape = shape
        self._mask = mask
        self._delay_group = delay_group
        self._stale = False
        flat = np.asarray(pg_var._view).reshape(-1)
        size = int(np.prod(shape))
        if delay_group is None and flat.size != size:
            raise RuntimeStateError(f"{owner}: GeNN holds {flat.size} values of variable "
                                    f"'{name}', the model expects {shape}")
        self._flat = flat

    # -- coherence (see the module docstring)
    def _touch(self) -> None:
        rt = self._runtime
        if rt._separate_device:
            if self._stale:
                self._pg.pull_from_device()
                self._stale = False
            rt._dirty.add(self)

    def _array(self) -> np.ndarray:
        if self._delay_group is None:
            return self._flat.reshape(self._shape)
        # A queued variable (read with a delay by synapse code): the slot written last step
        slots = self._delay_group._num_delay_slots
        slot = self._runtime._genn._runtime.get_delay_pointer(self._delay_group)
        batch = self._shape[0] if len(self._shape) == 2 else 1
        queued = self._flat.reshape(batch, slots, -1)[:, slot]
        return queued.reshape(self._shape)

    @property
    def view(self) -> np.ndarray:
        """The live array (zero-copy; on GPU backends pulled first when the device ran)."""
        self._touch()
        return self._array()

    @property
    def current_view(self) -> np.ndarray:
        """pygenn's name for :attr:`view` (the current delay slot of a queued variable)."""
        return self.view

    @property
    def values(self) -> np.ndarray:
        """A copy (per synapse for SPARSE groups); assigning writes the variable."""
        array = self.view
        if self._mask is None:
            return array.copy()
        return array[..., self._mask()].copy()

    @values.setter
    def values(self, vals: Any) -> None:
        array = self.view
        mask = None if self._mask is None else self._mask()
        target_shape = array.shape if mask is None else array[..., mask].shape
        vals = np.asarray(vals)
        try:
            same_size = vals.size == int(np.prod(target_shape))
            vals = np.broadcast_to(vals.reshape(target_shape) if same_size else vals,
                                   target_shape)
        except ValueError:
            raise RuntimeStateError(f"{self.owner} variable '{self.name}': cannot set values of "
                                    f"shape {vals.shape}; expected {target_shape}") from None
        if mask is None:
            array[...] = vals
        else:
            array[..., mask] = vals

    def pull_from_device(self) -> None:
        """Copy the variable from the device (a real transfer on GPU backends)."""
        self._pg.pull_from_device()
        self._stale = False

    def push_to_device(self) -> None:
        """Copy the variable to the device (a real transfer on GPU backends)."""
        self._pg.push_to_device()
        self._runtime._dirty.discard(self)


class GeNNEGPView:
    """An extra global parameter; ``set_values`` resizes it (GeNN allocates it anew when it
    grows, so a parameter first set at load or later both work)."""

    def __init__(self, runtime: "GeNNRuntime", name: str, owner: str, pg_group: Any, pg_egp: Any,
                 dtype: np.dtype):
        self._runtime = runtime
        self.name = name
        self.owner = owner
        self._group = pg_group
        self._pg = pg_egp
        self._dtype = np.dtype(dtype)
        self._size = 0 if pg_egp._view is None else int(np.asarray(pg_egp._view).size)
        self._capacity = self._size
        self._stale = False
        # GeNN allocates nothing for a parameter no code uses: its values then live here
        self._host_only: Optional[np.ndarray] = None

    def _full(self) -> np.ndarray:
        if self._host_only is not None:
            return self._host_only
        if self._pg._view is None:
            return np.zeros(0, dtype=self._dtype)
        return np.asarray(self._pg._view).reshape(-1)

    @property
    def view(self) -> np.ndarray:
        """The live contents, as long as they were last set."""
        rt = self._runtime
        if rt._separate_device and self._capacity and self._host_only is None:
            if self._stale:
                self._pg.pull_from_device()
                self._stale = False
            rt._dirty.add(self)
        return self._full()[:self._size]

    @property
    def values(self) -> np.ndarray:
        """A copy of the contents; assigning replaces them (and the length)."""
        return self.view.copy()

    @values.setter
    def values(self, vals: Any) -> None:
        self.set_values(vals)

    def set_values(self, vals: Any) -> None:
        """Replace the contents (and length) of this parameter.

        Parameters
        ----------
        vals
            Numeric values (flattened).
        """
        vals = np.asarray(vals)
        if vals.dtype == object or not (np.issubdtype(vals.dtype, np.number) or vals.dtype == bool):
            raise RuntimeStateError(f"{self.owner}: extra global param '{self.name}' needs "
                                    f"numeric values, got {vals.dtype}")
        vals = vals.reshape(-1)
        if vals.size > self._capacity:
            # Grow geometrically: GeNN cannot free an extra global param's old allocation
            capacity = max(int(vals.size), 2 * self._capacity)
            genn_runtime = self._runtime._genn._runtime
            try:
                genn_runtime.allocate_array(self._group, self.name, capacity)
            except IndexError:      # GeNN's map::at: no code uses this parameter
                self._host_only = np.zeros(capacity, dtype=self._dtype)
            else:
                self._pg.set_array(genn_runtime.get_array(self._group, self.name))
            self._capacity = capacity
        self._size = int(vals.size)
        if self._size:
            self._full()[:self._size] = vals.astype(self._dtype, copy=False)
            if self._host_only is None:
                self._pg.push_to_device()
        self._stale = False
        self._runtime._dirty.discard(self)

    set_init_values = set_values

    def pull_from_device(self) -> None:
        """Copy the parameter from the device (a real transfer on GPU backends)."""
        if self._capacity and self._host_only is None:
            self._pg.pull_from_device()
        self._stale = False

    def push_to_device(self) -> None:
        """Copy the parameter to the device (a real transfer on GPU backends)."""
        if self._capacity and self._host_only is None:
            self._pg.push_to_device()
        self._runtime._dirty.discard(self)


class _GroupBase:
    """Common part of runtime groups: ``name``, ``vars``, ``extra_global_params``, dynamic
    parameters."""

    def __init__(self, runtime: "GeNNRuntime", spec_group: Any, pg_group: Any):
        self._runtime = runtime
        self.name = spec_group.name
        self.spec = spec_group
        self._describe = spec_group.describe()
        self._pg = pg_group
        self.vars: Dict[str, GeNNVarView] = {}
        self.extra_global_params: Dict[str, GeNNEGPView] = {}
        self._dynamic: Dict[str, float] = {}
        self._all_params: set = set()

    def set_dynamic_param_value(self, name: str, value: float) -> None:
        """Change a parameter made dynamic with ``set_param_dynamic`` before build.

        Parameters
        ----------
        name
            The parameter.
        value
            Its new value.
        """
        if name not in self._dynamic:
            if name in self._all_params:
                raise RuntimeStateError(f"{self._describe}: parameter '{name}' is not dynamic; "
                                        f"call set_param_dynamic('{name}') on the group before "
                                        f"building the model")
            raise RuntimeStateError(f"{self._describe}: has no parameter '{name}' "
                                    f"(parameters: {sorted(self._all_params)})")
        self._pg.set_dynamic_param_value(name, value)
        self._dynamic[name] = float(value)

    def get_dynamic_param_value(self, name: str) -> float:
        """The current value of dynamic parameter ``name``."""
        if name not in self._dynamic:
            raise RuntimeStateError(f"{self._describe}: parameter '{name}' is not dynamic")
        return self._dynamic[name]

    def pull_from_device(self) -> None:
        """Copy every variable of the group from the device."""
        for v in self._all_views():
            v.pull_from_device()

    def push_to_device(self) -> None:
        """Copy every variable of the group to the device."""
        for v in self._all_views():
            v.push_to_device()

    def pull_var_from_device(self, name: str) -> None:
        """pygenn 4's name: pull variable ``name``."""
        self.vars[name].pull_from_device()

    def push_var_to_device(self, name: str) -> None:
        """pygenn 4's name: push variable ``name``."""
        self.vars[name].push_to_device()

    def _all_views(self) -> List[Any]:
        return list(self.vars.values())


class GeNNNeuronGroup(_GroupBase):
    """A loaded neuron population (pygenn's ``NeuronGroup``)."""

    def __init__(self, runtime: "GeNNRuntime", spec_group: Any, pg_group: Any):
        super().__init__(runtime, spec_group, pg_group)
        self.num_neurons = spec_group.num_neurons
        self.spike_recording_enabled = bool(spec_group.spike_recording_enabled)
        self.spike_event_recording_enabled = bool(spec_group.spike_event_recording_enabled)

    def _recording_array(self, kind: str) -> np.ndarray:
        rt = self._runtime
        enabled = (self.spike_recording_enabled if kind == "spk"
                   else self.spike_event_recording_enabled)
        what = "spike_recording_enabled" if kind == "spk" else "spike_event_recording_enabled"
        if not enabled:
            raise RuntimeStateError(f"{self._describe}: recording was not switched on; set "
                                    f"{what} = True on the population before building the model")
        if not rt.num_recording_timesteps:
            raise RuntimeStateError(f"{self._describe}: no recording buffer; load the model with "
                                    f"num_recording_timesteps=<n>")
        array = rt._recording_arrays.get((kind, self.name))
        if array is None:
            raise RuntimeStateError(f"{self._describe}: GeNN keeps no spike-like-event recording "
                                    f"for this population (no outgoing synapse group has a "
                                    f"pre_event_threshold_condition_code)")
        rt._pull_recordings()
        words = (self.num_neurons + 31) // 32
        return np.asarray(array.host_view).view(np.uint32).reshape(
            rt._genn_recording_timesteps, rt.batch_size, words)[:rt.num_recording_timesteps]

    @property
    def spike_recording_buffer(self) -> np.ndarray:
        """GeNN's bit-packed spike recording, in place: ``(num_recording_timesteps,
        batch_size, ceil(num_neurons / 32))`` ``uint32``, row ``timestep %
        num_recording_timesteps`` holds that timestep, bit ``i % 32`` of word ``i // 32``
        neuron ``i`` (the layout of the cpu backend's buffer)."""
        return self._recording_array("spk")

    @property
    def spike_event_recording_buffer(self) -> np.ndarray:
        """The bit-packed spike-like-event recording; layout as :attr:`spike_recording_buffer`."""
        return self._recording_array("evt")

    def _recording(self, kind: str) -> List[Tuple[np.ndarray, np.ndarray]]:
        rt = self._runtime
        buffer = self._recording_array(kind)
        T, ts = rt.num_recording_timesteps, rt.timestep
        steps = np.arange(max(0, ts - T), ts)
        out = []
        for b in range(rt.batch_size):
            words = (buffer[steps % T, b] if steps.size
                     else np.zeros((0, buffer.shape[2]), np.uint32))
            bits = np.unpackbits(words.astype("<u4").view(np.uint8), bitorder="little",
                                 axis=1)[:, :self.num_neurons]
            rows, ids = np.nonzero(bits)
            out.append(((steps[rows] * rt.dt).astype(np.float64), ids.astype(np.int32)))
        return out

    @property
    def spike_recording_data(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Per batch ``(times, ids)`` of spikes in the last ``num_recording_timesteps`` steps."""
        return self._recording("spk")

    @property
    def spike_event_recording_data(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Per batch ``(times, ids)`` of spike-like events."""
        return self._recording("evt")


class GeNNSynapseGroup(_GroupBase):
    """A loaded synapse population (pygenn's ``SynapseGroup``)."""

    def __init__(self, runtime: "GeNNRuntime", spec_group: Any, pg_group: Any):
        super().__init__(runtime, spec_group, pg_group)
        self.matrix_type = spec_group.matrix_type
        self.pre_vars: Dict[str, GeNNVarView] = {}
        self.post_vars: Dict[str, GeNNVarView] = {}
        self.psm_vars: Dict[str, GeNNVarView] = {}
        self.psm_extra_global_params: Dict[str, GeNNEGPView] = {}

    def _all_views(self) -> List[Any]:
        return (list(self.vars.values()) + list(self.pre_vars.values())
                + list(self.post_vars.values()) + list(self.psm_vars.values()))

    def _need_sparse(self) -> None:
        if self.matrix_type is not SynapseMatrixType.SPARSE:
            raise RuntimeStateError(f"{self._describe}: sparse indices exist only for SPARSE "
                                    f"groups, this one is {self.matrix_type.name}")

    def _rows(self) -> Tuple[np.ndarray, np.ndarray]:
        """The live ``(row_length, ind)`` arrays (pulled when the device may have changed them)."""
        rt = self._runtime
        if rt._separate_device and rt._connectivity_stale.get(self.name, True):
            self._pg._row_lengths.pull_from_device()
            self._pg._ind.pull_from_device()
            rt._connectivity_stale[self.name] = False
        return (np.asarray(self._pg._row_lengths.view).reshape(-1),
                np.asarray(self._pg._ind.view).reshape(-1))

    def _mask(self) -> np.ndarray:
        rowlen, _ = self._rows()
        M = self.spec.max_row_length
        return (np.arange(M)[None, :] < rowlen[:, None]).reshape(-1)

    def get_sparse_pre_inds(self) -> np.ndarray:
        """Presynaptic index of each synapse (rows ascending)."""
        self._need_sparse()
        rowlen, _ = self._rows()
        return np.repeat(np.arange(len(rowlen)), rowlen).astype(np.int64)

    def get_sparse_post_inds(self) -> np.ndarray:
        """Postsynaptic index of each synapse, in the order of ``get_sparse_pre_inds``."""
        self._need_sparse()
        _, ind = self._rows()
        return ind[self._mask()].astype(np.int64)

    def sparse_storage(self) -> Tuple[np.ndarray, np.ndarray]:
        """The live ``(row_length, ind)`` arrays of this SPARSE group; call
        :meth:`connectivity_changed` after writing them."""
        self._need_sparse()
        self._refuse_rewiring("sparse_storage")
        return self._rows()

    def connectivity_changed(self) -> None:
        """Send connectivity written through :meth:`sparse_storage` to the device."""
        self._need_sparse()
        self._pg._row_lengths.push_to_device()
        self._pg._ind.push_to_device()

    def _refuse_rewiring(self, what: str) -> None:
        wu = self.spec.wu_model
        if wu.post_spike_syn_code or wu.post_event_syn_code:
            # GeNN builds the column structures postsynaptic code runs over when the model
            # loads (and after its custom connectivity updates), keeping them on the device
            # only: connectivity written from the host would leave them stale. Synapse
            # dynamics code walks the rows themselves, so it follows host writes.
            raise RuntimeStateError(
                f"{self._describe}: {what} cannot rewire this group on GeNN (backend "
                f"'{self._runtime.backend_name}'): its weight update model has postsynaptic "
                f"code, whose column structures GeNN builds only when the model is loaded or a "
                f"custom connectivity update rewires it; rewire it with a custom connectivity "
                f"update or use backend='cpu'")

    def set_sparse_connections(self, pre_inds: Any, post_inds: Any) -> None:
        """Replace the synapses of this SPARSE group in place (the cpu backend's order: rows
        ascending, each row's synapses in the order given); assign per-synapse ``values``
        afterwards.

        Parameters
        ----------
        pre_inds, post_inds
            Integer arrays of equal length, no row longer than ``max_row_length``.
        """
        self._need_sparse()
        self._refuse_rewiring("set_sparse_connections")
        spec = self.spec
        pre, post = np.asarray(pre_inds), np.asarray(post_inds)
        if pre.ndim != 1 or pre.shape != post.shape:
            raise RuntimeStateError(f"{self._describe}: set_sparse_connections needs two 1-D "
                                    f"index arrays of equal length, got shapes {pre.shape} and "
                                    f"{post.shape}")
        npre, npost = spec.source.num_neurons, spec.target.num_neurons
        if pre.size and (pre.min() < 0 or pre.max() >= npre
                         or post.min() < 0 or post.max() >= npost):
            raise RuntimeStateError(f"{self._describe}: sparse indices out of range; pre must be "
                                    f"in [0, {npre}) and post in [0, {npost})")
        counts = np.bincount(pre, minlength=npre)
        if counts.size and counts.max() > spec.max_row_length:
            raise RuntimeStateError(f"{self._describe}: row {int(np.argmax(counts))} would hold "
                                    f"{int(counts.max())} synapses but rows hold at most "
                                    f"{spec.max_row_length} (max_row_length)")
        order = np.argsort(pre, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        pre_sorted = pre[order]
        positions = pre_sorted * spec.max_row_length + (np.arange(len(pre)) - starts[pre_sorted])
        rowlen, ind = self._rows()
        rowlen[:] = counts
        ind[positions] = post[order]
        self.connectivity_changed()

    @property
    def in_syn(self) -> np.ndarray:
        """The postsynaptic input accumulator (GeNN's ``outPost``), ``(batch, num_post)``."""
        out = self._runtime._in_flight.get(("outPost", self.name))
        if out is None:
            raise RuntimeStateError(f"{self._describe}: GeNN does not expose this group's "
                                    f"postsynaptic input on the host")
        self._runtime._sync_array(out)
        return np.asarray(out.host_view).view(self._runtime._scalar).reshape(
            self._runtime.batch_size, self.spec.target.num_neurons)


class GeNNCustomUpdate(_GroupBase):
    """A loaded custom update."""

    def __init__(self, runtime: "GeNNRuntime", spec_group: Any, pg_group: Any):
        super().__init__(runtime, spec_group, pg_group)
        self.update_group_name = spec_group.update_group_name


class GeNNCustomConnectivityUpdate(_GroupBase):
    """A loaded custom connectivity update: ``vars`` (per synapse), ``pre_vars``,
    ``post_vars`` and extra global params."""

    def __init__(self, runtime: "GeNNRuntime", spec_group: Any, pg_group: Any):
        super().__init__(runtime, spec_group, pg_group)
        self.update_group_name = spec_group.update_group_name
        self.pre_vars: Dict[str, GeNNVarView] = {}
        self.post_vars: Dict[str, GeNNVarView] = {}

    def _all_views(self) -> List[Any]:
        return (list(self.vars.values()) + list(self.pre_vars.values())
                + list(self.post_vars.values()))

    @property
    def num_failed_additions(self) -> int:
        """How many ``add_synapse`` calls, since load, were refused because the row was already
        ``max_row_length`` long (or ``id_post`` was out of range); the row was left unchanged.
        (The translation counts them in a pre var of its own, see
        :func:`~ml_genn_pygenn.translate.guarded_additions`.)"""
        name = self._runtime._tr.failed_additions.get(self.name)
        if name is None:
            return 0
        counter = self._pg.pre_vars[name]
        if self._runtime._separate_device:
            counter.pull_from_device()
        return int(np.asarray(counter.view, dtype=np.int64).sum())


# ---------------------------------------------------------------------------- runtime
class GeNNRuntime:
    """A GeNN model loaded through pygenn, with pygenn 5's runtime names and the shapes and
    helpers the compiled networks of ml_genn use (see the module docstring).

    Parameters
    ----------
    built
        The :class:`~ml_genn_pygenn.backend.BuiltGeNNModel`.
    num_recording_timesteps
        Length of the spike recording buffers (None: no recording).
    """

    def __init__(self, built: Any, num_recording_timesteps: Optional[int]):
        if num_recording_timesteps is not None and (
                isinstance(num_recording_timesteps, bool)
                or int(num_recording_timesteps) != num_recording_timesteps
                or num_recording_timesteps < 0):
            raise RuntimeStateError(f"load(): num_recording_timesteps must be a non-negative "
                                    f"integer or None, got {num_recording_timesteps!r}")
        self._built = built
        spec = built.spec
        self._spec = spec
        tr = built.translation
        self._tr = tr
        self._genn = tr.model
        if self._genn._loaded:
            raise RuntimeStateError(f"Model '{spec.model_name}' is already loaded on GeNN backend "
                                    f"'{built.backend_name}'; unload it (leave its 'with' block) "
                                    f"before loading it again")
        self.backend_name = built.backend_name
        self.num_recording_timesteps = int(num_recording_timesteps or 0)
        self.batch_size = spec.batch_size
        self.dt = spec.dt
        self.model_name = spec.model_name
        self.precision = spec.precision
        self._scalar = np.float32 if spec.precision == "float" else np.float64
        self._seed = int(built.seed)
        self._separate_device = bool(built.separate_device_memory)
        self._dirty: set = set()
        self._connectivity_stale: Dict[str, bool] = {}
        self._recordings_stale = True
        recording = any(g.spike_recording_enabled or g.spike_event_recording_enabled
                        for g in spec.neuron_populations.values())
        # GeNN needs a buffer when recording is on; with none asked for, reading says so
        self._genn_recording_timesteps = (self.num_recording_timesteps or 1) if recording else None
        self._genn.load(num_recording_timesteps=self._genn_recording_timesteps)
        try:
            self._build_views()
            self._write_array_inits()
        except BaseException:
            self._genn.unload()
            raise
        self._recording_arrays = self._find_recording_arrays()
        self._in_flight = self._find_in_flight_arrays()
        # GeNN initialised the model on the device: no host copy holds its values yet
        self._after_device()

    # ------------------------------------------------------------------ views
    def _var_views(self, owner: str, specs: Dict[str, Any], pg_vars: Dict[str, Any],
                   mask: Optional[Callable[[], np.ndarray]] = None, pg_group: Any = None,
                   queued: Callable[[str], bool] = lambda name: False) -> Dict[str, GeNNVarView]:
        out = {}
        for name, v in specs.items():
            shape = self._spec.var_shape(v)
            out[name] = GeNNVarView(self, name, owner, pg_vars[name], shape,
                                    mask if v.per_element else None,
                                    pg_group if queued(name) else None)
        return out

    def _egp_views(self, owner: str, specs: Dict[str, Any], pg_egps: Dict[str, Any],
                   pg_group: Any) -> Dict[str, GeNNEGPView]:
        from ml_genn.engine.types import numpy_dtype
        return {name: GeNNEGPView(self, name, owner, pg_group, pg_egps[name],
                                  numpy_dtype(e.decl.value_type, self.precision))
                for name, e in specs.items()}

    def _build_views(self) -> None:
        spec, tr = self._spec, self._tr
        self.neuron_populations: Dict[str, GeNNNeuronGroup] = {}
        self.synapse_populations: Dict[str, GeNNSynapseGroup] = {}
        self.custom_update_populations: Dict[str, GeNNCustomUpdate] = {}
        self.custom_connectivity_update_populations: Dict[str, GeNNCustomConnectivityUpdate] = {}
        for g in spec.neuron_populations.values():
            pg = tr.neuron_groups[g.name]
            r = GeNNNeuronGroup(self, g, pg)
            queued = (lambda name, pg=pg: pg._num_delay_slots > 1
                      and pg._is_var_queue_required(name))
            r.vars = self._var_views(g.describe(), g.vars, pg.vars, pg_group=pg, queued=queued)
            r.extra_global_params = self._egp_views(g.describe(), g.extra_global_params,
                                                    pg.extra_global_params, pg)
            self._dynamic(r, g.model, g.param_values, g.dynamic_params.get("neuron", ()))
            self.neuron_populations[g.name] = r
        for s in spec.synapse_populations.values():
            pg = tr.synapse_groups[s.name]
            r = GeNNSynapseGroup(self, s, pg)
            mask = r._mask if s.matrix_type is SynapseMatrixType.SPARSE else None
            r.vars = self._var_views(s.describe(), s.vars, pg.vars, mask)
            r.pre_vars = self._var_views(s.describe(), s.pre_vars, pg.pre_vars)
            r.post_vars = self._var_views(s.describe(), s.post_vars, pg.post_vars)
            r.psm_vars = self._var_views(s.describe(), s.psm_vars, pg.psm_vars)
            r.extra_global_params = self._egp_views(s.describe(), s.extra_global_params,
                                                    pg.extra_global_params, pg)
            r.psm_extra_global_params = self._egp_views(s.describe(), s.psm_extra_global_params,
                                                        pg.psm_extra_global_params, pg)
            names = list(s.dynamic_params.get("wu", ())) + list(s.dynamic_params.get("psm", ()))
            values = {**s.ps_param_values, **s.wu_param_values}
            self._dynamic(r, None, values, names,
                          set(s.wu_model.param_names) | set(s.ps_model.param_names))
            self.synapse_populations[s.name] = r
        for c in spec.custom_updates.values():
            pg = tr.custom_updates[c.name]
            r = GeNNCustomUpdate(self, c, pg)
            mask = None
            if c.kind == "wu" and c.synapse_group.matrix_type is SynapseMatrixType.SPARSE:
                mask = self.synapse_populations[c.synapse_group.name]._mask
            specs = {n: v for n, v in c.vars.items()}
            r.vars = {}
            for name, v in specs.items():
                # Per-synapse variables of an update over a SPARSE group follow its rows
                per_synapse = mask is not None and v.per_element and \
                    v.num_elements == c.synapse_group.num_synapse_slots
                r.vars[name] = GeNNVarView(self, name, c.describe(), pg.vars[name],
                                           spec.var_shape(v), mask if per_synapse else None)
            r.extra_global_params = self._egp_views(c.describe(), c.extra_global_params,
                                                    pg.extra_global_params, pg)
            self._dynamic(r, c.model, c.param_values, c.dynamic_params.get("cu", ()))
            self.custom_update_populations[c.name] = r
        for c in spec.custom_connectivity_updates.values():
            pg = tr.custom_connectivity_updates[c.name]
            r = GeNNCustomConnectivityUpdate(self, c, pg)
            mask = self.synapse_populations[c.synapse_group.name]._mask
            r.vars = self._var_views(c.describe(), c.vars, pg.vars, mask)
            r.pre_vars = self._var_views(c.describe(), c.pre_vars, pg.pre_vars)
            r.post_vars = self._var_views(c.describe(), c.post_vars, pg.post_vars)
            r.extra_global_params = self._egp_views(c.describe(), c.extra_global_params,
                                                    pg.extra_global_params, pg)
            self._dynamic(r, c.model, c.param_values, c.dynamic_params.get("ccu", ()))
            self.custom_connectivity_update_populations[c.name] = r

    @staticmethod
    def _dynamic(r: _GroupBase, model: Any, values: Dict[str, Any], names: Any,
                 all_params: Optional[set] = None) -> None:
        r._all_params = set(all_params if all_params is not None else model.param_names)
        r._dynamic = {n: float(values[n]) for n in names}

    def _write_array_inits(self) -> None:
        """Array-valued initial values (left uninitialised in GeNN), with the cpu backend's
        rules: one row broadcast over the batch; per-synapse values of SPARSE groups given by
        indices placed into their rows in the order the indices were given."""
        spec = self._spec
        for kind, group_name, attr, var_name in self._tr.deferred_inits:
            if kind == "neuron":
                g = spec.neuron_populations[group_name]
                view = self.neuron_populations[group_name].vars[var_name]
                sg = None
            elif kind == "synapse":
                g = spec.synapse_populations[group_name]
                view = getattr(self.synapse_populations[group_name], attr)[var_name]
                sg = g if attr == "vars" else None
            elif kind == "custom_update":
                g = spec.custom_updates[group_name]
                view = self.custom_update_populations[group_name].vars[var_name]
                sg = g.synapse_group if g.kind == "wu" else None
            else:
                g = spec.custom_connectivity_updates[group_name]
                ccu = self.custom_connectivity_update_populations[group_name]
                view = getattr(ccu, attr)[var_name]
                sg = g.synapse_group if attr == "vars" else None
            v = getattr(g, attr)[var_name]
            array = view._flat.reshape(view._shape)
            positions = order = None
            if sg is not None and sg.matrix_type is SynapseMatrixType.SPARSE \
                    and sg.sparse_pre_inds is not None and v.per_element:
                order = sg.sparse_order
                pre_sorted = sg.sparse_pre_inds[order]
                counts = np.bincount(sg.sparse_pre_inds, minlength=sg.source.num_neurons)
                starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                positions = (pre_sorted * sg.max_row_length
                             + (np.arange(len(order)) - starts[pre_sorted]))
            _fill(array, v.init, positions, order)
            view._pg.push_to_device()

    def _find_recording_arrays(self) -> Dict[Tuple[str, str], Any]:
        """GeNN's recording arrays: a population's spikes; its spike-like events, which GeNN
        keeps with the (first) outgoing synapse group that detects them."""
        found = {}
        if self._genn_recording_timesteps is None:
            return found
        rt = self._genn._runtime
        for g in self._spec.neuron_populations.values():
            pg = self._tr.neuron_groups[g.name]
            if g.spike_recording_enabled:
                found[("spk", g.name)] = rt.get_array(pg, "recordSpk")
            if g.spike_event_recording_enabled:
                for s in g.out_syn:
                    try:
                        found[("evt", g.name)] = rt.get_array(self._tr.synapse_groups[s.name],
                                                              "srcRecordSpkEvent")
                        break
                    except Exception:  # noqa: BLE001 - fused into another group: try the next
                        continue
        return found

    def _find_in_flight_arrays(self) -> Dict[Tuple[str, str], Any]:
        """What :meth:`reset_in_flight_state` zeroes, by (array, group)."""
        rt = self._genn._runtime
        found = {}
        for s in self._spec.synapse_populations.values():
            pg = self._tr.synapse_groups[s.name]
            for name in ("outPost", "denDelay", "outPre", "srcSpkCnt", "trgSpkCnt",
                         "srcSpkCntEvent", "trgSpkCntEvent"):
                try:
                    found[(name, s.name)] = rt.get_array(pg, name)
                except Exception:  # noqa: BLE001 - this group has no such array
                    continue
        return found

    # ------------------------------------------------------------------ coherence
    def _before_device(self) -> None:
        """Push every view handed out since the device last ran."""
        if not self._separate_device:
            return
        for view in list(self._dirty):
            view.push_to_device()
        self._dirty.clear()

    def _after_device(self) -> None:
        """Everything on the host is now older than the device's copy."""
        if not self._separate_device:
            return
        for group in self._all_groups():
            for view in group._all_views():
                view._stale = True
            for e in list(group.extra_global_params.values()) + \
                    list(getattr(group, "psm_extra_global_params", {}).values()):
                e._stale = True
        self._connectivity_stale = {}
        self._recordings_stale = True

    def _sync_array(self, array: Any) -> None:
        if self._separate_device:
            array.pull_from_device()

    def _pull_recordings(self) -> None:
        if self._separate_device and self._recordings_stale:
            self._genn.pull_recording_buffers_from_device()
            self._recordings_stale = False

    def _all_groups(self) -> Iterator[_GroupBase]:
        yield from self.neuron_populations.values()
        yield from self.synapse_populations.values()
        yield from self.custom_update_populations.values()
        yield from self.custom_connectivity_update_populations.values()

    # ------------------------------------------------------------------ running
    @property
    def timestep(self) -> int:
        """The timestep the next ``step_time`` simulates."""
        return int(self._genn.timestep)

    @timestep.setter
    def timestep(self, value: int) -> None:
        if int(value) != value or value < 0:
            raise RuntimeStateError(f"timestep must be a non-negative integer, got {value!r}")
        self._genn.timestep = int(value)

    @property
    def t(self) -> float:
        """Time [ms]: ``timestep * dt`` (GeNN derives time from the timestep)."""
        return float(self._genn.t)

    @t.setter
    def t(self, value: float) -> None:
        self.timestep = int(round(float(value) / self.dt))

    def step_time(self) -> None:
        """Advance one timestep (synapses, then neurons, then time)."""
        self._before_device()
        self._genn.step_time()
        self._after_device()

    def run_timesteps(self, n: int) -> None:
        """Advance ``n`` timesteps.

        Parameters
        ----------
        n
            Number of timesteps (non-negative).
        """
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise RuntimeStateError(f"run_timesteps needs a non-negative integer, got {n!r}")
        self._before_device()
        step = self._genn.step_time
        for _ in range(int(n)):
            step()
        self._after_device()

    def custom_update(self, name: str) -> None:
        """Run every custom update of update group ``name``.

        Parameters
        ----------
        name
            The update group.
        """
        genn_name = self._tr.names.update_groups.get(name)
        if genn_name is None:
            raise RuntimeStateError(f"Model '{self.model_name}' has no custom update group "
                                    f"'{name}'; groups: {sorted(self._tr.names.update_groups)}")
        self._before_device()
        self._genn.custom_update(genn_name)
        self._after_device()

    def reset_in_flight_state(self) -> None:
        """Zero postsynaptic inputs, dendritic delay buffers, ``addToPre`` outputs and spike
        queues, so that nothing emitted in one batch reaches the next."""
        for array in self._in_flight.values():
            np.asarray(array.host_view).view(np.uint8)[...] = 0
            array.push_to_device()

    @contextlib.contextmanager
    def recording_paused(self) -> Iterator["GeNNRuntime"]:
        """Context whose steps leave the spike recordings as they were on entry (GeNN writes
        them every step; they are saved on entry and written back on exit)."""
        saved = []
        if self._recording_arrays:
            self._pull_recordings()
            saved = [(a, np.asarray(a.host_view).view(np.uint8).copy())
                     for a in self._recording_arrays.values()]
        try:
            yield self
        finally:
            for array, copy in saved:
                np.asarray(array.host_view).view(np.uint8)[...] = copy
                array.push_to_device()
            if saved:       # host and device hold the restored buffers
                self._recordings_stale = False

    def pull_recording_buffers_from_device(self) -> None:
        """Copy the spike recording buffers from the device."""
        if self._recording_arrays:
            self._genn.pull_recording_buffers_from_device()
            self._recordings_stale = False

    # ------------------------------------------------------------------ RNG / threads
    def get_rng_state(self) -> Dict[str, int]:
        """The seed GeNN's generators started from, under the names the cpu backend's state
        has (``step`` and ``custom_update_step`` are 0: GeNN's streams cannot be read), so that
        checkpoints move between backends."""
        return {"seed": self._seed, "step": 0, "custom_update_step": 0}

    def set_rng_state(self, state: Dict[str, int]) -> None:
        """Take a state from :meth:`get_rng_state` (or the cpu backend's). GeNN's streams
        cannot be repositioned: a resumed run draws new random numbers (a
        :class:`GeNNRNGWarning` says so when the state is another run's)."""
        try:
            seed = int(state["seed"])
            moved = int(state.get("step", 0)) or int(state.get("custom_update_step", 0))
        except (KeyError, TypeError, ValueError) as e:
            raise RuntimeStateError(f"set_rng_state needs the dict get_rng_state returns, got "
                                    f"{state!r}") from e
        if seed != self._seed or moved:
            warnings.warn(f"Model '{self.model_name}' on GeNN backend '{self.backend_name}': "
                          f"GeNN's random number streams cannot be restored; the run goes on "
                          f"with fresh random numbers (the seed recorded is {seed})",
                          GeNNRNGWarning, stacklevel=2)
        self._seed = seed

    def set_num_threads(self, n: int) -> None:
        """Accepted for the cpu backend's API: GeNN's backends choose their own parallelism.

        Parameters
        ----------
        n
            Threads (checked, then ignored).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise RuntimeStateError(f"set_num_threads needs a positive integer, got {n!r}")

    @property
    def num_threads(self) -> int:
        """1: GeNN's backends manage their own parallelism."""
        return 1

    @property
    def has_openmp(self) -> bool:
        """False: GeNN's CPU backend is single-threaded."""
        return False

    # ------------------------------------------------------------------ profiling
    def _timer(self, name: str) -> float:
        if not self._spec.timing_enabled:
            raise RuntimeStateError(f"Model '{self.model_name}' was built without kernel "
                                    f"profiling; pass kernel_profiling=True to the compiler")
        return float(getattr(self._genn, name))

    @property
    def neuron_update_time(self) -> float:
        """Seconds GeNN spent in neuron updates (with kernel profiling)."""
        return self._timer("neuron_update_time")

    @property
    def presynaptic_update_time(self) -> float:
        """Seconds GeNN spent propagating spikes and spike-like events."""
        return self._timer("presynaptic_update_time")

    @property
    def postsynaptic_update_time(self) -> float:
        """Seconds GeNN spent in postsynaptic learning code."""
        return self._timer("postsynaptic_update_time")

    @property
    def synapse_dynamics_time(self) -> float:
        """Seconds GeNN spent in synapse dynamics code."""
        return self._timer("synapse_dynamics_time")

    @property
    def init_time(self) -> float:
        """Seconds GeNN spent initialising the model."""
        return self._timer("init_time")

    @property
    def init_sparse_time(self) -> float:
        """Seconds GeNN spent initialising sparse connectivity and its variables."""
        return self._timer("init_sparse_time")

    def get_custom_update_time(self, name: str) -> float:
        """Seconds spent in custom update group ``name`` (with kernel profiling)."""
        self._timer("init_time")
        if name not in self._tr.names.update_groups and name in self._spec.host_update_groups:
            return 0.0
        if name not in self._tr.names.update_groups:
            raise RuntimeStateError(f"Model '{self.model_name}' has no custom update group "
                                    f"'{name}'; groups: {sorted(self._tr.names.update_groups)}")
        return float(self._genn.get_custom_update_time(self._tr.names.update_groups[name]))

    def get_custom_update_transpose_time(self, name: str) -> float:
        """Seconds spent transposing in custom update group ``name`` (with kernel profiling)."""
        self._timer("init_time")
        if name not in self._tr.names.update_groups and name in self._spec.host_update_groups:
            return 0.0
        return float(self._genn.get_custom_update_transpose_time(
            self._tr.names.update_groups[name]))

    @property
    def custom_update_time(self) -> float:
        """Seconds GeNN spent in all custom update groups."""
        return sum(self.get_custom_update_time(n) for n in self._tr.names.update_groups)

    # ------------------------------------------------------------------ end
    def unload(self) -> None:
        """Free GeNN's memory; the built model can be loaded again."""
        if self._genn._loaded:
            self._genn.unload()


_fill = fill_initial_values
