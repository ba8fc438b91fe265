"""Callbacks run custom logic during training and evaluation: progress bars, checkpoints,
parameter schedules, custom updates and (from the ml-genn-recorders plugin) recorders.

Callbacks that plugins register (e.g. ``SpikeRecorder``) are importable from here by class name.
"""
from ..plugins.provided import module_getattr
from .callback import Callback
from .callback_list import HOOK_NAMES, CallbackList
from .checkpoint import Checkpoint
from .custom_update import (CustomUpdate, CustomUpdateOnBatchBegin, CustomUpdateOnBatchEnd,
                            CustomUpdateOnEpochBegin, CustomUpdateOnEpochEnd,
                            CustomUpdateOnTimestepBegin, CustomUpdateOnTimestepEnd)
from .optimiser_param_schedule import OptimiserParamSchedule
from .progress_bar import BatchProgressBar

# Plugin-provided callbacks (SpikeRecorder, VarRecorder, ...) resolve through the registry
__getattr__ = module_getattr("callback", __name__, "default_callbacks")

__all__ = ["Callback", "CallbackList", "HOOK_NAMES", "BatchProgressBar", "Checkpoint",
           "CustomUpdate", "CustomUpdateOnBatchBegin", "CustomUpdateOnBatchEnd",
           "CustomUpdateOnEpochBegin", "CustomUpdateOnEpochEnd", "CustomUpdateOnTimestepBegin",
           "CustomUpdateOnTimestepEnd", "OptimiserParamSchedule", "default_callbacks"]
