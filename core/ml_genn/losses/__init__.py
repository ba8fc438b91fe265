"""Losses that training compilers optimise."""
from ..plugins.provided import module_getattr
from .loss import Loss
from .mean_square_error import MeanSquareError
from .relative_mean_square_error import RelativeMeanSquareError
from .sparse_categorical_crossentropy import SparseCategoricalCrossentropy

# mlGeNN's default_losses: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("loss", __name__, "default_losses")

__all__ = ["Loss", "MeanSquareError", "RelativeMeanSquareError", "SparseCategoricalCrossentropy",
           "default_losses"]
