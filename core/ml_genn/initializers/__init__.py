"""Initializers draw the initial values of parameters, state and weights in the engine."""
from ..plugins.provided import module_getattr
from .initializer import Initializer
from .normal import Normal
from .uniform import Uniform
from .var_init import VarInit
from .wrapper import Wrapper

# mlGeNN's default_initializers: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("initializer", __name__, "default_initializers")

__all__ = ["Initializer", "Normal", "Uniform", "VarInit", "Wrapper", "default_initializers"]
