"""The ``"max_var"`` readout."""
from __future__ import annotations

from .readout import Readout


class MaxVar(Readout):
    """Reads out each neuron's maximum value of its output variable during the trial."""

    needs_output_var = True
