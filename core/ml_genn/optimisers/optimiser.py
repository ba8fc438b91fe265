"""Base class of optimisers: engine custom updates that apply gradients to variables."""
from __future__ import annotations

from typing import Any, Dict

from ..utils.model_builder import CustomUpdateModelBuilder
from ..errors import InvalidValueError


class Optimiser:
    """Base class of every optimiser.

    Training compilers call :meth:`get_model` once per trained variable to get the custom
    update that applies a (batch-reduced) gradient to it, then :meth:`set_step` on the
    loaded custom update before each batch. Parameters listed in :attr:`dynamic_params` can be
    changed during training (``compiled_network.set_optimiser_param``, e.g. from
    ``OptimiserParamSchedule``).
    """

    #: User parameter name -> engine dynamic parameter name
    dynamic_params: Dict[str, str] = {}

    def get_model(self, gradient_ref: Any, var_ref: Any, zero_gradient: bool) -> CustomUpdateModelBuilder:
        """The custom update model applying ``Gradient`` to ``Variable``.

        Parameters
        ----------
        gradient_ref
            Engine var ref to the gradient.
        var_ref
            Engine var ref to the variable being trained.
        zero_gradient
            Whether the update also zeroes the gradient.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_model()")

    def set_step(self, genn_cu: Any, step: int) -> None:
        """Tell a loaded custom update which optimisation step (from 0) comes next.

        Called before every batch. It also writes each run-time parameter's current value,
        so a script that assigns ``optimiser.alpha`` between batches (as mlGeNN's scripts'
        learning-rate schedules do) changes the engine's from the next batch on.
        """
        for name, engine_name in self.dynamic_params.items():
            genn_cu.set_dynamic_param_value(engine_name, float(getattr(self, name)))

    def set_param(self, genn_cus: Any, name: str, value: float) -> None:
        """Set run-time parameter ``name`` on this optimiser and its loaded custom updates."""
        if name not in self.dynamic_params:
            raise InvalidValueError(
                f"{type(self).__name__} parameter '{name}' cannot be changed during "
                f"training; changeable: {sorted(self.dynamic_params)}")
        setattr(self, name, float(value))
        for cu in genn_cus:
            cu.set_dynamic_param_value(self.dynamic_params[name], float(value))

    def get_param(self, name: str) -> float:
        """Current value of parameter ``name``."""
        if name not in self.dynamic_params:
            raise InvalidValueError(f"{type(self).__name__} has no run-time parameter '{name}'; "
                                    f"changeable: {sorted(self.dynamic_params)}")
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
