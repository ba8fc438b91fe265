"""Cross-entropy of a softmax over the readout against integer class labels."""
from __future__ import annotations

import numpy as np

from .loss import Loss


class SparseCategoricalCrossentropy(Loss):
    """``-log softmax(y_pred)[label]`` averaged over examples; labels are class indices."""

    sparse_labels = True

    def value(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """The loss over a set of examples."""
        y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
        shifted = y_pred - y_pred.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.mean(log_softmax[np.arange(len(y_pred)), np.asarray(y_true, dtype=int)]))
