"""2-D average pooling connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..neurons.checks import check_bool
from ..utils.value import InitValue
from ..engine import SynapseMatrixType
from ..utils.snippet import ConnectivitySnippet
from .connectivity import Connectivity
from .sparse_geometry import avg_pool_map
from .geometry import (Param2D, check_pool_strides, get_image_shape, get_param_2d,
                       pool_output_shape, update_target_shape)

if TYPE_CHECKING:
    from ..population import Population


class AvgPool2D(Connectivity):
    """Average pooling from a source population of shape ``(height, width, channels)``: each
    target neuron receives the mean of its pool (weight ``1 / (pool height * pool width)``).

    Parameters
    ----------
    pool_size
        Pool size: one int for both dimensions, or a pair.
    flatten
        Whether the target's shape is the flattened output shape.
    pool_strides
        Strides: one int or a pair; ``pool_size`` by default (non-overlapping pools).
    delay
        A single delay in timesteps for every synapse.
    """

    def __init__(self, pool_size: Param2D, flatten: bool = False,
                 pool_strides: Optional[Param2D] = None, delay: InitValue = 0):
        owner = type(self).__name__
        self.pool_size = get_param_2d(owner, "pool_size", pool_size)
        self.pool_strides = get_param_2d(owner, "pool_strides", pool_strides,
                                         default=self.pool_size)
        check_pool_strides(owner, self.pool_size, self.pool_strides)
        self.flatten = check_bool(owner, "flatten", flatten)
        super().__init__(1.0 / (self.pool_size[0] * self.pool_size[1]), delay)
        self._require_constant_delay()
        #: Output shape (height, width, channels), known once connected
        self.output_shape = None

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        in_shape = get_image_shape(owner, source)
        self.output_shape = pool_output_shape(owner, in_shape, self.pool_size,
                                              self.pool_strides)
        update_target_shape(owner, target, self.output_shape, self.flatten)

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """SPARSE: each source neuron inside a pool feeds that pool's target neuron."""
        target, _ = avg_pool_map(connection.source.shape, self.pool_size, self.pool_strides)
        pre = np.nonzero(target >= 0)[0]
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, self.weight, self.delay,
                                   pre_ind=pre, post_ind=target[pre])
