"""2-D convolutional connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine import SynapseMatrixType, init_toeplitz_connectivity
from ..utils.model_builder import engine_value
from ..utils.snippet import ConnectivitySnippet
from .connectivity import kernel_weights
from .convolution import Convolution
from .sparse_geometry import conv2d_synapses
from .geometry import conv_output_shape, get_image_shape, update_target_shape

if TYPE_CHECKING:
    from ..population import Population


class Conv2D(Convolution):
    """Convolution from a source population of shape ``(height, width, channels)``; the target
    takes the output shape ``(out_height, out_width, filters)`` (flattened if ``flatten``).

    Parameters
    ----------
    weight
        A number, an Initializer or a kernel array of shape
        ``(conv_size[0], conv_size[1], source channels, filters)``.
    filters
        Number of filters (output channels).
    conv_size
        Kernel size: one int for both dimensions, or a pair.
    flatten
        Whether the target's shape is the flattened output shape.
    conv_strides
        Strides: one int or a pair; ``(1, 1)`` by default.
    conv_padding
        ``"valid"`` (no padding) or ``"same"`` (output size = input size / stride).
    delay
        A single delay in timesteps for every synapse.
    """

    def connect(self, source: "Population", target: "Population") -> None:
        owner = type(self).__name__
        in_shape = get_image_shape(owner, source)
        self.output_shape = conv_output_shape(owner, in_shape, self.conv_size,
                                              self.conv_strides, self.conv_padding, self.filters)
        update_target_shape(owner, target, self.output_shape, self.flatten)
        self._check_array("weight", self.conv_size + (in_shape[2], self.filters),
                          "kernel height, kernel width, source channels, filters")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """TOEPLITZ (the engine's "Conv2D" kernel) for unit strides, else an explicit SPARSE
        synapse list sharing the kernel's values."""
        (ih, iw, ic), (oh, ow, oc) = connection.source.shape, self.output_shape
        (kh, kw), (sh, sw) = self.conv_size, self.conv_strides
        kernel_shape = (kh, kw, ic, oc)
        if (sh, sw) == (1, 1):
            params = {"conv_kh": kh, "conv_kw": kw, "conv_ih": ih, "conv_iw": iw, "conv_ic": ic,
                      "conv_oh": oh, "conv_ow": ow, "conv_oc": oc}
            return ConnectivitySnippet(SynapseMatrixType.TOEPLITZ, engine_value(self.weight),
                                       self.delay, snippet=init_toeplitz_connectivity("Conv2D", params),
                                       kernel_shape=kernel_shape)
        # TensorFlow's "same" padding puts the odd extra row/column at the bottom/right
        pad = (max((oh - 1) * sh + kh - ih, 0) // 2, max((ow - 1) * sw + kw - iw, 0) // 2) \
            if self.conv_padding.value == "same" else (0, 0)
        pre, post, kernel = conv2d_synapses((ih, iw, ic), (oh, ow, oc), (kh, kw), (sh, sw), pad)
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, kernel_weights(self, kernel, "Conv2D"),
                                   self.delay, pre_ind=pre, post_ind=post, kernel_index=kernel,
                                   kernel_shape=kernel_shape)
