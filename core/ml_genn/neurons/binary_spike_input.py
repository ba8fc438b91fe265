"""Input neurons that emit spikes from dense input: a spike every timestep its input is non-zero."""
from __future__ import annotations

from typing import Any

from ..utils.model import NeuronModel

from .checks import check_bool
from .input_base import InputBase
from .neuron import Neuron


class BinarySpikeInput(Neuron, InputBase):
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

    spiking = True

    def __init__(self, signed_spikes: bool = False, input_frames: int = 1,
                 input_frame_timesteps: int = 1):
        Neuron.__init__(self)
        InputBase.__init__(self, egp_name="Input", input_frames=input_frames,
                           input_frame_timesteps=input_frame_timesteps)
        self.signed_spikes = check_bool(type(self).__name__, "signed_spikes", signed_spikes)
        if self.signed_spikes and self.input_frames > 1:
            raise NotImplementedError(f"{type(self).__name__} cannot emit signed spikes from "
                                      f"time-varying input; use signed_spikes=False or "
                                      f"input_frames=1 (got {self.input_frames})")

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModel:
        """Engine model: a spike every timestep the input is non-zero."""
        if self.signed_spikes:
            raise NotImplementedError(f"Population '{population.name}': BinarySpikeInput with "
                                      f"signed_spikes=True is not supported by this engine; use "
                                      f"signed_spikes=False")
        model = NeuronModel("BinarySpikeInput")
        value = self.add_input_logic(model, batch_size, population.num_neurons)
        model.code["threshold_condition_code"] = f"{value} != 0.0"
        return model
