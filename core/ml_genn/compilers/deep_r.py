"""Deep-R rewiring (Bellec et al. 2018, as mlGeNN 2.4 does it) for SPARSE connections.

Each position ``(pre, post)`` of a Deep-R connection carries a fixed sign (``Inhibitory``: one
byte per position, 1 = the synapse there must stay negative). Per training batch:

* **L1** (custom update group ``DeepRL1``, between the batch's gradient sum and the optimiser
  step): ``B * C`` (``B`` the batch size, all ranks together) is added to the summed gradient
  of an excitatory synapse and subtracted from an inhibitory one's; optimisers *subtract*
  gradients, so this pulls every weight towards zero.
* **Stage 1** (custom connectivity update group ``DeepR1``): a synapse whose weight's sign
  (``g < 0``, like ``signbit``) no longer matches its position's sign is removed; each row
  counts its removals in ``NumDormant``.
* **Host step** (:meth:`DeepRConnection.plan_additions`): the dormant synapses are spread over
  the rows: a row is drawn uniformly at random; where it has room (its length plus what it
  already got is below ``max_row_length``) it gets one more synapse, otherwise the draw is a
  *failed rewiring* (counted). Each row's new targets are drawn uniformly, without
  replacement, from its free positions.
* **Stage 2** (custom connectivity update group ``DeepR2``): each row adds its planned synapses
  (weight 0, as every other per-synapse variable: GeNN 5 zeroes what the update does not set).

So the number of synapses never changes. At the start of training (epoch 0, as mlGeNN, or
the first epoch a network runs when no checkpoint gave it its signs;
:meth:`DeepRConnection.initialise`) every existing synapse's position takes the sign of its
weight and every free position a random sign.

(mlGeNN adds ``C`` to each batch element's gradient before the sum, which gives the same
numbers; adding ``B * C`` once to the sum is a fraction of the work.)

All random draws are made here with NumPy, from a generator seeded by ``(seed, step, index,
stage)``: the result does not depend on the engine's thread count nor on any random state
beyond ``Inhibitory`` itself, so resuming from a checkpoint that holds the weights, the sparse
connectivity and ``Inhibitory`` (:meth:`DeepRConnection.get_state` /
:meth:`DeepRConnection.set_state`) repeats the run exactly.

The training compilers (``EventPropCompiler``, ``EPropCompiler``) take mlGeNN's arguments:
``deep_r_conns`` (Connections, or Layers standing for their incoming connection, with SPARSE
connectivity such as ``FixedProbability``), ``deep_r_l1_strength`` (``C``, 0 turns the L1 term
off) and ``deep_r_record_rewirings`` (``{connection: key}``: ``cb_data[key]`` of ``train`` gets
one ``(num_rewirings, num_failed)`` per training batch, failed meaning draws of a full row).
They call :func:`check_arguments` when constructed, :func:`add_to_model` while the model is
built and :func:`l1_callbacks` / :func:`callbacks` for the compiled network's base callbacks;
the compiled network checkpoints the signs with its training state.
"""
from __future__ import annotations

import time
from numbers import Real
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from ..engine.synapse_matrix_type import SynapseMatrixType
from ..callbacks.callback import Callback
from ..engine import (VarAccessMode, create_custom_connectivity_update_model,
                      create_custom_update_model, create_egp_ref)
from ..errors import InvalidTypeError, InvalidValueError

#: Update group names (one of each runs all Deep-R connections of a model)
L1_GROUP, STAGE_1_GROUP, STAGE_2_GROUP = "DeepRL1", "DeepR1", "DeepR2"

_STAGE_1 = create_custom_connectivity_update_model(
    "DeepR1", params=[("NumPost", "unsigned int")],
    pre_vars=[("NumDormant", "unsigned int")],
    var_refs=[("g", "scalar", VarAccessMode.READ_ONLY)],
    extra_global_params=[("Inhibitory", "uint8_t*")],
    row_update_code="""
    NumDormant = 0;
    for_each_synapse {
        const bool inhibitory = (Inhibitory[((size_t)id_pre * NumPost) + id_post] != 0);
        if ((g < 0.0) != inhibitory) {
            NumDormant++;
            remove_synapse();
        }
    }
    """)

