"""The ``"sum_var"`` readout."""
from __future__ import annotations

from .readout import Readout


class SumVar(Readout):
    """Reads out each neuron's output variable summed over the trial's timesteps."""

    needs_output_var = True
