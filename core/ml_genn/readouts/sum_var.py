"""The ``"sum_var"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess
from .readout import Readout


class SumVar(Readout):
    """Reads out each neuron's output variable summed over the trial's timesteps."""

    needs_output_var = True

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Accumulate the output variable into ``VSum`` after each timestep's update."""
        super().add_readout_logic(model, example_timesteps, dt)
        model.add_var("VSum", 0.0, "scalar", VarAccess.READ_WRITE)
        model.append_code("sim_code", f"VSum += {self.output_var_name};")

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``VSum``."""
        return self._read(genn_pop, "VSum", batch_size, shape)
