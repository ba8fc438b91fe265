"""Learning-rate schedules: the optimisers' ``alpha`` as a function of the epoch or the batch.

Each schedule is a callback that sets ``alpha = base_alpha * factor(t)`` before every epoch
(``per_batch=False``, ``t`` the epoch number, so a run resumed at ``start_epoch`` continues the
curve) or before every batch (``per_batch=True``, ``t`` the batches since epoch 0, counting the
epochs before ``start_epoch`` as full). ``base_alpha`` is the optimiser's ``alpha`` when
training starts unless given. :class:`ComposedSchedule` multiplies the factors of several, e.g.
a linear warm-up followed by cosine annealing. :class:`ReduceLROnPlateau` reacts to a monitored
metric instead.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Optional, Sequence

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError

from .loop_callback import LoopCallback

from .monitor import default_mode, parse_monitor, read_monitor

logger = logging.getLogger(__name__)


def _positive(owner: str, name: str, value: Any, integer: bool = False) -> Any:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0 and \
        (not integer or int(value) == value)
    if not ok:
        kind = "a positive integer" if integer else "a positive number"
        raise InvalidValueError(f"{owner} {name} must be {kind}, got {value!r}")
    return int(value) if integer else float(value)


class LearningRateSchedule(Callback):
    """Base of the schedules: sets the optimisers' ``alpha`` from :meth:`factor`.

    Parameters
    ----------
    per_batch
        Update before every batch (``t`` counts batches) instead of every epoch.
    base_alpha
        The learning rate the factors multiply (default: the optimiser's when training starts).
    """

    def __init__(self, per_batch: bool = False, base_alpha: Optional[float] = None):
        self.per_batch = bool(per_batch)
        self.base_alpha = None if base_alpha is None else _positive(
            type(self).__name__, "base_alpha", base_alpha)

    def factor(self, t: int) -> float:
        """The multiplier of ``base_alpha`` at step ``t`` (epoch or batch)."""
        raise NotImplementedError

    def set_params(self, compiled_network: Any = None, num_batches: Optional[int] = None,
                   **kwargs: Any) -> None:
        """Keep the network whose optimisers are scheduled."""
        self._network, self._num_batches = compiled_network, num_batches

    def on_train_begin(self) -> None:
        self._base = self.base_alpha if self.base_alpha is not None \
            else self._network.get_optimiser_param("alpha")
        self._epoch = 0

    def _apply(self, t: int) -> None:
        self._network.set_optimiser_param("alpha", self._base * self.factor(t))

    def on_epoch_begin(self, epoch: int) -> None:
        self._epoch = epoch
        if not self.per_batch:
            self._apply(epoch)

    def on_batch_begin(self, batch: int) -> None:
        if self.per_batch:
            self._apply(self._epoch * self._num_batches + batch)


class StepLR(LearningRateSchedule):
    """``gamma ** (t // step_size)``."""

    def __init__(self, step_size: int, gamma: float = 0.1, **kwargs: Any):
        super().__init__(**kwargs)
        self.step_size = _positive("StepLR", "step_size", step_size, integer=True)
        self.gamma = _positive("StepLR", "gamma", gamma)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LearningRateSchedule):
    """``gamma ** (number of milestones <= t)``."""

    def __init__(self, milestones: Sequence[int], gamma: float = 0.1, **kwargs: Any):
        super().__init__(**kwargs)
        self.milestones = sorted(_positive("MultiStepLR", "milestone", m, integer=True)
                                 for m in milestones)
        self.gamma = _positive("MultiStepLR", "gamma", gamma)

    def factor(self, t: int) -> float:
        return self.gamma ** sum(1 for m in self.milestones if m <= t)


class ExponentialLR(LearningRateSchedule):
    """``gamma ** t``."""

    def __init__(self, gamma: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.gamma = _positive("ExponentialLR", "gamma", gamma)

    def factor(self, t: int) -> float:
        return self.gamma ** t


class CosineAnnealingWarmRestarts(LearningRateSchedule):
    """Cosine annealing from 1 to ``eta_min / base_alpha`` over cycles of ``t_0`` steps, each
    ``t_mult`` times longer than the last (Loshchilov & Hutter's SGDR, PyTorch's parameters).

    Parameters
    ----------
    t_0
        Length of the first cycle.
    t_mult
        Growth of each cycle's length (a positive integer).
    eta_min
        Smallest learning rate.
    """

    def __init__(self, t_0: int, t_mult: int = 1, eta_min: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.t_0 = _positive("CosineAnnealingWarmRestarts", "t_0", t_0, integer=True)
        self.t_mult = _positive("CosineAnnealingWarmRestarts", "t_mult", t_mult, integer=True)
        if eta_min < 0:
            raise InvalidValueError(f"CosineAnnealingWarmRestarts eta_min must be >= 0, "
                                    f"got {eta_min!r}")
        self.eta_min = float(eta_min)

    def factor(self, t: int) -> float:
        length, t_cur = self.t_0, t
        while t_cur >= length:
            t_cur -= length
            length *= self.t_mult
        low = self.eta_min / self._base
        return low + (1.0 - low) * (1.0 + math.cos(math.pi * t_cur / length)) / 2.0


class LinearWarmup(LearningRateSchedule):
    """From ``start_factor`` to 1 linearly over ``warmup_steps`` steps, then 1."""

    def __init__(self, warmup_steps: int, start_factor: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.warmup_steps = _positive("LinearWarmup", "warmup_steps", warmup_steps,
                                      integer=True)
        if not 0.0 <= start_factor <= 1.0:
            raise InvalidValueError(f"LinearWarmup start_factor must be in [0, 1], got "
                                    f"{start_factor!r}")
        self.start_factor = float(start_factor)

    def factor(self, t: int) -> float:
        if t >= self.warmup_steps:
            return 1.0
        return self.start_factor + (1.0 - self.start_factor) * t / self.warmup_steps


class OneCycleLR(LearningRateSchedule):
    """Smith's one-cycle policy (PyTorch's parameters, cosine annealing): from
    ``max_alpha / div_factor`` up to ``max_alpha`` over ``pct_start`` of ``total_steps``, then
    down to ``max_alpha / (div_factor * final_div_factor)``; ``base_alpha`` is ``max_alpha``."""

    def __init__(self, max_alpha: float, total_steps: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, **kwargs: Any):
        kwargs["base_alpha"] = max_alpha
        super().__init__(**kwargs)
        self.total_steps = _positive("OneCycleLR", "total_steps", total_steps, integer=True)
        if not 0.0 < pct_start < 1.0:
            raise InvalidValueError(f"OneCycleLR pct_start must be in (0, 1), got {pct_start!r}")
        self.pct_start = float(pct_start)
        self.div_factor = _positive("OneCycleLR", "div_factor", div_factor)
        self.final_div_factor = _positive("OneCycleLR", "final_div_factor", final_div_factor)

    @staticmethod
    def _cos(start: float, end: float, fraction: float) -> float:
        return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0

    def factor(self, t: int) -> float:
        start = 1.0 / self.div_factor
        end = start / self.final_div_factor
        up = self.pct_start * self.total_steps - 1.0
        t = min(t, self.total_steps - 1)
        if t <= up:
            return self._cos(start, 1.0, t / up if up > 0 else 1.0)
        return self._cos(1.0, end, (t - up) / (self.total_steps - 1.0 - up))


class ComposedSchedule(LearningRateSchedule):
    """The product of several schedules' factors (each keeps its own parameters; their
    ``per_batch`` must agree with this one's)."""

    def __init__(self, schedules: Sequence[LearningRateSchedule], **kwargs: Any):
        super().__init__(**kwargs)
        self.schedules = list(schedules)
        for s in self.schedules:
            if not isinstance(s, LearningRateSchedule) or s.per_batch != self.per_batch:
                raise InvalidValueError(
                    f"ComposedSchedule takes LearningRateSchedules stepping like itself "
                    f"(per_batch={self.per_batch}), got {s!r}")

    def on_train_begin(self) -> None:
        super().on_train_begin()
        for s in self.schedules:
            s._base = self._base

    def factor(self, t: int) -> float:
        return math.prod(s.factor(t) for s in self.schedules)


class ReduceLROnPlateau(LoopCallback):
    """Multiply ``alpha`` by ``factor`` when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs; never below
    ``min_alpha`` (Keras's and PyTorch's callback).

    Parameters
    ----------
    monitor
        Metric watched (see :class:`~ml_genn_training.early_stopping.EarlyStopping`).
    factor
        Multiplier (0 < factor < 1).
    patience, cooldown
        Epochs without improvement before a reduction; epochs after one before watching again.
    min_delta, mode, min_alpha, output
        Smallest improvement; ``"min"``/``"max"``/``"auto"``; lower bound; output watched.
    """

    def __init__(self, monitor: str = "val_sparse_categorical_accuracy", factor: float = 0.1,
                 patience: int = 10, min_delta: float = 0.0, cooldown: int = 0,
                 mode: str = "auto", min_alpha: float = 0.0, output: Any = None):
        self._validation, self._metric = parse_monitor(monitor, "ReduceLROnPlateau")
        if not 0.0 < factor < 1.0:
            raise InvalidValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor!r}")
        if mode not in ("min", "max", "auto"):
            raise InvalidValueError(f"ReduceLROnPlateau mode must be 'min', 'max' or 'auto', "
                                    f"got {mode!r}")
        self.mode = default_mode(self._metric) if mode == "auto" else mode
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.min_delta, self.min_alpha, self.output = abs(min_delta), float(min_alpha), output

    def on_train_begin(self) -> None:
        self._best, self._wait, self._cooling = None, 0, 0

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        value = read_monitor(self._loop, self._validation, self._metric, self.output,
                             "ReduceLROnPlateau")
        if value is None:
            return
        better = self._best is None or (value > self._best + self.min_delta
                                        if self.mode == "max"
                                        else value < self._best - self.min_delta)
        # PyTorch's rule: bad epochs count unless cooling down; more than patience reduce
        if better:
            self._best, self._wait = value, 0
        else:
            self._wait += 1
        if self._cooling > 0:
            self._cooling -= 1
            self._wait = 0
        if self._wait > self.patience:
            alpha = max(self.min_alpha, self._network.get_optimiser_param("alpha") * self.factor)
            self._network.set_optimiser_param("alpha", alpha)
            logger.info("ReduceLROnPlateau: alpha %g from epoch %d", alpha, epoch + 1)
            self._wait, self._cooling = 0, self.cooldown
