"""Leaky integrate-and-fire neurons."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import NeuronModelBuilder
from .leaky_dynamics import add_lif_dynamics

from typing import Optional, Union

from ..readouts import Readout
from ..utils.decorators import network_default_params
from ..utils.value import InitValue, ValueDescriptor, non_negative, positive
from .checks import check_bool
from .decay import exp_decay
from .neuron import Neuron


class LeakyIntegrateFire(Neuron):
    """A leaky integrate-and-fire neuron.

    Each timestep ``V = Alpha * V + I`` (``I`` scaled by ``1 - Alpha`` when ``scale_i``), with
    ``Alpha = exp(-dt / tau_mem)``; the neuron spikes when ``V >= v_thresh``.

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
        Whether input current is scaled by ``1 - exp(-dt / tau_mem)``.
    readout
        Readout of the output (``V`` or spikes) for output populations.
    """

    output_var_name = "V"
    spiking = True

    v_thresh = ValueDescriptor("Vthresh", allow_none=False)
    v_reset = ValueDescriptor("Vreset", allow_none=False)
    v = ValueDescriptor("V", allow_none=False)
    tau_mem = ValueDescriptor(("Alpha", exp_decay), check=positive, allow_none=False)
    tau_refrac = ValueDescriptor("TauRefrac", allow_none=True, check=non_negative)

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, tau_mem: InitValue = 20.0,
                 tau_refrac: Optional[InitValue] = None, relative_reset: bool = True,
                 integrate_during_refrac: bool = True, scale_i: bool = False,
                 readout: Union[Readout, str, None] = None, **kwargs: Any):
        super().__init__(readout, **kwargs)
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.v = v
        self.tau_mem = tau_mem
        self.tau_refrac = tau_refrac
        owner = type(self).__name__
        self.relative_reset = check_bool(owner, "relative_reset", relative_reset)
        self.integrate_during_refrac = check_bool(owner, "integrate_during_refrac",
                                                  integrate_during_refrac)
        self.scale_i = check_bool(owner, "scale_i", scale_i)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: ``V``, ``RefracTime`` (with ``tau_refrac``), parameters ``Vthresh``,
        ``Vreset``, ``Alpha``, ``TauRefrac``.

        Parameters
        ----------
        population
            The population this neuron model belongs to.
        dt
            Simulation timestep [ms].
        batch_size
            Batch size of the compiled model.
        """
        model = NeuronModelBuilder("LeakyIntegrateFire", self.output_var_name)
        add_lif_dynamics(self, model, dt, "Isyn")
        return model