_STAGE_2 = create_custom_connectivity_update_model(
    "DeepR2", params=[("RowStride", "unsigned int")],
    pre_vars=[("NumActivations", "unsigned int")],
    extra_global_params=[("NewPost", "uint32_t*")],
    row_update_code="""
    for (unsigned int i = 0; i < NumActivations; i++) {
        add_synapse(NewPost[((size_t)id_pre * RowStride) + i]);
    }
    """)

_L1 = create_custom_update_model(
    "DeepRL1", params=[("C", "scalar"), ("NumPost", "unsigned int")],
    var_refs=[("Gradient", "scalar")],
    extra_global_param_refs=[("Inhibitory", "uint8_t*")],
    update_code="""
    if (Inhibitory[((size_t)id_pre * NumPost) + id_post] != 0) {
        Gradient -= C;
    }
    else {
        Gradient += C;
    }
    """)

# Stage tags of the random streams
_INIT, _ADD = 0, 1


class DeepRConnection:
    """Deep-R on one SPARSE synapse group: builds its updates and runs the host-side steps.

    Parameters
    ----------
    model_spec
        The engine model being built.
    synapse_group
        The SPARSE synapse group (engine spec) to rewire.
    weight_ref
        ``create_wu_var_ref`` to its weight.
    gradient_ref
        Reference to the weight's gradient (the variable the optimiser subtracts), or ``None``
        when ``l1_strength`` is 0.
    l1_strength
        ``C`` of the L1 penalty (>= 0; 0 adds no L1 update).
    index
        This connection's index among the model's Deep-R connections (separates random streams).
    """

    def __init__(self, model_spec: Any, synapse_group: Any, weight_ref: Any, gradient_ref: Any,
                 l1_strength: float, index: int):
        if getattr(synapse_group, "matrix_type", None) is not SynapseMatrixType.SPARSE:
            raise InvalidValueError(f"Deep-R: synapse group '{synapse_group.name}' must be SPARSE "
                                    f"(use a FixedProbability or sparse Connectivity), got "
                                    f"{getattr(synapse_group.matrix_type, 'name', synapse_group.matrix_type)}")
        l1_strength = float(l1_strength)
        if not np.isfinite(l1_strength) or l1_strength < 0.0:
            raise InvalidValueError(f"Deep-R: deep_r_l1_strength must be a finite number >= 0, "
                                    f"got {l1_strength}")
        self.name = synapse_group.name
        self.weight_name = weight_ref.var_name
        self.index = int(index)
        self.num_pre = synapse_group.source.num_neurons
        self.num_post = synapse_group.target.num_neurons
        self.stage_1_name = f"{STAGE_1_GROUP}{self.name}"
        self.stage_2_name = f"{STAGE_2_GROUP}{self.name}"
        self.l1_name = f"{L1_GROUP}{self.name}" if l1_strength > 0.0 else None

        if self.l1_name is not None and gradient_ref is None:
            raise InvalidValueError(f"Deep-R on '{self.name}': L1 strength {l1_strength} needs "
                                    f"the weight gradient's reference, got None")
        # Stage 1 owns the signs; the L1 update refers to them
        s1 = model_spec.add_custom_connectivity_update(
            self.stage_1_name, STAGE_1_GROUP, synapse_group, _STAGE_1,
            params={"NumPost": self.num_post}, pre_vars={"NumDormant": 0},
            var_refs={"g": weight_ref})
        s1.extra_global_params["Inhibitory"].set_init_values(
            np.zeros(self.num_pre * self.num_post, dtype=np.uint8))
        if self.l1_name is not None:
            model_spec.add_custom_update(
                self.l1_name, L1_GROUP, _L1, {"C": l1_strength, "NumPost": self.num_post}, {},
                {"Gradient": gradient_ref}, egp_refs={"Inhibitory": create_egp_ref(s1, "Inhibitory")})
        s2 = model_spec.add_custom_connectivity_update(
            self.stage_2_name, STAGE_2_GROUP, synapse_group, _STAGE_2,
            params={"RowStride": self.num_post}, pre_vars={"NumActivations": 0})
        # A row's capacity (max_row_length) is only fixed when the model is built, and a row
        # never adds more than num_post synapses, so the planned targets use rows of num_post
        s2.extra_global_params["NewPost"].set_init_values(
            np.zeros(self.num_pre * self.num_post, dtype=np.uint32))

    # ------------------------------------------------------------------ runtime side
    def _groups(self, runtime):
        ccus = runtime.custom_connectivity_update_populations
        return runtime.synapse_populations[self.name], ccus[self.stage_1_name], ccus[self.stage_2_name]

    def _inhibitory(self, runtime):
        ccus = runtime.custom_connectivity_update_populations
        return ccus[self.stage_1_name].extra_global_params["Inhibitory"]

    def _connectivity(self, runtime) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        sg = runtime.synapse_populations[self.name]
        pre, post = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()
        return pre, post, np.bincount(pre, minlength=self.num_pre)

    @staticmethod
    def _rng(seed: int, step: int, index: int, stage: int) -> np.random.Generator:
        return np.random.default_rng([int(seed) & (2 ** 64 - 1), int(step), index, stage])

    def initialise(self, runtime: Any, seed: int, step: int) -> None:
        """Deep-R's epoch start: each synapse's position takes its weight's sign (``g < 0`` is
        inhibitory), every free position a random sign.

        Parameters
        ----------
        runtime
            The loaded model.
        seed, step
            The run's seed and the optimiser step (together they pick the random signs).
        """
        sg = self._groups(runtime)[0]
        pre, post, _ = self._connectivity(runtime)
        # Weights are shared by every batch element; the first copy is the one to read
        g = np.asarray(sg.vars[self.weight_name].values).reshape(-1, len(pre))[0] \
            if len(pre) else np.zeros(0)
        rng = self._rng(seed, step, self.index, _INIT)
        inhibitory = rng.integers(0, 2, self.num_pre * self.num_post, dtype=np.uint8)
        inhibitory[pre * self.num_post + post] = np.signbit(g).astype(np.uint8)
        self._inhibitory(runtime).view[:] = inhibitory

    def plan_additions(self, runtime: Any, seed: int, step: int) -> Tuple[int, int]:
        """Deep-R's host step, between stage 1 and stage 2: spread the dormant synapses over
        rows with room and pick each new synapse's target.

        Parameters
        ----------
        runtime
            The loaded model (stage 1 has just run).
        seed, step
            The run's seed and the optimiser step (together they pick rows and targets).

        Returns
        -------
        ``(num_rewirings, num_failed)``: the synapses removed by stage 1, and the draws that
        landed on a full row.
        """
        sg, s1, s2 = self._groups(runtime)
        row_stride = sg.spec.max_row_length
        pre, post, row_length = self._connectivity(runtime)
        dormant = np.asarray(s1.pre_vars["NumDormant"].view).reshape(-1)[:self.num_pre]
        remaining = int(dormant.sum())
        rng = self._rng(seed, step, self.index, _ADD)
        activations, failed = spread_over_rows(rng, row_length, row_stride, remaining)
        taken = np.zeros((self.num_pre, self.num_post), dtype=bool)
        taken[pre, post] = True
        new_post = free_targets(rng, taken, activations)
        s2.extra_global_params["NewPost"].view[:] = new_post.reshape(-1)
        s2.pre_vars["NumActivations"].view[...] = activations.reshape(
            s2.pre_vars["NumActivations"].view.shape).astype(np.uint32)
        return int(dormant.sum()), failed

    def get_state(self, runtime: Any) -> np.ndarray:
        """The per-position signs (``num_pre * num_post`` bytes, 1 = inhibitory), for a
        checkpoint (the weights and sparse connectivity are saved with the synapse group)."""
        return self._inhibitory(runtime).values

    def set_state(self, runtime: Any, inhibitory: np.ndarray) -> None:
        """Restore the per-position signs saved by :meth:`get_state`.

        Parameters
        ----------
        runtime
            The loaded model.
        inhibitory
            ``num_pre * num_post`` values, 1 where the position is inhibitory.
        """
        a = np.asarray(inhibitory)
        if a.shape != (self.num_pre * self.num_post,) or not np.isin(a, (0, 1)).all():
            raise InvalidValueError(f"Deep-R on '{self.name}': the saved signs must be "
                                    f"{self.num_pre * self.num_post} values of 0 or 1, got shape "
                                    f"{a.shape}")
        self._inhibitory(runtime).view[:] = a.astype(np.uint8)


