"""Layers of a :class:`~ml_genn.SequentialNetwork`."""
from __future__ import annotations

from typing import Optional

from .connection import Connection, ConnectivityInitializer, SynapseInitializer
from .network import Network
from .population import NeuronInitializer, Population, Shape
from .sequential_network import SequentialNetwork


class InputLayer:
    """The input layer of a :class:`~ml_genn.SequentialNetwork`.

    Parameters
    ----------
    neuron
        Neuron model (typically an input model such as ``PoissonInput``).
    shape
        Shape of the layer.
    record_spikes
        Whether spikes are recorded (needed by ``SpikeRecorder``).
    record_spike_events
        Whether spike-like events are recorded.
    name
        Unique name of the layer's population.

    Attributes
    ----------
    population
        The layer's :class:`~ml_genn.Population` (calling it, ``population()``, also returns
        it, as mlGeNN's weak reference did).
    """

    def __init__(self, neuron: NeuronInitializer, shape: Shape = None,
                 record_spikes: bool = False, record_spike_events: bool = False,
                 name: Optional[str] = None):
        # Check the context first so the error names the layer, not its population
        Network._current("InputLayer", SequentialNetwork)
        if name is None:
            name = Network._default_population_name()
        self.population = Population(neuron, shape=shape, record_spikes=record_spikes,
                                     record_spike_events=record_spike_events, name=name,
                                     add_to_model=False)
        SequentialNetwork._add_input_layer(self, self.population)

    @property
    def name(self) -> str:
        """Name of the layer's population."""
        return self.population.name

    def __repr__(self) -> str:
        return f"InputLayer({self.population!r})"


class Layer:
    """A layer of a :class:`~ml_genn.SequentialNetwork`, connected from the previous layer.

    Parameters
    ----------
    connectivity
        Connectivity from the previous layer (object or registered name).
    neuron
        Neuron model.
    shape
        Shape of the layer; ``None`` to infer it from the connectivity.
    synapse
        Synapse model of the incoming connection; ``"delta"`` by default.
    record_spikes
        Whether spikes are recorded (needed by ``SpikeRecorder``).
    record_spike_events
        Whether spike-like events are recorded.
    max_delay_steps
        Largest delay of the incoming connection, in timesteps (see :class:`~ml_genn.Connection`).
    name
        Unique name of the layer's population.

    Attributes
    ----------
    population
        The layer's :class:`~ml_genn.Population`.
    connection
        The :class:`~ml_genn.Connection` from the previous layer, or ``None`` for a first layer.
    """

    def __init__(self, connectivity: ConnectivityInitializer, neuron: NeuronInitializer,
                 shape: Shape = None, synapse: SynapseInitializer = "delta",
                 record_spikes: bool = False, record_spike_events: bool = False,
                 max_delay_steps: Optional[int] = None, name: Optional[str] = None):
        prev_layer = SequentialNetwork.get_prev_layer()
        if name is None:
            name = Network._default_population_name()
        self.population = Population(neuron, shape=shape, record_spikes=record_spikes,
                                     record_spike_events=record_spike_events, name=name,
                                     add_to_model=False)
        if prev_layer is not None:
            # Not added yet: the network is told about population and connection together
            self.connection = Connection(prev_layer.population, self.population,
                                         connectivity=connectivity, synapse=synapse,
                                         max_delay_steps=max_delay_steps, add_to_model=False)
        else:
            self.connection = None
        SequentialNetwork._add_layer(self, self.population, self.connection)

    @property
    def name(self) -> str:
        """Name of the layer's population."""
        return self.population.name

    def __repr__(self) -> str:
        return f"Layer({self.population!r})"
