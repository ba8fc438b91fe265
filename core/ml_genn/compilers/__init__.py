"""Compilers turn a :class:`ml_genn.Network` into a runnable compiled network.

Compilers shipped by plugin distributions (``EventPropCompiler`` from ``ml-genn-eventprop``,
``EPropCompiler`` from ``ml-genn-eprop``) are reachable here by class name.
"""
from ..plugins.provided import module_getattr
from .compiler import Compiler

__getattr__ = module_getattr("compiler", __name__)

__all__ = ["Compiler"]
