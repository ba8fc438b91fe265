"""The ``"max_var"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess
from .readout import Readout


class MaxVar(Readout):
    """Reads out each neuron's maximum value of its output variable during the trial."""

    needs_output_var = True

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Track the largest output value in ``VMax`` (starting at the lowest float)."""
        super().add_readout_logic(model, example_timesteps, dt)
        model.add_var("VMax", float(np.finfo(np.float32).min), "scalar", VarAccess.READ_WRITE)
        model.append_code("sim_code",
                          f"if ({self.output_var_name} > VMax) {{ VMax = {self.output_var_name}; }}")

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``VMax``."""
        return self._read(genn_pop, "VMax", batch_size, shape)
