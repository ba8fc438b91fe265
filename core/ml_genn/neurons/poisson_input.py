"""Input neurons that emit spikes from dense input: a Poisson process whose rate is the input's magnitude (in spikes per ms)."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import NeuronModelBuilder

from .dense_spike_input import DenseSpikeInput


class PoissonInput(DenseSpikeInput):
    """An input neuron emitting spikes by a Poisson process whose rate is the input's magnitude (in spikes per ms).

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
        """Engine model: spike with probability ``1 - exp(-|rate| * dt)`` each timestep
        (the chance of at least one event of a Poisson process of that rate)."""
        self.check_unsigned(population)
        model = NeuronModelBuilder("PoissonInput")
        rate = self.add_input_logic(model, batch_size, population.num_neurons)
        model.code["threshold_condition_code"] = f"gennrand_uniform() >= exp(-fabs({rate}) * dt)"
        return model
