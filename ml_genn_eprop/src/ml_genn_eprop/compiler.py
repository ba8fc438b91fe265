"""``EPropCompiler``: online learning with eligibility propagation (Bellec et al. 2020), as
mlGeNN 2.4 defines it; see :mod:`ml_genn_eprop.engine_models` for the rule and
:mod:`ml_genn_eprop.factorised` for how the default form computes it at a fraction of the cost.
"""
from __future__ import annotations

from numbers import Real
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ml_genn.compilers import Compiler, deep_r
from ml_genn.compilers.compiler import MAX_TIMESTEPS
from ml_genn.utils.value import check_int
from ml_genn.engine import SynapseMatrixType, VarAccess
from ml_genn.errors import InvalidValueError
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, LeakyIntegrate, LeakyIntegrateFire,
                             LeakyIntegrateFireInput)

from . import engine_models as EM
from .network_plan import NetworkPlan, plan_network

#: Network default parameters e-prop works best with (mlGeNN's): relative reset, integration
#: during the refractory period, unscaled input currents
default_params = {
    AdaptiveLeakyIntegrateFire: {"relative_reset": True, "integrate_during_refrac": True},
    LeakyIntegrate: {"scale_i": False},
    LeakyIntegrateFire: {"relative_reset": True, "integrate_during_refrac": True,
                         "scale_i": False},
    LeakyIntegrateFireInput: {"relative_reset": True, "integrate_during_refrac": True,
                              "scale_i": False},
}

#: How the weight updates are computed (the results agree to float rounding)
IMPLEMENTATIONS = ("factorised", "per_synapse")


def _positive_int(value: Any, name: str) -> int:
    return check_int("EPropCompiler", name, value, 1, "a positive integer below 2**32",
                     limit=MAX_TIMESTEPS)


def _real(value: Any, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value) \
            or value < 0 or (positive and value == 0):
        need = "greater than zero" if positive else "zero or more"
        raise InvalidValueError(f"EPropCompiler {name} must be a finite number {need}, "
                                f"got {value!r}")
    return float(value)


