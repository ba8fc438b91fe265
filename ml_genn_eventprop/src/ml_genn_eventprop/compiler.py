"""``EventPropCompiler``: training with exact gradients (Wunderlich & Pehle 2021).

See ``DERIVATION.md`` for the algorithm and ``DESIGN_NOTES.md`` for its engine mapping.
"""
from __future__ import annotations

from numbers import Real
from typing import Any, Dict, List, Sequence

import numpy as np

from ml_genn.compilers import Compiler, deep_r
from ml_genn.compilers.compiler import MAX_TIMESTEPS
from ml_genn.utils.value import check_int
from ml_genn.engine import SynapseMatrixType
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, LeakyIntegrateFireInput
from ml_genn.synapses import Exponential

from . import engine_models as EM
from .network_plan import NetworkPlan, plan_network
from ml_genn.errors import InvalidTypeError, InvalidValueError

#: Network default parameters EventProp's gradients assume (mlGeNN's): absolute reset, no
#: integration while refractory, and input currents scaled so that the discrete model is the
#: exact step solution of the continuous one in DERIVATION.md
default_params = {
    LeakyIntegrate: {"scale_i": True},
    LeakyIntegrateFire: {"relative_reset": False, "integrate_during_refrac": False,
                         "scale_i": True},
    LeakyIntegrateFireInput: {"relative_reset": False, "integrate_during_refrac": False,
                              "scale_i": True},
    Exponential: {"scale_i": True},
}


def _check_positive_int(value: Any, name: str) -> int:
    return check_int("EventPropCompiler", name, value, 1, "a positive integer below 2**32",
                     limit=MAX_TIMESTEPS)