def spread_over_rows(rng: np.random.Generator, row_length: np.ndarray, capacity: int,
                     count: int) -> Tuple[np.ndarray, int]:
    """Spread ``count`` new synapses over rows as mlGeNN's Deep-R does: draw a row uniformly;
    if it has room (its length plus what it already got is below ``capacity``) it gets one,
    otherwise the draw failed; until all are placed. Draws are made in blocks of
    ``max(remaining, 16)`` and each block is resolved at once, with exactly the outcome of
    drawing its rows one by one (a row that fills up refuses every later draw).

    Parameters
    ----------
    rng
        The generator to draw rows from.
    row_length
        Current length of every row.
    capacity
        Most synapses a row holds.
    count
        Synapses to place (at most the rows' free room, or this never ends).

    Returns
    -------
    ``(per-row counts, failed draws)``.
    """
    num_rows = len(row_length)
    activations = np.zeros(num_rows, dtype=np.int64)
    failed, remaining = 0, int(count)
    while remaining > 0:
        draws = rng.integers(0, num_rows, max(remaining, 16))
        # Each draw's rank among the earlier draws of its row in this block
        order = np.argsort(draws, kind="stable")
        ranked = draws[order]
        rank = np.empty(len(draws), dtype=np.int64)
        rank[order] = np.arange(len(draws)) - np.searchsorted(ranked, ranked)
        fits = row_length[draws] + activations[draws] + rank < capacity
        accepted = np.flatnonzero(fits)
        if len(accepted) >= remaining:
            # The draws after the last synapse placed are not made
            end = accepted[remaining - 1] + 1
            draws, fits = draws[:end], fits[:end]
        failed += int(np.count_nonzero(~fits))
        activations += np.bincount(draws[fits], minlength=num_rows)
        remaining -= int(np.count_nonzero(fits))
    return activations, failed


