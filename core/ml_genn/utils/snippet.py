"""What connectivity hands to compilers: the engine representation of a connection."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..engine import SynapseMatrixType


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
