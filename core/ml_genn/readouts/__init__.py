"""Readouts turn an output population's state over a trial into values for metrics and losses."""
from .avg_var import AvgVar
from .avg_var_exp_weight import AvgVarExpWeight
from .first_spike_time import FirstSpikeTime
from .max_var import MaxVar
from .readout import Readout
from .spike_count import SpikeCount
from .sum_var import SumVar
from .var import Var

__all__ = ["AvgVar", "AvgVarExpWeight", "FirstSpikeTime", "MaxVar", "Readout", "SpikeCount",
           "SumVar", "Var"]
