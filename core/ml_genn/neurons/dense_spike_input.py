"""Base of input neurons that turn dense input values into spikes."""
from __future__ import annotations

from typing import Any

from .checks import check_bool
from .input_base import InputBase
from .neuron import Neuron


class DenseSpikeInput(Neuron, InputBase):
    """Spiking input neurons driven by one dense value per neuron and frame.

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
        super().__init__(egp_name="Input", input_frames=input_frames,
                         input_frame_timesteps=input_frame_timesteps)
        self.signed_spikes = check_bool(type(self).__name__, "signed_spikes", signed_spikes)
        if self.signed_spikes and self.input_frames > 1:
            raise NotImplementedError(f"{type(self).__name__} cannot emit signed spikes from "
                                      f"time-varying input; use signed_spikes=False or "
                                      f"input_frames=1 (got {self.input_frames})")

    def check_unsigned(self, population: Any) -> None:
        """Refuse ``signed_spikes=True`` at compile time (the engine has no negative spikes)."""
        if self.signed_spikes:
            raise NotImplementedError(f"Population '{population.name}': {type(self).__name__} "
                                      f"with signed_spikes=True is not supported by this engine; "
                                      f"use signed_spikes=False")
