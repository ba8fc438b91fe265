"""Connectivity describes which neurons of two populations a :class:`ml_genn.Connection` joins."""
from ..plugins.provided import module_getattr
from .avg_pool_2d import AvgPool2D
from .avg_pool_conv_2d import AvgPoolConv2D
from .avg_pool_dense_2d import AvgPoolDense2D
from .connectivity import Connectivity
from .conv_2d import Conv2D
from .conv_2d_transpose import Conv2DTranspose
from .dense import Dense
from .fixed_probability import FixedProbability
from .one_to_one import OneToOne

# mlGeNN's default_connectivity: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("connectivity", __name__, "default_connectivity")

__all__ = ["AvgPool2D", "AvgPoolConv2D", "AvgPoolDense2D", "Connectivity", "Conv2D",
           "Conv2DTranspose", "Dense", "FixedProbability", "OneToOne", "default_connectivity"]
