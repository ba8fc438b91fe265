"""Synapse models describe how input through a :class:`ml_genn.Connection` becomes current."""
from ..plugins.provided import module_getattr
from .delta import Delta
from .exponential import Exponential
from .synapse import Synapse

# mlGeNN's default_synapses: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("synapse", __name__, "default_synapses")

__all__ = ["Delta", "Exponential", "Synapse", "default_synapses"]