def _check_real(value: Any, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0 \
            or (positive and value == 0):
        need = "greater than zero" if positive else "zero or more"
        raise InvalidValueError(f"EventPropCompiler {name} must be a number {need}, got {value!r}")
    return float(value)


class EventPropCompiler(Compiler):
    """Compiler that trains networks with EventProp's exact gradients.

    Hidden populations are LIF neurons (feed-forward or recurrent, several layers), synapses are
    exponential, connections may have fixed or learned delays. Outputs are leaky integrators
    trained with ``SparseCategoricalCrossentropy`` over ``avg_var``, ``sum_var``,
    ``avg_var_exp_weight``, ``max_var`` (or ``var`` with ``per_timestep_loss``) or with
    ``MeanSquareError`` on ``var``; or LIF neurons read out with ``first_spike_time`` and trained
    with ``SparseCategoricalCrossentropy`` or ``RelativeMeanSquareError``.

    Parameters
    ----------
    example_timesteps
        Timesteps each example is presented for.
    losses
        One loss (object or registered name) for every output, or a dict keyed by output
        population.
    optimiser
        Optimiser of the weights (object or registered name, Adam by default).
    reg_lambda_upper, reg_lambda_lower
        Strength of the spike-count regulariser of hidden neurons above / below ``reg_nu_upper``.
    reg_nu_upper
        Target spike count per hidden neuron and example.
    max_spikes
        Spikes each neuron can store per example for the backward pass; more are dropped,
        counted and reported after the batch.
    strict_buffer_checking
        Raise instead of warning when spikes were dropped.
    per_timestep_loss
        Apply the classification loss of leaky-integrator outputs at every timestep.
    dt
        Simulation timestep [ms].
    ttfs_alpha
        Weight of the term pushing the correct first-spike-time output to fire early.
    softmax_temperature
        Temperature of the softmax over negative first spike times.
    batch_size
        Examples simulated in parallel.
    rng_seed
        Seed of the engine's random number generator.
    communicator
        :class:`~ml_genn.communicators.Communicator` of a data-parallel run (each rank
        trains on ``batch_size / num_ranks`` examples of every batch; gradients are summed
        across ranks and batch means taken over all of them), or ``None``.
    delay_optimiser
        Optimiser of learned delays (``optimiser`` if None, as in mlGeNN).
    delay_learn_conns
        Connections whose delays are learned along with their weights. Each needs
        ``max_delay_steps`` (at least 1) on its ``Connection``; its delays stay real-valued,
        are used rounded to whole timesteps, move by their gradient per timestep of delay and
        are clipped to ``[0, max_delay_steps]``.
    deep_r_conns, deep_r_l1_strength, deep_r_record_rewirings
        Deep-R (mlGeNN 2.4's arguments, see :mod:`ml_genn.compilers.deep_r`): the SPARSE
        connections (or Layers) to rewire, the strength ``C`` of its L1 term, and
        ``{connection: key}`` for ``cb_data[key]`` to get one ``(num_rewirings, num_failed)``
        per training batch.
    backend
        Registered backend name or backend object.
    **genn_kwargs
        Options of the backend (the cpu backend takes none); any other keyword is an error.
    """

    def __init__(self, example_timesteps: int, losses: Any, optimiser: Any = "adam",
                 reg_lambda_upper: float = 0.0, reg_lambda_lower: float = 0.0,
                 reg_nu_upper: float = 0.0, max_spikes: int = 500,
                 strict_buffer_checking: bool = False, per_timestep_loss: bool = False,
                 dt: float = 1.0, ttfs_alpha: float = 0.01, softmax_temperature: float = 1.0,
                 batch_size: int = 1, rng_seed: int = 0, kernel_profiling: bool = False,
                 communicator: Any = None, delay_optimiser: Any = None,
                 delay_learn_conns: Sequence[Any] = (), deep_r_conns: Sequence[Any] = (),
                 deep_r_l1_strength: float = 0.01, deep_r_record_rewirings: Any = None,
                 backend: Any = "cpu", **genn_kwargs: Any):
        # mlGeNN's preference order, less the procedural types this engine does not have
        super().__init__([SynapseMatrixType.TOEPLITZ, SynapseMatrixType.DENSE,
                          SynapseMatrixType.SPARSE], dt=dt, batch_size=batch_size,
                         rng_seed=rng_seed, kernel_profiling=kernel_profiling,
                         communicator=communicator, backend=backend, **genn_kwargs)
        self.example_timesteps = _check_positive_int(example_timesteps, "example_timesteps")
        self.losses = losses
        self.reg_lambda_upper = _check_real(reg_lambda_upper, "reg_lambda_upper")
        self.reg_lambda_lower = _check_real(reg_lambda_lower, "reg_lambda_lower")
        self.reg_nu_upper = _check_real(reg_nu_upper, "reg_nu_upper")
        self.max_spikes = _check_positive_int(max_spikes, "max_spikes")
        self.strict_buffer_checking = bool(strict_buffer_checking)
        self.per_timestep_loss = bool(per_timestep_loss)
        self.ttfs_alpha = _check_real(ttfs_alpha, "ttfs_alpha")
        self.softmax_temperature = _check_real(softmax_temperature, "softmax_temperature",
                                               positive=True)
        self.deep_r_conns, self.deep_r_l1_strength, self.deep_r_record_rewirings = \
            deep_r.check_arguments("EventPropCompiler", deep_r_conns, deep_r_l1_strength,
                                   deep_r_record_rewirings)
        self.optimiser = optimiser
        self.delay_optimiser = optimiser if delay_optimiser is None else delay_optimiser
        if isinstance(delay_learn_conns, (str, bytes)) or not hasattr(delay_learn_conns,
                                                                        "__iter__"):
            raise InvalidTypeError(f"EventPropCompiler delay_learn_conns must be a sequence of "
                                   f"Connections, got {type(delay_learn_conns).__name__}")
        # Layers of a SequentialNetwork stand for their incoming connection, as in mlGeNN
        self.delay_learn_conns = [getattr(c, "connection", c) for c in delay_learn_conns]

    @property
    def regulariser_enabled(self) -> bool:
        """Whether hidden spike counts are regularised."""
        return self.reg_lambda_upper > 0.0 or self.reg_lambda_lower > 0.0

    def plan(self, network: Any) -> NetworkPlan:
        """Check ``network`` for EventProp and classify its populations and connections.

        Raises
        ------
        UnsupportedNetworkError
            Naming the population or connection EventProp cannot train, and what to use.
        """
        return plan_network(network, self.losses, self.per_timestep_loss,
                            self.delay_learn_conns)

    # ------------------------------------------------------------------ compiler hooks
    def pre_compile(self, network: Any, model_spec: Any, **kwargs: Any) -> "EventPropState":
        from ml_genn.optimisers import Optimiser
        from ml_genn.utils.module import get_object
        plan = self.plan(network)
        optimiser = get_object(self.optimiser, Optimiser, "EventPropCompiler optimiser",
                               "optimiser")
        # As in mlGeNN, delays share the weights' optimiser unless given their own
        delay_optimiser = optimiser if self.delay_optimiser is self.optimiser else get_object(
            self.delay_optimiser, Optimiser, "EventPropCompiler delay_optimiser", "optimiser")
        return EventPropState(plan, optimiser, delay_optimiser)

    def build_neuron_model(self, pop: Any, model: Any, state: "EventPropState") -> Any:
        from ml_genn.utils.model_builder import engine_value
        plan = state.plan.populations[pop]
        sizes = dict(example_timesteps=self.example_timesteps, batch_size=self.batch_size,
                     num_neurons=pop.num_neurons)
        if plan.role == "input":
            return EM.add_replay(model, self.max_spikes, **sizes)
        neuron = pop.neuron
        if plan.role == "output_li":
            return EM.li_model(plan.readout, plan.tau_mem, plan.tau_syn, engine_value(neuron.v),
                               dt=self.dt, **sizes)
        return EM.lif_model(plan.tau_mem, plan.tau_syn, float(neuron.v_thresh),
                            float(neuron.v_reset), engine_value(neuron.v), neuron.relative_reset,
                            plan.role == "output_lif",
                            plan.role == "hidden" and self.regulariser_enabled,
                            self.max_spikes, dt=self.dt, **sizes)

    def build_synapse_model(self, conn: Any, model: Any, state: "EventPropState") -> Any:
        return EM.exponential_psm(state.plan.populations[conn.target].tau_syn, self.dt)

    def weight_access(self, conn: Any, state: "EventPropState") -> Any:
        # One weight copy shared by the batch: the synapses only read it, and the optimiser's
        # (unbatched) custom update writes it once per batch, as GeNN 5 allows
        from ml_genn.engine import VarAccess
        return VarAccess.READ_ONLY

    def build_weight_update_model(self, conn: Any, connect_snippet: Any,
                                  state: "EventPropState") -> Any:
        from ml_genn.engine import VarAccess
        from ml_genn.utils.model_builder import engine_value
        from ml_genn.utils.value import is_value_array, is_value_constant
        from .errors import UnsupportedNetworkError
        plan = state.plan.connections[conn]
        target = state.plan.populations[conn.target]
        source = state.plan.populations[conn.source]
        delay = connect_snippet.delay
        if plan.learn_delay:
            if plan.max_delay_steps < 1:
                raise UnsupportedNetworkError(
                    f"Connection '{conn.name}' is in delay_learn_conns but max_delay_steps is "
                    f"{plan.max_delay_steps}, which leaves no delay to learn; pass "
                    f"max_delay_steps >= 1 to the Connection")
            # Learned delays stay real-valued (the optimiser moves them by fractions of a
            # step); the synapses use them rounded to whole steps
            delay = (np.asarray(delay, dtype=float).reshape(-1) if is_value_array(delay)
                     else engine_value(delay))
        elif delay is None or (is_value_constant(delay) and int(np.rint(delay)) == 0):
            delay = None
        elif is_value_array(delay):
            delay = np.rint(np.asarray(delay, dtype=float)).reshape(-1)
        elif not is_value_constant(delay):
            delay = engine_value(delay)
        state.trained.append(conn)
        return EM.weight_update_model(source.role in ("hidden", "output_lif"), target.tau_syn,
                                      target.tau_mem, connect_snippet.weight, VarAccess.READ_ONLY,
                                      delay=delay, max_delay_steps=plan.max_delay_steps,
                                      learn_delay=plan.learn_delay, dt=self.dt)

    def add_custom_updates(self, model_spec: Any, state: "EventPropState",
                           neuron_groups: Dict[Any, Any], synapse_groups: Dict[Any, Any]) -> None:
        from ml_genn.engine import create_var_ref
        # mlGeNN's EventProp runs softmaxes and reductions as custom updates; here the host
        # computes them between the phases (its scripts print their times)
        model_spec.host_update_groups.update(
            {"BatchSoftmax1", "BatchSoftmax2", "BatchSoftmax3", "Softmax1", "Softmax2",
             "Softmax3", "TTFSReduce", "SpikeCountReduce", "ZeroGradient", "ZeroOutPost"})
        for conn in state.trained:
            sg = synapse_groups[conn]
            source, target = neuron_groups[conn.source], neuron_groups[conn.target]
            if state.plan.populations[conn.source].role in ("hidden", "output_lif"):
                sg.wu_init.pre_var_refs["BackSpike_pre"] = create_var_ref(source, "BackSpike")
            sg.wu_init.post_var_refs["LambdaI_post"] = create_var_ref(target, "LambdaI")
            sg.wu_init.post_var_refs["LambdaV_post"] = create_var_ref(target, "LambdaV")
            if state.plan.populations[conn.source].role in ("hidden", "output_lif"):
                sg.pre_target_var = "RevISyn"
            plan = state.plan.connections[conn]
            if "d" in sg.vars or "Delay" in sg.wu_params:
                # Delays act on arrival (dendritic), so that the backward pass's spike-like
                # events are not delayed too, as an axonal delay of the source's queue would
                sg.axonal_delay_steps = 0
                sg.max_dendritic_delay_timesteps = plan.max_delay_steps + 1
            self._add_learning(model_spec, sg, "Gradient", "g", state.optimiser,
                               state.optimiser_updates)
            if plan.learn_delay:
                self._add_learning(model_spec, sg, "DelayGradient", "d", state.delay_optimiser,
                                   state.delay_optimiser_updates, clip=plan.max_delay_steps)
        state.deep_r = deep_r.add_to_model("EventPropCompiler", model_spec, self.deep_r_conns,
                                           synapse_groups, state.trained, "Gradient",
                                           self.deep_r_l1_strength, self.full_batch_size)

    @staticmethod
    def _add_learning(model_spec: Any, sg: Any, gradient: str, variable: str, optimiser: Any,
                      update_names: List[str], clip: Any = None) -> None:
        """Batch-reduce ``gradient`` of ``sg`` and let ``optimiser`` apply it to ``variable``
        (then clipped to ``[0, clip]`` when ``clip`` is given)."""
        from ml_genn.engine import CustomUpdateVarAccess, create_var_ref, create_wu_var_ref
        from ml_genn.utils.model_builder import CustomUpdateModelBuilder
        suffix = "" if variable == "g" else f"_{variable}"
        # Drives already carry 1/n, so the batch *sum* is the batch-mean loss's gradient
        reduce = CustomUpdateModelBuilder("EventPropGradientReduce")
        reduce.add_var_ref("Gradient", create_wu_var_ref(sg, gradient))
        reduce.add_var("ReducedGradient", 0.0, "scalar", CustomUpdateVarAccess.REDUCE_BATCH_SUM)
        reduce.code["update_code"] = "ReducedGradient = Gradient;\nGradient = 0.0;"
        reduce_group = reduce.add_to_model(model_spec, f"{sg.name}_reduce{suffix}",
                                           "GradientBatchReduce")
        learn = optimiser.get_model(create_var_ref(reduce_group, "ReducedGradient"),
                                    create_wu_var_ref(sg, variable), False)
        if clip is not None:
            # Learned delays stay within what the delay buffers hold (mlGeNN clips the same way)
            learn.code["update_code"] += (f"\nVariable = fmin(fmax(Variable, (scalar)0.0), "
                                          f"(scalar){float(clip)!r});")
        learn.add_to_model(model_spec, f"{sg.name}_learn{suffix}", "GradientLearn")
        update_names.append(f"{sg.name}_learn{suffix}")

    def create_compiled_network(self, built_model: Any, neuron_populations: Dict[Any, str],
                                connection_populations: Dict[Any, str],
                                state: "EventPropState") -> Any:
        from ml_genn.callbacks import CustomUpdateOnBatchEnd
        from .compiled_network import CompiledEventPropNetwork, EventPropStats
        plan = state.plan
        stats = EventPropStats()
        inputs = [p for p, q in plan.populations.items() if q.role == "input"]
        outputs = [q.population for q in plan.outputs]
        return CompiledEventPropNetwork(
            built_model, neuron_populations, connection_populations, self.connect_snippets,
            self.example_timesteps, losses={q.population: q.loss.obj for q in plan.outputs},
            optimisers=state.optimiser_list(), inputs=inputs,
            outputs=outputs,
            base_train_callbacks=[stats, CustomUpdateOnBatchEnd("GradientBatchReduce")]
            + deep_r.l1_callbacks(state.deep_r) + [CustomUpdateOnBatchEnd("GradientLearn")]
            + deep_r.callbacks(state.deep_r, self.deep_r_record_rewirings, connection_populations),
            compiler=self, plan=plan, stats=stats, trained_connections=list(state.trained),
            deep_r=state.deep_r)


class EventPropState:
    """What the compiler hooks share while one network is compiled."""

    def __init__(self, plan: NetworkPlan, optimiser: Any, delay_optimiser: Any = None):
        self.plan = plan
        self.optimiser = optimiser
        self.delay_optimiser = optimiser if delay_optimiser is None else delay_optimiser
        self.trained: List[Any] = []
        self.optimiser_updates: List[str] = []
        self.delay_optimiser_updates: List[str] = []
        self.deep_r: List[Any] = []

    def optimiser_list(self) -> List[Any]:
        """``(optimiser, [custom update names])`` pairs for the compiled network."""
        if self.delay_optimiser is self.optimiser:
            return [(self.optimiser, self.optimiser_updates + self.delay_optimiser_updates)]
        pairs = [(self.optimiser, self.optimiser_updates)]
        if self.delay_optimiser_updates:
            pairs.append((self.delay_optimiser, self.delay_optimiser_updates))
        return pairs
