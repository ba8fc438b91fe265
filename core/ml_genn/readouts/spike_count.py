"""The ``"spike_count"`` readout."""
from __future__ import annotations

from .readout import Readout


class SpikeCount(Readout):
    """Reads out the number of spikes each neuron emitted during the trial."""

    needs_spikes = True
