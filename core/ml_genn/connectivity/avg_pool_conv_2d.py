"""2-D average pooling fused with convolution."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..neurons.checks import check_bool, check_positive_int
from ..utils.value import InitValue
from ..engine import SynapseMatrixType
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import is_value_array
from .connectivity import Connectivity
from .sparse_geometry import avg_pool_map, conv2d_synapses
from .geometry import (Param2D, check_pool_strides, conv_output_shape, get_image_shape,
                       get_pad_mode, get_param_2d, pool_output_shape, update_target_shape)
from ..errors import InvalidTypeError

if TYPE_CHECKING:
    from ..population import Population


class AvgPoolConv2D(Connectivity):
    """Average pooling of a ``(height, width, channels)`` source followed by a convolution,
    as one connection (ANN conversion: no non-linearity between the two).

    Parameters
    ----------
    weight
        A number, an Initializer or a kernel array of shape
        ``(conv_size[0], conv_size[1], source channels, filters)``.
    filters
        Number of filters (output channels).
    pool_size
        Pool size: one int for both dimensions, or a pair.
    conv_size
        Kernel size: one int for both dimensions, or a pair.
    flatten
        Whether the target's shape is the flattened output shape.
    pool_strides
        Pool strides: one int or a pair; ``pool_size`` by default.
    conv_strides
        Convolution strides: one int or a pair; ``(1, 1)`` by default.
    conv_padding
        ``"valid"`` or ``"same"``.
    delay
        A single delay in timesteps for every synapse.
    """

    def __init__(self, weight: InitValue, filters: int, pool_size: Param2D,
                 conv_size: Param2D, flatten: bool = False,
                 pool_strides: Optional[Param2D] = None,
                 conv_strides: Optional[Param2D] = None, conv_padding: str = "valid",
                 delay: InitValue = 0):
        super().__init__(weight, delay)
        owner = type(self).__name__
        self.filters = check_positive_int(owner, "filters", filters)
        self.pool_size = get_param_2d(owner, "pool_size", pool_size)
        self.conv_size = get_param_2d(owner, "conv_size", conv_size)
        self.flatten = check_bool(owner, "flatten", flatten)
        self.pool_strides = get_param_2d(owner, "pool_strides", pool_strides,
                                         default=self.pool_size)
        check_pool_strides(owner, self.pool_size, self.pool_strides)
        self.conv_strides = get_param_2d(owner, "conv_strides", conv_strides, default=(1, 1))
        self.conv_padding = get_pad_mode(owner, conv_padding)
        self._require_constant_delay()
        #: Shape after pooling and after the convolution, known once connected
        self.pool_output_shape = None
        self.output_shape = None

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        in_shape = get_image_shape(owner, source)
        self.pool_output_shape = pool_output_shape(owner, in_shape, self.pool_size,
                                                   self.pool_strides)
        self.output_shape = conv_output_shape(owner, self.pool_output_shape, self.conv_size,
                                              self.conv_strides, self.conv_padding,
                                              self.filters)
        update_target_shape(owner, target, self.output_shape, self.flatten)
        self._check_array("weight", self.conv_size + (in_shape[2], self.filters),
                          "kernel height, kernel width, source channels, filters")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """An explicit SPARSE list: every source neuron of a pool connects through the
        convolution with the kernel weight divided by the pool area.

        (The engine's "AvgPoolConv2D" TOEPLITZ kernel sums rather than averages its pools, see
        tests/core/engine/test_needed_by_compilers.py, so it is not used.)"""
        (ih, iw, ic), (oh, ow, oc) = connection.source.shape, self.output_shape
        (kh, kw), (sh, sw) = self.conv_size, self.conv_strides
        (ph, pw), (psh, psw) = self.pool_size, self.pool_strides
        kernel_shape = (kh, kw, ic, oc)
        if not is_value_array(self.weight) and not isinstance(self.weight, (int, float)):
            raise InvalidTypeError(
                f"Connection '{connection.name}': AvgPoolConv2D with strides needs a "
                f"weight array or a number, got {type(self.weight).__name__}")
        pool_target, pooled = avg_pool_map((ih, iw, ic), (ph, pw), (psh, psw))
        pch, pcw, _ = pooled
        pad = (max((oh - 1) * sh + kh - pch, 0) // 2, max((ow - 1) * sw + kw - pcw, 0) // 2) \
            if self.conv_padding.value == "same" else (0, 0)
        conv_pre, conv_post, conv_kernel = conv2d_synapses(pooled, (oh, ow, oc), (kh, kw),
                                                           (sh, sw), pad)
        # Expand each pooled source into the source neurons of its pool
        members = [np.nonzero(pool_target == p)[0] for p in range(int(np.prod(pooled)))]
        counts = np.array([len(members[p]) for p in conv_pre])
        pre = np.concatenate([members[p] for p in conv_pre])
        post = np.repeat(conv_post, counts)
        kernel = np.repeat(conv_kernel, counts)
        weight = np.broadcast_to(np.asarray(self.weight, dtype=np.float64), kernel_shape).reshape(-1)
        order = np.lexsort((post, pre))
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, (weight[kernel] / (ph * pw))[order],
                                   self.delay, pre_ind=pre[order], post_ind=post[order],
                                   kernel_index=kernel[order], kernel_shape=kernel_shape,
                                   weight_scale=1.0 / (ph * pw))
