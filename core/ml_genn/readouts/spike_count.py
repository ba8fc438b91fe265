"""The ``"spike_count"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess
from .readout import Readout


class SpikeCount(Readout):
    """Reads out the number of spikes each neuron emitted during the trial."""

    needs_spikes = True

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Count spikes in ``SpikeCount`` from the reset code."""
        super().add_readout_logic(model, example_timesteps, dt)
        model.add_var("SpikeCount", 0, "unsigned int", VarAccess.READ_WRITE)
        model.append_code("reset_code", "SpikeCount++;")

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``SpikeCount``."""
        return self._read(genn_pop, "SpikeCount", batch_size, shape)
