"""Relative mean squared error for time-to-first-spike outputs."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .loss import Loss
from ..errors import InvalidValueError


def _check_positive(name: str, value: float) -> float:
    if not value > 0:
        raise InvalidValueError(f"RelativeMeanSquareError {name} must be positive, got {value!r}")
    return float(value)


class RelativeMeanSquareError(Loss):
    """Time-to-first-spike loss for ``first_spike_time`` readouts (readouts are negated spike
    times ``y = -t``); labels are class indices and training compilers (e.g. EventProp)
    implement its gradient.

    ``RelativeMeanSquareError(delta)`` is mlGeNN's loss: the squared error between each
    incorrect neuron's first spike time and the correct neuron's plus a margin ``delta``,
    ``1/2 sum_{k != y} (t_k - t_y - delta)^2``. A silent correct neuron counts as firing at
    the end of the trial ``T``. A silent incorrect neuron fires at some unknown time after
    ``T``: it counts as firing at ``T`` only where that breaks the margin, its term being
    ``1/2 min(0, T - t_y - delta)^2`` (nothing while the correct neuron fires by
    ``T - delta``; all-silent outputs are not a loss-free state).

    Without ``delta`` it is Göltz et al. (2021)'s form instead,
    ``t_y / tau_0 + log sum_j exp(-t_j / tau_1) + alpha (exp(t_y / tau_1) - 1)``
    (defaults ``tau_0 = 0.5``, ``tau_1 = 6.4``, ``alpha = 3e-3``; silent neurons count as
    firing at the end of the trial).

    Parameters
    ----------
    delta
        Margin [ms] by which the correct neuron should fire before each incorrect one
        (mlGeNN's only parameter). ``None`` selects the Göltz form.
    tau_0, tau_1
        Göltz form only: time constants of the correct and of all neurons [ms].
    alpha
        Göltz form only: strength of the term that pulls the correct neuron to fire early.
    """

    sparse_labels = True

    def __init__(self, delta: Optional[float] = None, tau_0: Optional[float] = None,
                 tau_1: Optional[float] = None, alpha: Optional[float] = None):
        if delta is not None:
            if tau_0 is not None or tau_1 is not None or alpha is not None:
                raise InvalidValueError(
                    "RelativeMeanSquareError takes either delta (mlGeNN's margin loss) or "
                    f"tau_0/tau_1/alpha (Göltz form), got delta={delta!r} with "
                    f"tau_0={tau_0!r}, tau_1={tau_1!r}, alpha={alpha!r}")
            self.delta: Optional[float] = _check_positive("delta", delta)
            self.tau_0 = self.tau_1 = self.alpha = None
        else:
            self.delta = None
            self.tau_0 = _check_positive("tau_0", 0.5 if tau_0 is None else tau_0)
            self.tau_1 = _check_positive("tau_1", 6.4 if tau_1 is None else tau_1)
            self.alpha = float(3e-3 if alpha is None else alpha)

    def value(self, y_true: np.ndarray, y_pred: np.ndarray,
              duration: float = np.inf) -> float:
        """The loss averaged over examples.

        Parameters
        ----------
        y_true
            Class labels, shape ``(examples,)``.
        y_pred
            Readouts ``-t`` (negated first spike times), shape ``(examples, neurons)``; a
            silent neuron's readout is ``-inf`` or a very large negative number.
        duration
            Trial duration [ms]: silent correct neurons (and, in the Göltz form, all silent
            neurons) count as firing then.
        """
        t = -np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
        labels = np.asarray(y_true, dtype=int)
        rows = np.arange(len(t))
        # -FLT_MAX readouts (engine's "no spike") and anything after the trial are silence
        silent = ~np.isfinite(t) | (t > duration) | (t >= 0.5 * np.finfo(np.float32).max)
        t_end = np.where(silent, duration, t)
        t_y = t_end[rows, labels]
        if self.delta is not None:
            r = t_end - t_y[:, None] - self.delta
            r = np.where(silent, np.minimum(r, 0.0), r)
            r[rows, labels] = 0.0
            return float(np.mean(0.5 * np.sum(r ** 2, axis=1)))
        logits = -t_end / self.tau_1
        top = logits.max(axis=1)
        log_sum = np.log(np.exp(logits - top[:, None]).sum(axis=1)) + top
        loss = t_y / self.tau_0 + log_sum + self.alpha * (np.exp(t_y / self.tau_1) - 1.0)
        return float(np.mean(loss))

    def __repr__(self) -> str:
        if self.delta is not None:
            return f"RelativeMeanSquareError(delta={self.delta})"
        return (f"RelativeMeanSquareError(tau_0={self.tau_0}, tau_1={self.tau_1}, "
                f"alpha={self.alpha})")
