"""Relative mean squared error for time-to-first-spike outputs."""
from __future__ import annotations

import numpy as np

from .loss import Loss


class RelativeMeanSquareError(Loss):
    """Time-to-first-spike loss for ``first_spike_time`` readouts (readouts are negated spike
    times ``y = -t``): the cross-entropy of ``exp(-t_label / tau_0)`` against
    ``sum_j exp(-t_j / tau_1)`` plus ``alpha * (exp(t_label / tau_1) - 1)``, which pushes the
    labelled neuron to spike first and early (Göltz et al. 2021). Labels are class indices;
    training compilers (e.g. EventProp) implement its gradient.

    Parameters
    ----------
    tau_0, tau_1
        Target time constants of the correct and incorrect neurons [ms] (Göltz et al. 2021's
        formulation as used by mlGeNN).
    alpha
        Regularisation strength of early spiking.
    """

    sparse_labels = True

    def __init__(self, tau_0: float = 0.5, tau_1: float = 6.4, alpha: float = 3e-3):
        for name, value in (("tau_0", tau_0), ("tau_1", tau_1)):
            if not value > 0:
                raise ValueError(f"RelativeMeanSquareError {name} must be positive, got {value!r}")
        self.tau_0, self.tau_1, self.alpha = float(tau_0), float(tau_1), float(alpha)

    def value(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """Cross-entropy of exp(-t / tau) weights as in Göltz et al. 2021, where readouts are
        negated first-spike times ``y = -t``."""
        t = -np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
        labels = np.asarray(y_true, dtype=int)
        t_correct = t[np.arange(len(t)), labels][:, None]
        # exp(-t_c/tau_0) / sum_j exp(-t_j/tau_1), computed stably
        logits = -t / self.tau_1
        log_denominator = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
        loss = -(-t_correct[:, 0] / self.tau_0 - log_denominator)
        return float(np.mean(loss + self.alpha * (np.exp(t_correct[:, 0] / self.tau_1) - 1.0)))
