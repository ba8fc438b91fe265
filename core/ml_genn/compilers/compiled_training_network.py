"""The generic training loop into which training compilers inject their specifics."""
from __future__ import annotations

import logging
import time
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..callbacks import CallbackList, CustomUpdateOnBatchEnd
from ..engine import SynapseMatrixType
from ..metrics import get_metrics
from .checkpoint_checks import (check_present, checked_array, checked_count,
                                checked_rng_state, checked_synapses)
from .compiled_network import CompiledNetwork
from .data_checks import check_inputs, dataset_size, resolve_keys
from ..errors import InvalidTypeError, InvalidValueError
from ..utils.value import check_int

logger = logging.getLogger(__name__)

#: Name of the checkpoint folder key holding training state beside weights
STATE_KEY = "training_state"
#: Custom update groups of training compilers: the batch's gradient sums, the optimisers
GRADIENT_REDUCE, GRADIENT_LEARN = "GradientBatchReduce", "GradientLearn"
#: Callback hooks that run between them
GRADIENT_HOOKS = ("on_after_gradient_update", "on_after_optimizer_step")


class CompiledTrainingNetwork(CompiledNetwork):
    """A network compiled for training.

    A training compiler supplies the losses (which own the targets' engine storage), the
    optimisers with the names of their engine custom updates, and base callbacks that run its
    per-batch custom updates (e.g. ``CustomUpdateOnBatchEnd("GradientLearn")``) ahead of the
    user's callbacks.

    Parameters
    ----------
    losses
        Output population -> :class:`ml_genn.losses.Loss`.
    optimisers
        ``(optimiser, [custom update names])`` pairs.
    inputs, outputs
        Input and output populations.
    base_train_callbacks, base_validate_callbacks
        Callbacks run before the user's during training / validation.
    deep_r
        The model's Deep-R connections (:mod:`ml_genn.compilers.deep_r`): their L1 term is
        added to the gradients before each optimiser step and their signs are checkpointed.
    **kwargs
        Passed to :class:`CompiledNetwork`.
    """

    def __init__(self, *args: Any, losses: Dict[Any, Any], optimisers: Sequence[Tuple[Any, List[str]]],
                 inputs: Sequence[Any], outputs: Sequence[Any],
                 base_train_callbacks: Sequence[Any] = (),
                 base_validate_callbacks: Sequence[Any] = (), deep_r: Sequence[Any] = (),
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deep_r = list(deep_r)
        #: Whether the Deep-R signs are set (initialised in training, or restored)
        self.deep_r_initialised = False
        #: Synapse group name -> ``(num_rewirings, num_failed)`` of the last rewiring
        self.deep_r_counts: Dict[str, Tuple[int, int]] = {}
        #: Wall time spent in Deep-R's L1 updates and rewiring since the network was made
        self.deep_r_seconds = 0.0
        self.losses = dict(losses)
        self.optimisers = [(opt, list(names)) for opt, names in optimisers]
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.base_train_callbacks = list(base_train_callbacks)
        self.base_validate_callbacks = list(base_validate_callbacks)
        self.optimiser_step = 0
        #: (keys, serialiser) of a checkpoint to resume from (set by Network.load)
        self.resume_from: Optional[Tuple[Tuple[Any, ...], Any]] = None
        #: Set by a callback (Keras's ``stop_training``) to end ``train`` after the current
        #: batch: the epoch ends there (its validation and ``on_epoch_end`` still run), then
        #: ``on_train_end``, and ``train`` returns normally
        self.stop_training = False
        #: Real examples in the running batch, summed over ranks (batch means divide by it)
        self.batch_examples_all_ranks = 0
        #: The epoch in which the last ``train`` was stopped, None when it ran to the end
        self.stopped_epoch: Optional[int] = None
        #: The running ``train``'s :class:`~ml_genn.compilers.train_loop.TrainLoop` (None
        #: outside ``train``)
        self.train_loop: Any = None

    # ------------------------------------------------------------------ optimisers
    def _optimiser_groups(self, names: List[str]) -> List[Any]:
        return [self.genn_model.custom_update_populations[n] for n in names]

    def get_optimiser_param(self, name: str) -> float:
        """Current value of optimiser parameter ``name`` (e.g. ``"alpha"``)."""
        if not self.optimisers:
            raise InvalidValueError("This network has no optimisers")
        return self.optimisers[0][0].get_param(name)

    def set_optimiser_param(self, name: str, value: float) -> None:
        """Set optimiser parameter ``name`` on every optimiser, from the next batch on."""
        self._require_loaded("set optimiser parameters")
        for opt, names in self.optimisers:
            opt.set_param(self._optimiser_groups(names), name, value)

    def _set_step(self) -> None:
        for opt, names in self.optimisers:
            for cu in self._optimiser_groups(names):
                opt.set_step(cu, self.optimiser_step)

    # ------------------------------------------------------------------ gradients
    def _apply_gradients(self, batch: int, callback_list: CallbackList) -> None:
        """Before ``on_batch_end`` of a training batch: the optimisers' step, and, when a
        callback implements the gradient hooks, the gradient reduction and optimiser updates
        with ``on_after_gradient_update`` and ``on_after_optimizer_step`` between and after
        them (otherwise the compiler's base callbacks run the updates in ``on_batch_end``)."""
        # As in mlGeNN: the step (and parameters a callback assigned since the batch began)
        # reach the optimisers just before their update
        self._set_step()
        if getattr(callback_list, "loop_applies_gradients", False):
            self.custom_update(GRADIENT_REDUCE)
            if self.num_ranks > 1:
                # Data parallel: every rank applies the gradient of the whole batch
                for view in self._reduced_gradients():
                    self.communicator.reduce_sum_in_place(view)
            self.apply_deep_r_l1()
            callback_list.on_after_gradient_update(batch)
            self.custom_update(GRADIENT_LEARN)
            callback_list.on_after_optimizer_step(batch)

    def apply_deep_r_l1(self) -> None:
        """Add Deep-R's L1 term to the batch-summed gradients (nothing without Deep-R)."""
        if self.deep_r:
            from .deep_r import apply_l1
            start = time.perf_counter()
            apply_l1(self.genn_model, self.deep_r)
            self.deep_r_seconds += time.perf_counter() - start

    def _reduced_gradients(self) -> List[np.ndarray]:
        """Every batch-reduced gradient array (what the optimisers apply), in a fixed order."""
        return [self.genn_model.custom_update_populations[name].vars["ReducedGradient"].view
                for name, cu in sorted(self._spec.custom_updates.items())
                if cu.update_group_name == GRADIENT_REDUCE and "ReducedGradient" in cu.vars]

    def rank_shared_state(self) -> List[np.ndarray]:
        """Weights, trained neuron variables and optimiser state (see
        :meth:`CompiledNetwork.rank_shared_state`)."""
        views = super().rank_shared_state()
        for opt, names in self.optimisers:
            for cu in self._optimiser_groups(names):
                views += [view.view for _, view in sorted(cu.vars.items())]
        return views

    def synchronise_ranks(self) -> None:
        """Rank 0's weights, optimiser state and step on every rank (see
        :meth:`CompiledNetwork.synchronise_ranks`), and its Deep-R connectivity and signs."""
        super().synchronise_ranks()
        step = np.array([self.optimiser_step, int(self.deep_r_initialised)], dtype=np.int64)
        self.communicator.broadcast(step, 0)
        self.optimiser_step = int(step[0])
        self.deep_r_initialised = bool(step[1])
        for c in self.deep_r:
            group = self.genn_model.synapse_populations[c.name]
            for array in group.sparse_storage():
                self.communicator.broadcast(array, 0)
            group.connectivity_changed()
            self.on_connectivity_changed(group)
            signs = c.get_state(self.genn_model)
            self.communicator.broadcast(signs, 0)
            c.set_state(self.genn_model, signs)

    def get_gradients(self) -> Dict[Any, np.ndarray]:
        """The batch's summed gradients, zero-copy and writable, per trained connection
        (``(num_pre, num_post)`` for DENSE connectivity; ``(num_pre, max_row_length)`` ragged
        rows for SPARSE, where row ``i``'s first ``row_length[i]`` entries are its synapses in
        the order of ``get_sparse_post_inds()``; per synapse otherwise) and per
        population with a trained variable such as ``Bias``: meaningful in
        ``on_after_gradient_update``, where what a callback writes is what the optimiser
        applies."""
        self._require_loaded("read gradients")
        by_group = {name: conn for conn, name in self.connection_population_names.items()}
        by_group.update({name: pop for pop, name in self.neuron_population_names.items()})
        gradients: Dict[Any, np.ndarray] = {}
        for name, cu in self._spec.custom_updates.items():
            if cu.update_group_name != GRADIENT_REDUCE or "ReducedGradient" not in cu.vars:
                continue
            ref = next(iter(cu.var_refs.values()))
            owner = by_group.get(ref.group.name)
            if owner is None or ref.var_name not in ("DeltaG", "Gradient", "DeltaBias"):
                continue
            view = self.genn_model.custom_update_populations[name].vars["ReducedGradient"].view
            matrix_type = self._spec.synapse_populations[ref.group.name].matrix_type \
                if hasattr(owner, "connectivity") else None
            if matrix_type is SynapseMatrixType.DENSE:
                view = view.reshape(owner.source.num_neurons, owner.target.num_neurons)
            elif matrix_type is SynapseMatrixType.SPARSE:
                view = view.reshape(owner.source.num_neurons, -1)
            gradients[owner] = view
        return gradients

    # ------------------------------------------------------------------ checkpoints
    def save_state(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Save optimiser state and step and the engine RNG state beside the weights."""
        keys = tuple(keys) + (STATE_KEY,)
        for opt, names in self.optimisers:
            for cu in self._optimiser_groups(names):
                for var, view in cu.vars.items():
                    # Per synapse for SPARSE connectivity (the padding of rows is not state)
                    serialiser.serialise(keys + (f"{cu.name}.{var}",), view.values)
                serialiser.serialise(keys + (f"{cu.name}.alpha",),
                                     np.array([getattr(opt, "alpha", 0.0)]))
        for c in self.deep_r:
            serialiser.serialise(keys + (f"deep_r.{c.name}.inhibitory",),
                                 c.get_state(self.genn_model))
        rng = self.genn_model.get_rng_state()
        serialiser.serialise(keys + ("optimiser_step",), np.array([self.optimiser_step], np.int64))
        for name, value in rng.items():
            serialiser.serialise(keys + (f"rng.{name}",), np.array([value], np.uint64))

    def on_load(self) -> None:
        if self.resume_from is not None:
            self._restore_training_state()

    def restore_checkpoint(self, keys: Sequence[Any], serialiser: Any) -> None:
        """Bring the loaded network back to a checkpoint written by :meth:`save` (weights,
        delays, trained neuron variables such as ``Bias``, and the training state), in place:
        what ``Network.load`` before compiling does, for a network already running. Every
        value is checked before any is assigned, so a refused checkpoint changes nothing.

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.
        serialiser
            The serialiser (object) that wrote it.
        """
        from ..engine import SynapseMatrixType
        self._require_loaded("restore a checkpoint")
        keys = tuple(keys)
        serialiser.check_checkpoint(keys)
        assignments = []
        for conn, group in self.connection_populations.items():
            stored = serialiser.deserialise_all(keys + (conn,))
            synapses = None
            if self._sparse_indices(conn) is not None and \
                    ("pre_ind" in stored or "post_ind" in stored):
                # The synapses first: the weights below belong to them
                pre, post = checked_synapses(
                    stored, conn.source.num_neurons, conn.target.num_neurons,
                    group.spec.max_row_length,
                    lambda name, c=conn: serialiser.describe(keys + (c, name)),
                    f"Connection '{conn.name}'")
                synapses = np.argsort(pre, kind="stable")
                assignments.append((group, "synapses", (pre, post)))
            for var in ("g", "d"):
                if var not in stored or var not in group.vars:
                    continue
                snippet = self.connect_snippets[conn]
                if snippet.matrix_type is not SynapseMatrixType.TOEPLITZ \
                        and snippet.kernel_index is not None:
                    raise NotImplementedError(
                        f"restore_checkpoint: Connection '{conn.name}' shares kernel weights "
                        f"between synapses; load its checkpoint with Network.load before "
                        f"compiling")
                # Exactly what save wrote: per synapse (padding of sparse rows excluded),
                # as a matrix for dense connections, as the kernel for convolutions
                shape = self._connection_weights(conn, var).shape if synapses is None \
                    else synapses.shape
                values = checked_array(stored[var], shape, serialiser.describe(keys + (conn, var)),
                                       f"'{var}' of Connection '{conn.name}'", finite=False)
                values = values.reshape(-1) if synapses is None else values[synapses]
                assignments.append((group.vars[var], "values", values))
        for pop, group in self.neuron_populations.items():
            stored = serialiser.deserialise_all(keys + (pop,))
            for var in self.checkpoint_neuron_vars:
                if var in stored and var in group.vars:
                    view = group.vars[var].view
                    values = checked_array(stored[var], view.shape[-1:],
                                           serialiser.describe(keys + (pop, var)),
                                           f"'{var}' of Population '{pop.name}'", finite=False)
                    assignments.append((view, ..., values))
        # Per-synapse optimiser state is checked against the synapses being restored
        counts = {group.name: len(values[0]) for group, index, values in assignments
                  if index == "synapses"}
        restore_training = self._checked_training_state(keys, serialiser, counts)
        for target, index, values in assignments:
            if index == "synapses":
                target.set_sparse_connections(*values)
                self.on_connectivity_changed(target)
            elif index == "values":
                target.values = values
            else:
                target[index] = values
        self.resume_from = (keys, serialiser)
        restore_training()
        self._restore_extra_state()

    def _restore_training_state(self) -> None:
        """Optimiser state and step and the engine RNG of ``resume_from``, then what
        subclasses keep (:meth:`_restore_extra_state`)."""
        keys, serialiser = self.resume_from
        self._checked_training_state(tuple(keys), serialiser)()
        self._restore_extra_state()

    def _state_shape(self, cu_name: str, view: Any, synapse_counts: Dict[str, int]) -> tuple:
        """Shape of custom update ``cu_name``'s variable ``view`` as :meth:`save_state`
        writes it (``values``: per synapse for SPARSE connectivity), with the synapse counts
        of connectivity about to be restored."""
        shape = view.values.shape
        group = getattr(self._spec.custom_updates[cu_name], "synapse_group", None)
        if group is not None and group.name in synapse_counts \
                and group.matrix_type is SynapseMatrixType.SPARSE:
            shape = shape[:-1] + (synapse_counts[group.name],)
        return shape

    def _restore_extra_state(self) -> None:
        """Restore state a subclass saved beside the training state (from ``resume_from``)."""

    def _checked_training_state(self, keys: Tuple[Any, ...], serialiser: Any,
                                synapse_counts: Optional[Dict[str, int]] = None) -> Any:
        """Read and check the training state stored with the checkpoint at ``keys``; return
        a function that assigns it (nothing is assigned until every value passed).
        ``synapse_counts``: synapse group name -> number of synapses it will have once the
        connectivity being restored with it is assigned (others keep theirs)."""
        state = serialiser.deserialise_all(keys + (STATE_KEY,))
        if not state:
            return lambda: None      # weights only (e.g. written by inference): a fresh start
        where = lambda name: serialiser.describe(keys + (STATE_KEY, name))  # noqa: E731
        rng_names = list(self.genn_model.get_rng_state())
        expected = ["optimiser_step"]       # rng.* entries: checked_rng_state
        groups = [(opt, cu) for opt, names in self.optimisers
                  for cu in self._optimiser_groups(names)]
        for opt, cu in groups:
            expected += [f"{cu.name}.{var}" for var in cu.vars] + [f"{cu.name}.alpha"]
        expected += [f"deep_r.{c.name}.inhibitory" for c in self.deep_r]
        check_present(state, expected, keys, where)
        signs = []
        for c in self.deep_r:
            name = f"deep_r.{c.name}.inhibitory"
            values = checked_array(state[name], (c.num_pre * c.num_post,), where(name),
                                   f"Deep-R signs of '{c.name}'")
            if not np.isin(values, (0, 1)).all():
                from ..errors import CheckpointError
                raise CheckpointError(f"{where(name)} holds Deep-R signs of '{c.name}' other "
                                      f"than 0 and 1")
            signs.append((c, values))
        views, alphas = [], []
        for opt, cu in groups:
            for var, view in cu.vars.items():
                shape = self._state_shape(cu.name, view, synapse_counts or {})
                views.append((view, checked_array(
                    state[f"{cu.name}.{var}"], shape, where(f"{cu.name}.{var}"),
                    f"optimiser state '{var}' of '{cu.name}'")))
            alpha = checked_array(state[f"{cu.name}.alpha"], (1,), where(f"{cu.name}.alpha"),
                                  f"learning rate of '{cu.name}'")
            alphas.append((opt, cu, float(alpha[0])))
        step = checked_count(state["optimiser_step"], where("optimiser_step"), "optimiser step")
        rng = checked_rng_state(state, rng_names, where)

        def assign() -> None:
            for view, values in views:
                view.values = values
            for opt, cu, alpha in alphas:
                if "alpha" in opt.dynamic_params:
                    opt.set_param([cu], "alpha", alpha)
            self.optimiser_step = step
            self.genn_model.set_rng_state(rng)
            for c, values in signs:
                c.set_state(self.genn_model, values)
            if signs:
                self.deep_r_initialised = True
        return assign

    # ------------------------------------------------------------------ loop
    def _check(self, x: Any, y: Any, what: str = "") -> Tuple[Dict, Dict, int]:
        x = check_inputs(x, self.inputs, what + "x")
        y = resolve_keys(y, self.outputs, what + "y", "output")
        y = {p: self._check_target(v, p, what + "y") for p, v in y.items()}
        n = dataset_size(x, y)
        self.check_spike_budget(x)
        return x, y, n

    def _check_target(self, target: Any, pop: Any, what: str) -> np.ndarray:
        """Check the targets of output population ``pop`` (its loss's check; training
        compilers with other kinds of target override this)."""
        return self.losses[pop].check_target(target, pop, what)

    def _callbacks(self, base: List[Any], callbacks: Any, mode: str, num_batches: int,
                   num_epochs: int, num_examples: Optional[int] = None) -> CallbackList:
        # num_examples lets callbacks (recorders) ignore the padding of a partial last batch
        from ..plugins.manager import get_plugin_manager
        from ..callbacks import Callback
        from ..utils.module import get_object
        user = list(callbacks) if callbacks is not None else []
        user += get_plugin_manager().run_callbacks(self, mode)
        # Names become objects here, so that what they implement is known
        user = [get_object(c, Callback, f"callbacks[{i}]", "callback") if isinstance(c, str)
                else c for i, c in enumerate(user)]
        extra = {} if self.train_loop is None else {"train_loop": self.train_loop}
        # Gradient hooks run between the reduction and the optimiser: the loop then runs both
        # itself instead of the compiler's base callbacks (no cost when nobody asks)
        hooks = [c for c in user if any(callable(getattr(c, h, None)) for h in GRADIENT_HOOKS)]
        # Several ranks: the gradients are summed across ranks between the two updates
        applies = bool(hooks) or (mode == "train" and self.num_ranks > 1)
        if applies:
            from .deep_r import DeepRL1
            base = [c for c in base if (getattr(c, "name", None) not in (GRADIENT_REDUCE,
                                                                          GRADIENT_LEARN)
                                        or not isinstance(c, CustomUpdateOnBatchEnd))
                    and not isinstance(c, DeepRL1)]
        callback_list = CallbackList(base + user, compiled_network=self,
                                     num_batches=num_batches, num_epochs=num_epochs,
                                     num_examples=num_examples, **extra)
        callback_list.loop_applies_gradients = applies
        return callback_list

    def _run_batch(self, batch: int, x: Dict, y: Dict, metrics: Dict, callback_list: CallbackList,
                   train: bool) -> None:
        self.reset_batch_state()
        self.set_input(x)
        for pop, target in y.items():
            self.losses[pop].set_target(self.neuron_populations[pop], target, pop.shape,
                                        self.batch_size, self.example_timesteps)
        callback_list.on_batch_begin(batch)
        self.run_example(callback_list)
        for pop, target in y.items():
            readout = self.get_readout(pop)[:len(target)]
            metrics[pop].update(target, readout, self.communicator)
        if train:
            self._apply_gradients(batch, callback_list)
        callback_list.on_batch_end(batch, metrics)
        if train:
            self.optimiser_step += 1

    def _run_epoch(self, x, y, n, order, metrics, callback_list, train, rank_sizes=None):
        for metric in metrics.values():
            metric.reset()
        num_batches = (n + self.batch_size - 1) // self.batch_size
        for batch in range(num_batches):
            index = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            if train and self.train_loop is not None:
                self.train_loop.batch = batch
            # Examples of this batch on all ranks together: what batch means divide by
            sizes = [n] if rank_sizes is None else rank_sizes
            self.batch_examples_all_ranks = sum(
                min(self.batch_size, max(0, size - batch * self.batch_size)) for size in sizes)
            self._run_batch(batch, {p: _take(v, index) for p, v in x.items()},
                            {p: v[index] for p, v in y.items()}, metrics, callback_list, train)
            if train and self._any_rank_stops():
                break

    def _any_rank_stops(self) -> bool:
        """Whether a callback on any rank asked training to stop (then every rank stops)."""
        if self.num_ranks > 1:
            self.stop_training = self.communicator.reduce_sum(int(self.stop_training)) > 0
        return bool(self.stop_training)


    def default_metric(self, output: Any) -> str:
        """The metric an output gets when ``metrics`` is not given: ``"mean_square_error"``
        when its loss is a regression loss (:class:`~ml_genn.losses.MeanSquareError`),
        otherwise ``"sparse_categorical_accuracy"``.

        Parameters
        ----------
        output
            An output population.
        """
        from ..losses import MeanSquareError
        loss = self.losses.get(output)
        return ("mean_square_error" if isinstance(loss, MeanSquareError)
                else "sparse_categorical_accuracy")

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, x: Dict[Any, Any], y: Dict[Any, Any],
                 metrics: Any = None,
                 callbacks: Optional[List[Any]] = None) -> Any:
        """Forward passes only (no learning): ``(metrics, cb_data)`` as the inference network's
        ``evaluate``.

        Parameters
        ----------
        x, y
            Dicts mapping input populations to data and output populations to targets.
        metrics
            Metric (name or object) per output, or a dict of them; ``None`` (the default):
            each output's metric follows its loss, as in ``train``.
        callbacks
            Callbacks run during evaluation.
        """
        self._require_loaded("evaluate")
        x, y, n = self._check(x, y)
        if metrics is None:
            metrics = {pop: self.default_metric(pop) for pop in self.outputs}
        results = get_metrics(metrics, self.outputs)
        rank_sizes = self._rank_sizes(n, "evaluate")
        num_batches = (n + self.batch_size - 1) // self.batch_size
        callback_list = self._callbacks(self.base_validate_callbacks,
                                        [] if callbacks is None else callbacks, "evaluate",
                                        num_batches, 1, n)
        self._run_epoch(x, y, n, np.arange(n), results, callback_list, False, rank_sizes)
        return results, callback_list.get_data()

    def train(self, x: Dict[Any, Any], y: Dict[Any, Any], num_epochs: int, start_epoch: int = 0,
              shuffle: bool = True, metrics: Any = None,
              callbacks: Optional[List[Any]] = ["batch_progress_bar"],
              validation_callbacks: Optional[List[Any]] = ["batch_progress_bar"],
              validation_split: float = 0.0, validation_x: Optional[Dict[Any, Any]] = None,
              validation_y: Optional[Dict[Any, Any]] = None) -> Tuple:
        """Train the network.

        Parameters
        ----------
        x, y
            Dicts mapping input populations to data and output populations to targets.
        num_epochs
            Number of epochs to train for: epochs ``start_epoch .. start_epoch + num_epochs - 1``
            run (mlGeNN's meaning; callbacks see these epoch numbers).
        start_epoch
            Number of the first epoch (to resume from a checkpoint of epoch
            ``start_epoch - 1``, or to train one epoch at a time as in mlGeNN's augmentation
            loop: ``train(..., num_epochs=1, start_epoch=e)``).
        shuffle
            Whether examples are shuffled each epoch (a permutation seeded by the engine
            seed and the epoch, so resuming reproduces it).
        metrics
            Metric (name or object) per output, or a dict of them. ``None`` (the default):
            each output's metric follows its loss, ``"mean_square_error"`` for
            :class:`~ml_genn.losses.MeanSquareError` (regression) and
            ``"sparse_categorical_accuracy"`` otherwise (mlGeNN's default, which would reject
            a regression target).
        callbacks, validation_callbacks
            Callbacks for training and validation.
        validation_split
            Fraction of the training data (taken from its end) used for validation.
        validation_x, validation_y
            Separate validation data.

        Returns
        -------
        ``(train_metrics, train_cb_data)``, or with validation ``(train_metrics,
        valid_metrics, train_cb_data, valid_cb_data)``.

        Notes
        -----
        A callback can end training early by setting ``compiled_network.stop_training = True``
        (the compiled network reaches callbacks through ``set_params``): the current batch
        finishes, the epoch ends there (validated, ``on_epoch_end`` with the metrics of the
        batches run), ``on_train_end`` runs and ``train`` returns as usual;
        ``compiled_network.stopped_epoch`` then says in which epoch.
        """
        self._require_loaded("train")
        num_epochs = check_int("train", "num_epochs", num_epochs)
        start_epoch = check_int("train", "start_epoch", start_epoch, 0,
                                "a non-negative integer (the number of the first epoch to run)")
        if isinstance(validation_split, bool) or not isinstance(validation_split, Real):
            raise InvalidTypeError(f"train validation_split must be a number in [0, 1), got "
                                   f"{type(validation_split).__name__}: {validation_split!r}")
        if not 0.0 <= validation_split < 1.0:
            raise InvalidValueError(f"train validation_split must be in [0, 1), got {validation_split!r}")
        if validation_split > 0.0 and validation_x is not None:
            raise InvalidValueError("train takes validation_split or validation_x/validation_y, not both")
        if (validation_x is None) != (validation_y is None):
            raise InvalidValueError("train needs both validation_x and validation_y, or neither")
        x, y, n = self._check(x, y)
        validate = validation_split > 0.0 or validation_x is not None
        if validation_split > 0.0:
            n_valid = int(round(n * validation_split))
            if n_valid < 1 or n_valid >= n:
                raise InvalidValueError(
                    f"validation_split {validation_split} of {n} examples leaves "
                    f"{n_valid} for validation; need at least 1 each")
            n -= n_valid
            vx, vy = {p: _take(v, slice(n, None)) for p, v in x.items()}, \
                {p: v[n:] for p, v in y.items()}
            x, y = {p: _take(v, slice(0, n)) for p, v in x.items()}, {p: v[:n] for p, v in y.items()}
            n_v = n_valid
        elif validate:
            vx, vy, n_v = self._check(validation_x, validation_y, "validation_")
        rank_sizes = self._rank_sizes(n, "train")
        valid_sizes = self._rank_sizes(n_v, "train validation") if validate else None
        if metrics is None:
            metrics = {pop: self.default_metric(pop) for pop in self.outputs}
        train_metrics = get_metrics(metrics, self.outputs)
        valid_metrics = get_metrics(metrics, self.outputs) if validate else None
        from .train_loop import TrainLoop
        self.train_loop = TrainLoop(self, x, y, vx if validate else None,
                                    vy if validate else None, int(num_epochs), int(start_epoch))
        self.train_loop.train_metrics = train_metrics
        try:
            num_batches = (n + self.batch_size - 1) // self.batch_size
            callback_list = self._callbacks(self.base_train_callbacks, callbacks, "train",
                                            num_batches, num_epochs, n)
            if validate:
                valid_list = self._callbacks(self.base_validate_callbacks,
                                             validation_callbacks, "validate",
                                             (n_v + self.batch_size - 1) // self.batch_size,
                                             num_epochs, n_v)
            self.stop_training, self.stopped_epoch = False, None
            callback_list.on_train_begin()
            # A callback may have resumed from a checkpoint (ResumeTraining): the run then
            # starts later and still ends where it was asked to
            seed = self.genn_model.get_rng_state()["seed"]
            first = int(self.train_loop.start_epoch)
            for epoch in range(first, int(start_epoch) + int(num_epochs)):
                order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle \
                    else np.arange(n)
                self.train_loop.epoch = epoch
                callback_list.on_epoch_begin(epoch)
                self._run_epoch(x, y, n, order, train_metrics, callback_list, True, rank_sizes)
                if validate:
                    valid_list.on_epoch_begin(epoch)
                    self._run_epoch(vx, vy, n_v, np.arange(n_v), valid_metrics, valid_list,
                                    False, valid_sizes)
                    valid_list.on_epoch_end(epoch, valid_metrics)
                    self.train_loop.validation_metrics = valid_metrics
                callback_list.on_epoch_end(epoch, train_metrics)
                if self._any_rank_stops():
                    self.stopped_epoch = epoch
                    logger.info("Training stopped by a callback in epoch %d", epoch)
                    break
            callback_list.on_train_end(train_metrics)
            cb_data = callback_list.get_data()
            callback_list.close()
            if validate:
                valid_cb_data = valid_list.get_data()
                valid_list.close()
                return train_metrics, valid_metrics, cb_data, valid_cb_data
            return train_metrics, cb_data
        finally:
            self.train_loop = None


def _take(data: Any, index: Any) -> Any:
    """Examples ``index`` (array of indices or slice) of an array or a list of spike trains."""
    if isinstance(data, np.ndarray):
        return data[index]
    if isinstance(index, slice):
        return data[index]
    return [data[i] for i in index]
