"""The ``"var"`` readout."""
from __future__ import annotations

from .readout import Readout


class Var(Readout):
    """Reads out the instantaneous value of the neuron's output variable at the end of the trial."""

    needs_output_var = True
