"""The ``"avg_var"`` readout."""
from __future__ import annotations

from .readout import Readout


class AvgVar(Readout):
    """Reads out each neuron's output variable averaged over the trial's timesteps."""

    needs_output_var = True
