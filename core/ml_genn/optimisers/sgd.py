"""Plain stochastic gradient descent."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccessMode
from ..utils.model_builder import CustomUpdateModelBuilder
from .optimiser import Optimiser
from ..errors import InvalidValueError


class SGD(Optimiser):
    """``x -= alpha * gradient``.

    Parameters
    ----------
    alpha
        Learning rate (changeable during training).
    """

    dynamic_params = {"alpha": "Alpha"}

    def __init__(self, alpha: float = 0.01):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
            raise InvalidValueError(f"SGD alpha must be a positive number, got {alpha!r}")
        self.alpha = float(alpha)

    def get_model(self, gradient_ref: Any, var_ref: Any, zero_gradient: bool) -> CustomUpdateModelBuilder:
        """Custom update with dynamic ``Alpha``."""
        model = CustomUpdateModelBuilder("SGD")
        model.add_var_ref("Gradient", gradient_ref, "scalar",
                          VarAccessMode.READ_WRITE if zero_gradient else VarAccessMode.READ_ONLY)
        model.add_var_ref("Variable", var_ref, "scalar", VarAccessMode.READ_WRITE)
        model.add_param("Alpha", self.alpha, dynamic=True)
        model.code["update_code"] = "Variable -= Alpha * Gradient;" + \
            ("\nGradient = 0.0;" if zero_gradient else "")
        return model
