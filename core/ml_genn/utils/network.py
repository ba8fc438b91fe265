"""Helpers for walking networks: layers to populations/connections, topological order."""
from __future__ import annotations

from typing import Any, List, Sequence, Union

from ..connection import Connection
from ..layer import InputLayer, Layer
from ..population import Population
from ..errors import InvalidTypeError, InvalidValueError

#: Things that stand for a population
PopulationType = Union[InputLayer, Layer, Population]
#: Things that stand for a connection
ConnectionType = Union[Connection, Layer]


def get_underlying_pop(obj: PopulationType) -> Population:
    """The population ``obj`` stands for (a layer's population, or ``obj`` itself)."""
    if isinstance(obj, Population):
        return obj
    if isinstance(obj, (InputLayer, Layer)):
        return obj.population
    raise InvalidTypeError(f"Expected a Population, InputLayer or Layer, got {type(obj).__name__}: "
                           f"{obj!r}")


def population_key(key: Any) -> Any:
    """A layer's population; any other key unchanged."""
    return key.population if isinstance(key, (InputLayer, Layer)) else key


class PopulationKeyedDict(dict):
    """A dict keyed by populations that can also be indexed by their layers.

    mlGeNN's documentation reads results with the object the user built, often a ``Layer``
    (``metrics[output].result`` where ``output = Layer(...)``); the compiled networks key them
    by population.
    """

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(population_key(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(population_key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(population_key(key), default)


def get_underlying_conn(obj: ConnectionType) -> Connection:
    """The connection ``obj`` stands for (a layer's incoming connection, or ``obj`` itself)."""
    if isinstance(obj, Connection):
        return obj
    if isinstance(obj, Layer) and obj.connection is not None:
        return obj.connection
    raise InvalidTypeError(f"Expected a Connection or a Layer with an incoming connection, got "
                           f"{type(obj).__name__}: {obj!r}")


def get_network_dag(inputs: Any, outputs: Any) -> List[Population]:
    """Populations reachable from ``inputs``, each after all populations feeding it.

    Populations on cycles (recurrent connections) are never reached through them; a
    population is visited once all its incoming connections from visited populations, other
    than recurrent ones, have been seen.

    Parameters
    ----------
    inputs
        Input population(s) or layer(s).
    outputs
        Output population(s) or layer(s); each must be reachable.
    """
    inputs = list(inputs) if isinstance(inputs, Sequence) else [inputs]
    outputs = list(outputs) if isinstance(outputs, Sequence) else [outputs]
    order: List[Population] = []
    ready = [get_underlying_pop(i) for i in inputs]
    seen_conns = set()
    while ready:
        pop = ready.pop(0)
        if pop in order:
            continue
        order.append(pop)
        for conn in pop.outgoing_connections:
            seen_conns.add(conn)
            target = conn.target
            # Self-connections never block their own population
            if target not in order and target not in ready and all(
                    c in seen_conns or c.source is target for c in target.incoming_connections):
                ready.append(target)
    unreachable = [get_underlying_pop(o).name for o in outputs
                   if get_underlying_pop(o) not in order]
    if unreachable:
        raise InvalidValueError(f"Output population(s) {unreachable} cannot be reached from the "
                                f"inputs {[p.name for p in map(get_underlying_pop, inputs)]}")
    return order
