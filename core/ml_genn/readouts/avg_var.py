"""The ``"avg_var"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .sum_var import SumVar


class AvgVar(SumVar):
    """Reads out each neuron's output variable averaged over the trial's timesteps."""

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``VSum`` divided by the trial's timesteps."""
        return super().get_readout(genn_pop, batch_size, shape) / self.example_timesteps
