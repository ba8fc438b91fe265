"""Neuron models describe the dynamics and spiking of a :class:`ml_genn.Population`."""
from .adaptive_leaky_integrate_fire import AdaptiveLeakyIntegrateFire
from .binary_spike_input import BinarySpikeInput
from .input import Input
from .input_base import InputBase
from .integrate_fire import IntegrateFire
from .integrate_fire_input import IntegrateFireInput
from .leaky_integrate import LeakyIntegrate
from .leaky_integrate_fire import LeakyIntegrateFire
from .leaky_integrate_fire_input import LeakyIntegrateFireInput
from .neuron import Neuron
from .poisson_input import PoissonInput
from .spike_input import SpikeInput

__all__ = ["AdaptiveLeakyIntegrateFire", "BinarySpikeInput", "Input", "InputBase",
           "IntegrateFire", "IntegrateFireInput", "LeakyIntegrate", "LeakyIntegrateFire",
           "LeakyIntegrateFireInput", "Neuron", "PoissonInput", "SpikeInput"]
