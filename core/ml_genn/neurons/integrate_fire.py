"""Integrate-and-fire neurons."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccess
from ..utils.model_builder import NeuronModelBuilder, engine_value
from ..utils.value import get_values

from typing import Union

from ..readouts import Readout
from ..utils.decorators import network_default_params
from ..utils.value import InitValue, ValueDescriptor
from .neuron import Neuron


class IntegrateFire(Neuron):
    """An integrate-and-fire neuron: ``V += I`` each timestep; spikes when ``V >= v_thresh``.

    Parameters
    ----------
    v_thresh
        Membrane voltage firing threshold.
    v_reset
        Voltage ``V`` is set to after a spike.
    v
        Initial membrane voltage.
    readout
        Readout of the output for output populations.
    """

    output_var_name = "V"
    spiking = True

    v_thresh = ValueDescriptor("Vthresh", allow_none=False)
    v_reset = ValueDescriptor("Vreset", allow_none=False)
    v = ValueDescriptor("V", allow_none=False)

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, readout: Union[Readout, str, None] = None,
                 **kwargs: Any):
        super().__init__(readout, **kwargs)
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.v = v

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: ``V += Isyn``; spike when ``V >= Vthresh``; then ``V = Vreset``."""
        return self._build_model("IntegrateFire", dt, "Isyn")

    def _build_model(self, class_name: str, dt: float, input_expr: str,
                     model: NeuronModelBuilder = None) -> NeuronModelBuilder:
        model = model or NeuronModelBuilder(class_name, self.output_var_name)
        values = get_values(self, dt)
        model.add_var("V", engine_value(self.v), "scalar", VarAccess.READ_WRITE)
        model.add_value("Vthresh", values["Vthresh"])
        model.add_value("Vreset", values["Vreset"])
        model.append_code("sim_code", f"V += {input_expr};")
        model.code["threshold_condition_code"] = "V >= Vthresh"
        model.append_code("reset_code", "V = Vreset;")
        return model
