"""Input neurons that emit spikes from dense input: a spike every timestep its input is non-zero."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import NeuronModelBuilder

from .dense_spike_input import DenseSpikeInput


class BinarySpikeInput(DenseSpikeInput):
    """An input neuron emitting spikes by a spike every timestep its input is non-zero.

    Parameters
    ----------
    signed_spikes
        Whether negative input emits 'negative' spikes (not with time-varying input).
    input_frames
        How many frames each example has.
    input_frame_timesteps
        How many timesteps each frame is presented for.
    """

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: a spike every timestep the input is non-zero."""
        self.check_unsigned(population)
        model = NeuronModelBuilder("BinarySpikeInput")
        value = self.add_input_logic(model, batch_size, population.num_neurons)
        model.code["threshold_condition_code"] = f"{value} != 0.0"
        return model
