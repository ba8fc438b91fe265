"""Uniformly-distributed initial values."""
from __future__ import annotations

from .initializer import Initializer
from .normal import check_number
from .var_init import VarInit
from ..errors import InvalidValueError


class Uniform(Initializer):
    """Initialize by sampling from the uniform distribution on ``[min, max)``.

    Parameters
    ----------
    min
        Lower bound.
    max
        Upper bound (not less than ``min``).
    """

    def __init__(self, min: float = 0.0, max: float = 1.0):
        self.min = check_number("Uniform", "min", min)
        self.max = check_number("Uniform", "max", max)
        if self.max < self.min:
            raise InvalidValueError(f"Uniform max must not be less than min, got min={min!r}, "
                                    f"max={max!r}")

    def get_snippet(self) -> VarInit:
        """GeNN's ``"Uniform"`` var-init snippet with ``min`` and ``max``."""
        return VarInit("Uniform", {"min": self.min, "max": self.max})

    def __repr__(self) -> str:
        return f"Uniform(min={self.min}, max={self.max})"
