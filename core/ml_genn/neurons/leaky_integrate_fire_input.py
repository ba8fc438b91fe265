"""Leaky integrate-and-fire input neurons."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import NeuronModelBuilder
from .leaky_dynamics import add_lif_dynamics

from typing import Optional

from ..utils.decorators import network_default_params
from ..utils.value import InitValue
from .input_base import InputBase
from .leaky_integrate_fire import LeakyIntegrateFire


class LeakyIntegrateFireInput(LeakyIntegrateFire, InputBase):
    """A leaky integrate-and-fire neuron driven by its input data instead of synaptic input.

    Parameters
    ----------
    v_thresh
        Membrane voltage firing threshold.
    v_reset
        After a spike, ``v_thresh - v_reset`` is subtracted from ``V`` if ``relative_reset``,
        otherwise ``V`` is set to ``v_reset``.
    v
        Initial membrane voltage.
    tau_mem
        Membrane time constant [ms].
    tau_refrac
        Refractory period [ms]; ``None`` for none.
    relative_reset
        Whether the reset subtracts (``True``) or sets (``False``) the voltage.
    integrate_during_refrac
        Whether ``V`` keeps integrating input during the refractory period.
    scale_i
        Whether input is scaled by ``1 - exp(-dt / tau_mem)``.
    input_frames
        How many frames each example has.
    input_frame_timesteps
        How many timesteps each frame is presented for.
    """

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, tau_mem: InitValue = 20.0,
                 tau_refrac: Optional[InitValue] = None, relative_reset: bool = True,
                 integrate_during_refrac: bool = True, scale_i: bool = False,
                 input_frames: int = 1, input_frame_timesteps: int = 1):
        super().__init__(v_thresh=v_thresh, v_reset=v_reset, v=v, tau_mem=tau_mem,
                         tau_refrac=tau_refrac, relative_reset=relative_reset,
                         integrate_during_refrac=integrate_during_refrac, scale_i=scale_i,
                         egp_name="Input", input_frames=input_frames,
                         input_frame_timesteps=input_frame_timesteps)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: a leaky integrate-and-fire neuron whose input current is its data."""
        model = NeuronModelBuilder("LeakyIntegrateFireInput", self.output_var_name)
        input_expr = self.add_input_logic(model, batch_size, population.num_neurons)
        add_lif_dynamics(self, model, dt, input_expr)
        return model
