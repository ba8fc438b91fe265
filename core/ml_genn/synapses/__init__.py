"""Synapse models describe how input through a :class:`ml_genn.Connection` becomes current."""
from .delta import Delta
from .exponential import Exponential
from .synapse import Synapse

__all__ = ["Delta", "Exponential", "Synapse"]