def free_targets(rng: np.random.Generator, taken: np.ndarray,
                 activations: np.ndarray) -> np.ndarray:
    """For every row ``i``, ``activations[i]`` distinct targets drawn uniformly from the
    positions ``taken[i]`` leaves free, in the first columns of row ``i`` of the result.

    Parameters
    ----------
    rng
        The generator to draw with.
    taken
        ``(rows, columns)``: True where a synapse exists.
    activations
        New synapses per row (at most the row's free positions).
    """
    targets = np.zeros(taken.shape, dtype=np.uint32)
    rows = np.flatnonzero(activations)
    if len(rows):
        # Uniform random keys, taken positions last: a row's smallest keys are a uniform
        # draw without replacement from its free positions
        keys = rng.random((len(rows), taken.shape[1]))
        keys[taken[rows]] = 2.0
        width = int(activations[rows].max())
        picked = np.argsort(keys, axis=1)[:, :width]
        use = np.arange(width)[None, :] < activations[rows][:, None]
        targets[rows, :width] = np.where(use, picked, 0)
    return targets


def add_deep_r(model_spec: Any, connections: Sequence[Tuple[Any, Any, Any]],
               l1_strength: float) -> List[DeepRConnection]:
    """Add Deep-R to each ``(synapse_group, weight_ref, gradient_ref)`` of ``connections``.

    Parameters
    ----------
    model_spec
        The engine model being built.
    connections
        The SPARSE synapse groups with references to their weight and weight gradient.
    l1_strength
        ``C`` of the L1 penalty (0 turns it off).
    """
    return [DeepRConnection(model_spec, sg, w, grad, l1_strength, i)
            for i, (sg, w, grad) in enumerate(connections)]


