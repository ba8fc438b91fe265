"""Transforms from time constants to per-timestep decay factors."""
from __future__ import annotations

from typing import Any

import numpy as np


def exp_decay(tau: Any, dt: float) -> Any:
    """Per-timestep decay factor ``exp(-dt / tau)`` of a time constant ``tau`` [ms]."""
    return np.exp(-dt / tau)
