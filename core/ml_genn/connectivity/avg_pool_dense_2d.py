"""2-D average pooling fused with dense connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..utils.value import InitValue, is_value_array
from ..engine import SynapseMatrixType
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import is_value_constant
from .connectivity import Connectivity, population_size
from .sparse_geometry import avg_pool_map
from .geometry import (Param2D, check_pool_strides, get_image_shape, get_param_2d,
                       pool_output_shape)
from ..errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class AvgPoolDense2D(Connectivity):
    """Average pooling of a ``(height, width, channels)`` source followed by dense weights,
    as one connection (ANN conversion: no non-linearity between the two).

    Parameters
    ----------
    weight
        A number, an Initializer or an array of shape ``(pool output size, target size)``;
        an array gives a target without a shape its (flat) shape.
    pool_size
        Pool size: one int for both dimensions, or a pair.
    pool_strides
        Strides: one int or a pair; ``pool_size`` by default.
    delay
        A single delay in timesteps for every synapse.
    """

    def __init__(self, weight: InitValue, pool_size: Param2D,
                 pool_strides: Optional[Param2D] = None, delay: InitValue = 0):
        super().__init__(weight, delay)
        owner = type(self).__name__
        self.pool_size = get_param_2d(owner, "pool_size", pool_size)
        self.pool_strides = get_param_2d(owner, "pool_strides", pool_strides,
                                         default=self.pool_size)
        check_pool_strides(owner, self.pool_size, self.pool_strides)
        self._require_constant_delay()
        #: Shape (height, width, channels) after pooling, known once connected
        self.pool_output_shape = None

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        in_shape = get_image_shape(owner, source)
        self.pool_output_shape = pool_output_shape(owner, in_shape, self.pool_size,
                                                   self.pool_strides)
        if is_value_array(self.weight):
            if self.weight.ndim != 2:
                raise InvalidValueError(f"{owner} weight array must have 2 dimensions (pool output "
                                        f"size, target size), got shape {self.weight.shape}")
            if target.shape is None:
                target.shape = (self.weight.shape[1],)
        if target.shape is not None:
            self._check_array("weight", (int(np.prod(self.pool_output_shape)),
                                         population_size(target.shape)),
                              f"pool output size of {self.pool_output_shape}, target size")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """DENSE with the pooling folded into the weights: source neuron ``i`` in pool ``p``
        connects to target ``t`` with ``weight[p, t] / pool area`` (0 outside every pool)."""
        if not (is_value_array(self.weight) or is_value_constant(self.weight)):
            raise InvalidTypeError(
                f"Connection '{connection.name}': AvgPoolDense2D needs a weight array "
                f"or a number to fold the pooling into, got "
                f"{type(self.weight).__name__}")
        target, pooled = avg_pool_map(connection.source.shape, self.pool_size, self.pool_strides)
        num_pooled, num_target = int(np.prod(pooled)), connection.target.num_neurons
        weight = np.broadcast_to(np.asarray(self.weight, dtype=np.float64),
                                 (num_pooled, num_target))
        area = self.pool_size[0] * self.pool_size[1]
        folded = np.zeros((len(target), num_target))
        inside = target >= 0
        folded[inside] = weight[target[inside]] / area
        return ConnectivitySnippet(SynapseMatrixType.DENSE, folded.reshape(-1), self.delay)
