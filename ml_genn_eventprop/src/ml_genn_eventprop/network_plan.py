"""What EventProp needs to know about a network, checked before anything is built.

:func:`plan_network` walks a :class:`ml_genn.Network` and classifies every population (input,
hidden LIF, LI output, first-spike LIF output) and connection, resolving the loss of each output.
Anything EventProp cannot compute gradients for is reported here, at compile time, with the
population or connection named and what to use instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Number
from typing import Any, Dict, List, Optional

import numpy as np

from .errors import UnsupportedNetworkError
from .losses import LossKind, resolve_losses

#: Readouts of leaky-integrator outputs that classify once per example (mlGeNN names)
TRIAL_READOUTS = {"AvgVar": "avg_var", "SumVar": "sum_var",
                  "AvgVarExpWeight": "avg_var_exp_weight", "MaxVar": "max_var"}
#: Connectivities whose backward pass (spike-like events + addToPre) EventProp supports
SUPPORTED_CONNECTIVITY = ("Dense", "FixedProbability", "OneToOne")

ADVICE_DEFAULTS = ("build the network with "
                   "Network(default_params) using "
                   "ml_genn.compilers.event_prop_compiler.default_params")


@dataclass
class PopulationPlan:
    """How EventProp treats one population."""
    population: Any
    role: str                      # "input", "hidden", "output_li", "output_lif"
    tau_mem: Optional[float] = None
    tau_syn: Optional[float] = None
    readout: Optional[str] = None  # mlGeNN snake-case readout name for outputs
    loss: Optional[LossKind] = None


@dataclass
class ConnectionPlan:
    """How EventProp treats one connection."""
    connection: Any
    learn_delay: bool
    max_delay_steps: int


@dataclass
class NetworkPlan:
    populations: Dict[Any, PopulationPlan] = field(default_factory=dict)
    connections: Dict[Any, ConnectionPlan] = field(default_factory=dict)

    @property
    def outputs(self) -> List[PopulationPlan]:
        return [p for p in self.populations.values() if p.role.startswith("output")]

    @property
    def hidden(self) -> List[PopulationPlan]:
        return [p for p in self.populations.values() if p.role == "hidden"]


def _name(obj: Any) -> str:
    return getattr(obj, "name", None) or repr(obj)


def _constant(value: Any, what: str) -> float:
    from ml_genn.utils.value import single_number
    return single_number(value, what, "EventPropCompiler", UnsupportedNetworkError)


def _check_scale_i(obj: Any, owner: str) -> None:
    if not getattr(obj, "scale_i", False):
        raise UnsupportedNetworkError(
            f"{owner} needs scale_i=True for EventPropCompiler (its gradients assume scaled "
            f"input currents); {ADVICE_DEFAULTS}")


def _plan_neuron(pop: Any, losses: Dict[Any, LossKind], per_timestep_loss: bool) -> PopulationPlan:
    from ml_genn.neurons import Input, LeakyIntegrate, LeakyIntegrateFire

    neuron = pop.neuron
    kind = type(neuron).__name__
    owner = f"Population '{_name(pop)}' ({kind})"
    if isinstance(neuron, Input):
        return PopulationPlan(pop, "input")

    readout = neuron.readout
    if readout is None:
        if not isinstance(neuron, LeakyIntegrateFire):
            raise UnsupportedNetworkError(
                f"{owner}: EventPropCompiler trains hidden populations of LeakyIntegrateFire "
                f"neurons only, got {kind}")
        role = "hidden"
    elif isinstance(neuron, LeakyIntegrateFire):
        role = "output_lif"
    elif isinstance(neuron, LeakyIntegrate):
        role = "output_li"
    else:
        raise UnsupportedNetworkError(
            f"{owner}: EventPropCompiler outputs must be LeakyIntegrate (with a var, avg_var, "
            f"sum_var, avg_var_exp_weight or max_var readout) or LeakyIntegrateFire (with a "
            f"first_spike_time readout), got {kind}")

    _check_scale_i(neuron, owner)
    if isinstance(neuron, LeakyIntegrateFire):
        if neuron.tau_refrac is not None:
            raise UnsupportedNetworkError(
                f"{owner}: EventPropCompiler gradients assume no refractory period; "
                f"pass tau_refrac=None")
        _constant(neuron.v_thresh, f"{owner} v_thresh")
        _constant(neuron.v_reset, f"{owner} v_reset")
    plan = PopulationPlan(pop, role, tau_mem=_constant(neuron.tau_mem, f"{owner} tau_mem"))

    if role == "hidden":
        return plan
    readout_kind = type(readout).__name__
    loss = losses[pop]
    if role == "output_lif":
        if readout_kind != "FirstSpikeTime":
            raise UnsupportedNetworkError(
                f"{owner}: a spiking EventProp output needs the first_spike_time readout, got "
                f"{readout_kind}")
        if loss.name not in ("sparse_categorical_crossentropy", "relative_mean_square_error"):
            raise UnsupportedNetworkError(
                f"{owner}: first_spike_time outputs are trained with "
                f"SparseCategoricalCrossentropy or RelativeMeanSquareError, got {loss.class_name}")
        plan.readout = "first_spike_time"
    else:
        if loss.name == "mean_square_error":
            if readout_kind != "Var":
                raise UnsupportedNetworkError(
                    f"{owner}: MeanSquareError (regression) needs the var readout, got "
                    f"{readout_kind}")
            plan.readout = "var"
        elif loss.name == "sparse_categorical_crossentropy":
            if per_timestep_loss:
                if readout_kind not in ("Var", "AvgVar", "SumVar"):
                    raise UnsupportedNetworkError(
                        f"{owner}: per_timestep_loss=True applies the loss to V at every step; "
                        f"use the var, avg_var or sum_var readout, got {readout_kind}")
                plan.readout = "var"
            elif readout_kind in TRIAL_READOUTS:
                plan.readout = TRIAL_READOUTS[readout_kind]
            elif readout_kind == "Var":
                raise UnsupportedNetworkError(
                    f"{owner}: SparseCategoricalCrossentropy on the var readout needs "
                    f"per_timestep_loss=True (or use avg_var, sum_var, avg_var_exp_weight, max_var)")
            else:
                raise UnsupportedNetworkError(
                    f"{owner}: EventPropCompiler does not support the {readout_kind} readout "
                    f"with SparseCategoricalCrossentropy")
        else:
            raise UnsupportedNetworkError(
                f"{owner}: LeakyIntegrate outputs are trained with SparseCategoricalCrossentropy "
                f"or MeanSquareError, got {loss.class_name}")
    plan.loss = loss
    return plan


def plan_network(network: Any, losses: Any, per_timestep_loss: bool,
                 delay_learn_conns: List[Any]) -> NetworkPlan:
    """Classify and check ``network`` for EventProp.

    Parameters
    ----------
    network
        The :class:`ml_genn.Network` to compile.
    losses
        The compiler's ``losses`` argument (one loss, or a dict keyed by output population).
    per_timestep_loss
        Whether classification losses of LI outputs are applied at every timestep.
    delay_learn_conns
        Connections whose delays are learned.

    Raises
    ------
    UnsupportedNetworkError
        Naming the population or connection and what EventProp supports instead.
    """
    from ml_genn.synapses import Exponential

    populations = list(network.populations)
    connections = list(network.connections)
    outputs = [p for p in populations if getattr(p.neuron, "readout", None) is not None]
    if not outputs:
        raise UnsupportedNetworkError(
            "EventPropCompiler needs at least one output population: give a neuron a readout, "
            "e.g. LeakyIntegrate(readout='avg_var')")
    loss_map = resolve_losses(losses, outputs)

    plan = NetworkPlan()
    for pop in populations:
        plan.populations[pop] = _plan_neuron(pop, loss_map, per_timestep_loss)

    learn = set(id(c) for c in delay_learn_conns)
    known = set(id(c) for c in connections)
    for c in delay_learn_conns:
        if id(c) not in known:
            raise UnsupportedNetworkError(
                f"EventPropCompiler delay_learn_conns names Connection '{_name(c)}', which is "
                f"not in the network being compiled")

    for conn in connections:
        owner = f"Connection '{_name(conn)}'"
        source, target = plan.populations[conn.source()], plan.populations[conn.target()]
        if not isinstance(conn.synapse, Exponential):
            raise UnsupportedNetworkError(
                f"{owner} uses a {type(conn.synapse).__name__} synapse; EventPropCompiler "
                f"supports only Exponential synapses, e.g. synapse=Exponential(5.0)")
        _check_scale_i(conn.synapse, f"{owner} synapse (Exponential)")
        if source.role.startswith("output") and source.role != "output_lif":
            raise UnsupportedNetworkError(
                f"{owner} starts at output Population '{_name(conn.source())}'; leaky-integrator "
                f"outputs do not spike, so they cannot drive other populations")
        if target.role == "input":
            raise UnsupportedNetworkError(f"{owner} targets input Population "
                                          f"'{_name(conn.target())}'; inputs take no synapses")
        conn_kind = type(conn.connectivity).__name__
        if conn_kind not in SUPPORTED_CONNECTIVITY:
            raise UnsupportedNetworkError(
                f"{owner} uses {conn_kind} connectivity; EventPropCompiler supports "
                f"{', '.join(SUPPORTED_CONNECTIVITY)}")
        tau = _constant(conn.synapse.tau, f"{owner} synapse tau")
        if target.tau_syn is None:
            target.tau_syn = tau
        elif target.tau_syn != tau:
            raise UnsupportedNetworkError(
                f"{owner}: all connections into Population '{_name(conn.target())}' must share "
                f"one synapse tau for EventProp, got {target.tau_syn} and {tau}")
        if target.tau_mem is not None and abs(target.tau_mem - tau) < 1e-9 * max(tau, 1.0):
            raise UnsupportedNetworkError(
                f"{owner}: synapse tau ({tau}) equals the membrane tau_mem of Population "
                f"'{_name(conn.target())}'; EventProp's closed-form adjoint needs them to "
                f"differ (e.g. tau 5.0 vs tau_mem 20.0)")

        delay = conn.connectivity.delay
        learn_delay = id(conn) in learn
        if learn_delay or not isinstance(delay, (Number, np.ndarray)):
            if conn.max_delay_steps is None:
                raise UnsupportedNetworkError(
                    f"{owner} needs max_delay_steps (its delays are "
                    f"{'learned' if learn_delay else 'drawn by an initializer'})")
            max_delay = int(conn.max_delay_steps)
        else:
            max_delay = int(np.ceil(np.max(delay))) if np.size(delay) else 0
        plan.connections[conn] = ConnectionPlan(conn, learn_delay, max_delay)

    for p in plan.populations.values():
        if p.role != "input" and p.tau_syn is None:
            raise UnsupportedNetworkError(
                f"Population '{_name(p.population)}' receives no connections; EventPropCompiler "
                f"needs every non-input population to be driven by Exponential synapses")
    return plan
