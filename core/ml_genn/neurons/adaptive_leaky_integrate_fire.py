"""Leaky integrate-and-fire neurons with an adaptive threshold."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccess
from ..utils.model_builder import NeuronModelBuilder, engine_value
from ..utils.value import get_values
from .leaky_dynamics import add_lif_dynamics

from typing import Optional, Union

from ..readouts import Readout
from ..utils.decorators import network_default_params
from ..utils.value import InitValue, ValueDescriptor, non_negative, positive
from .checks import check_bool
from .decay import exp_decay
from .neuron import Neuron


class AdaptiveLeakyIntegrateFire(Neuron):
    """A leaky integrate-and-fire neuron whose threshold rises with each spike (Bellec 2018).

    The neuron spikes when ``V >= v_thresh + beta * A``; each spike adds 1 to ``A``, which
    decays with ``Rho = exp(-dt / tau_adapt)``.

    Parameters
    ----------
    v_thresh
        Baseline membrane voltage firing threshold.
    v_reset
        After a spike, ``v_thresh - v_reset`` is subtracted from ``V`` if ``relative_reset``,
        otherwise ``V`` is set to ``v_reset``.
    v
        Initial membrane voltage.
    a
        Initial adaptation.
    beta
        Strength of adaptation.
    tau_mem
        Membrane time constant [ms].
    tau_refrac
        Refractory period [ms]; ``None`` for none.
    tau_adapt
        Adaptation time constant [ms].
    relative_reset
        Whether the reset subtracts (``True``) or sets (``False``) the voltage.
    integrate_during_refrac
        Whether ``V`` keeps integrating input during the refractory period.
    readout
        Readout of the output for output populations.
    """

    output_var_name = "V"
    spiking = True

    v_thresh = ValueDescriptor("Vthresh", allow_none=False)
    v_reset = ValueDescriptor("Vreset", allow_none=False)
    v = ValueDescriptor("V", allow_none=False)
    a = ValueDescriptor("A", allow_none=False)
    beta = ValueDescriptor("Beta", allow_none=False)
    tau_mem = ValueDescriptor(("Alpha", exp_decay), check=positive, allow_none=False)
    tau_refrac = ValueDescriptor("TauRefrac", allow_none=True, check=non_negative)
    tau_adapt = ValueDescriptor(("Rho", exp_decay), check=positive, allow_none=False)

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, a: InitValue = 0.0, beta: InitValue = 0.0174,
                 tau_mem: InitValue = 20.0, tau_refrac: Optional[InitValue] = None,
                 tau_adapt: InitValue = 2000.0, relative_reset: bool = True,
                 integrate_during_refrac: bool = True,
                 readout: Union[Readout, str, None] = None):
        super().__init__(readout)
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.v = v
        self.a = a
        self.beta = beta
        self.tau_mem = tau_mem
        self.tau_refrac = tau_refrac
        self.tau_adapt = tau_adapt
        owner = type(self).__name__
        self.relative_reset = check_bool(owner, "relative_reset", relative_reset)
        self.integrate_during_refrac = check_bool(owner, "integrate_during_refrac",
                                                  integrate_during_refrac)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: LIF plus adaptation ``A`` (decaying by ``Rho`` each step, raised by 1
        per spike) that lifts the threshold by ``Beta * A``."""
        model = NeuronModelBuilder("AdaptiveLeakyIntegrateFire", self.output_var_name)
        values = get_values(self, dt)
        model.add_var("A", engine_value(self.a), "scalar", VarAccess.READ_WRITE)
        model.add_value("Beta", values["Beta"])
        model.add_value("Rho", values["Rho"])
        model.append_code("sim_code", "A *= Rho;")
        add_lif_dynamics(self, model, dt, "Isyn", extra_threshold=" + (Beta * A)")
        # The relative reset subtracts the threshold in force when the spike happened
        if self.relative_reset:
            model.code["reset_code"] = model.code["reset_code"].replace(
                "V -= (Vthresh - Vreset);", "V -= ((Vthresh + (Beta * A)) - Vreset);")
        model.append_code("reset_code", "A += 1.0;")
        return model
