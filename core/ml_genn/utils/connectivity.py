"""mlGeNN's connectivity helpers (``ml_genn.utils.connectivity``), with its signatures, for
custom connectivity classes written against mlGeNN. Core's own connectivity uses
:mod:`ml_genn.connectivity.geometry`, whose functions name their owner in errors."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple

import numpy as np

from ..connectivity.geometry import Param2D, PadMode
from ..initializers.initializer import Initializer
from ..initializers.var_init import VarInit
from ..errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["KernelInit", "Param2D", "PadMode", "get_conv_same_padding", "get_param_2d",
           "update_target_shape", "resolve_kernel_init", "TargetShapeError"]


class KernelInit(Initializer):
    """Initialise each synapse with the element of a shared kernel it uses (GeNN's
    ``"Kernel"`` var-init snippet): for connectivity that shares one kernel between many
    synapses, such as a convolution returning a TOEPLITZ snippet or a SPARSE synapse list
    with a ``kernel_index`` for each synapse.

    Args:
        kernel: The kernel array (any shape; it is read flattened, in C order)
    """

    def __init__(self, kernel: Any):
        super().__init__()
        self.kernel = np.asarray(kernel)

    def get_snippet(self) -> VarInit:
        return VarInit("Kernel", {}, {"kernel": self.kernel})


def _is_kernel_init(value: Any) -> bool:
    return isinstance(value, KernelInit) or (isinstance(value, VarInit)
                                             and value.snippet == "Kernel")


def resolve_kernel_init(value: Any, snippet: Any, where: str) -> Any:
    """``value`` with a :class:`KernelInit` replaced by per-synapse values: the flattened
    kernel for TOEPLITZ connectivity, ``kernel[kernel_index]`` for SPARSE connectivity with a
    kernel index; any other value is returned as it is.

    Args:
        value:      A connectivity snippet's weight or delay
        snippet:    The :class:`ml_genn.utils.snippet.ConnectivitySnippet` holding it
        where:      Names the connection in errors

    Raises:
        ValueError: the connectivity shares no kernel, or the kernel's size does not fit
    """
    from ..engine import SynapseMatrixType
    if not _is_kernel_init(value):
        return value
    kernel = np.asarray(value.kernel if isinstance(value, KernelInit)
                        else value.egp_vals["kernel"], dtype=np.float64).reshape(-1)
    if snippet.kernel_shape is not None and kernel.size != int(np.prod(snippet.kernel_shape)):
        raise InvalidValueError(f"{where}: KernelInit kernel has {kernel.size} elements but the "
                                f"connectivity's kernel has shape {tuple(snippet.kernel_shape)}")
    if snippet.matrix_type is SynapseMatrixType.TOEPLITZ:
        return kernel
    if snippet.kernel_index is not None:
        index = np.asarray(snippet.kernel_index)
        if index.size and (index.min() < 0 or index.max() >= kernel.size):
            raise InvalidValueError(f"{where}: kernel_index reaches element {index.max()} of a "
                                    f"KernelInit kernel of {kernel.size} elements")
        return kernel[index]
    raise InvalidValueError(
        f"{where}: KernelInit needs connectivity that shares a kernel (a "
        f"TOEPLITZ snippet, or a SPARSE one with kernel_index), but the "
        f"connectivity gave a {snippet.matrix_type.name} matrix without a kernel "
        f"index")


class TargetShapeError(RuntimeError, ValueError):
    """A target population's shape does not match a connectivity's output (a
    ``RuntimeError``, as mlGeNN raises)."""


def get_conv_same_padding(in_size: int, conv_size: int, stride: int) -> int:
    """Padding before the first element of one dimension for ``"same"`` convolution: the
    total padding is split with the smaller half first, as TensorFlow does.

    Args:
        in_size:    Input size along the dimension
        conv_size:  Kernel size along the dimension
        stride:     Stride along the dimension
    """
    remainder = in_size % stride
    total = max(conv_size - (stride if remainder == 0 else remainder), 0)
    return total // 2


def get_param_2d(name: str, param: Param2D,
                 default: Optional[Tuple[int, int]] = None) -> Tuple[int, int]:
    """A 2-D size or stride as a pair: an int means both dimensions.

    Args:
        name:       Argument name, used in errors
        param:      An int, a pair, or None
        default:    Returned for None; None makes the argument required

    Raises:
        ValueError: ``param`` is None without a default, or a sequence not of length 2
        TypeError:  ``param`` is neither an int nor a sequence
    """
    if param is None:
        if default is None:
            raise InvalidValueError(f"{name}: cannot be None")
        return default
    if isinstance(param, (list, tuple)):
        if len(param) != 2:
            raise InvalidValueError(f"{name}: expected 2 values, got {len(param)}: {param!r}")
        return tuple(param)
    if isinstance(param, (int, np.integer)) and not isinstance(param, bool):
        return (param, param)
    raise InvalidTypeError(f"{name}: expected an int or a pair of ints, got "
                           f"{type(param).__name__}: {param!r}")


def update_target_shape(target: "Population", output_shape: Sequence[int],
                        flatten_out: bool) -> None:
    """Give ``target`` the connectivity's output shape (flattened if asked) when it has none,
    or check that its shape is that shape.

    Args:
        target:         Target population
        output_shape:   Shape of the connectivity's output
        flatten_out:    Whether the target is the flattened output

    Raises:
        TargetShapeError: the target's shape differs
    """
    output_shape = tuple(output_shape)
    flat = (int(np.prod(output_shape)),)
    expected = flat if flatten_out else output_shape
    if target.shape is None:
        target.shape = expected
    elif tuple(target.shape) != expected:
        how = "flattened output shape" if flatten_out else "output shape"
        raise TargetShapeError(f"Target population '{target.name}' has shape {target.shape}, "
                               f"which doesn't match the {how} {expected}")
