"""Neuron models describe the dynamics and spiking of a :class:`ml_genn.Population`."""
from ..plugins.provided import module_getattr
from .adaptive_leaky_integrate_fire import AdaptiveLeakyIntegrateFire
from .binary_spike_input import BinarySpikeInput
from .few_spike_relu import FewSpikeRelu
from .few_spike_relu_input import FewSpikeReluInput
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

# mlGeNN's default_neurons: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("neuron", __name__, "default_neurons")

__all__ = ["AdaptiveLeakyIntegrateFire", "BinarySpikeInput", "FewSpikeRelu", "FewSpikeReluInput",
           "Input", "InputBase", "IntegrateFire",
           "IntegrateFireInput", "LeakyIntegrate", "LeakyIntegrateFire", "LeakyIntegrateFireInput",
           "Neuron", "PoissonInput", "SpikeInput", "default_neurons"]
