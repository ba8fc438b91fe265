"""How a synapse group stores its connectivity."""
from __future__ import annotations

from enum import Enum


class SynapseMatrixType(Enum):
    """``DENSE``: every pre/post pair, weights ``num_pre * num_post``.
    ``SPARSE``: ragged rows built from indices or a sparse-connect snippet.
    ``TOEPLITZ``: a shared convolution kernel applied by a toeplitz snippet."""

    DENSE = "dense"
    SPARSE = "sparse"
    TOEPLITZ = "toeplitz"
