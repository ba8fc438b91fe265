"""Delta synapses."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import SynapseModelBuilder
from .synapse import Synapse


class Delta(Synapse):
    """Synapse whose input is injected as current in the same timestep and then cleared: each
    spike causes an instantaneous voltage jump of the weight in the target neuron."""

    def get_model(self, connection: Any, dt: float, batch_size: int) -> SynapseModelBuilder:
        """Engine model: inject ``inSyn`` and clear it."""
        model = SynapseModelBuilder("Delta")
        model.code["sim_code"] = "injectCurrent(inSyn);\ninSyn = 0.0;"
        return model
