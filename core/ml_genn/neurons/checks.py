"""Checks of the non-value constructor arguments of neuron models."""
from __future__ import annotations

from numbers import Integral
from typing import Any
from ..errors import InvalidTypeError, InvalidValueError


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise a TypeError naming ``owner`` and ``name``."""
    # NumPy bools are accepted because they arise from comparisons in user code
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise InvalidTypeError(f"{owner} {name} must be True or False, got "
                               f"{type(value).__name__}: {value!r}")
    return bool(value)


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` if it is an integer of at least 1, else raise naming ``owner``/``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidTypeError(f"{owner} {name} must be a positive integer, got "
                               f"{type(value).__name__}: {value!r}")
    if value < 1:
        raise InvalidValueError(f"{owner} {name} must be a positive integer, got {value!r}")
    return int(value)
