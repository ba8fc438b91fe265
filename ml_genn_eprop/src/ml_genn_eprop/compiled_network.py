"""The compiled e-prop network: core's training loop with e-prop's batch structure."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ml_genn.compilers.compiled_training_network import CompiledTrainingNetwork
from ml_genn.engine import VarAccess
from ml_genn.errors import InvalidValueError

from . import factorised as F
from .network_plan import NetworkPlan

#: Synapse variables the factorised form updates once per batch
PER_SYNAPSE_TRACES = ("eFiltered", "epsilonA", "DeltaG")

#: Custom update groups that compute the outputs' softmax, in order
SOFTMAX_GROUPS = ("Softmax1", "Softmax2", "Softmax3")

#: Batch elements the factorised form brings up to date together
LANE_GROUP = 32

#: Checkpoint key of the neuron state that runs on from batch to batch
STATE_KEY = "eprop_state"
#: Key (beside the epochs) of the one copy of the synapses' eligibility traces
TRACE_KEY = "eprop_traces"


def _encode(keys: tuple) -> np.ndarray:
    return np.frombuffer(repr(keys).encode(), dtype=np.uint8)


def _decode(array: np.ndarray) -> str:
    return np.asarray(array, dtype=np.uint8).tobytes().decode()


class CompiledEPropNetwork(CompiledTrainingNetwork):
    """A network compiled by :class:`~ml_genn_eprop.compiler.EPropCompiler`.

    ``train`` and ``evaluate`` behave as core's. Neuron state and eligibility traces run on from
    one batch to the next (mlGeNN's semantics); only the readouts start afresh. With the
    factorised implementation, the synapses' traces and gradients are brought up to date at
    the end of every batch (:mod:`ml_genn_eprop.factorised`). Gradients come from the batch's
    real examples only (the padding of a partial last batch contributes nothing), and what
    validation or evaluation accumulated is discarded before the next training batch.
    Checkpoints hold the weights, biases, optimiser state and the neurons' running state; the
    synapses' traces are kept for the latest checkpoint of a run, so resuming from it continues
    exactly.
    """

    def __init__(self, *args: Any, compiler: Any, plan: NetworkPlan,
                 trained_connections: List[Any], readout_vars: Dict[Any, List[str]],
                 softmax: Dict[Any, tuple], biased: List[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.compiler = compiler
        self.plan = plan
        self.trained_connections = list(trained_connections)
        self.readout_vars = dict(readout_vars)
        self.softmax = dict(softmax)
        self.biased = list(biased)
        if not compiler.per_synapse:
            # Presynaptic spikes of each batch are read from the recording
            self.num_recording_timesteps = self.example_timesteps
        #: Wall time spent simulating and (factorised form) bringing the synapses up to date
        self.seconds = {"simulation": 0.0, "synapse_updates": 0.0}

    # ------------------------------------------------------------------ loading
    def on_load(self) -> None:
        self._readout_initial = {
            (pop, var): self.neuron_populations[pop].vars[var].view.copy()
            for pop, names in self.readout_vars.items() for var in names}
        self._recorded: Dict[tuple, np.ndarray] = {}
        if not self.compiler.per_synapse:
            for pop, name in self._series_wanted():
                self._recorded[pop, name] = self.neuron_populations[pop].record_var(
                    name, self.example_timesteps)
        for plan in self.plan.role("output"):
            if plan.readout == "var":
                self._recorded[plan.population, "V"] = self.neuron_populations[
                    plan.population].record_var("V", self.example_timesteps)
        super().on_load()

    def _restore_extra_state(self) -> None:
        self._restore_state()

    def on_connectivity_changed(self, group: Any) -> None:
        # The factorised form caches where each SPARSE synapse is stored
        self.__dict__.pop("_layouts", None)

    def synchronise_ranks(self) -> None:
        """Core's (weights, optimiser state, step), and a warning when a checkpoint was
        restored: the neurons' and synapses' running state carries over between batches,
        per batch element, and a checkpoint holds rank 0's elements only, so the other ranks
        do not continue exactly as the original run."""
        super().synchronise_ranks()
        restored = np.array([self.resume_from is not None], dtype=np.int64)
        self.communicator.broadcast(restored, 0)
        if restored[0] and self.rank == 0:
            import warnings
            warnings.warn(
                f"EPropCompiler: resuming on {self.num_ranks} ranks restores the running "
                f"neuron and synapse state of rank 0's batch elements only; ranks 1 to "
                f"{self.num_ranks - 1} keep the state they have, so training will not "
                f"continue exactly as the original run (weights and optimiser state are exact)",
                RuntimeWarning, stacklevel=2)

    def _series_wanted(self) -> List[tuple]:
        """Neuron variables the factorised form reads at every step."""
        wanted = []
        for plan in self.plan.role("hidden"):
            wanted += [(plan.population, n) for n in ("Psi", "E")]
        wanted += [(p.population, "E") for p in self.plan.role("output")]
        return wanted

    # ------------------------------------------------------------------ checkpoints
    def _state_views(self) -> Dict[tuple, np.ndarray]:
        """Every per-batch-element variable that carries over between batches, keyed
        ``(kind, group, variable)``; kind ``"synapse"`` marks the per-synapse traces."""
        views: Dict[tuple, np.ndarray] = {}
        for name, group in self.genn_model.neuron_populations.items():
            for var, view in group.vars.items():
                if self._spec.neuron_populations[name].vars[var].access is VarAccess.READ_WRITE:
                    views["neuron", name, var] = view.view
        for name, group in self.genn_model.synapse_populations.items():
            for kind, table in (("pre", group.pre_vars), ("post", group.post_vars)):
                for var, view in table.items():
                    views[kind, name, var] = view.view
            # DeltaG is not state: the next training batch starts it from zero
            for var in ("eFiltered", "epsilonA"):
                if var in group.vars:
                    # The VarView: saved and restored per synapse (``values``), so that
                    # SPARSE rows' padding and capacity are not part of a checkpoint
                    views["synapse", name, var] = group.vars[var]
        return views

    @staticmethod
    def _trace_keys(keys: tuple) -> tuple:
        # Checkpoints of one run share their leading keys (all but the epoch)
        return keys[:-1] + (TRACE_KEY,)

    def save_state(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Save optimiser and RNG state (core's) and every neuron's running state (voltages,
        adaptation, traces, learning signals) with each checkpoint."""
        keys = tuple(keys)
        super().save_state(keys, serialiser)
        for (kind, group, var), view in self._state_views().items():
            if kind != "synapse":
                serialiser.serialise(keys + (STATE_KEY, f"{kind}.{group}.{var}"), np.array(view))

    def save_after(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Save the synapses' eligibility traces once, for the latest checkpoint, as a unit of
        their own (they are as large as the weights times the batch size, and a copy per
        epoch would multiply that); written after the checkpoint is complete, so a run killed
        meanwhile leaves a complete checkpoint whose traces are merely missing."""
        keys = tuple(keys)
        trace_keys = self._trace_keys(keys)
        with serialiser.checkpoint(trace_keys):
            for (kind, group, var), view in self._state_views().items():
                if kind == "synapse":
                    serialiser.serialise(trace_keys + (f"{group}.{var}",), view.values)
            # Which checkpoint the traces belong to
            serialiser.serialise(trace_keys + ("owner",), _encode(keys))

    def _restore_state(self) -> None:
        import warnings
        from ml_genn.compilers.checkpoint_checks import checked_array
        from ml_genn.errors import CheckpointError
        keys, serialiser = self.resume_from
        keys = tuple(keys)
        state = serialiser.deserialise_all(keys + (STATE_KEY,))
        try:
            traces = serialiser.deserialise_all(self._trace_keys(keys))
        except CheckpointError as exc:
            # The traces are a unit of their own, kept for the latest checkpoint only: an
            # interrupted or damaged copy is reported and treated as absent
            warnings.warn(f"EPropCompiler: ignoring the saved synapse traces: {exc}",
                          RuntimeWarning, stacklevel=3)
            traces = {}
        owner = traces.pop("owner", None)
        if not state and owner is None:
            return      # not written by e-prop (e.g. weights from elsewhere): a fresh start
        traces_ours = owner is not None and _decode(owner) == repr(keys)
        missing, assignments = [], []
        for (kind, group, var), view in self._state_views().items():
            key = f"{group}.{var}" if kind == "synapse" else f"{kind}.{group}.{var}"
            source = traces if kind == "synapse" else state
            if kind == "synapse" and not traces_ours:
                missing.append(key)
            elif key in source:
                where = serialiser.describe((self._trace_keys(keys) if kind == "synapse"
                                             else keys + (STATE_KEY,)) + (key,))
                shape = view.values.shape if kind == "synapse" else view.shape
                assignments.append((view, checked_array(source[key], shape, where,
                                                        f"e-prop state '{key}'")))
            else:
                missing.append(key)
        for view, values in assignments:
            if isinstance(view, np.ndarray):
                view[...] = values
            else:
                view.values = values
        if missing:
            warnings.warn(
                f"EPropCompiler: the checkpoint {keys} holds no running state for "
                f"{', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''} (synapse traces "
                f"are kept for the latest checkpoint of a run only); training resumes with "
                f"them at zero, so it will not continue exactly as the original run",
                RuntimeWarning, stacklevel=3)

    # ------------------------------------------------------------------ callbacks
    def _callbacks(self, base: List[Any], callbacks: Any, mode: str, num_batches: int,
                   num_epochs: int, num_examples: Optional[int] = None) -> Any:
        if not self.compiler.per_synapse:
            for callback in callbacks or []:
                var = getattr(callback, "genn_var", None)
                if var in PER_SYNAPSE_TRACES:
                    raise InvalidValueError(
                        f"{type(callback).__name__} of '{var}': the factorised e-prop "
                        f"implementation brings the synapses' {', '.join(PER_SYNAPSE_TRACES)} "
                        f"up to date at the end of each batch, not every timestep; compile with "
                        f"EPropCompiler(..., implementation='per_synapse') to record them per "
                        f"timestep")
        return super()._callbacks(base, callbacks, mode, num_batches, num_epochs, num_examples)

    # ------------------------------------------------------------------ data
    def _check_target(self, target: Any, pop: Any, what: str) -> np.ndarray:
        from ml_genn.compilers.data_checks import check_timestep_targets
        plan = self.plan.populations[pop]
        if plan.classification:
            return plan.loss.check_target(target, pop, what)
        y = check_timestep_targets(target, pop, self.example_timesteps, f"{what}[{pop.name!r}]")
        return y.reshape(len(y), self.example_timesteps, pop.num_neurons)

    def _set_targets(self, y: Dict[Any, np.ndarray]) -> None:
        for pop, target in y.items():
            plan = self.plan.populations[pop]
            group = self.neuron_populations[pop]
            if plan.classification:
                plan.loss.set_target(group, target, pop.shape, self.batch_size,
                                     self.example_timesteps)
            else:
                ring = np.zeros((self.batch_size, self.example_timesteps, pop.num_neurons))
                ring[:len(target)] = target
                group.extra_global_params["YTrue"].view[:] = ring.reshape(-1)

    def _prediction(self, pop: Any, n: int) -> np.ndarray:
        """What a metric compares with the targets: the readout, or for regression the whole
        trial's output (a target per timestep)."""
        if self.plan.populations[pop].readout == "var":
            return self._series(pop, "V")[:n].astype(np.float64).reshape(
                (n, self.example_timesteps) + tuple(pop.shape))
        return self.get_readout(pop)[:n]

    # ------------------------------------------------------------------ one batch
    def reset_batch_state(self) -> None:
        super().reset_batch_state()
        for (pop, var), initial in self._readout_initial.items():
            self.neuron_populations[pop].vars[var].view[...] = initial

    def run_example(self, callback_list: Any) -> None:
        """Simulate one trial; with classification outputs, their softmax is brought up to date
        after every timestep (the readouts and errors read it), as mlGeNN's custom updates do."""
        if not self.softmax:
            return super().run_example(callback_list)
        timestep_hooks = callback_list is not None and callback_list.has_timestep_callbacks
        model = self.genn_model
        for _ in range(self.example_timesteps):
            timestep = model.timestep
            if timestep_hooks:
                callback_list.on_timestep_begin(timestep)
            model.step_time()
            for name in SOFTMAX_GROUPS:
                model.custom_update(name)
            if timestep_hooks:
                callback_list.on_timestep_end(timestep)

    def _gradients(self) -> List[np.ndarray]:
        views = [self.connection_populations[c].vars["DeltaG"].view
                 for c in self.trained_connections]
        return views + [self.neuron_populations[p].vars["DeltaBias"].view for p in self.biased]

    def _run_batch(self, batch: int, x: Dict, y: Dict, metrics: Dict, callback_list: Any,
                   train: bool) -> None:
        n = len(next(iter(y.values())))
        self.reset_batch_state()
        self.set_input(x)
        self._set_targets(y)
        if train:
            # Validation and evaluation run the same rule; what they accumulated is not learned
            for view in self._gradients():
                view[...] = 0.0
        start = self._snapshot() if not self.compiler.per_synapse else None
        callback_list.on_batch_begin(batch)
        begin = time.perf_counter()
        self.run_example(callback_list)
        simulated = time.perf_counter()
        self.seconds["simulation"] += simulated - begin
        if start is not None:
            self._factorised_update(start, train)
            self.seconds["synapse_updates"] += time.perf_counter() - simulated
        for pop, target in y.items():
            metrics[pop].update(target, self._prediction(pop, n), self.communicator)
        if train:
            # The padding of a partial batch is not learned from (either implementation)
            for view in self._gradients():
                view[n:] = 0.0
            self._apply_gradients(batch, callback_list)
        callback_list.on_batch_end(batch, metrics)
        if train:
            self.optimiser_step += 1

    # ------------------------------------------------------------------ factorised form
    @property
    def _dtype(self) -> type:
        """Host arithmetic follows the model's precision."""
        return np.float64 if self._spec.precision == "double" else np.float32

    def _snapshot(self) -> Dict[tuple, np.ndarray]:
        """The state the batch starts from, as the factorised form needs it."""
        dtype = self._dtype
        start: Dict[tuple, np.ndarray] = {}
        for pop, name in self._series_wanted():
            start[pop, name] = np.array(self.neuron_populations[pop].vars[name].view, dtype=dtype)
        for conn in self.trained_connections:
            group = self.connection_populations[conn]
            start[conn, "ZFilter"] = np.array(group.pre_vars["ZFilter"].view, dtype=dtype)
            for var in ("Psi", "FAvg"):
                if var in group.post_vars:
                    start[conn, var] = np.array(group.post_vars[var].view, dtype=dtype)
        # The engine leaves eFiltered, epsilonA and DeltaG alone in this form: no copies needed
        return start

    def _series(self, pop: Any, name: str, lanes: slice = slice(None)) -> np.ndarray:
        """A recorded variable after each step of the batch just run, ``(lanes, K, N)``."""
        ring = self._recorded[pop, name][lanes]
        shift = (self.genn_model.timestep - self.example_timesteps) % self.example_timesteps
        ring = np.roll(ring, -shift, axis=1) if shift else ring
        # Read before the next batch overwrites it: no copy needed
        return ring.astype(self._dtype, copy=False)

    def _spike_events(self, pop: Any, lanes: slice) -> tuple:
        """Every spike of the batch just run in ``lanes``: ``(offsets, rows, ids)`` as
        :class:`~ml_genn_eprop.factorised.SpikeRaster` takes them (row ``q + 1`` for a spike
        in step ``q``), in step order within each batch element."""
        group = self.neuron_populations[pop]
        end = self.genn_model.timestep
        first = end - self.example_timesteps
        offsets, times, ids = group.unpack_recording("spk", first, end,
                                                     np.arange(lanes.start, lanes.stop))
        steps = np.rint(times / self.compiler.dt).astype(np.int64) - first
        return np.asarray(offsets, np.int64) - offsets[0], steps + 1, ids

    def _raster(self, pop: Any, events: tuple, lanes: slice) -> np.ndarray:
        """The spikes ``events`` in ``lanes`` as a dense ``(lanes, K, N)`` array of 0/1 (step
        ``q`` in row ``q``), for the filtered rates of a hidden population."""
        offsets, rows, ids = events
        elements = np.repeat(np.arange(lanes.stop - lanes.start), np.diff(offsets))
        # One buffer per population and size, reused: zeroing beats new pages every batch
        buffers = self.__dict__.setdefault("_raster_buffers", {})
        shape = (lanes.stop - lanes.start, self.example_timesteps, pop.num_neurons)
        if (pop, shape) not in buffers:
            buffers[pop, shape] = np.zeros(shape, dtype=self._dtype)
        else:
            buffers[pop, shape].fill(0.0)
        raster = buffers[pop, shape]
        raster[elements, rows - 1, ids] = 1.0
        return raster

    def _synapse_arrays(self, conn: Any, names: Sequence[str], lanes: slice) -> tuple:
        """``({name: (lanes, num_pre, num_post) array}, write_back)`` of per-synapse, per-lane
        variables: the engine's own memory for DENSE connections (``write_back`` does nothing),
        dense copies for SPARSE ones (``write_back()`` stores them)."""
        group = self.connection_populations[conn]
        shape = (self.batch_size, conn.source.num_neurons, conn.target.num_neurons)
        views = {name: group.vars[name].view for name in names}
        layout = self._sparse_layout(conn)
        if layout is None and all(v.dtype == self._dtype for v in views.values()):
            return {name: v.reshape(shape)[lanes] for name, v in views.items()}, lambda: None
        if layout is None:
            arrays = {name: v.reshape(shape)[lanes].astype(self._dtype)
                      for name, v in views.items()}

            def write_back():
                for name, v in views.items():
                    v.reshape(shape)[lanes] = arrays[name]
            return arrays, write_back
        slots, pre, post = layout
        arrays = {}
        for name, v in views.items():
            arrays[name] = np.zeros((lanes.stop - lanes.start,) + shape[1:], dtype=self._dtype)
            arrays[name][:, pre, post] = v.reshape(self.batch_size, -1)[lanes, slots]

        def write_back():
            for name, v in views.items():
                flat = v.reshape(self.batch_size, -1)
                flat[lanes, slots] = arrays[name][:, pre, post]
        return arrays, write_back

    def _sparse_layout(self, conn: Any) -> Optional[tuple]:
        """``(slots, pre, post)`` of a SPARSE connection's synapses, None for DENSE."""
        from ml_genn.engine import SynapseMatrixType
        group = self.connection_populations[conn]
        if group.matrix_type is not SynapseMatrixType.SPARSE:
            return None
        cache = self.__dict__.setdefault("_layouts", {})
        if conn not in cache:
            pre, post = group.get_sparse_pre_inds(), group.get_sparse_post_inds()
            width = group.spec.max_row_length
            rank = np.arange(len(pre)) - np.searchsorted(pre, pre)
            cache[conn] = (pre * width + rank, pre, post)
        return cache[conn]

    def _hidden_series(self, plan: Any, conn: Any, start: Dict,
                       rasters: Dict[Any, np.ndarray], lanes: slice) -> F.HiddenSeries:
        """The series a connection into hidden population ``plan`` reads (its own copies of
        ``Psi`` and ``FAvg`` start the pseudo-derivative and rate series)."""
        pop, c = plan.population, self.compiler
        # Step u's synapses read the Psi the neurons' update computed in step u - 1 (as the
        # synapses' post dynamics do, after the sim code and before the reset): the synapses'
        # own Psi at u = 0, then the neurons' recorded Psi of steps 0, 1, ...
        recorded = self._series(pop, "Psi", lanes)
        psi = np.empty_like(recorded)
        psi[:, 0] = start[conn, "Psi"]
        psi[:, 1:] = recorded[:, :-1]
        f_avg = F.filtered_average(start[conn, "FAvg"], rasters[pop],
                                   float(np.exp(-c.dt / c.tau_reg)))
        regulariser = F.shifted(start[conn, "FAvg"], f_avg)
        regulariser -= c.f_target * c.dt / 1000.0
        regulariser *= c.c_reg
        signal = F.shifted(start[pop, "E"], self._series(pop, "E", lanes))
        return F.HiddenSeries(psi, signal, regulariser)

    def _factorised_update(self, start: Dict, train: bool) -> None:
        """Bring every trained synapse's ``eFiltered``, ``epsilonA`` and (training)
        ``DeltaG`` to where the per-synapse rule would have them after this batch, a group of
        batch elements at a time (they are independent; the groups bound the memory of the
        time series to that of LANE_GROUP elements)."""
        for first in range(0, self.batch_size, LANE_GROUP):
            lanes = slice(first, min(first + LANE_GROUP, self.batch_size))
            self._update_lanes({k: v[lanes] for k, v in start.items()}, lanes, train)

    def _update_lanes(self, start: Dict, lanes: slice, train: bool) -> None:
        plan, c = self.plan, self.compiler
        alpha = float(np.exp(-c.dt / plan.tau_mem))
        rho = float(np.exp(-c.dt / plan.tau_adapt)) if plan.tau_adapt else 0.0
        # The engine's thread count also runs the spike sums' products
        threads = int(getattr(self.genn_model, "num_threads", 1))
        events = {}
        for pop in [conn.source for conn in self.trained_connections] \
                + [p.population for p in plan.role("hidden")]:
            if pop not in events:
                events[pop] = self._spike_events(pop, lanes)
        rasters = {p.population: self._raster(p.population, events[p.population], lanes)
                   for p in plan.role("hidden")}
        columns: Dict[Any, F.HiddenColumns] = {}
        for conn in self.trained_connections:
            trace = np.broadcast_to(start[conn, "ZFilter"],
                                    (lanes.stop - lanes.start, conn.source.num_neurons))
            raster = F.SpikeRaster(trace, *events[conn.source], self.example_timesteps + 1)
            if plan.connections[conn].rule == "output":
                if not train:
                    continue
                arrays, write_back = self._synapse_arrays(conn, ["DeltaG"], lanes)
                error = F.shifted(start[conn.target, "E"],
                                  self._series(conn.target, "E", lanes))
                F.output_gradient(error, alpha, raster, arrays["DeltaG"], threads)
            else:
                target = plan.populations[conn.target]
                # The post series of one population serve all its incoming connections unless
                # their copies of Psi and FAvg differ (only if set by hand)
                key = (conn.target, start[conn, "Psi"].tobytes(), start[conn, "FAvg"].tobytes())
                if key not in columns:
                    columns[key] = F.HiddenColumns(
                        self._hidden_series(target, conn, start, rasters, lanes), alpha,
                        target.beta or 0.0, rho, target.adaptive, train)
                names = ["eFiltered"] + (["epsilonA"] if target.adaptive else []) \
                    + (["DeltaG"] if train else [])
                arrays, write_back = self._synapse_arrays(conn, names, lanes)
                columns[key].updates(raster, arrays["eFiltered"], arrays.get("epsilonA"),
                                     arrays.get("DeltaG"), threads)
            write_back()
