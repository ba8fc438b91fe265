"""Mean squared error."""
from __future__ import annotations

import numpy as np

from .loss import Loss


class MeanSquareError(Loss):
    """Half the squared difference between readout and target, summed over neurons and
    averaged over examples: ``mean_n 0.5 * sum_j (y_pred - y_true)^2``."""

    def value(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """The loss over a set of examples."""
        diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
        return float(np.mean(0.5 * np.sum(diff.reshape(len(diff), -1) ** 2, axis=1)))
