"""Optimisers: engine custom updates applying gradients during training."""
from .adam import Adam
from .optimiser import Optimiser
from .sgd import SGD

__all__ = ["Adam", "Optimiser", "SGD"]
