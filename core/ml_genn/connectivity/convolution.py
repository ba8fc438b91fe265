"""Base of connectivity defined by a convolution kernel (Conv2D, Conv2DTranspose)."""
from __future__ import annotations

from typing import Optional

from ..neurons.checks import check_bool, check_positive_int
from ..utils.value import InitValue
from .connectivity import Connectivity
from .geometry import Param2D, get_pad_mode, get_param_2d


class Convolution(Connectivity):
    """Kernel, filter, stride and padding settings shared by convolutional connectivity.

    Parameters
    ----------
    weight
        Kernel weights: a constant, an array of the kernel's shape or an initializer.
    filters
        Number of filters (output channels).
    conv_size
        Kernel size: one int for both dimensions, or a pair.
    flatten
        Whether the target's shape is the flattened output shape.
    conv_strides
        Strides: one int or a pair; ``(1, 1)`` by default.
    conv_padding
        ``"valid"`` or ``"same"``.
    delay
        A single delay in timesteps for every synapse.
    """

    def __init__(self, weight: InitValue, filters: int, conv_size: Param2D,
                 flatten: bool = False, conv_strides: Optional[Param2D] = None,
                 conv_padding: str = "valid", delay: InitValue = 0):
        super().__init__(weight, delay)
        owner = type(self).__name__
        self.filters = check_positive_int(owner, "filters", filters)
        self.conv_size = get_param_2d(owner, "conv_size", conv_size)
        self.flatten = check_bool(owner, "flatten", flatten)
        self.conv_strides = get_param_2d(owner, "conv_strides", conv_strides, default=(1, 1))
        self.conv_padding = get_pad_mode(owner, conv_padding)
        self._require_constant_delay()
        #: Output shape (height, width, filters), known once connected
        self.output_shape = None
