"""What connectivity and initializers hand to compilers (mlGeNN's ``utils.snippet``):
:class:`ConnectivitySnippet`, :class:`InitializerSnippet` and :class:`ConstantValueDescriptor`."""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Any, Optional

import numpy as np

from ..engine import SynapseMatrixType
from ..errors import InvalidTypeError
from ..initializers.var_init import VarInit


@dataclass
class ConnectivitySnippet:
    """Engine representation of a connectivity.

    Parameters
    ----------
    matrix_type
        DENSE, SPARSE or TOEPLITZ.
    weight
        Engine initial value of ``g``: number, flat array (in synapse order) or ``init_var``.
    delay
        User delay value (number, array in synapse order, or Initializer); 0 for none.
    snippet
        ``init_sparse_connectivity`` / ``init_toeplitz_connectivity`` result, or None.
    pre_ind, post_ind
        Explicit SPARSE synapse indices (synapse ``k`` joins ``pre_ind[k]`` to ``post_ind[k]``).
    kernel_index
        For SPARSE connectivity made from a shared kernel: the kernel element of each synapse,
        so saved weights can be folded back into the kernel's shape.
    kernel_shape
        Shape of the user's weight array (how saved weights are reshaped).
    weight_scale
        Factor between the user's weights and the engine's ``g`` (saved weights are divided
        by it).
    trainable
        Whether training compilers may learn these weights (mlGeNN's field).
    max_row_length
        With explicit SPARSE indices: the rows' capacity when larger than the longest given
        row (a FixedProbability loaded from saved indices keeps the room drawn connectivity
        has, so rewiring behaves the same after loading), or None.
    """
    matrix_type: SynapseMatrixType
    weight: Any
    delay: Any = 0
    snippet: Any = None
    pre_ind: Optional[np.ndarray] = None
    post_ind: Optional[np.ndarray] = None
    kernel_index: Optional[np.ndarray] = None
    kernel_shape: Optional[tuple] = None
    weight_scale: float = 1.0
    trainable: bool = True
    max_row_length: Optional[int] = None


#: What an Initializer's ``get_snippet()`` returns: ``(snippet, param_vals, egp_vals)``
InitializerSnippet = VarInit


class ConstantValueDescriptor:
    """Class attribute declaring a model setting that must be a plain number (mlGeNN's
    descriptor for values such as few-spike ``k``, which are not per-neuron values).

    Reading it returns the number; assigning anything but a number is an error naming the
    attribute.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return getattr(instance, f"_{self.name}")

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, Number):
            raise InvalidTypeError(f"{type(instance).__name__} {self.name} must be a number, "
                                   f"got {type(value).__name__}: {value!r}")
        setattr(instance, f"_{self.name}", value)

