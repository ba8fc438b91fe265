"""Normally-distributed initial values."""
from __future__ import annotations

from numbers import Number

from .initializer import Initializer
from .var_init import VarInit
from ..errors import InvalidTypeError, InvalidValueError


def check_number(owner: str, name: str, value: object) -> float:
    """Return ``value`` as a float, or raise a TypeError naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, Number):
        raise InvalidTypeError(f"{owner} {name} must be a number, got {type(value).__name__}: "
                               f"{value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidValueError(f"{owner} {name} must be finite, got {value!r}")
    return value


class Normal(Initializer):
    """Initialize by sampling from the normal distribution.

    Parameters
    ----------
    mean
        Mean of the distribution.
    sd
        Standard deviation of the distribution (zero or more).
    """

    def __init__(self, mean: float = 0.0, sd: float = 1.0):
        self.mean = check_number("Normal", "mean", mean)
        self.sd = check_number("Normal", "sd", sd)
        if self.sd < 0.0:
            raise InvalidValueError(f"Normal sd must not be negative, got {sd!r}")

    def get_snippet(self) -> VarInit:
        """GeNN's ``"Normal"`` var-init snippet with ``mean`` and ``sd``."""
        return VarInit("Normal", {"mean": self.mean, "sd": self.sd})

    def __repr__(self) -> str:
        return f"Normal(mean={self.mean}, sd={self.sd})"
