"""Readouts turn an output population's state over a trial into values for metrics and losses."""
from ..plugins.provided import module_getattr
from .avg_var import AvgVar
from .avg_var_exp_weight import AvgVarExpWeight
from .first_spike_time import FirstSpikeTime
from .max_var import MaxVar
from .readout import Readout
from .spike_count import SpikeCount
from .sum_var import SumVar
from .var import Var

# mlGeNN's default_readouts: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("readout", __name__, "default_readouts")

__all__ = ["AvgVar", "AvgVarExpWeight", "FirstSpikeTime", "MaxVar", "Readout", "SpikeCount",
           "SumVar", "Var", "default_readouts"]
