"""The ``"first_spike_time"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess
from .readout import Readout

#: What a neuron that never spiked reads (negated: the most negative float32)
NO_SPIKE_TIME = float(np.finfo(np.float32).max)


class FirstSpikeTime(Readout):
    """Reads out the time of each neuron's first spike in the trial, *negated* so that the
    earliest-spiking neuron has the largest value (standard metrics and losses then apply);
    neurons that did not spike read the most negative float32."""

    needs_spikes = True

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Keep the earliest spike time in ``TFirstSpike`` (the largest float until a spike)."""
        super().add_readout_logic(model, example_timesteps, dt)
        model.add_var("TFirstSpike", NO_SPIKE_TIME, "scalar", VarAccess.READ_WRITE)
        model.append_code("reset_code", "if (t < TFirstSpike) { TFirstSpike = t; }")

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """``-TFirstSpike``."""
        return -self._read(genn_pop, "TFirstSpike", batch_size, shape)