def apply_l1(runtime: Any, deep_r: Sequence[DeepRConnection]) -> None:
    """Add the L1 term to every Deep-R connection's gradient (before the optimiser step).

    Parameters
    ----------
    runtime
        The loaded model.
    deep_r
        Its Deep-R connections.
    """
    if any(c.l1_name is not None for c in deep_r):
        runtime.custom_update(L1_GROUP)


def initialise(runtime: Any, deep_r: Sequence[DeepRConnection], seed: int, step: int) -> None:
    """Deep-R's epoch start on every connection (see :meth:`DeepRConnection.initialise`).

    Parameters
    ----------
    runtime
        The loaded model.
    deep_r
        Its Deep-R connections.
    seed, step
        The run's seed and the optimiser step.
    """
    for c in deep_r:
        c.initialise(runtime, seed, step)


def rewire(runtime: Any, deep_r: Sequence[DeepRConnection], seed: int,
           step: int) -> Dict[str, Tuple[int, int]]:
    """One Deep-R rewiring of every connection: stage 1, the host step, stage 2.

    Parameters
    ----------
    runtime
        The loaded model (after the optimiser step of a batch).
    deep_r
        Its Deep-R connections.
    seed, step
        The run's seed and the optimiser step.

    Returns
    -------
    Synapse group name -> ``(num_rewirings, num_failed)``.
    """
    if not deep_r:
        return {}
    runtime.custom_update(STAGE_1_GROUP)
    counts = {c.name: c.plan_additions(runtime, seed, step) for c in deep_r}
    runtime.custom_update(STAGE_2_GROUP)
    return counts


# ---------------------------------------------------------------------------- compilers' side
def _underlying(conn: Any) -> Any:
    """A Layer of a SequentialNetwork stands for its incoming connection (as in mlGeNN)."""
    return getattr(conn, "connection", conn)


def check_arguments(owner: str, deep_r_conns: Any, deep_r_l1_strength: Any,
                    deep_r_record_rewirings: Any) -> Tuple[List[Any], float, Dict[Any, Any]]:
    """Check a training compiler's Deep-R arguments (mlGeNN's names) when it is constructed.

    Parameters
    ----------
    owner
        The compiler's class name, for messages.
    deep_r_conns
        Connections (or Layers, standing for their incoming connection) to rewire.
    deep_r_l1_strength
        ``C`` of the L1 penalty, a number >= 0.
    deep_r_record_rewirings
        Connection (or Layer) -> key under which ``cb_data`` gets one ``(num_rewirings,
        num_failed)`` pair per training batch; every one must be in ``deep_r_conns``.

    Returns
    -------
    ``(connections, l1_strength, {connection: key})``.
    """
    if deep_r_conns is None:
        deep_r_conns = []
    if isinstance(deep_r_conns, (str, bytes)) or not hasattr(deep_r_conns, "__iter__"):
        raise InvalidTypeError(f"{owner} deep_r_conns must be a sequence of Connections or "
                               f"Layers, got {type(deep_r_conns).__name__}")
    conns = []
    for i, c in enumerate(deep_r_conns):
        conn = _underlying(c)
        if not hasattr(conn, "connectivity") or not hasattr(conn, "source"):
            raise InvalidTypeError(f"{owner} deep_r_conns[{i}] must be a Connection or a Layer "
                                   f"with an incoming connection, got {type(c).__name__}")
        if conn not in conns:
            conns.append(conn)
    if isinstance(deep_r_l1_strength, bool) or not isinstance(deep_r_l1_strength, Real) \
            or not np.isfinite(deep_r_l1_strength) or deep_r_l1_strength < 0:
        raise InvalidValueError(f"{owner} deep_r_l1_strength must be a finite number >= 0, got "
                                f"{deep_r_l1_strength!r}")
    if deep_r_record_rewirings is None:
        deep_r_record_rewirings = {}
    if not isinstance(deep_r_record_rewirings, Mapping):
        raise InvalidTypeError(f"{owner} deep_r_record_rewirings must be a dict of Connection "
                               f"(or Layer) -> cb_data key, got "
                               f"{type(deep_r_record_rewirings).__name__}")
    record = {}
    for c, key in deep_r_record_rewirings.items():
        conn = _underlying(c)
        if conn not in conns:
            raise InvalidValueError(
                f"{owner} deep_r_record_rewirings names {_describe(conn)}, which is not in "
                f"deep_r_conns; only rewired connections have rewirings to record")
        record[conn] = key
    return conns, float(deep_r_l1_strength), record


