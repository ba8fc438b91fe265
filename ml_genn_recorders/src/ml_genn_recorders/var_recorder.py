"""VarRecorder: a neuron variable of a population at every timestep, per example."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ml_genn.utils.filter import ExampleFilterType, NeuronFilterType, get_neuron_filter
from ml_genn.utils.network import get_underlying_pop

from .engine_access import neuron_group
from .recorder import Recorder, require_selected_neurons
from .sinks import DenseSink, PathType
from .timestep_sampler import TimestepSampler, make_gather, var_is_batched
from .var_names import describe_recordable, engine_var_name
from ml_genn.errors import InvalidTypeError, InvalidValueError


class VarRecorder(Recorder):
    """Record a neuron variable of a population at the end of every timestep.

    Parameters
    ----------
    pop
        Population (or Layer) to record.
    var
        mlGeNN name of the variable, e.g. ``"v"``.
    key
        Key of the recording in ``cb_data``.
    example_filter
        Which examples to record: an int, a sequence of ints or a boolean mask.
    neuron_filter
        Which neurons to record: an int, a sequence of ints, a slice, a boolean mask of the
        population's shape, or per-dimension indices such as ``np.index_exp[2:5, 0]``.
    genn_var
        Internal engine name of the variable (e.g. ``"V"``, or a compiler's own such as
        ``"LambdaV"``), instead of ``var``.
    to_disk
        Folder to stream the recording into (``.npy`` files) instead of memory.

    Notes
    -----
    ``cb_data[key]`` is a list with, per recorded example, an array of shape
    ``(timesteps, recorded_neurons)`` (neurons in ascending flat id order). Where the engine
    can record the variable itself (the cpu backend, evaluating with an inference-compiled
    network) it fills a ring of the values after every timestep that the recorder reads once
    per batch, so examples still run in one native call (where the whole batch is recorded,
    the engine writes straight into the result's memory); otherwise the run steps one timestep
    at a time and the recorder copies the value after each.
    """

    def __init__(self, pop: Any, var: Optional[str] = None, key: Any = None,
                 example_filter: ExampleFilterType = None,
                 neuron_filter: NeuronFilterType = None, genn_var: Optional[str] = None,
                 to_disk: Optional[PathType] = None):
        self._pop = get_underlying_pop(pop)
        self._label = var if var is not None else genn_var
        if (var is None) == (genn_var is None):
            raise InvalidValueError(
                f"VarRecorder(Population '{self._pop.name}') needs either var (the "
                f"mlGeNN name, e.g. 'v') or genn_var (the engine name, e.g. 'V'), "
                f"got var={var!r}, genn_var={genn_var!r}")
        for name, value in (("var", var), ("genn_var", genn_var)):
            if value is not None and not isinstance(value, str):
                raise InvalidTypeError(f"{self.describe()}: {name} must be a string, got "
                                       f"{type(value).__name__}: {value!r}")
        self._mlgenn_var = var
        self._var = engine_var_name(self._pop, var, self.describe()) if var is not None \
            else genn_var
        if self._pop.shape is None:
            raise InvalidValueError(
                f"{self.describe()}: Population '{self._pop.name}' has no shape yet; "
                f"create the recorder once its connections have given it one")
        self._neuron_filter = get_neuron_filter(neuron_filter, self._pop.shape)
        require_selected_neurons(self.describe(), "neuron_filter", neuron_filter,
                                 self._neuron_filter)
        # The engine's default precision, so estimate_memory works before a run; replaced by
        # the variable's real dtype once bound to a compiled network
        self._dtype = np.dtype(np.float32)
        super().__init__(key, example_filter, to_disk)

    def describe(self) -> str:
        return f"VarRecorder(Population '{self._pop.name}', '{self._label}')"

    @property
    def genn_var(self) -> str:
        """The engine variable recorded."""
        return self._var

    # ------------------------------------------------------------------ set-up
    def prepare(self, compiled_network: Any) -> None:
        group = neuron_group(compiled_network, self._pop, self.describe())
        if self._var not in group.vars:
            what = f"variable '{self._mlgenn_var}' (engine '{self._var}')" \
                if self._mlgenn_var is not None else f"engine variable '{self._var}'"
            params = getattr(getattr(group, "spec", None), "params", {}) or {}
            hint = f" '{self._var}' is a constant parameter, not a state variable;" \
                if self._var in params else ""
            raise InvalidValueError(
                f"{self.describe()}: Population '{self._pop.name}' has no {what} "
                f"in the compiled network;{hint} recordable variables: "
                f"{describe_recordable(self._pop, group.vars)}")
        self._var_view = group.vars[self._var]
        view = self._var_view.view
        num_neurons = self._neuron_filter.mask.size
        self._batched = var_is_batched(view, self._batch_size, num_neurons, self.describe())
        self._dtype = view.dtype
        nf = self._neuron_filter
        self._columns = None if nf.records_all else nf.indices
        self._sampler = TimestepSampler(self._batched)
        self._ring = None
        timesteps = getattr(compiled_network, "example_timesteps", None)
        if (getattr(compiled_network, "batch_runs_example_steps_only", False)
                and hasattr(group, "record_var") and timesteps):
            # The engine records natively: no timestep hook, a ring read once per batch
            self._group = group
            self._ring = group.record_var(self._var, int(timesteps))
            # Hide the hook from the callback list (None reads as "not implemented"; a bound
            # method stored on the instance would tie it into a reference cycle)
            self.on_timestep_end = None
        else:
            self.__dict__.pop("on_timestep_end", None)
        self._begin_step = int(self._genn_model.timestep)
        self._start_batch(self._slots)
        self._direct = None
        label = self.key if self.key is not None else f"{self._pop.name}_{self._var}"
        self._sink = DenseSink(self.to_disk, str(label))

    def _start_batch(self, slots: np.ndarray) -> None:
        self._slots = slots
        self._gather = make_gather(self._batched, self._batch_size, slots, self._columns)
        self._sampler.start(len(slots))

    def _flush(self) -> None:
        block = self._sampler.take_block()
        if block is not None:
            self._sink.append(block)

    def estimate_memory(self, num_examples: int, num_timesteps: int) -> int:
        return num_examples * num_timesteps * self._neuron_filter.num_selected \
            * self._dtype.itemsize

    # ------------------------------------------------------------------ hooks
    def on_batch_begin(self, batch: int) -> None:
        self._flush()
        self._start_batch(self.slots_for_batch(batch))
        self._begin_step = int(self._genn_model.timestep)
        self._start_direct()

    def on_timestep_end(self, timestep: int) -> None:
        """Copy the variable where the engine cannot record it itself."""
        if self._sampler.active:
            self._var_view.pull_from_device()
            self._sampler.add(self._gather(self._var_view.view))

    def _start_direct(self) -> None:
        """Where a whole batch's trace is wanted as the engine lays it out (every slot, every
        neuron, the batch starting on a ring row 0), have the engine write it straight into
        the memory the result will live in: nothing is copied afterwards."""
        self._direct = None
        ring = self._ring
        # (With no example filter the slots are the batch's first ones, the block's first rows)
        if (ring is None or self._columns is not None or not len(self._slots)
                or not self._example_filter.records_all
                or self._begin_step % ring.shape[1] != 0
                or not hasattr(self._group, "record_var_into")):
            return
        block = self._sink.empty(ring.shape, ring.dtype)
        if self._group.record_var_into(self._var, block):
            self._direct = block

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        end = int(self._genn_model.timestep)
        if self._direct is not None:
            block, self._direct = self._direct, None
            self._group.record_var_into(self._var, None)   # the engine writes its ring again
            if end - self._begin_step == block.shape[1]:
                self._sink.append(block[:len(self._slots)])
            else:   # the batch ran another number of steps: read it as a ring
                self._sink.append(self._read_ring(self._begin_step, end, block))
        elif self._ring is not None and len(self._slots):
            self._sink.append(self._read_ring(self._begin_step, end, self._ring))
        self._flush()

    def _read_ring(self, begin: int, end: int, ring: np.ndarray) -> np.ndarray:
        """Timesteps ``[begin, end)`` of the recorded slots and neurons, copied once from a
        ring laid out as the engine's, ``(batch, ring_steps, neurons)``, into
        ``(slots, timesteps, kept)``."""
        ring_steps = ring.shape[1]
        if end - begin > ring_steps:
            raise RuntimeError(f"{self.describe()}: the batch ran {end - begin} timesteps, more "
                               f"than the {ring_steps} recorded")
        columns = self._columns
        kept = ring.shape[2] if columns is None else len(columns)
        block = self._sink.empty((len(self._slots), end - begin, kept), ring.dtype)
        # The ring's rows of the batch are one contiguous run, or two where it wraps
        done = 0
        while done < end - begin:
            first = (begin + done) % ring_steps
            count = min(end - begin - done, ring_steps - first)
            for position, slot in enumerate(self._slots):
                rows = ring[slot, first:first + count]
                target = block[position, done:done + count]
                if columns is None:
                    np.copyto(target, rows)
                else:
                    np.take(rows, columns, axis=1, out=target)
            done += count
        return block

    # ------------------------------------------------------------------ results
    def result(self) -> List[np.ndarray]:
        self._flush()
        if self._ring is not None:
            if self._direct is not None:   # a batch that never ended
                self._group.record_var_into(self._var, None)
                self._direct = None
            # Recording nothing costs nothing again once the run's data is handed over
            self._group.stop_recording_var(self._var)
            self._ring = None
        return self._sink.result()
