"""One-to-one connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import SynapseMatrixType
from ..utils.model_builder import engine_value
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import InitValue
from .connectivity import population_size
from .sparse_base import SparseBase
from ..errors import InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class OneToOne(SparseBase):
    """Each source neuron connects to the target neuron with the same index; the target takes
    the source's shape.

    Parameters
    ----------
    weight
        A number, an Initializer or an array with one weight per neuron.
    delay
        Delays in timesteps: a number, an Initializer or an array like ``weight``.
    """

    def __init__(self, weight: InitValue, delay: InitValue = 0):
        super().__init__(weight, delay)

    def connect(self, source: "Population", target: "Population") -> None:
        if target.shape is None:
            target.shape = source.shape
        elif source.shape is None:
            source.shape = target.shape
        elif population_size(source.shape) != population_size(target.shape):
            raise InvalidValueError(f"{type(self).__name__} needs source and target populations of "
                                    f"the same size, got Population '{source.name}' of shape "
                                    f"{source.shape} and Population '{target.name}' of shape "
                                    f"{target.shape}")
        if self.has_indices:
            self._check_indices(source, target)
        elif source.shape is not None:
            expected = (population_size(source.shape),)
            self._check_array("weight", expected, "one per neuron")
            self._check_array("delay", expected, "one per neuron")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """SPARSE with synapse ``i`` joining source ``i`` to target ``i`` (or the saved
        synapses when ``pre_ind``/``post_ind`` are set)."""
        if self.has_indices:
            return self._get_snippet(supported_matrix_type, None)
        index = np.arange(connection.source.num_neurons)
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, engine_value(self.weight), self.delay,
                                   pre_ind=index, post_ind=index)
