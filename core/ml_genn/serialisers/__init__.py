"""Serialisers save and load network state, e.g. for checkpoints.

They offer a file-system-like model: each array lives at a 'path' given by a sequence of keys
(any objects convertible to strings, such as an epoch number, a population and a variable name).
"""
from ..plugins.provided import module_getattr
from .numpy import Numpy
from .serialiser import Serialiser

# mlGeNN's default_serialisers: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("serialiser", __name__, "default_serialisers")

__all__ = ["Serialiser", "Numpy", "default_serialisers"]