def _describe(conn: Any) -> str:
    name = getattr(conn, "name", None)
    return f"Connection '{name}'" if name is not None else type(conn).__name__


def _summed_gradient_ref(owner: str, model_spec: Any, sg: Any, gradient_var: str) -> Any:
    """Reference to the batch-summed gradient of ``sg``'s ``gradient_var``: the
    ``ReducedGradient`` of the custom update of group ``GradientBatchReduce`` that sums it."""
    from ..engine import create_var_ref
    for cu in model_spec.custom_updates.values():
        ref = cu.var_refs.get("Gradient")
        if cu.update_group_name == "GradientBatchReduce" and "ReducedGradient" in cu.vars \
                and ref is not None and getattr(ref.group, "name", None) == sg.name \
                and ref.var_name == gradient_var:
            return create_var_ref(cu, "ReducedGradient")
    raise InvalidValueError(f"{owner}: no GradientBatchReduce custom update sums "
                            f"'{gradient_var}' of synapse group '{sg.name}'; Deep-R's L1 term "
                            f"is added to that sum")


def add_to_model(owner: str, model_spec: Any, conns: Sequence[Any],
                 synapse_groups: Dict[Any, Any], trained: Sequence[Any], gradient_var: str,
                 l1_strength: float, full_batch_size: int,
                 weight_var: str = "g") -> List[DeepRConnection]:
    """Add Deep-R to the model being built for every connection of ``conns``.

    Parameters
    ----------
    owner
        The compiler's class name, for messages.
    model_spec
        The engine model being built.
    conns
        The connections to rewire (from :func:`check_arguments`).
    synapse_groups
        Connection -> its synapse group in ``model_spec``.
    trained
        The connections whose weights the compiler trains.
    gradient_var
        Name of the per-synapse gradient variable the optimiser's batch sum reads.
    l1_strength
        ``C`` of the L1 penalty, per example.
    full_batch_size
        Examples of a batch, all ranks together: the summed gradient gets
        ``full_batch_size * l1_strength``.
    weight_var
        Name of the weight variable.
    """
    from ..engine import create_wu_var_ref
    items = []
    for conn in conns:
        if conn not in synapse_groups:
            raise InvalidValueError(f"{owner} deep_r_conns holds {_describe(conn)}, which is not "
                                    f"part of the network being compiled")
        if conn not in trained:
            raise InvalidValueError(f"{owner} deep_r_conns holds {_describe(conn)}, whose weights "
                                    f"{owner} does not train; Deep-R rewires trained connections")
        sg = synapse_groups[conn]
        if getattr(sg, "matrix_type", None) is not SynapseMatrixType.SPARSE:
            raise InvalidValueError(
                f"{owner} deep_r_conns holds {_describe(conn)}, whose connectivity "
                f"{type(conn.connectivity).__name__} was compiled "
                f"{getattr(sg.matrix_type, 'name', sg.matrix_type)}; Deep-R rewires SPARSE "
                f"connectivity: use FixedProbability")
        items.append((sg, create_wu_var_ref(sg, weight_var),
                      _summed_gradient_ref(owner, model_spec, sg, gradient_var)
                      if l1_strength > 0.0 else None))
    return add_deep_r(model_spec, items, l1_strength * int(full_batch_size))


