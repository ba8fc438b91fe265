"""The ``"avg_var_exp_weight"`` readout."""
from __future__ import annotations

from .readout import Readout


class AvgVarExpWeight(Readout):
    """Reads out each neuron's output variable averaged over the trial with exponentially decaying
    weights: the value at time t is weighted by exp(-t / T) where T is the trial
    duration, so that early evidence counts more (Nowotny et al. 2024)."""

    needs_output_var = True
