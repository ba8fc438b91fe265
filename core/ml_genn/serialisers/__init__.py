"""Serialisers save and load network state, e.g. for checkpoints.

They offer a file-system-like model: each array lives at a 'path' given by a sequence of keys
(any objects convertible to strings, such as an epoch number, a population and a variable name).
"""
from .numpy import Numpy
from .serialiser import Serialiser

__all__ = ["Serialiser", "Numpy"]
