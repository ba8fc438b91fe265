"""Errors raised by the e-prop compiler."""
from ml_genn.errors import InvalidValueError


class UnsupportedNetworkError(InvalidValueError, NotImplementedError):
    """The network uses a model or combination e-prop cannot train (mlGeNN raises
    ``NotImplementedError`` or ``RuntimeError`` for these; this is both)."""
