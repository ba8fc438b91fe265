"""Leaky integrators, typically used as non-spiking output neurons."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccess
from ..utils.model_builder import NeuronModelBuilder, engine_value
from ..utils.value import get_values

from typing import Union

from ..readouts import Readout
from ..utils.decorators import network_default_params
from ..utils.value import InitValue, ValueDescriptor, positive
from .checks import check_bool
from .decay import exp_decay
from .neuron import Neuron


class LeakyIntegrate(Neuron):
    """A leaky integrator: ``V = Alpha * V + I + bias`` each timestep, never spiking.

    Parameters
    ----------
    v
        Initial membrane voltage.
    bias
        Bias current added every timestep.
    tau_mem
        Membrane time constant [ms]; ``Alpha = exp(-dt / tau_mem)``.
    scale_i
        Whether input current is scaled by ``1 - exp(-dt / tau_mem)``.
    readout
        Readout of ``V`` for output populations (e.g. ``"avg_var"``).
    """

    output_var_name = "V"
    spiking = False

    v = ValueDescriptor("V", allow_none=False)
    bias = ValueDescriptor("Bias", allow_none=False)
    tau_mem = ValueDescriptor(("Alpha", exp_decay), check=positive, allow_none=False)

    @network_default_params
    def __init__(self, v: InitValue = 0.0, bias: InitValue = 0.0, tau_mem: InitValue = 20.0,
                 scale_i: bool = False, readout: Union[Readout, str, None] = None):
        super().__init__(readout)
        self.v = v
        self.bias = bias
        self.tau_mem = tau_mem
        self.scale_i = check_bool(type(self).__name__, "scale_i", scale_i)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: ``V = Alpha * V + I`` with ``I = Isyn + Bias`` (scaled by
        ``1 - Alpha`` with ``scale_i``); never spikes."""
        model = NeuronModelBuilder("LeakyIntegrate", self.output_var_name)
        values = get_values(self, dt)
        model.add_var("V", engine_value(self.v), "scalar", VarAccess.READ_WRITE)
        model.add_value("Bias", values["Bias"])
        model.add_value("Alpha", values["Alpha"])
        current = "((1.0 - Alpha) * (Isyn + Bias))" if self.scale_i else "(Isyn + Bias)"
        model.append_code("sim_code", f"V = (Alpha * V) + {current};")
        return model
