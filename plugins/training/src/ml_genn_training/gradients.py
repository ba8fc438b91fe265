"""Callbacks on the batch's gradients, between their reduction and the optimiser step:
:class:`GradientClipping` and :class:`GradientStats`."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError


def _name(owner: Any) -> str:
    return getattr(owner, "name", str(owner))


class GradientClipping(Callback):
    """Bound the gradients the optimiser applies (PyTorch's ``clip_grad_norm_`` /
    ``clip_grad_value_``, AIToolbox's gradient callbacks).

    Parameters
    ----------
    max_norm
        Scale every gradient by ``max_norm / total_norm`` when the norm of all of them
        together (``norm_type``-norm) exceeds it; None to clip by value only.
    clip_value
        Clip every gradient element to ``[-clip_value, clip_value]``.
    norm_type
        The p of the p-norm (2 by default; ``float("inf")`` for the largest magnitude).
    """

    def __init__(self, max_norm: Optional[float], clip_value: Optional[float] = None,
                 norm_type: float = 2.0):
        if max_norm is None and clip_value is None:
            raise InvalidValueError("GradientClipping needs max_norm or clip_value")
        for name, value in (("max_norm", max_norm), ("clip_value", clip_value)):
            if value is not None and not value > 0:
                raise InvalidValueError(f"GradientClipping {name} must be positive, got "
                                        f"{value!r}")
        self.max_norm, self.clip_value, self.norm_type = max_norm, clip_value, float(norm_type)

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        """Keep the network whose gradients are clipped."""
        self._network = compiled_network

    def on_after_gradient_update(self, batch: int) -> None:
        gradients = list(self._network.get_gradients().values())
        if self.clip_value is not None:
            for g in gradients:
                np.clip(g, -self.clip_value, self.clip_value, out=g)
        if self.max_norm is not None:
            if self.norm_type == float("inf"):
                total = max(float(np.abs(g).max()) for g in gradients)
            else:
                total = sum(float(np.sum(np.abs(g.astype(np.float64)) ** self.norm_type))
                            for g in gradients) ** (1.0 / self.norm_type)
            if total > self.max_norm:
                scale = self.max_norm / (total + 1e-6)
                for g in gradients:
                    g *= scale


class GradientStats(Callback):
    """Record, per batch, each trained connection's (and bias's) gradient L2 norm, mean and
    largest magnitude into ``cb_data[key]`` (AIToolbox's gradient reporting).

    Parameters
    ----------
    key
        Key of the statistics in ``cb_data``: ``{name: {"norm": [...], "mean": [...],
        "max_abs": [...]}}`` with one entry per batch.
    """

    def __init__(self, key: Any = "gradient_stats"):
        self.key = key
        self._data: Dict[str, Dict[str, List[float]]] = {}

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        """Keep the network whose gradients are measured."""
        self._network = compiled_network
        self._data = {}

    def on_after_gradient_update(self, batch: int) -> None:
        for owner, g in self._network.get_gradients().items():
            stats = self._data.setdefault(_name(owner), {"norm": [], "mean": [], "max_abs": []})
            g = np.asarray(g, dtype=np.float64)
            stats["norm"].append(float(np.sqrt(np.sum(g * g))))
            stats["mean"].append(float(g.mean()))
            stats["max_abs"].append(float(np.abs(g).max()))

    def get_data(self):
        """``(key, statistics)`` for ``cb_data``."""
        return self.key, self._data
