"""Accuracy of integer class labels against the arg-max of a readout."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .metric import Metric
from ..errors import InvalidValueError


class SparseCategoricalAccuracy(Metric):
    """Fraction of examples whose largest readout is the labelled class.

    Labels are integer class indices of shape ``(batch,)``; predictions have shape
    ``(batch, num_classes)``.
    """

    sparse_labels = True

    def __init__(self):
        self.reset()

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               communicator: Optional[Any] = None) -> None:
        """Count the correct predictions of one batch.

        Parameters
        ----------
        y_true
            Integer labels, shape ``(batch,)``.
        y_pred
            Readout, shape ``(batch, num_classes)``.
        communicator
            ``None`` or an object with ``reduce_sum`` to sum counts across processes.
        """
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred)
        if y_pred.ndim != 2:
            raise InvalidValueError(f"SparseCategoricalAccuracy needs predictions of shape "
                                    f"(batch, num_classes), got shape {y_pred.shape}")
        if y_true.ndim != 1 or y_true.shape[0] != y_pred.shape[0]:
            raise InvalidValueError(
                f"SparseCategoricalAccuracy needs one integer label per example: "
                f"labels of shape ({y_pred.shape[0]},) for predictions of shape "
                f"{y_pred.shape}, got labels of shape {y_true.shape}")
        batch_correct = int(np.count_nonzero(np.argmax(y_pred, axis=1) == y_true))
        batch_total = int(y_true.shape[0])
        if communicator is not None:
            batch_correct = communicator.reduce_sum(batch_correct)
            batch_total = communicator.reduce_sum(batch_total)
        self.correct += batch_correct
        self.total += batch_total

    def reset(self) -> None:
        """Forget the counts."""
        self.correct = 0
        self.total = 0

    @property
    def result(self) -> Optional[float]:
        """Correct predictions divided by examples seen, or ``None`` before any."""
        if self.total == 0:
            return None
        return self.correct / self.total
