"""Optimisers: engine custom updates applying gradients during training."""
from ..plugins.provided import module_getattr
from .adam import Adam
from .optimiser import Optimiser
from .sgd import SGD

# mlGeNN's default_optimisers: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("optimiser", __name__, "default_optimisers")

__all__ = ["Adam", "Optimiser", "SGD", "default_optimisers"]
