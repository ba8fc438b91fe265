"""The ``"avg_var_exp_weight"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess
from .readout import Readout


class AvgVarExpWeight(Readout):
    """Reads out each neuron's output variable averaged over the trial with exponentially decaying
    weights: the value at time t is weighted by exp(-t / T) where T is the trial
    duration, so that early evidence counts more (Nowotny et al. 2024)."""

    needs_output_var = True

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Accumulate ``exp(-t / T) * V`` into ``VSum`` (``t`` is the time at the step's start)."""
        super().add_readout_logic(model, example_timesteps, dt)
        model.add_var("VSum", 0.0, "scalar", VarAccess.READ_WRITE)
        model.add_param("TrialDuration", example_timesteps * dt)
        model.append_code("sim_code",
                          f"VSum += exp(-t / TrialDuration) * {self.output_var_name};")

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``VSum`` divided by the trial's timesteps."""
        return self._read(genn_pop, "VSum", batch_size, shape) / self.example_timesteps
