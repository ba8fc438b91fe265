"""The compiled EventProp network: core's training loop plus a backward phase per batch."""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Dict, List

import numpy as np

from ml_genn.callbacks import Callback
from ml_genn.compilers.compiled_training_network import CompiledTrainingNetwork

from . import output_gradients as OG
from .errors import SpikeBufferOverflowError
from .network_plan import NetworkPlan
from ml_genn.errors import InvalidTypeError, InvalidValueError


class EventPropStats(Callback):
    """Keeps each batch's loss and spike-count regularisation terms (``cb_data["eventprop"]``).

    Data: ``{"loss": {output name: [per batch]}, "spike_reg": {hidden name: [per batch]},
    "mean_spikes": {hidden name: [per batch]}}``.
    """

    def __init__(self):
        self.data: Dict[str, Dict[str, List[float]]] = {"loss": {}, "spike_reg": {},
                                                        "mean_spikes": {}}

    def record(self, kind: str, name: str, value: float) -> None:
        self.data[kind].setdefault(name, []).append(float(value))

    def get_data(self):
        return "eventprop", self.data


class CompiledEventPropNetwork(CompiledTrainingNetwork):
    """A network compiled by :class:`~ml_genn_eventprop.compiler.EventPropCompiler`.

    ``train`` and ``evaluate`` behave as core's; each training batch runs ``example_timesteps``
    forward steps, computes the losses' drives on the host, runs ``example_timesteps`` backward
    steps and lets the optimiser custom updates (base callbacks) apply the gradients.
    """

    def __init__(self, *args: Any, compiler: Any, plan: NetworkPlan, stats: EventPropStats,
                 trained_connections: List[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.compiler = compiler
        self.plan = plan
        self.stats = stats
        self.trained_connections = list(trained_connections)
        self.last_losses: Dict[Any, float] = {}
        self.last_dropped: Dict[Any, int] = {}

    # ------------------------------------------------------------------ phases
    def _set_phase(self, backward: int) -> None:
        for pop, plan in self.plan.populations.items():
            self.neuron_populations[pop].set_dynamic_param_value("Backward", backward)
        # Synapses from replaying inputs tell the phases apart themselves
        for conn, group in self.connection_populations.items():
            if self.plan.populations[conn.source].role == "input":
                group.set_dynamic_param_value("Backward", backward)
        self.reset_time()

    def get_readout(self, outputs: Any) -> Any:
        if isinstance(outputs, (list, tuple)):
            return [self.get_readout(o) for o in outputs]
        pop = getattr(outputs, "population", outputs)
        pop = pop() if callable(pop) and not hasattr(pop, "neuron") else pop
        plan = self.plan.populations[pop]
        group = self.neuron_populations[pop]
        shape = (self.batch_size,) + tuple(pop.shape)
        if plan.role == "output_lif":
            first = group.vars["FirstStep"].view
            times = (first + 1) * self.compiler.dt
            no_spike = -float(np.finfo(np.float32).max)
            return np.where(first >= 0, -times, no_spike).reshape(shape)
        if plan.readout == "var":
            ring = group.extra_global_params["RingV"].view
            return ring.reshape(self.batch_size, self.example_timesteps, -1)[:, -1].reshape(shape)
        return np.array(group.vars[self._readout_var(pop)].view).reshape(shape)

    def _readout_var(self, pop: Any) -> str:
        return {"max_var": "VMax"}.get(self.plan.populations[pop].readout, "VReadout")

    # ------------------------------------------------------------------ host-side loss
    def _first_spike_times(self, pop: Any, n: int) -> np.ndarray:
        first = self.neuron_populations[pop].vars["FirstStep"].view[:n].reshape(n, -1)
        return np.where(first >= 0, (first + 1) * self.compiler.dt, np.inf)

    def _add_phantom_spikes(self, pop: Any, labels: np.ndarray) -> None:
        """A correct output neuron that stayed silent has no spike to carry a gradient; as in
        mlGeNN, give it a *phantom* spike in the last step (pushing it to fire earlier).

        The phantom's slope at threshold is unknown; it is taken as about 1 / tau_mem: it is
        stored as crossing at ``V = theta`` with ``I - V = 1``.
        """
        group = self.neuron_populations[pop]
        first = group.vars["FirstStep"].view
        count = group.vars["SpikeCount"].view
        step_ring = group.extra_global_params["RingStep"].view
        current_ring = group.extra_global_params["RingI"].view
        voltage_ring = group.extra_global_params["RingV"].view
        max_spikes, num = self.compiler.max_spikes, pop.num_neurons
        theta = float(pop.neuron.v_thresh)
        for b, label in enumerate(labels):
            if first[b, label] >= 0 or count[b, label] >= max_spikes:
                continue
            slot = (b * num + label) * max_spikes + int(count[b, label])
            step_ring[slot] = self.example_timesteps - 1
            current_ring[slot] = theta + 1.0
            voltage_ring[slot] = theta
            count[b, label] += 1
            first[b, label] = self.example_timesteps - 1

    def _drive_outputs(self, y: Dict[Any, Any], n: int) -> None:
        c, K, B = self.compiler, self.example_timesteps, self.batch_size
        for pop, target in y.items():
            plan = self.plan.populations[pop]
            group = self.neuron_populations[pop]
            loss_name = plan.loss.name
            if plan.role == "output_lif":
                labels = np.asarray(target[:n]).astype(int)
                self._add_phantom_spikes(pop, labels)
                t = self._first_spike_times(pop, n)
                duration = K * c.dt
                if loss_name == "sparse_categorical_crossentropy":
                    loss, grad = OG.first_spike_crossentropy(t, labels, c.softmax_temperature,
                                                             c.ttfs_alpha, duration)
                elif plan.loss.delta is not None:
                    loss, grad = OG.first_spike_relative_mse(t, labels, plan.loss.delta, duration)
                else:
                    obj = plan.loss.obj
                    loss, grad = OG.first_spike_goeltz(t, labels, obj.tau_0, obj.tau_1,
                                                       obj.alpha, duration)
                drive = np.zeros((B, grad.shape[1]))
                drive[:n] = grad * self._mlgenn_scale(plan, n)
                group.vars["DLdtFirst"].view[...] = drive
            elif plan.readout == "var":
                ring = group.extra_global_params["RingV"].view.reshape(B, K, -1)
                if loss_name == "mean_square_error":
                    target = np.asarray(target[:n], dtype=float).reshape(n, K, -1)
                    loss, grad = OG.mean_square_error(ring[:n], target)
                else:
                    loss, grad = OG.per_timestep_crossentropy(
                        ring[:n], np.asarray(target[:n]).astype(int))
                drive = np.zeros_like(ring)
                drive[:n] = grad * self._mlgenn_scale(plan, n)
                group.extra_global_params["DriveRing"].view[:] = drive.reshape(-1)
            else:
                z = np.array(group.vars[self._readout_var(pop)].view[:n]).reshape(n, -1)
                loss, grad = OG.crossentropy(z, np.asarray(target[:n]).astype(int))
                drive = np.zeros((B, grad.shape[1]))
                drive[:n] = grad * self._mlgenn_scale(plan, n)
                group.vars["Drive"].view[...] = drive
            self.last_losses[pop] = loss
            self.stats.record("loss", pop.name, loss)

    def _metric_prediction(self, pop: Any, n: int) -> np.ndarray:
        """What a metric compares with the targets: the readout, or, for a regression on the
        ``var`` readout, the whole trial's output (the targets are given per timestep)."""
        plan = self.plan.populations[pop]
        if plan.readout == "var" and plan.loss.name == "mean_square_error":
            ring = self.neuron_populations[pop].extra_global_params["RingV"].view
            return ring.reshape(self.batch_size, self.example_timesteps,
                                *pop.shape)[:n].copy()
        return self.get_readout(pop)[:n]

    def _mlgenn_scale(self, plan: Any, n: int) -> float:
        """Factor from the gradient of the batch-mean loss to mlGeNN's (DERIVATION.md section 8).

        mlGeNN's EventProp drives a leaky-integrator output's costates with ``dL/dV / tau_mem``
        and applies the per-trial readouts' drive as ``avg_var``'s (so ``sum_var`` and
        ``max_var`` get ``1 / example_timesteps`` of their derivative); first spike times enter
        unscaled, and ``RelativeMeanSquareError`` is summed over the batch, not averaged.
        """
        if plan.role == "output_lif" and plan.loss.delta is not None:
            return float(n)
        # The losses divide by this rank's n; a batch spread over ranks is the mean over all
        share = n / max(self.batch_examples_all_ranks, n)
        if plan.role == "output_lif":
            return share
        scale = share / plan.tau_mem
        if plan.readout in ("sum_var", "max_var"):
            scale /= self.example_timesteps
        return scale

    def _regularise(self, n: int) -> None:
        c = self.compiler
        for plan in self.plan.hidden:
            pop = plan.population
            counts = self.neuron_populations[pop].vars["SpikeCount"].view[:n].reshape(n, -1)
            total, examples = counts.sum(axis=0, dtype=np.float64), n
            if c.regulariser_enabled and self.num_ranks > 1:
                # Each neuron's mean over the whole batch, all ranks together
                self.communicator.reduce_sum_in_place(total)
                examples = max(self.batch_examples_all_ranks, n)
            mean = total / examples
            excess = mean - c.reg_nu_upper
            strength = np.where(excess > 0.0, c.reg_lambda_upper, c.reg_lambda_lower)
            self.stats.record("mean_spikes", pop.name, float(mean.mean()))
            self.stats.record("spike_reg", pop.name, float(0.5 * np.sum(strength * excess ** 2)))
            if c.regulariser_enabled:
                # mlGeNN's jump of its costate, -LambdaV / tau_mem in our units
                self.neuron_populations[pop].vars["RegJump"].view[...] = (
                    plan.tau_mem * strength * excess / examples)

    def _check_buffers(self, batch: int, n: int) -> None:
        c = self.compiler
        for pop, plan in self.plan.populations.items():
            if plan.role == "output_li":
                continue
            group = self.neuron_populations[pop]
            dropped = int(np.sum(group.vars["Dropped"].view[:n]))
            self.last_dropped[pop] = dropped
            if dropped == 0:
                continue
            busiest = int(np.max(group.vars["SpikeCount"].view[:n]))
            message = (f"EventPropCompiler: Population '{pop.name}' emitted more spikes than its "
                       f"buffer holds (max_spikes={c.max_spikes}) in batch {batch}: {dropped} "
                       f"spikes were left out of the backward pass; its busiest neuron fired "
                       f"{busiest} times, so pass max_spikes >= {busiest}")
            if c.strict_buffer_checking:
                raise SpikeBufferOverflowError(message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    # ------------------------------------------------------------------ data checks
    def _check_target(self, target: Any, pop: Any, what: str) -> np.ndarray:
        plan = self.plan.populations[pop]
        owner = f"{what}[{pop.name!r}]"
        if plan.loss.name == "mean_square_error":
            # Regression on var: a target value per example, timestep and neuron
            from ml_genn.compilers.data_checks import check_timestep_targets
            return check_timestep_targets(target, pop, self.example_timesteps, owner)
        # Every other EventProp loss takes one class label per example
        y = np.asarray(target)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.number):
            raise InvalidValueError(f"{owner} for {plan.loss.class_name} must be one integer class "
                                    f"label per example (shape (examples,)), got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise InvalidTypeError(f"{owner} must hold integer class labels, got {y.dtype} values")
            y = y.astype(np.int64)
        if y.size and (y.min() < 0 or y.max() >= pop.num_neurons):
            bad = y[(y < 0) | (y >= pop.num_neurons)][0]
            raise InvalidValueError(f"{owner} has label {int(bad)}, out of range for Population "
                                    f"'{pop.name}' with {pop.num_neurons} neurons")
        return y

    # ------------------------------------------------------------------ one batch
    def _run_batch(self, batch: int, x: Dict, y: Dict, metrics: Dict, callback_list: Any,
                   train: bool) -> None:
        n = len(next(iter(y.values())))
        self.reset_batch_state()
        self._set_phase(0)
        self.set_input(x)
        callback_list.on_batch_begin(batch)
        self.run_example(callback_list)
        for pop, target in y.items():
            metrics[pop].update(target, self._metric_prediction(pop, n),
                                self.communicator)
        if train:
            self._check_buffers(batch, n)
            self._drive_outputs(y, n)
            self._regularise(n)
            self._set_phase(1)
            # The backward steps must not overwrite the forward pass's recordings, which
            # recorders read at the end of the batch
            pause = getattr(self.genn_model, "recording_paused", None)
            with pause() if pause is not None else contextlib.nullcontext():
                self.genn_model.run_timesteps(self.example_timesteps)
            self._apply_gradients(batch, callback_list)
        callback_list.on_batch_end(batch, metrics)
        if train:
            self.optimiser_step += 1
