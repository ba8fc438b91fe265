"""Feed-forward networks built from layers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Union

from .network import Network

if TYPE_CHECKING:
    from .connection import Connection
    from .layer import InputLayer, Layer
    from .population import Population


class SequentialNetwork(Network):
    """Feed-forward network: each :class:`~ml_genn.Layer` created inside
    ``with sequential_network:`` is connected from the layer before it, and its shape is
    inferred along the chain where the connectivity determines it.

    Parameters
    ----------
    default_params
        Default constructor arguments for neuron and synapse classes (see
        :class:`~ml_genn.Network`).

    Attributes
    ----------
    layers
        Every layer, in creation order.
    """

    def __init__(self, default_params: Optional[Mapping[type, Mapping[str, Any]]] = None):
        super().__init__(default_params)
        self.layers: List[Union["InputLayer", "Layer"]] = []

    @staticmethod
    def _add_input_layer(layer: "InputLayer", population: "Population") -> None:
        network = Network._current("InputLayer", SequentialNetwork)
        Network._add_population(population)
        network.layers.append(layer)

    @staticmethod
    def _add_layer(layer: "Layer", population: "Population",
                   connection: Optional["Connection"]) -> None:
        network = Network._current("Layer", SequentialNetwork)
        Network._add_population(population)
        if connection is not None:
            Network._add_connection(connection)
        network.layers.append(layer)

    @staticmethod
    def get_prev_layer() -> Optional[Union["InputLayer", "Layer"]]:
        """The most recently created layer of the network being built, or ``None``."""
        network = Network._current("Layer", SequentialNetwork)
        return network.layers[-1] if network.layers else None
