"""Base class of metrics."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

import numpy as np


class Metric(ABC):
    """Measures how well a model's readout matches the labels, accumulated over batches.

    A compiled network calls :meth:`update` once per batch with the labels and the readout, and
    reports :attr:`result`; :meth:`reset` starts a new accumulation (e.g. each epoch).
    """

    #: Whether targets are integer class labels (one per example) rather than values
    sparse_labels: bool = False

    @abstractmethod
    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               communicator: Optional[Any]) -> None:
        """Add one batch of labels and predictions.

        Parameters
        ----------
        y_true
            The labels given to ``evaluate``/``train`` for this batch.
        y_pred
            The model's readout for this batch.
        communicator
            ``None``, or an object with ``reduce_sum(value)`` used to sum the batch's counts
            across processes in multi-process training.
        """

    @abstractmethod
    def reset(self) -> None:
        """Forget everything accumulated so far."""

    @property
    @abstractmethod
    def result(self) -> Optional[Any]:
        """The metric over every batch since the last reset, or ``None`` before any update."""
