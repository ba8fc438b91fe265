"""What e-prop needs to know about a network, checked before anything is built.

:func:`plan_network` classifies every population (input, hidden LIF/ALIF, leaky-integrator
output) and connection, resolves each output's loss and checks everything e-prop as mlGeNN
defines it can train. Anything else is refused here, naming the population or connection and
what e-prop supports.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from numbers import Number
from typing import Any, Dict, List, Optional

from .errors import UnsupportedNetworkError

logger = logging.getLogger(__name__)

#: Readouts of classification outputs (class name -> mlGeNN's name)
CLASSIFICATION_READOUTS = {"AvgVar": "avg_var", "SumVar": "sum_var", "MaxVar": "max_var"}
#: Connectivities e-prop trains (DENSE and SPARSE matrices, as mlGeNN's compiler)
SUPPORTED_CONNECTIVITY = ("Dense", "FixedProbability", "OneToOne")

SUPPORTS = ("e-prop trains hidden LeakyIntegrateFire / AdaptiveLeakyIntegrateFire populations "
            "(feed-forward or recurrent) connected by Delta synapses to LeakyIntegrate outputs "
            "read out with avg_var, sum_var or max_var (SparseCategoricalCrossentropy) or var "
            "(MeanSquareError)")


@dataclass
class PopulationPlan:
    """How e-prop treats one population."""
    population: Any
    role: str                       # "input", "hidden", "output"
    adaptive: bool = False          # hidden ALIF
    v_thresh: Optional[float] = None
    beta: Optional[float] = None
    refractory: bool = False
    readout: Optional[str] = None   # outputs: mlGeNN's readout name
    loss: Any = None                # outputs: the Loss object
    classification: bool = False    # outputs: SparseCategoricalCrossentropy (softmax + labels)


@dataclass
class ConnectionPlan:
    """How e-prop treats one connection: the rule its weights learn by."""
    connection: Any
    rule: str                        # "lif", "alif" (into hidden) or "output"
    feedback: bool = False           # sends the output error back to a hidden source


@dataclass
class NetworkPlan:
    populations: Dict[Any, PopulationPlan] = field(default_factory=dict)
    connections: Dict[Any, ConnectionPlan] = field(default_factory=dict)
    tau_mem: Optional[float] = None      # shared by every hidden population
    tau_adapt: Optional[float] = None    # shared by every adaptive hidden population

    def role(self, role: str) -> List[PopulationPlan]:
        """Plans of the populations with ``role``, in network order."""
        return [p for p in self.populations.values() if p.role == role]


def _name(obj: Any) -> str:
    return getattr(obj, "name", None) or repr(obj)


def constant(value: Any, what: str) -> float:
    """``value`` as one number shared by the learning rule, or UnsupportedNetworkError."""
    from ml_genn.utils.value import single_number
    return single_number(value, what, "EPropCompiler (the learning rule shares it)",
                         UnsupportedNetworkError)


def _share(plan: NetworkPlan, name: str, value: Any, owner: str) -> None:
    """Record the time constant ``name`` every hidden population must share (the traces of
    the learning rule decay with it), or refuse one that differs."""
    value = constant(value, f"{owner} {name}")
    if getattr(plan, name) is None:
        setattr(plan, name, value)
    elif getattr(plan, name) != value:
        raise UnsupportedNetworkError(
            f"{owner}: every hidden population must share one {name} for EPropCompiler (the "
            f"traces of the rule decay with it), got {getattr(plan, name)} and {value}")


def _plan_population(pop: Any, losses: Dict[Any, Any], plan: NetworkPlan) -> PopulationPlan:
    from ml_genn.losses import MeanSquareError, SparseCategoricalCrossentropy
    from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, Input, LeakyIntegrate,
                                 LeakyIntegrateFire)
    neuron = pop.neuron
    kind = type(neuron).__name__
    owner = f"Population '{_name(pop)}' ({kind})"
    if isinstance(neuron, Input):
        return PopulationPlan(pop, "input")
    if neuron.readout is not None:
        if not isinstance(neuron, LeakyIntegrate):
            raise UnsupportedNetworkError(f"{owner}: e-prop outputs must be LeakyIntegrate "
                                          f"neurons; {SUPPORTS}")
        readout = type(neuron.readout).__name__
        loss = losses[pop]
        if isinstance(loss, SparseCategoricalCrossentropy):
            if readout not in CLASSIFICATION_READOUTS:
                raise UnsupportedNetworkError(
                    f"{owner}: SparseCategoricalCrossentropy needs the avg_var, sum_var or "
                    f"max_var readout for e-prop, got {readout}")
            return PopulationPlan(pop, "output", readout=CLASSIFICATION_READOUTS[readout],
                                  loss=loss, classification=True)
        if isinstance(loss, MeanSquareError):
            if readout != "Var":
                raise UnsupportedNetworkError(
                    f"{owner}: MeanSquareError (a target per timestep) needs the var readout "
                    f"for e-prop, got {readout}")
            return PopulationPlan(pop, "output", readout="var", loss=loss)
        raise UnsupportedNetworkError(
            f"{owner}: e-prop trains outputs with SparseCategoricalCrossentropy or "
            f"MeanSquareError, got {type(loss).__name__}")
    if not isinstance(neuron, (LeakyIntegrateFire, AdaptiveLeakyIntegrateFire)):
        raise UnsupportedNetworkError(f"{owner}: e-prop hidden populations must be "
                                      f"LeakyIntegrateFire or AdaptiveLeakyIntegrateFire; "
                                      f"{SUPPORTS}")
    # As mlGeNN: the learning rule works best with these settings, so say so, but allow others
    if not neuron.integrate_during_refrac:
        logger.warning("E-prop learning works best with (A)LIF neurons which continue to "
                       "integrate during their refractory period (Population '%s')", _name(pop))
    if not neuron.relative_reset:
        logger.warning("E-prop learning works best with (A)LIF neurons with a relative reset "
                       "mechanism (Population '%s')", _name(pop))
    adaptive = isinstance(neuron, AdaptiveLeakyIntegrateFire)
    _share(plan, "tau_mem", neuron.tau_mem, owner)
    beta = None
    if adaptive:
        _share(plan, "tau_adapt", neuron.tau_adapt, owner)
        beta = constant(neuron.beta, f"{owner} beta")
    return PopulationPlan(pop, "hidden", adaptive=adaptive,
                          v_thresh=constant(neuron.v_thresh, f"{owner} v_thresh"), beta=beta,
                          refractory=neuron.tau_refrac is not None)


def plan_network(network: Any, losses: Any) -> NetworkPlan:
    """Classify and check ``network`` for e-prop.

    Parameters
    ----------
    network
        The :class:`ml_genn.Network` to compile.
    losses
        The compiler's ``losses`` argument (one loss, or a dict keyed by output population).

    Raises
    ------
    UnsupportedNetworkError
        Naming the population or connection and what e-prop supports instead.
    """
    from ml_genn.losses import Loss
    from ml_genn.synapses import Delta
    from ml_genn.utils.module import get_object_mapping

    populations = list(network.populations)
    outputs = [p for p in populations if getattr(p.neuron, "readout", None) is not None]
    if not outputs:
        raise UnsupportedNetworkError("EPropCompiler needs at least one output population: give "
                                      "a LeakyIntegrate neuron a readout, e.g. "
                                      "LeakyIntegrate(readout='avg_var')")
    loss_map = get_object_mapping(losses, outputs, Loss, "EPropCompiler losses", "loss")
    plan = NetworkPlan()
    for pop in populations:
        plan.populations[pop] = _plan_population(pop, loss_map, plan)
    if plan.tau_mem is None:
        raise UnsupportedNetworkError(f"EPropCompiler needs at least one hidden population; "
                                      f"{SUPPORTS}")

    for conn in network.connections:
        owner = f"Connection '{_name(conn)}'"
        source, target = plan.populations[conn.source()], plan.populations[conn.target()]
        if not isinstance(conn.synapse, Delta):
            raise UnsupportedNetworkError(
                f"{owner} uses a {type(conn.synapse).__name__} synapse; EPropCompiler supports "
                f"only Delta synapses")
        kind = type(conn.connectivity).__name__
        if kind not in SUPPORTED_CONNECTIVITY:
            raise UnsupportedNetworkError(
                f"{owner} uses {kind} connectivity; EPropCompiler trains "
                f"{', '.join(SUPPORTED_CONNECTIVITY)} connections (a per-synapse eligibility "
                f"trace rules out shared kernels)")
        delay = conn.connectivity.delay
        if not (isinstance(delay, Number) and float(delay) == 0.0):
            raise UnsupportedNetworkError(
                f"{owner} has synaptic delays; EPropCompiler's traces assume none (pass "
                f"delay=0)")
        if source.role == "output":
            raise UnsupportedNetworkError(
                f"{owner} starts at output Population '{_name(conn.source())}'; leaky-integrator "
                f"outputs do not spike, so they cannot drive other populations")
        if target.role == "input":
            raise UnsupportedNetworkError(f"{owner} targets input Population "
                                          f"'{_name(conn.target())}'; inputs take no synapses")
        if target.role == "output":
            plan.connections[conn] = ConnectionPlan(conn, "output",
                                                    feedback=source.role == "hidden")
        else:
            plan.connections[conn] = ConnectionPlan(conn, "alif" if target.adaptive else "lif")

    for hidden in plan.role("hidden"):
        if not any(plan.populations[c().target()].role == "output"
                   for c in hidden.population.outgoing_connections):
            raise UnsupportedNetworkError(
                f"Population '{_name(hidden.population)}': in networks trained with e-prop, "
                f"every hidden population must connect directly to an output population (its "
                f"learning signal is the output error fed back through those weights)")
    return plan
