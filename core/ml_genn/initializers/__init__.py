"""Initializers draw the initial values of parameters, state and weights in the engine."""
from .initializer import Initializer
from .normal import Normal
from .uniform import Uniform
from .var_init import VarInit
from .wrapper import Wrapper

__all__ = ["Initializer", "Normal", "Uniform", "VarInit", "Wrapper"]
