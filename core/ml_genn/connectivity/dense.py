"""All-to-all connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine import SynapseMatrixType
from ..utils.model_builder import engine_value
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import InitValue, is_value_array
from .connectivity import Connectivity, population_size
from ..errors import InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class Dense(Connectivity):
    """Dense connectivity: every source neuron connects to every target neuron.

    Parameters
    ----------
    weight
        A number, an Initializer, or an array of shape ``(source_size, target_size)``; an
        array also gives populations without a shape their (flat) shape.
    delay
        Delays in timesteps: a number, an Initializer or an array like ``weight``.
    """

    def __init__(self, weight: InitValue, delay: InitValue = 0):
        super().__init__(weight, delay)

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        for name in ("weight", "delay"):
            array = getattr(self, name)
            if not is_value_array(array):
                continue
            if array.ndim != 2:
                raise InvalidValueError(
                    f"{owner} {name} array must have 2 dimensions (source size, "
                    f"target size), got shape {array.shape}")
            # A weight array is the only thing that can tell dense populations' sizes
            if source.shape is None:
                source.shape = (array.shape[0],)
            if target.shape is None:
                target.shape = (array.shape[1],)
        num_source, num_target = population_size(source.shape), population_size(target.shape)
        if num_source is not None and num_target is not None:
            expected = (num_source, num_target)
            self._check_array("weight", expected, "source size, target size")
            self._check_array("delay", expected, "source size, target size")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """DENSE: ``g`` is the (source, target) matrix, row-major."""
        return ConnectivitySnippet(SynapseMatrixType.DENSE, engine_value(self.weight), self.delay)
