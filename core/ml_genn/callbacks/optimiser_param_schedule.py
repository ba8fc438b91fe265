"""Changing an optimiser parameter (e.g. the learning rate) from epoch to epoch."""
from __future__ import annotations

from numbers import Real
from typing import Any, Callable

import numpy as np

from .callback import Callback
from ..errors import InvalidTypeError

ScheduleCallable = Callable[[int, Real], Real]


class OptimiserParamSchedule(Callback):
    """Sets an optimiser parameter at the start of every epoch to ``func(epoch, current_value)``.

    Parameters
    ----------
    param_name
        Name of the optimiser parameter, e.g. ``"alpha"`` (Adam's learning rate). Only
        parameters the optimiser can change at run time can be scheduled.
    func
        Called as ``func(epoch, current_value)``; returns the value for this epoch.

    Notes
    -----
    The compiled network must provide ``get_optimiser_param(param_name)`` and
    ``set_optimiser_param(param_name, value)`` (training compiled networks do; setting applies
    the value to every optimiser the network uses).

    Examples
    --------
    Halve the learning rate every 10 epochs::

        OptimiserParamSchedule("alpha", lambda epoch, alpha: alpha / 2 if epoch and epoch % 10 == 0
                               else alpha)
    """

    def __init__(self, param_name: str, func: ScheduleCallable):
        if not isinstance(param_name, str) or not param_name:
            raise InvalidTypeError(f"OptimiserParamSchedule param_name must be the name of an "
                                   f"optimiser parameter (e.g. 'alpha'), got {param_name!r}")
        if not callable(func):
            raise InvalidTypeError(
                f"OptimiserParamSchedule('{param_name}') func must be callable as "
                f"func(epoch, current_value), got {type(func).__name__}")
        self.param_name = param_name
        self.func = func
        self._compiled_network = None

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        """Check the compiled network has optimisers with this parameter.

        Parameters
        ----------
        compiled_network
            The network being trained.
        **kwargs
            Other run parameters, ignored.
        """
        if not (callable(getattr(compiled_network, "get_optimiser_param", None))
                and callable(getattr(compiled_network, "set_optimiser_param", None))):
            raise InvalidTypeError(
                f"OptimiserParamSchedule('{self.param_name}') needs a compiled "
                f"network that trains with optimisers (with get_optimiser_param/"
                f"set_optimiser_param), got {type(compiled_network).__name__}; use "
                f"it in train(), not evaluate()")
        # Reading the value now reports an unknown parameter before anything is simulated
        compiled_network.get_optimiser_param(self.param_name)
        self._compiled_network = compiled_network

    def on_epoch_begin(self, epoch: int) -> None:
        current = self._compiled_network.get_optimiser_param(self.param_name)
        value = self.func(epoch, current)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
            raise InvalidTypeError(f"OptimiserParamSchedule('{self.param_name}') func returned "
                                   f"{type(value).__name__} {value!r} for epoch {epoch}; it must "
                                   f"return a number")
        self._compiled_network.set_optimiser_param(self.param_name, value)
