"""Integrate-and-fire neurons."""
from __future__ import annotations

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

    v_thresh = ValueDescriptor("Vthresh")
    v_reset = ValueDescriptor("Vreset")
    v = ValueDescriptor("V")

    @network_default_params
    def __init__(self, v_thresh: InitValue = 1.0, v_reset: InitValue = 0.0,
                 v: InitValue = 0.0, readout: Union[Readout, str, None] = None):
        super().__init__(readout)
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.v = v