class DeepRL1(Callback):
    """Base training callback adding Deep-R's L1 term to the batch-summed gradients (between
    the compiler's ``GradientBatchReduce`` and ``GradientLearn`` callbacks; when the training
    loop runs those itself, it runs this too and the callback is left out)."""

    name = L1_GROUP

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        self._network = compiled_network

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        self._network.apply_deep_r_l1()


class DeepRRewiring(Callback):
    """Base training callback of a compiled network with Deep-R connections: initialises the
    signs when training starts and rewires every connection after each batch's optimiser step
    (its counts go to ``compiled_network.deep_r_counts`` for :class:`RewiringRecord`)."""

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        self._network = compiled_network

    def on_epoch_begin(self, epoch: int) -> None:
        net = self._network
        # mlGeNN initialises at epoch 0; a run resumed without saved signs needs them too
        if epoch == 0 or not net.deep_r_initialised:
            initialise(net.genn_model, net.deep_r, _seed(net), net.optimiser_step)
            net.deep_r_initialised = True

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        net = self._network
        start = time.perf_counter()
        net.deep_r_counts = rewire(net.genn_model, net.deep_r, _seed(net), net.optimiser_step)
        for c in net.deep_r:
            net.on_connectivity_changed(net.genn_model.synapse_populations[c.name])
        net.deep_r_seconds += time.perf_counter() - start


class RewiringRecord(Callback):
    """Records one connection's ``(num_rewirings, num_failed)`` after every training batch
    into ``cb_data[key]`` (mlGeNN's ``deep_r_record_rewirings``).

    Parameters
    ----------
    group_name
        The Deep-R connection's synapse group.
    key
        The ``cb_data`` key.
    """

    def __init__(self, group_name: str, key: Any):
        self.group_name = group_name
        self.key = key
        self._data: List[Tuple[int, int]] = []

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        self._network = compiled_network
        self._data = []

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        self._data.append(self._network.deep_r_counts[self.group_name])

    def get_data(self) -> Tuple[Any, List[Tuple[int, int]]]:
        return self.key, self._data


def l1_callbacks(deep_r: Sequence[DeepRConnection]) -> List[Callback]:
    """The base training callback of Deep-R's L1 term (empty without one), to go between
    the compiler's ``GradientBatchReduce`` and ``GradientLearn`` callbacks.

    Parameters
    ----------
    deep_r
        The model's Deep-R connections (from :func:`add_to_model`).
    """
    return [DeepRL1()] if any(c.l1_name is not None for c in deep_r) else []


def callbacks(deep_r: Sequence[DeepRConnection], record: Dict[Any, Any],
              synapse_groups: Dict[Any, Any]) -> List[Callback]:
    """The base training callbacks of Deep-R's rewiring, to follow the optimiser's.

    Parameters
    ----------
    deep_r
        The model's Deep-R connections (from :func:`add_to_model`).
    record
        Connection -> ``cb_data`` key of the rewirings to record.
    synapse_groups
        Connection -> its synapse group (or the group's name).
    """
    if not deep_r:
        return []
    return [DeepRRewiring()] + [RewiringRecord(getattr(synapse_groups[c], "name",
                                                       synapse_groups[c]), key)
                                for c, key in record.items()]


def _seed(net: Any) -> int:
    # Every rank of a data-parallel run must rewire alike
    return net.shared_seed
