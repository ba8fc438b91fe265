"""Geometry of 2-D convolution and pooling: parameters, padding and output shapes.

Shapes of image-like populations are ``(height, width, channels)``.
"""
from __future__ import annotations

from enum import Enum
from math import ceil
from numbers import Integral
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple, Union

import numpy as np
from ..errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from ..population import Population

#: What users may pass for a 2-D size or stride
Param2D = Union[None, int, Sequence[int]]


class PadMode(Enum):
    """Convolution padding: ``"valid"`` (none) or ``"same"`` (output size = input / stride)."""
    VALID = "valid"
    SAME = "same"


def get_pad_mode(owner: str, value: Any) -> PadMode:
    """Parse ``conv_padding``."""
    try:
        return PadMode(value)
    except ValueError:
        raise InvalidValueError(f"{owner} conv_padding must be 'valid' or 'same', got {value!r}") \
            from None


def get_param_2d(owner: str, name: str, value: Param2D,
                 default: Optional[Tuple[int, int]] = None) -> Tuple[int, int]:
    """Parse a 2-D size or stride given as one int (both dimensions) or a pair.

    Parameters
    ----------
    owner
        Class name used in errors.
    name
        Argument name used in errors.
    value
        An int, a pair of ints, or ``None`` for ``default``.
    default
        Value used for ``None``; ``None`` if the argument is required.
    """
    if value is None:
        if default is None:
            raise InvalidTypeError(f"{owner} {name} must be given as an integer or a pair of integers")
        return tuple(default)
    if isinstance(value, Integral) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif isinstance(value, (list, tuple)) and len(value) == 2 \
            and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise InvalidTypeError(f"{owner} {name} must be an integer or a pair of integers, got "
                               f"{type(value).__name__}: {value!r}")
    if pair[0] < 1 or pair[1] < 1:
        raise InvalidValueError(f"{owner} {name} must be positive, got {value!r}")
    return pair


def get_image_shape(owner: str, source: "Population") -> Tuple[int, int, int]:
    """The source population's ``(height, width, channels)``, or a clear error."""
    if source.shape is None:
        raise InvalidValueError(f"{owner} needs the shape of source Population '{source.name}' "
                                f"(height, width, channels), but it has none yet; give it a shape")
    if len(source.shape) != 3:
        raise InvalidValueError(
            f"{owner} needs a source population of shape (height, width, "
            f"channels), but Population '{source.name}' has shape {source.shape}")
    return source.shape


def conv_output_shape(owner: str, in_shape: Tuple[int, int, int], conv_size: Tuple[int, int],
                      conv_strides: Tuple[int, int], padding: PadMode,
                      filters: int) -> Tuple[int, int, int]:
    """Output shape of a 2-D convolution."""
    (ih, iw, _), (kh, kw), (sh, sw) = in_shape, conv_size, conv_strides
    if padding is PadMode.VALID:
        out = (ceil((ih - kh + 1) / sh), ceil((iw - kw + 1) / sw), filters)
    else:
        out = (ceil(ih / sh), ceil(iw / sw), filters)
    if out[0] < 1 or out[1] < 1:
        raise InvalidValueError(
            f"{owner} kernel {conv_size} with 'valid' padding is larger than its "
            f"input of shape {in_shape}; use a smaller conv_size or "
            f"conv_padding='same'")
    return out


def conv_transpose_output_shape(in_shape: Tuple[int, int, int], conv_size: Tuple[int, int],
                                conv_strides: Tuple[int, int], padding: PadMode,
                                filters: int) -> Tuple[int, int, int]:
    """Output shape of a 2-D transposed convolution."""
    (ih, iw, _), (kh, kw), (sh, sw) = in_shape, conv_size, conv_strides
    if padding is PadMode.VALID:
        return (ih * sh + max(kh - sh, 0), iw * sw + max(kw - sw, 0), filters)
    return (ih * sh, iw * sw, filters)


def pool_output_shape(owner: str, in_shape: Tuple[int, int, int], pool_size: Tuple[int, int],
                      pool_strides: Tuple[int, int]) -> Tuple[int, int, int]:
    """Output shape of 2-D pooling without padding (channels are kept)."""
    (ih, iw, ic), (kh, kw), (sh, sw) = in_shape, pool_size, pool_strides
    out = (ceil((ih - kh + 1) / sh), ceil((iw - kw + 1) / sw), ic)
    if out[0] < 1 or out[1] < 1:
        raise InvalidValueError(f"{owner} pool_size {pool_size} is larger than its input of shape "
                                f"{in_shape}")
    return out


def check_pool_strides(owner: str, pool_size: Tuple[int, int],
                       pool_strides: Tuple[int, int]) -> None:
    """Overlapping pools are not supported: each input feeds at most one pool."""
    if pool_strides[0] < pool_size[0] or pool_strides[1] < pool_size[1]:
        raise NotImplementedError(f"{owner} pool_strides {pool_strides} smaller than pool_size "
                                  f"{pool_size} (overlapping pools) are not supported")


def update_target_shape(owner: str, target: "Population", output_shape: Tuple[int, ...],
                        flatten: bool) -> None:
    """Set ``target.shape`` to ``output_shape`` (flattened if asked), or check it matches."""
    expected = (int(np.prod(output_shape)),) if flatten else tuple(output_shape)
    if target.shape is None:
        target.shape = expected
    elif target.shape != expected:
        how = "flattened output shape" if flatten else "output shape"
        raise InvalidValueError(f"{owner} {how} is {expected}, but target Population "
                                f"'{target.name}' has shape {target.shape}")
