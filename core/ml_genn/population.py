"""Populations of neurons."""
from __future__ import annotations

from itertools import count
from numbers import Integral
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

from .network import Network
from .neurons import Neuron
from .utils.module import get_object
from .utils.value import check_values_shape
from .errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from .connection import Connection

#: What users may pass for a shape
Shape = Union[None, int, Sequence[int]]
#: What users may pass for a neuron
NeuronInitializer = Union[Neuron, str]

# Names for populations created outside any network (add_to_model=False)
_unattached_ids = count()


def get_shape(shape: Shape, owner: str) -> Optional[Tuple[int, ...]]:
    """Normalise a shape given as ``None``, an int or a sequence of ints to a tuple.

    Parameters
    ----------
    shape
        The shape as given.
    owner
        What the shape is of, used in errors (e.g. ``"Population 'hidden'"``).
    """
    if shape is None:
        return None
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        dims = (shape,)
    elif isinstance(shape, Sequence) and not isinstance(shape, (str, bytes)) and \
            all(isinstance(d, Integral) and not isinstance(d, bool) for d in shape):
        dims = tuple(shape)
    else:
        raise InvalidTypeError(
            f"{owner} shape must be None (inferred from connections), an integer or "
            f"a sequence of integers, got {type(shape).__name__}: {shape!r}")
    if not dims or any(d < 1 for d in dims):
        raise InvalidValueError(f"{owner} shape must have at least one dimension and only positive "
                                f"sizes, got {shape!r}")
    return tuple(int(d) for d in dims)


def _check_flag(owner: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{owner} {name} must be True or False, got {type(value).__name__}: "
                               f"{value!r}")
    return value


class Population:
    """A population of neurons of one model.

    Parameters
    ----------
    neuron
        Neuron model: an object (copied) or a registered name such as
        ``"leaky_integrate_fire"``.
    shape
        Shape of the population: an int, a sequence of ints, or ``None`` to have incoming
        connectivity infer it.
    record_spikes
        Whether spikes are recorded (needed by ``SpikeRecorder``).
    record_spike_events
        Whether spike-like events are recorded.
    name
        Unique name within the network (keys checkpoints and recordings); ``Pop<n>`` by default.
    add_to_model
        Whether to add the population to the network being built (``False`` is used by layers,
        which add it themselves).
    """

    def __init__(self, neuron: NeuronInitializer, shape: Shape = None,
                 record_spikes: bool = False, record_spike_events: bool = False,
                 name: Optional[str] = None, add_to_model: bool = True):
        if name is None:
            name = Network._default_population_name() if add_to_model else None
            if name is None:
                name = f"Pop_{next(_unattached_ids)}"
        elif not isinstance(name, str) or not name:
            raise InvalidTypeError(f"Population name must be a non-empty string or None, got "
                                   f"{type(name).__name__}: {name!r}")
        self.name = name
        owner = f"Population '{name}'"
        self._neuron = None
        self._shape = None
        self._incoming_connections: List["Connection"] = []
        self._outgoing_connections: List["Connection"] = []
        self._network = None
        self.neuron = neuron
        self.shape = shape
        self.record_spikes = _check_flag(owner, "record_spikes", record_spikes)
        self.record_spike_events = _check_flag(owner, "record_spike_events",
                                               record_spike_events)
        if add_to_model:
            Network._add_population(self)

    @property
    def neuron(self) -> Neuron:
        """Neuron model of this population (an object, or a registered name when set)."""
        return self._neuron

    @neuron.setter
    def neuron(self, neuron: NeuronInitializer) -> None:
        resolved = get_object(neuron, Neuron, f"Population '{self.name}' neuron", "neuron")
        if resolved is None:
            raise InvalidTypeError(
                f"Population '{self.name}' neuron must be a Neuron object or a "
                f"registered neuron name such as 'leaky_integrate_fire', got None")
        self._neuron = resolved
        self._validate_neuron()

    @property
    def shape(self) -> Optional[Tuple[int, ...]]:
        """Shape of this population (a tuple), or ``None`` while not yet inferred."""
        return self._shape

    @shape.setter
    def shape(self, shape: Shape) -> None:
        self._shape = get_shape(shape, f"Population '{self.name}'")
        self._validate_neuron()

    @property
    def num_neurons(self) -> Optional[int]:
        """Number of neurons (product of the shape), or ``None`` while the shape is unknown."""
        if self._shape is None:
            return None
        size = 1
        for d in self._shape:
            size *= d
        return size

    def _validate_neuron(self) -> None:
        # Arrays of parameters can only be checked once both neuron and shape are known
        if self._neuron is not None and self._shape is not None:
            check_values_shape(self._neuron, self._shape, f"Population '{self.name}'")

    @property
    def incoming_connections(self) -> List["Connection"]:
        """Connections whose target is this population."""
        return self._incoming_connections

    @property
    def outgoing_connections(self) -> List["Connection"]:
        """Connections whose source is this population."""
        return self._outgoing_connections

    def __call__(self) -> "Population":
        # mlGeNN hands out weak references to populations (layer.population(),
        # connection.source()); calling a population returns itself so that such code works
        return self

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return (f"Population({type(self._neuron).__name__}, shape={self._shape}, "
                f"name={self.name!r})")
