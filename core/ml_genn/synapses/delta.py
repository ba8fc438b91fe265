"""Delta synapses."""
from __future__ import annotations

from .synapse import Synapse


class Delta(Synapse):
    """Synapse whose input is injected as current in the same timestep and then cleared: each
    spike causes an instantaneous voltage jump of the weight in the target neuron."""
