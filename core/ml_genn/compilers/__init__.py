"""Compilers turn a :class:`ml_genn.Network` into a runnable compiled network.

Compilers shipped by plugin distributions (``EventPropCompiler`` from ``ml-genn-eventprop``,
``EPropCompiler`` from ``ml-genn-eprop``) are reachable here by class name.
"""
from ..plugins.provided import module_getattr
from .compiled_few_spike_network import CompiledFewSpikeNetwork
from .compiled_inference_network import CompiledInferenceNetwork
from .compiled_network import CompiledNetwork
from .compiled_training_network import CompiledTrainingNetwork
from .compiler import Compiler
from .few_spike_compiler import FewSpikeCompiler
from .inference_compiler import InferenceCompiler

__getattr__ = module_getattr("compiler", __name__)

__all__ = ["Compiler", "CompiledFewSpikeNetwork", "CompiledNetwork", "CompiledInferenceNetwork",
           "CompiledTrainingNetwork", "FewSpikeCompiler", "InferenceCompiler"]
