"""The ``"first_spike_time"`` readout."""
from __future__ import annotations

from .readout import Readout


class FirstSpikeTime(Readout):
    """Reads out the time of each neuron's first spike in the trial, *negated* so that the
    earliest-spiking neuron has the largest value (standard metrics and losses then apply);
    neurons that did not spike read the most negative float32."""

    needs_spikes = True
