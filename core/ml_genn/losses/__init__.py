"""Losses that training compilers optimise."""
from .loss import Loss
from .mean_square_error import MeanSquareError
from .relative_mean_square_error import RelativeMeanSquareError
from .sparse_categorical_crossentropy import SparseCategoricalCrossentropy

__all__ = ["Loss", "MeanSquareError", "RelativeMeanSquareError", "SparseCategoricalCrossentropy"]
