"""Mean squared error between labels and readout."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .metric import Metric
from ..errors import InvalidValueError


class MeanSquareError(Metric):
    """Mean over examples of the mean squared difference between label and prediction.

    With equally shaped examples this is ``np.mean((y_true - y_pred) ** 2)`` over every batch
    seen, however the data was split into batches.
    """

    def __init__(self):
        self.reset()

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               communicator: Optional[Any] = None) -> None:
        """Accumulate the squared errors of one batch.

        Parameters
        ----------
        y_true
            Targets, same shape as ``y_pred``; the first axis is the batch.
        y_pred
            Readout.
        communicator
            ``None`` or an object with ``reduce_sum`` to sum across processes.
        """
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_pred.ndim == 0:
            raise InvalidValueError(f"MeanSquareError needs labels shaped like the predictions "
                                    f"(batch first): predictions have shape {y_pred.shape}, labels "
                                    f"have shape {y_true.shape}")
        squared = np.square(y_true.astype(np.float64) - y_pred.astype(np.float64))
        # Per-example means summed, so that batches of different sizes weigh by example
        batch_sum = float(np.sum(squared.reshape(squared.shape[0], -1).mean(axis=1)))
        batch_total = int(y_true.shape[0])
        if communicator is not None:
            batch_sum = communicator.reduce_sum(batch_sum)
            batch_total = communicator.reduce_sum(batch_total)
        self.sum_mse += batch_sum
        self.total += batch_total

    def reset(self) -> None:
        """Forget the accumulated errors."""
        self.sum_mse = 0.0
        self.total = 0

    @property
    def result(self) -> Optional[float]:
        """Mean squared error over the examples seen, or ``None`` before any."""
        if self.total == 0:
            return None
        return self.sum_mse / self.total