class EPropCompiler(Compiler):
    """Compiler that trains networks with e-prop [Bellec2020]_.

    Hidden populations are :class:`~ml_genn.neurons.LeakyIntegrateFire` or
    :class:`~ml_genn.neurons.AdaptiveLeakyIntegrateFire` neurons (feed-forward or recurrent, in
    one or more layers, each connected directly to an output), connections use
    :class:`~ml_genn.synapses.Delta` synapses with DENSE or SPARSE connectivity, and outputs are
    :class:`~ml_genn.neurons.LeakyIntegrate` neurons trained with
    ``SparseCategoricalCrossentropy`` (readouts ``avg_var``, ``sum_var``, ``max_var`` of the
    output's softmax) or ``MeanSquareError`` (readout ``var``, a target per timestep). Neuron
    state and eligibility traces run on from one batch to the next, as in mlGeNN.

    Parameters
    ----------
    example_timesteps
        How many timesteps each example is presented to the network for.
    losses
        One loss function for every output, or a dict mapping output populations to losses.
    optimiser
        Optimiser of the weights (and output biases).
    tau_reg
        Time constant with which hidden spike trains are filtered to obtain the firing rate
        used for regularisation [ms].
    c_reg
        Regularisation strength.
    f_target
        Target hidden firing rate used for regularisation [Hz].
    train_output_bias
        Whether output neuron biases are trained.
    dt
        Simulation timestep [ms].
    batch_size
        Examples simulated in parallel; gradients are summed over the batch (as in mlGeNN).
    rng_seed
        Seed of the engine's random number generator.
    kernel_profiling
        Whether the engine times its kernels (read them from ``genn_model``).
    reset_time_between_batches
        Whether time is reset to zero at the start of each batch.
    communicator
        :class:`~ml_genn.communicators.Communicator` of a data-parallel run (each rank
        trains on ``batch_size / num_ranks`` examples of every batch; gradients are summed
        across ranks), or ``None``.
    deep_r_conns, deep_r_l1_strength, deep_r_record_rewirings
        Deep-R (mlGeNN 2.4's arguments, see :mod:`ml_genn.compilers.deep_r`): the SPARSE
        connections (or Layers) to rewire, the strength ``C`` of its L1 term, and
        ``{connection: key}`` for ``cb_data[key]`` to get one ``(num_rewirings, num_failed)``
        per training batch.
    implementation
        ``None`` (default): ``"factorised"`` where the backend records neuron variables
        natively (the cpu backend), ``"per_synapse"`` otherwise (GeNN's backends).
        ``"factorised"``: each batch's weight updates are computed from the
        presynaptic spikes and per-neuron time series at the end of the batch (exactly the
        per-synapse rule, see :mod:`ml_genn_eprop.factorised`); ``"per_synapse"``: every synapse
        updates its traces every timestep, as mlGeNN does, so that per-timestep recordings of
        ``eFiltered``, ``epsilonA`` and ``DeltaG`` are possible.
    backend
        Registered backend name or backend object.
    **genn_kwargs
        Options of the backend (the cpu backend takes none); any other keyword is an error.
    """

    def __init__(self, example_timesteps: int, losses: Any, optimiser: Any = "adam",
                 tau_reg: float = 500.0, c_reg: float = 0.001, f_target: float = 10.0,
                 train_output_bias: bool = True, dt: float = 1.0, batch_size: int = 1,
                 rng_seed: int = 0, kernel_profiling: bool = False,
                 reset_time_between_batches: bool = True, communicator: Any = None,
                 deep_r_conns: Sequence[Any] = [], deep_r_l1_strength: float = 0.01,
                 deep_r_record_rewirings: Any = {}, implementation: Optional[str] = None,
                 backend: Any = "cpu", **genn_kwargs: Any):
        super().__init__([SynapseMatrixType.SPARSE, SynapseMatrixType.DENSE], dt=dt,
                         batch_size=batch_size, rng_seed=rng_seed,
                         kernel_profiling=kernel_profiling, communicator=communicator,
                         backend=backend, **genn_kwargs)
        self.example_timesteps = _positive_int(example_timesteps, "example_timesteps")
        self.losses = losses
        self.optimiser = optimiser
        self.tau_reg = _real(tau_reg, "tau_reg", positive=True)
        self.c_reg = _real(c_reg, "c_reg")
        self.f_target = _real(f_target, "f_target")
        if not isinstance(train_output_bias, bool):
            raise InvalidValueError(f"EPropCompiler train_output_bias must be True or False, "
                                    f"got {train_output_bias!r}")
        self.train_output_bias = train_output_bias
        if not isinstance(reset_time_between_batches, bool):
            raise InvalidValueError(f"EPropCompiler reset_time_between_batches must be True or "
                                    f"False, got {reset_time_between_batches!r}")
        self.reset_time_between_batches = reset_time_between_batches
        self.deep_r_conns, self.deep_r_l1_strength, self.deep_r_record_rewirings = \
            deep_r.check_arguments("EPropCompiler", deep_r_conns, deep_r_l1_strength,
                                   deep_r_record_rewirings)
        native = getattr(self.backend_class, "native_variable_recording", False)
        if implementation is None:
            implementation = "factorised" if native else "per_synapse"
        if implementation not in IMPLEMENTATIONS:
            raise InvalidValueError(f"EPropCompiler implementation must be one of "
                                    f"{IMPLEMENTATIONS}, got {implementation!r}")
        if implementation == "factorised" and not native:
            raise InvalidValueError(
                f"EPropCompiler implementation='factorised' reads every timestep's neuron "
                f"variables from the engine's native recording, which backend "
                f"'{getattr(self.backend_class, 'name', backend)}' does not have; pass "
                f"implementation='per_synapse' (mlGeNN's form) on this backend")
        self.implementation = implementation

    @property
    def per_synapse(self) -> bool:
        """Whether every synapse runs the rule every timestep (mlGeNN's form)."""
        return self.implementation == "per_synapse"

    def plan(self, network: Any) -> NetworkPlan:
        """Check ``network`` for e-prop and classify its populations and connections.

        Raises
        ------
        UnsupportedNetworkError
            Naming the population or connection e-prop cannot train, and what it supports.
        """
        return plan_network(network, self.losses)

    # ------------------------------------------------------------------ compiler hooks
    def pre_compile(self, network: Any, model_spec: Any, **kwargs: Any) -> "EPropState":
        from ml_genn.optimisers import Optimiser
        from ml_genn.utils.module import get_object
        optimiser = get_object(self.optimiser, Optimiser, "EPropCompiler optimiser", "optimiser")
        return EPropState(self.plan(network), optimiser)

    def build_neuron_model(self, pop: Any, model: Any, state: "EPropState") -> Any:
        plan = state.plan.populations[pop]
        if plan.role == "hidden":
            # The output error arrives through the output connections' addToPre
            model.additional_input_vars.append(("ISynFeedback", "scalar", 0.0))
            model.add_var("E", 0.0, "scalar", VarAccess.READ_WRITE)
            model.append_code("sim_code", "E = ISynFeedback;")
            if not self.per_synapse:
                # The factorised form reads each step's pseudo-derivative as the synapses' post
                # dynamics compute it (from the updated state, before the reset), recorded
                model.add_var("Psi", 0.0, "scalar", VarAccess.READ_WRITE)
                model.append_code("sim_code", EM.pseudo_derivative_code(
                    "Psi", "V", "A" if plan.adaptive else None,
                    "RefracTime" if plan.refractory else None, plan.v_thresh, plan.beta or 0.0))
        elif plan.role == "output":
            self._build_output(pop, model, plan, state)
        return model

    def _build_output(self, pop: Any, model: Any, plan: Any, state: "EPropState") -> None:
        if plan.classification:
            # As mlGeNN: the readout and the error read a softmax of the output variable,
            # which custom updates compute at the end of every timestep
            softmax = model.output_var_name + "Softmax"
            model.add_var(softmax, 0.0, "scalar", VarAccess.READ_WRITE)
            state.softmax[pop] = (model.output_var_name, softmax)
            model.output_var_name = softmax
        before = set(model.vars)
        pop.neuron.readout.add_readout_logic(model, self.example_timesteps, self.dt)
        state.readout_vars[pop] = [v for v in model.vars if v not in before]
        model.add_var("E", 0.0, "scalar", VarAccess.READ_WRITE)
        if plan.classification:
            plan.loss.add_to_neuron(model, pop.shape, self.batch_size, self.example_timesteps)
            model.append_code("sim_code",
                              f"E = {model.output_var_name} - ((id == YTrue) ? 1.0 : 0.0);")
        else:
            # A target per timestep (mlGeNN's MeanSquareError), indexed by the step of the trial
            size = self.batch_size * self.example_timesteps * pop.num_neurons
            model.add_egp("YTrue", "scalar*", np.zeros(size, dtype=np.float32))
            model.append_code(
                "sim_code",
                f"const unsigned int eStep = ((unsigned int)round(t / dt)) % "
                f"{self.example_timesteps}u;\n"
                f"E = {model.output_var_name} - YTrue[((batch * {self.example_timesteps}u) + eStep)"
                f" * num_neurons + id];")
        if self.train_output_bias:
            if "Bias" in model.params:
                _, value = model.params.pop("Bias")
                model.add_var("Bias", value, "scalar", VarAccess.READ_ONLY)
            elif "Bias" not in model.vars:
                raise InvalidValueError(f"Population '{pop.name}': train_output_bias needs an "
                                        f"output neuron with a Bias")
            model.add_var("DeltaBias", 0.0, "scalar", VarAccess.READ_WRITE)
            model.append_code("sim_code", "DeltaBias += E;")
            state.biased.append(pop)

    def weight_access(self, conn: Any, state: "EPropState") -> Any:
        # One weight copy shared by the batch, written once per batch by the optimiser
        return VarAccess.READ_ONLY

    def build_weight_update_model(self, conn: Any, connect_snippet: Any,
                                  state: "EPropState") -> Any:
        from ml_genn.utils.model_builder import engine_value
        plan = state.plan
        rule = plan.connections[conn]
        alpha = float(np.exp(-self.dt / plan.tau_mem))
        weight = engine_value(connect_snippet.weight)
        state.trained.append(conn)
        if rule.rule == "output":
            return EM.output_synapse_model(weight, alpha, rule.feedback, self.per_synapse)
        target = plan.populations[conn.target]
        return EM.hidden_synapse_model(
            weight, alpha, self.c_reg, self.f_target * self.dt / 1000.0,
            float(np.exp(-self.dt / self.tau_reg)), target.v_thresh, target.refractory,
            target.adaptive, rho=float(np.exp(-self.dt / plan.tau_adapt)) if target.adaptive
            else 0.0, beta=target.beta or 0.0, per_synapse=self.per_synapse)

    def add_custom_updates(self, model_spec: Any, state: "EPropState",
                           neuron_groups: Dict[Any, Any], synapse_groups: Dict[Any, Any]) -> None:
        from ml_genn.engine import create_var_ref, create_wu_var_ref
        plan = state.plan
        for conn in state.trained:
            sg = synapse_groups[conn]
            rule = plan.connections[conn]
            target = neuron_groups[conn.target]
            refs = sg.wu_init.post_var_refs
            for decl in sg.wu_model.post_neuron_var_refs:
                refs[decl.name] = create_var_ref(target, decl.name[:-len("_post")])
            if rule.feedback:
                sg.pre_target_var = "ISynFeedback"
            if not self.per_synapse:
                # The factorised form reads every presynaptic spike of the batch
                neuron_groups[conn.source].spike_recording_enabled = True
            state.optimiser_updates.append(self._add_learning(
                model_spec, sg.name, create_wu_var_ref(sg, "DeltaG"), create_wu_var_ref(sg, "g"),
                state.optimiser))
        state.deep_r = deep_r.add_to_model("EPropCompiler", model_spec, self.deep_r_conns,
                                           synapse_groups, state.trained, "DeltaG",
                                           self.deep_r_l1_strength, self.full_batch_size)
        for pop in state.biased:
            group = neuron_groups[pop]
            state.optimiser_updates.append(self._add_learning(
                model_spec, group.name, create_var_ref(group, "DeltaBias"),
                create_var_ref(group, "Bias"), state.optimiser))
        for pop, (value, softmax) in state.softmax.items():
            group = neuron_groups[pop]
            EM.softmax_models(create_var_ref(group, value), create_var_ref(group, softmax),
                              group.name, model_spec)

    @staticmethod
    def _add_learning(model_spec: Any, stem: str, gradient_ref: Any, variable_ref: Any,
                      optimiser: Any) -> str:
        """Sum ``gradient`` over the batch (zeroing it) and let ``optimiser`` apply it; returns
        the optimiser's custom update name."""
        from ml_genn.engine import CustomUpdateVarAccess, create_var_ref
        from ml_genn.utils.model_builder import CustomUpdateModelBuilder
        reduce = CustomUpdateModelBuilder("EPropGradientReduce")
        reduce.add_var_ref("Gradient", gradient_ref)
        reduce.add_var("ReducedGradient", 0.0, "scalar", CustomUpdateVarAccess.REDUCE_BATCH_SUM)
        reduce.code["update_code"] = "ReducedGradient = Gradient;\nGradient = 0.0;"
        group = reduce.add_to_model(model_spec, f"{stem}_reduce", "GradientBatchReduce")
        learn = optimiser.get_model(create_var_ref(group, "ReducedGradient"), variable_ref, False)
        learn.add_to_model(model_spec, f"{stem}_learn", "GradientLearn")
        return f"{stem}_learn"

    def create_compiled_network(self, built_model: Any, neuron_populations: Dict[Any, str],
                                connection_populations: Dict[Any, str],
                                state: "EPropState") -> Any:
        from ml_genn.callbacks import CustomUpdateOnBatchEnd
        from .compiled_network import CompiledEPropNetwork
        plan = state.plan
        outputs = [p.population for p in plan.role("output")]
        return CompiledEPropNetwork(
            built_model, neuron_populations, connection_populations, self.connect_snippets,
            self.example_timesteps, losses={p: plan.populations[p].loss for p in outputs},
            optimisers=[(state.optimiser, state.optimiser_updates)],
            inputs=[p.population for p in plan.role("input")], outputs=outputs,
            base_train_callbacks=[CustomUpdateOnBatchEnd("GradientBatchReduce")]
            + deep_r.l1_callbacks(state.deep_r) + [CustomUpdateOnBatchEnd("GradientLearn")]
            + deep_r.callbacks(state.deep_r, self.deep_r_record_rewirings, connection_populations),
            deep_r=state.deep_r,
            reset_time_between_batches=self.reset_time_between_batches,
            reset_vars_between_batches=False, compiler=self, plan=plan,
            trained_connections=list(state.trained), readout_vars=state.readout_vars,
            softmax=dict(state.softmax), biased=list(state.biased))


class EPropState:
    """What the compiler hooks share while one network is compiled."""

    def __init__(self, plan: NetworkPlan, optimiser: Any):
        self.plan = plan
        self.optimiser = optimiser
        self.trained: List[Any] = []
        self.biased: List[Any] = []
        self.optimiser_updates: List[str] = []
        self.deep_r: List[Any] = []
        self.softmax: Dict[Any, tuple] = {}
        self.readout_vars: Dict[Any, List[str]] = {}
