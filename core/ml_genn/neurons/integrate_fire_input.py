"""Integrate-and-fire input neurons."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import NeuronModelBuilder

from ..utils.decorators import network_default_params
from ..utils.value import InitValue
from .input_base import InputBase
from .integrate_fire import IntegrateFire


class IntegrateFireInput(IntegrateFire, InputBase):
    """An integrate-and-fire neuron driven by its input data instead of synaptic input.

    Parameters
    ----------
    v_thresh
        Membrane voltage firing threshold.
    v_reset
        Voltage ``V`` is set to after a spike.
    v
        Initial membrane voltage.
    input_frames
        How many frames each example has.
    input_frame_timesteps
        How many timesteps each frame is presented for.
    """

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, input_frames: int = 1, input_frame_timesteps: int = 1):
        super().__init__(v_thresh=v_thresh, v_reset=v_reset, v=v, egp_name="Input",
                         input_frames=input_frames, input_frame_timesteps=input_frame_timesteps)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: an integrate-and-fire neuron whose input current is its data."""
        model = NeuronModelBuilder("IntegrateFireInput", self.output_var_name)
        input_expr = self.add_input_logic(model, batch_size, population.num_neurons)
        return self._build_model("IntegrateFireInput", dt, input_expr, model)
