"""The compiled network: a built engine model bound to the network it came from."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..engine import SynapseMatrixType, VarAccess
from ..neurons import SpikeInput
from ..utils.network import get_underlying_pop
from ..errors import InvalidValueError


class CompiledNetwork:
    """A network built by a compiler; ``with compiled_net:`` loads it.

    Parameters
    ----------
    built_model
        The backend's built model (``load(num_recording_timesteps)`` gives the runtime).
    neuron_populations
        Population -> engine neuron group name.
    connection_populations
        Connection -> engine synapse group name.
    connect_snippets
        Connection -> its :class:`~ml_genn.utils.snippet.ConnectivitySnippet`.
    example_timesteps
        Timesteps of one example (trial).
    reset_time_between_batches, reset_vars_between_batches, reset_in_syn_between_batches
        What is reset before each batch.
    checkpoint_neuron_vars
        Engine neuron variables saved by :meth:`save` when they are variables (e.g. ``Bias``).

    Attributes
    ----------
    genn_model
        The runtime (pygenn 5's names), while loaded.
    neuron_populations, connection_populations
        Population / Connection -> runtime group, while loaded.
    """

    def __init__(self, built_model: Any, neuron_populations: Dict[Any, str],
                 connection_populations: Dict[Any, str], connect_snippets: Dict[Any, Any],
                 example_timesteps: int, reset_time_between_batches: bool = True,
                 reset_vars_between_batches: bool = True,
                 reset_in_syn_between_batches: bool = True,
                 checkpoint_neuron_vars: Sequence[str] = ("Bias",)):
        self._built = built_model
        self._spec = built_model.spec
        self.neuron_population_names = dict(neuron_populations)
        self.connection_population_names = dict(connection_populations)
        self.connect_snippets = dict(connect_snippets)
        self.example_timesteps = int(example_timesteps)
        self.reset_time_between_batches = reset_time_between_batches
        self.reset_vars_between_batches = reset_vars_between_batches
        self.reset_in_syn_between_batches = reset_in_syn_between_batches
        self.checkpoint_neuron_vars = tuple(checkpoint_neuron_vars)
        self.batch_size = self._spec.batch_size
        #: Communicator of a data-parallel run (set by the compiler), or None
        self.communicator: Any = None
        self.genn_model = None
        self.neuron_populations: Dict[Any, Any] = {}
        self.connection_populations: Dict[Any, Any] = {}
        self.num_recording_timesteps = self.example_timesteps if any(
            p.record_spikes or p.record_spike_events for p in neuron_populations) else None

    # ------------------------------------------------------------------ loading
    def __enter__(self) -> "CompiledNetwork":
        self.genn_model = self._built.load(num_recording_timesteps=self.num_recording_timesteps)
        self.neuron_populations = {p: self.genn_model.neuron_populations[n]
                                   for p, n in self.neuron_population_names.items()}
        self.connection_populations = {c: self.genn_model.synapse_populations[n]
                                       for c, n in self.connection_population_names.items()}
        # Initial state of neuron variables, restored between batches (drawn values included)
        self._initial_state = {
            (name, var): self.genn_model.neuron_populations[name].vars[var].view.copy()
            for name, group in self._spec.neuron_populations.items()
            for var, spec in group.vars.items() if spec.access is VarAccess.READ_WRITE}
        self.on_load()
        if self.num_ranks > 1:
            self._share_cores()
            self.synchronise_ranks()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if self.genn_model is not None:
            self.genn_model.unload()
        self.genn_model = None
        self.neuron_populations, self.connection_populations = {}, {}

    def on_load(self) -> None:
        """Called once the model is loaded (subclasses restore state here)."""

    # ------------------------------------------------------------------ ranks
    @property
    def rank(self) -> int:
        """This process's rank in a data-parallel run (0 without a communicator)."""
        return 0 if self.communicator is None else int(self.communicator.rank)

    @property
    def num_ranks(self) -> int:
        """Number of ranks of a data-parallel run (1 without a communicator)."""
        return 1 if self.communicator is None else int(self.communicator.num_ranks)

    def rank_shared_state(self) -> List[np.ndarray]:
        """The arrays every rank must hold identically: weights and delays, trained neuron
        variables such as ``Bias`` (training networks add optimiser state)."""
        views = []
        for conn, group in self.connection_populations.items():
            views += [group.vars[var].view for var in ("g", "d") if var in group.vars]
        for group in self.neuron_populations.values():
            views += [group.vars[var].view for var in self.checkpoint_neuron_vars
                      if var in group.vars]
        return views

    def _rank_sizes(self, n: int, what: str) -> Optional[List[int]]:
        """Every rank's number of examples of a data-parallel run (None with one rank); they
        must give every rank the same number of batches, as each batch is a collective step."""
        if self.num_ranks == 1:
            return None
        sizes = [int(s) for s in self.communicator.all_gather(int(n))]
        batches = [(s + self.batch_size - 1) // self.batch_size for s in sizes]
        if len(set(batches)) != 1:
            raise InvalidValueError(
                f"{what}: the ranks hold {sizes} examples, which give them different numbers "
                f"of batches of {self.batch_size} ({batches}); every rank must run the same "
                f"number of batches, so split the data evenly across ranks (e.g. "
                f"data[rank::num_ranks] with a size divisible by the batch size)")
        return sizes

    def _share_cores(self) -> None:
        """Give each rank its share of this machine's cores, unless ``ML_GENN_NUM_THREADS``
        says otherwise: OpenMP's default of one thread per core in every rank oversubscribes
        the cores (12x slower was measured with two ranks on two cores). A launcher that
        binds each rank to cores (``-bind-to core``) has already shared them."""
        if os.environ.get("ML_GENN_NUM_THREADS"):
            return
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:      # not on Linux
            cores = os.cpu_count() or 1
        if cores >= (os.cpu_count() or cores):
            cores = max(1, cores // max(1, int(self.communicator.local_num_ranks)))
        self.genn_model.set_num_threads(cores)

    def synchronise_ranks(self) -> None:
        """Give every rank rank 0's :meth:`rank_shared_state` and random-number state; call
        it on every rank together (it runs when a network is loaded, and after a checkpoint
        is restored by ``ResumeTraining``). Every rank built the same connectivity from one
        seed, so the arrays have the same shapes; each rank then draws its own random numbers
        during simulation (rank 0's seed mixed with its rank), as it simulates different
        examples."""
        self._require_loaded("synchronise ranks")
        self.communicator.barrier()
        for view in self.rank_shared_state():
            self.communicator.broadcast(view, 0)
        names = sorted(self.genn_model.get_rng_state())
        state = self.genn_model.get_rng_state()
        shared = np.array([state[n] for n in names], dtype=np.uint64)
        self.communicator.broadcast(shared, 0)
        state = {n: int(v) for n, v in zip(names, shared)}
        self._shared_seed = state["seed"]
        if self.rank > 0:
            state["seed"] = _rank_seed(state["seed"], self.rank)
        self.genn_model.set_rng_state(state)

    @property
    def shared_seed(self) -> int:
        """The seed all ranks share (rank 0's engine seed; the engine's seed, drawn when the
        compiler was given 0, on a single rank): what draws that must agree across ranks,
        such as Deep-R's rewiring, are seeded with."""
        self._require_loaded("read its seed")
        if getattr(self, "_shared_seed", None) is not None:
            return int(self._shared_seed)
        return int(self.genn_model.get_rng_state()["seed"])

    def _require_loaded(self, doing: str) -> None:
        if self.genn_model is None:
            raise RuntimeError(f"{type(self).__name__} must be loaded to {doing}: use it inside "
                               f"'with compiled_net:'")

    # ------------------------------------------------------------------ running
    def reset_time(self) -> None:
        """Set the model's time and timestep back to zero."""
        self.genn_model.timestep = 0
        self.genn_model.t = 0.0

    def reset_batch_state(self) -> None:
        """Reset what the compiler was asked to reset before a batch."""
        if self.reset_time_between_batches:
            self.reset_time()
        if self.reset_vars_between_batches:
            for (name, var), initial in self._initial_state.items():
                self.genn_model.neuron_populations[name].vars[var].view[...] = initial
        if self.reset_in_syn_between_batches:
            self.genn_model.reset_in_flight_state()

    def set_input(self, inputs: Dict[Any, Any]) -> None:
        """Copy one batch of (checked) input data into the input populations.

        Parameters
        ----------
        inputs
            Population -> this batch's examples (at most ``batch_size``).
        """
        for pop, data in inputs.items():
            pop = get_underlying_pop(pop)
            genn_pop = self.neuron_populations[pop]
            if isinstance(pop.neuron, SpikeInput):
                pop.neuron.set_input(genn_pop, self.batch_size, pop.shape, data, pop.name)
            else:
                pop.neuron.set_input(genn_pop, self.batch_size, pop.shape, data)

    def get_readout(self, outputs: Any) -> Any:
        """Readouts of output population(s) after a trial: one array or a list of arrays."""
        if isinstance(outputs, (list, tuple)):
            return [self.get_readout(o) for o in outputs]
        pop = get_underlying_pop(outputs)
        return pop.neuron.readout.get_readout(self.neuron_populations[pop], self.batch_size, pop.shape)

    def custom_update(self, name: str) -> None:
        """Run the engine custom update group ``name``."""
        self.genn_model.custom_update(name)

    def step_time(self, callback_list: Any = None) -> None:
        """Advance one timestep, with the callbacks' timestep hooks around it."""
        timestep = self.genn_model.timestep
        if callback_list is not None:
            callback_list.on_timestep_begin(timestep)
        self.genn_model.step_time()
        if callback_list is not None:
            callback_list.on_timestep_end(timestep)

    def run_example(self, callback_list: Any) -> None:
        """Simulate one trial: in one native call unless a callback needs every timestep."""
        if callback_list is not None and callback_list.has_timestep_callbacks:
            for _ in range(self.example_timesteps):
                self.step_time(callback_list)
        else:
            self.genn_model.run_timesteps(self.example_timesteps)

    def check_spike_budget(self, x: Dict[Any, Any]) -> None:
        """Raise, before simulating, if any batch of spike input exceeds its ``max_spikes``."""
        for pop, data in x.items():
            if not isinstance(pop.neuron, SpikeInput):
                continue
            counts = np.array([len(s.spike_times) for s in data])
            for start in range(0, len(counts), self.batch_size):
                total = int(counts[start:start + self.batch_size].sum())
                if total > pop.neuron.max_spikes:
                    raise InvalidValueError(
                        f"Population '{pop.name}' (SpikeInput): the batch starting at "
                        f"example {start} holds {total} spikes but max_spikes is "
                        f"{pop.neuron.max_spikes}; create it with "
                        f"SpikeInput(max_spikes={total}) or more")

    # ------------------------------------------------------------------ saving
    def _connection_weights(self, conn: Any, var: str) -> Optional[np.ndarray]:
        """A connection's engine variable in the shape its connectivity takes back, or None
        when the connectivity cannot take it (pooling connectivity has fixed weights). Sparse
        connectivity's values are per synapse, in the order ``save_connectivity`` writes the
        synapses' indices: loading both rebuilds the connection exactly."""
        from ..connectivity import AvgPool2D, AvgPoolDense2D
        if isinstance(conn.connectivity, (AvgPool2D, AvgPoolDense2D)):
            return None
        genn = self.connection_populations[conn]
        if var not in genn.vars:
            return None
        snippet = self.connect_snippets[conn]
        values = genn.vars[var].values
        spec_var = self._spec.synapse_populations[genn.name].vars[var]
        if spec_var.batched:
            values = values[0]
        if snippet.matrix_type is SynapseMatrixType.DENSE:
            return values.reshape(conn.source.num_neurons, conn.target.num_neurons)
        if snippet.matrix_type is SynapseMatrixType.TOEPLITZ:
            return values.reshape(snippet.kernel_shape)
        if snippet.kernel_index is not None:
            kernel = np.zeros(int(np.prod(snippet.kernel_shape)), dtype=values.dtype)
            kernel[snippet.kernel_index] = values / snippet.weight_scale
            return kernel.reshape(snippet.kernel_shape)
        return values

    def _sparse_indices(self, conn: Any) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """``(pre_ind, post_ind)`` of a connection whose sparse connectivity can be loaded
        from saved indices (:class:`~ml_genn.connectivity.SparseBase`), in the order of its
        per-synapse values; None for any other connection."""
        from ..connectivity.sparse_base import SparseBase
        if not isinstance(conn.connectivity, SparseBase):
            return None
        snippet = self.connect_snippets[conn]
        genn = self.connection_populations[conn]
        if snippet.kernel_index is not None or genn.matrix_type is not SynapseMatrixType.SPARSE:
            return None
        return genn.get_sparse_pre_inds(), genn.get_sparse_post_inds()

    def save(self, keys: Sequence[Any] = (), serialiser: Any = "numpy") -> None:
        """Save weights (``g``), per-synapse delays (``d``) and neuron parameters held as
        variables (e.g. ``Bias``) under ``keys + (connection/population, name)``; for sparse
        connectivity (:class:`~ml_genn.connectivity.SparseBase`, e.g. ``FixedProbability``)
        also the synapses' indices, ``pre_ind`` and ``post_ind`` (what
        :meth:`save_connectivity` writes), so that ``Network.load`` rebuilds exactly the
        synapses the weights belong to.

        Parameters
        ----------
        keys
            Keys selecting the checkpoint, typically ``(epoch,)``.
        serialiser
            Serialiser object or registered name.
        """
        from ..serialisers import Serialiser
        from ..utils.module import get_object
        self._require_loaded("save")
        serialiser = get_object(serialiser, Serialiser, "save serialiser", "serialiser")
        keys = tuple(keys)
        # One unit: a serialiser that can (the "numpy" one) marks it complete only once every
        # array below is written, so a killed run never leaves a checkpoint that loads as a
        # mix of states
        with serialiser.checkpoint(keys):
            for conn in self.connection_populations:
                for var in ("g", "d"):
                    values = self._connection_weights(conn, var)
                    if values is not None:
                        serialiser.serialise(keys + (conn, var), values)
                indices = self._sparse_indices(conn)
                if indices is not None:
                    # Per-synapse values mean nothing without the synapses they belong to
                    # (drawn from a seed, or rewired during training)
                    serialiser.serialise(keys + (conn, "pre_ind"), indices[0])
                    serialiser.serialise(keys + (conn, "post_ind"), indices[1])
            for pop, genn in self.neuron_populations.items():
                for var in self.checkpoint_neuron_vars:
                    if var in genn.vars:
                        view = genn.vars[var].values
                        spec_var = self._spec.neuron_populations[genn.name].vars[var]
                        serialiser.serialise(keys + (pop, var),
                                             view[0] if spec_var.batched else view)
            self.save_state(keys, serialiser)
        self.save_after(keys, serialiser)

    def on_connectivity_changed(self, group: Any) -> None:
        """Called after the synapses of SPARSE synapse group ``group`` (loaded) were replaced
        or rewired; subclasses drop what they derived from the old ones."""

    def save_state(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Save further state needed to resume (subclasses), inside the checkpoint's unit."""

    def save_after(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Save state kept outside the checkpoint's unit, once that is complete (subclasses;
        e.g. e-prop's synapse traces, kept for the latest checkpoint only)."""

    def checkpoint_keys(self, keys: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        """Every key sequence :meth:`save` writes under ``keys``, without writing anything
        (so that a serialiser can refuse names it could not store before training starts).

        Parameters
        ----------
        keys
            Keys selecting the checkpoint, typically ``(epoch,)``.
        """
        from ..serialisers import Serialiser

        written: List[Tuple[Any, ...]] = []

        class _Recorder(Serialiser):
            # Collects the keys save() would write; stores nothing. (save() may copy the
            # serialiser it is given, so the keys go to a list outside the object)
            def serialise(self, k, data):
                written.append(tuple(k))

            def deserialise(self, k):
                raise NotImplementedError

            def deserialise_all(self, k):
                raise NotImplementedError

        self.save(tuple(keys), _Recorder())
        return written

    def save_connectivity(self, keys: Sequence[Any] = (), serialiser: Any = "numpy") -> None:
        """Save the pre and post indices of SPARSE connections under
        ``keys + (connection, "pre_ind" / "post_ind")``."""
        from ..serialisers import Serialiser
        from ..utils.module import get_object
        self._require_loaded("save connectivity")
        serialiser = get_object(serialiser, Serialiser, "save_connectivity serialiser", "serialiser")
        with serialiser.checkpoint(tuple(keys)):
            for conn, genn in self.connection_populations.items():
                if genn.matrix_type is SynapseMatrixType.SPARSE:
                    serialiser.serialise(tuple(keys) + (conn, "pre_ind"),
                                         genn.get_sparse_pre_inds())
                    serialiser.serialise(tuple(keys) + (conn, "post_ind"),
                                         genn.get_sparse_post_inds())


def _rank_seed(seed: int, rank: int) -> int:
    """A seed for ``rank``'s simulation noise derived from the shared one (a SplitMix64
    step: distinct ranks get well-separated, reproducible seeds; never 0, which means 'draw
    one')."""
    mask = (1 << 64) - 1
    z = (seed + 0x9E3779B97F4A7C15 * (rank + 1)) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) or 1
