"""Logging and sanity callbacks: :class:`CSVLogger` and :class:`AllPredictionsSame`."""
from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
from typing import Any, List, Optional

import numpy as np

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError

from .monitor import metric_name

from .loop_callback import LoopCallback

logger = logging.getLogger(__name__)


class CSVLogger(Callback):
    """Write each epoch's metrics (training and, when there is validation, validation) to a CSV
    file, one row per epoch (Keras's callback). The file is rewritten atomically after every
    epoch (temporary file, then rename), so it is always complete.

    Parameters
    ----------
    filename
        The CSV file; by default ``log.csv`` in the experiment folder of an
        ``ExperimentFolder``.
    separator
        Field separator.
    append
        Keep the rows already in the file (e.g. when resuming).
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, filename: Optional[str] = None, separator: str = ",",
                 append: bool = False):
        if filename is not None and (not isinstance(filename, (str, os.PathLike))
                                     or not str(filename)):
            raise InvalidValueError(f"CSVLogger filename must be a path, got {filename!r}")
        self.filename = None if filename is None else str(filename)
        self.separator, self.append = separator, bool(append)

    def set_params(self, train_loop: Any = None, **kwargs: Any) -> None:
        """Keep the running loop (for the validation metrics)."""
        self._loop = train_loop

    def on_train_begin(self) -> None:
        from .model_checkpoint import in_experiment
        self._file = in_experiment(self.filename, self._loop, "log.csv", "CSVLogger filename")
        self._rows: List[List[str]] = []
        if self.append and os.path.exists(self._file):
            with open(self._file, newline="") as f:
                self._rows = list(csv.reader(f, delimiter=self.separator))

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        columns = {"epoch": epoch}
        for prefix, table in (("", metrics), ("val_", getattr(self._loop, "validation_metrics",
                                                               None))):
            for pop, metric in (table or {}).items():
                columns[f"{prefix}{pop.name}_{metric_name(metric)}"] = metric.result
        if not self._rows:
            self._rows.append(list(columns))
        self._rows.append([repr(v) if isinstance(v, float) else str(v)
                           for v in columns.values()])
        text = io.StringIO()
        csv.writer(text, delimiter=self.separator).writerows(self._rows)
        folder = os.path.dirname(os.path.abspath(self._file))
        fd, temporary = tempfile.mkstemp(prefix=".csvlogger-", dir=folder)
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self._file)


class AllPredictionsSame(LoopCallback):
    """After each epoch, predict on the validation set and warn (or stop training) when every
    prediction is ``value``: the predicted class for classification readouts, the output itself
    otherwise (AIToolbox's callback, for collapsed models on unbalanced classes).

    Parameters
    ----------
    value
        The prediction that, when it is every prediction, is reported.
    stop_training
        Stop training when it happens (after the epoch).
    """

    def __init__(self, value: float = 0.0, stop_training: bool = False):
        self.value, self.stop_training = value, bool(stop_training)
        self.epochs_all_same: List[int] = []

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        for pop, predictions in self._loop.predict_on_validation_set().items():
            predicted = predictions.argmax(axis=-1) if predictions.ndim == 2 else predictions
            if np.all(predicted == self.value):
                self.epochs_all_same.append(epoch)
                logger.warning("AllPredictionsSame: every validation prediction of Population "
                               "'%s' is %s in epoch %d", pop.name, self.value, epoch)
                if self.stop_training:
                    self._network.stop_training = True
