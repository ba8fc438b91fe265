"""mlGeNN's connectivity helpers (``ml_genn.utils.connectivity``), with its signatures, for
custom connectivity classes written against mlGeNN. Core's own connectivity uses
:mod:`ml_genn.connectivity.geometry`, whose functions name their owner in errors."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence, Tuple

import numpy as np

from ..connectivity.geometry import Param2D, PadMode

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["Param2D", "PadMode", "get_conv_same_padding", "get_param_2d",
           "update_target_shape", "TargetShapeError"]


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
            raise ValueError(f"{name}: cannot be None")
        return default
    if isinstance(param, (list, tuple)):
        if len(param) != 2:
            raise ValueError(f"{name}: expected 2 values, got {len(param)}: {param!r}")
        return tuple(param)
    if isinstance(param, (int, np.integer)) and not isinstance(param, bool):
        return (param, param)
    raise TypeError(f"{name}: expected an int or a pair of ints, got "
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
