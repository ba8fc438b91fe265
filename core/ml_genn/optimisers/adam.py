"""The Adam optimiser (Kingma & Ba 2015)."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccessMode
from ..utils.model_builder import CustomUpdateModelBuilder
from .optimiser import Optimiser
from ..errors import InvalidValueError


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidValueError(f"Adam {name} must be a positive number, got {value!r}")
    return float(value)


class Adam(Optimiser):
    """Adam: per-element first and second moment estimates with bias correction.

    ``M = beta1 M + (1 - beta1) g``; ``V = beta2 V + (1 - beta2) g^2``;
    ``x -= alpha * (M / (1 - beta1^(step+1))) / (sqrt(V / (1 - beta2^(step+1))) + epsilon)``.

    Parameters
    ----------
    alpha
        Learning rate (changeable during training).
    beta1, beta2
        Decay rates of the moment estimates.
    epsilon
        Added to the denominator for stability.
    """

    dynamic_params = {"alpha": "Alpha"}

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        self.alpha = _positive("alpha", alpha)
        self.beta1 = _positive("beta1", beta1)
        self.beta2 = _positive("beta2", beta2)
        self.epsilon = _positive("epsilon", epsilon)
        for name, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if beta >= 1.0:
                raise InvalidValueError(f"Adam {name} must be below 1, got {beta!r}")

    def get_model(self, gradient_ref: Any, var_ref: Any, zero_gradient: bool) -> CustomUpdateModelBuilder:
        """Custom update with moments ``M``, ``V`` and dynamic ``Alpha``,
        ``FirstMomentScale``, ``SecondMomentScale`` (bias corrections set per step)."""
        model = CustomUpdateModelBuilder("Adam")
        model.add_var_ref("Gradient", gradient_ref, "scalar",
                          VarAccessMode.READ_WRITE if zero_gradient else VarAccessMode.READ_ONLY)
        model.add_var_ref("Variable", var_ref, "scalar", VarAccessMode.READ_WRITE)
        model.add_var("M", 0.0)
        model.add_var("V", 0.0)
        model.add_param("Beta1", self.beta1)
        model.add_param("Beta2", self.beta2)
        model.add_param("Epsilon", self.epsilon)
        model.add_param("Alpha", self.alpha, dynamic=True)
        model.add_param("FirstMomentScale", 1.0, dynamic=True)
        model.add_param("SecondMomentScale", 1.0, dynamic=True)
        code = ("const scalar grad = Gradient;\n"
                "M = (Beta1 * M) + ((1.0 - Beta1) * grad);\n"
                "V = (Beta2 * V) + ((1.0 - Beta2) * grad * grad);\n"
                "Variable -= (Alpha * M * FirstMomentScale) / (sqrt(V * SecondMomentScale) + Epsilon);")
        if zero_gradient:
            code += "\nGradient = 0.0;"
        model.code["update_code"] = code
        return model

    def set_step(self, genn_cu: Any, step: int) -> None:
        """Bias corrections for step ``step`` (0 first), and the current ``alpha``."""
        super().set_step(genn_cu, step)
        genn_cu.set_dynamic_param_value("FirstMomentScale", 1.0 / (1.0 - self.beta1 ** (step + 1)))
        genn_cu.set_dynamic_param_value("SecondMomentScale", 1.0 / (1.0 - self.beta2 ** (step + 1)))
