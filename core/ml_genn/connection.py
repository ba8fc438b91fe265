"""Connections between populations."""
from __future__ import annotations

from numbers import Integral
from typing import Any, Optional, Union

import numpy as np

from .connectivity import Connectivity
from .network import Network
from .population import Population
from .synapses import Synapse
from .utils.module import get_object
from .utils.value import check_values_shape, is_value_array, is_value_constant
from .errors import InvalidTypeError, InvalidValueError

#: What users may pass for a synapse
SynapseInitializer = Union[Synapse, str]
#: What users may pass for connectivity
ConnectivityInitializer = Union[Connectivity, str]

#: Largest number of delay steps the engine supports (GeNN's 16-bit delay slots)
MAX_DELAY_STEPS = 65535


def _get_population(obj: Any, role: str) -> Population:
    # Layers stand for their population, as in mlGeNN's utilities
    pop = getattr(obj, "population", obj)
    pop = pop() if callable(pop) and not isinstance(pop, Population) else pop
    if not isinstance(pop, Population):
        raise InvalidTypeError(f"Connection {role} must be a Population, InputLayer or Layer, got "
                               f"{type(obj).__name__}: {obj!r}")
    return pop


class Connection:
    """A connection from a source population to a target population.

    Creating a connection runs its connectivity's shape inference (e.g. a ``Conv2D`` gives the
    target its output shape) and validates weight, delay and synapse arrays.

    Parameters
    ----------
    source
        Source population (or layer).
    target
        Target population (or layer).
    connectivity
        Connectivity object (copied) or registered name.
    synapse
        Synapse model object (copied) or registered name; ``"delta"`` by default.
    name
        Unique name within the network; ``Conn_<source>_<target>`` by default.
    max_delay_steps
        Largest delay, in timesteps, the connection must support; needed only when delays are
        learned or drawn by an initializer (otherwise it is inferred from the delays).
    add_to_model
        Whether to add the connection to the network being built.
    """

    def __init__(self, source: Population, target: Population,
                 connectivity: ConnectivityInitializer, synapse: SynapseInitializer = "delta",
                 name: Optional[str] = None, max_delay_steps: Optional[int] = None,
                 add_to_model: bool = True):
        source = _get_population(source, "source")
        target = _get_population(target, "target")
        if name is None:
            name = self._default_name(source, target, add_to_model)
        elif not isinstance(name, str) or not name:
            raise InvalidTypeError(f"Connection name must be a non-empty string or None, got "
                                   f"{type(name).__name__}: {name!r}")
        self.name = name
        self._source = source
        self._target = target

        if add_to_model:
            network = Network._context
            for pop in (source, target):
                if network is not None and pop._network is not None and pop._network is not network:
                    raise InvalidValueError(
                        f"Connection '{name}' cannot use Population '{pop.name}': it "
                        f"belongs to another network")

        if max_delay_steps is not None:
            if isinstance(max_delay_steps, bool) or not isinstance(max_delay_steps, Integral) \
                    or not 0 <= max_delay_steps <= MAX_DELAY_STEPS:
                raise InvalidValueError(
                    f"Connection '{name}' max_delay_steps must be None or an "
                    f"integer from 0 to {MAX_DELAY_STEPS}, got {max_delay_steps!r}")
            max_delay_steps = int(max_delay_steps)
        self.max_delay_steps = max_delay_steps

        self.connectivity = get_object(connectivity, Connectivity,
                                       f"Connection '{name}' connectivity", "connectivity")
        if self.connectivity is None:
            raise InvalidTypeError(
                f"Connection '{name}' connectivity must be a Connectivity object "
                f"such as Dense(weight), got None")
        self.synapse = get_object(synapse, Synapse, f"Connection '{name}' synapse", "synapse")
        if self.synapse is None:
            raise InvalidTypeError(f"Connection '{name}' synapse must be a Synapse object or a "
                                   f"registered name such as 'delta', got None")

        self._validate()

        source._outgoing_connections.append(self)
        target._incoming_connections.append(self)
        if add_to_model:
            Network._add_connection(self)

    @staticmethod
    def _default_name(source: Population, target: Population, add_to_model: bool) -> str:
        name = f"Conn_{source.name}_{target.name}"
        network = Network._context if add_to_model else None
        if network is None:
            return name
        # A second connection between the same populations gets a numbered name
        taken = {c.name for c in network.connections}
        unique, n = name, 1
        while unique in taken:
            unique, n = f"{name}_{n}", n + 1
        return unique

    def _validate(self) -> None:
        """Run shape inference and check weights, delays and synapse values."""
        where = (f"Connection '{self.name}' (Population '{self._source.name}' -> "
                 f"Population '{self._target.name}')")
        try:
            self.connectivity.connect(self._source, self._target)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{where}: {exc}") from None

        if self._target.shape is not None:
            check_values_shape(self.synapse, self._target.shape, where,
                               "the target population's shape")

        delay = self.connectivity.delay
        if is_value_constant(delay) or is_value_array(delay):
            largest = float(np.max(delay))
            if self.max_delay_steps is not None and largest > self.max_delay_steps:
                raise InvalidValueError(f"{where}: delays reach {largest:g} timesteps but "
                                        f"max_delay_steps is {self.max_delay_steps}; raise "
                                        f"max_delay_steps or shorten the delays")
            if largest > MAX_DELAY_STEPS:
                raise InvalidValueError(f"{where}: delays reach {largest:g} timesteps; at most "
                                        f"{MAX_DELAY_STEPS} are supported")
        elif delay is not None and self.max_delay_steps is None:
            raise InvalidValueError(
                f"{where}: delays drawn by {type(delay).__name__} need "
                f"max_delay_steps, because the largest delay is not known before "
                f"the network is built")

    @property
    def source(self) -> Population:
        """Source population (call it, ``source()``, as with mlGeNN's weak references)."""
        return self._source

    @property
    def target(self) -> Population:
        """Target population (call it, ``target()``, as with mlGeNN's weak references)."""
        return self._target

    def __call__(self) -> "Connection":
        # mlGeNN lists connections as weak references (pop.incoming_connections[i]());
        # calling a connection returns itself so that such code works
        return self

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return (f"Connection({self._source.name!r} -> {self._target.name!r}, "
                f"{type(self.connectivity).__name__}, {type(self.synapse).__name__}, "
                f"name={self.name!r})")
