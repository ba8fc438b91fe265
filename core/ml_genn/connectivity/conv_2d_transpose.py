"""2-D transposed convolutional connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine import SynapseMatrixType
from ..utils.snippet import ConnectivitySnippet
from .connectivity import kernel_weights
from .convolution import Convolution
from .sparse_geometry import conv2d_transpose_synapses
from .geometry import conv_transpose_output_shape, get_image_shape, update_target_shape

if TYPE_CHECKING:
    from ..population import Population


class Conv2DTranspose(Convolution):
    """Transposed convolution from a source population of shape ``(height, width, channels)``;
    the output is ``(height * stride + max(kernel - stride, 0), ..., filters)`` with
    ``"valid"`` padding and ``(height * stride, width * stride, filters)`` with ``"same"``.

    Parameters
    ----------
    weight
        A number, an Initializer or a kernel array of shape
        ``(conv_size[0], conv_size[1], filters, source channels)``.
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

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        in_shape = get_image_shape(owner, source)
        self.output_shape = conv_transpose_output_shape(in_shape, self.conv_size,
                                                        self.conv_strides, self.conv_padding,
                                                        self.filters)
        update_target_shape(owner, target, self.output_shape, self.flatten)
        self._check_array("weight", self.conv_size + (self.filters, in_shape[2]),
                          "kernel height, kernel width, filters, source channels")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """An explicit SPARSE synapse list sharing the kernel's values."""
        (ih, iw, ic), (oh, ow, oc) = connection.source.shape, self.output_shape
        (kh, kw), (sh, sw) = self.conv_size, self.conv_strides
        # "same" crops the full transposed output, (in - 1) * stride + kernel, to in * stride
        crop = (max(kh - sh, 0) // 2, max(kw - sw, 0) // 2) \
            if self.conv_padding.value == "same" else (0, 0)
        pre, post, kernel = conv2d_transpose_synapses((ih, iw, ic), (oh, ow, oc), (kh, kw),
                                                      (sh, sw), crop)
        return ConnectivitySnippet(SynapseMatrixType.SPARSE,
                                   kernel_weights(self, kernel, "Conv2DTranspose"), self.delay,
                                   pre_ind=pre, post_ind=post, kernel_index=kernel,
                                   kernel_shape=(kh, kw, oc, ic))
