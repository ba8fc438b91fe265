"""Exponentially-decaying current synapses."""
from __future__ import annotations

from typing import Any

from ..utils.model_builder import SynapseModelBuilder
from ..utils.value import get_values

import numpy as np

from ..neurons.checks import check_bool
from ..neurons.decay import exp_decay
from ..utils.decorators import network_default_params
from ..utils.value import InitValue, ValueDescriptor, positive
from .synapse import Synapse


def current_scale(tau: Any, dt: float) -> Any:
    """Input scale ``(tau / dt) * (1 - exp(-dt / tau))`` applied when ``scale_i`` is set."""
    return (tau / dt) * (1.0 - np.exp(-dt / tau))


class Exponential(Synapse):
    """Synapse whose input current decays exponentially: each timestep the accumulated input
    is injected and then multiplied by ``ExpDecay = exp(-dt / tau)``.

    Parameters
    ----------
    tau
        Time constant of the input current [ms] (a number or an array per target neuron).
    scale_i
        Whether injected current is scaled by ``(tau / dt) * (1 - exp(-dt / tau))``.
    """

    tau = ValueDescriptor(("ExpDecay", exp_decay), ("IScale", current_scale), check=positive, allow_none=False)

    @network_default_params
    def __init__(self, tau: InitValue = 5.0, scale_i: bool = False):
        self.tau = tau
        self.scale_i = check_bool(type(self).__name__, "scale_i", scale_i)

    def get_model(self, connection: Any, dt: float, batch_size: int) -> SynapseModelBuilder:
        """Engine model: inject ``inSyn`` (times ``IScale`` with ``scale_i``), then decay it
        by ``ExpDecay``."""
        model = SynapseModelBuilder("Exponential")
        values = get_values(self, dt)
        model.add_value("ExpDecay", values["ExpDecay"])
        if self.scale_i:
            model.add_value("IScale", values["IScale"])
            model.code["sim_code"] = "injectCurrent(inSyn * IScale);\ninSyn *= ExpDecay;"
        else:
            model.code["sim_code"] = "injectCurrent(inSyn);\ninSyn *= ExpDecay;"
        return model
