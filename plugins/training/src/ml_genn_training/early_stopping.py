"""EarlyStopping: stop training when a monitored metric stops improving."""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import numpy as np

from ml_genn.errors import InvalidValueError

from .loop_callback import LoopCallback

from .monitor import default_mode, parse_monitor, read_monitor

logger = logging.getLogger(__name__)


class EarlyStopping(LoopCallback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs (Keras's and AIToolbox's callback).

    Parameters
    ----------
    monitor
        Metric to watch: its name (``"sparse_categorical_accuracy"``, ``"mean_square_error"``;
        ``"accuracy"`` and ``"mse"`` for short) for the training metric, prefixed ``"val_"``
        for the validation metric.
    min_delta
        Smallest change that counts as an improvement.
    patience
        Epochs without improvement that are tolerated: training stops in the next one without
        improvement (AIToolbox's count; 0 stops at the first).
    mode
        ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
    restore_best_weights
        Whether, when training ends, the weights (and other trained variables such as biases)
        go back to those of the best epoch.
    output
        Output population whose metric is watched (needed only with several outputs).

    Attributes
    ----------
    best, best_epoch, stopped_epoch
        The best value and its epoch; the epoch training was stopped in (None if it was not).
    """

    def __init__(self, monitor: str = "val_sparse_categorical_accuracy", min_delta: float = 0.0,
                 patience: int = 0, mode: str = "auto", restore_best_weights: bool = False,
                 output: Any = None):
        self._validation, self._metric = parse_monitor(monitor, "EarlyStopping")
        self.monitor = monitor
        if mode not in ("min", "max", "auto"):
            raise InvalidValueError(f"EarlyStopping mode must be 'min', 'max' or 'auto', "
                                    f"got {mode!r}")
        self.mode = default_mode(self._metric) if mode == "auto" else mode
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise InvalidValueError(f"EarlyStopping patience must be a non-negative integer, "
                                    f"got {patience!r}")
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        self.restore_best_weights = bool(restore_best_weights)
        self.output = output

    def on_train_begin(self) -> None:
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.stopped_epoch: Optional[int] = None
        self._wait = 0
        self._best_state: Optional[Dict[tuple, np.ndarray]] = None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        value = read_monitor(self._loop, self._validation, self._metric, self.output,
                             "EarlyStopping")
        if value is None:
            return
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_state = _trained_state(self._network)
            return
        self._wait += 1
        if self._wait > self.patience:
            self.stopped_epoch = epoch
            self._network.stop_training = True
            logger.info("EarlyStopping: %s did not improve for %d epochs; stopping in epoch "
                        "%d (best %s in epoch %d)", self.monitor, self._wait, epoch, self.best,
                        self.best_epoch)

    def on_train_end(self, metrics: Any) -> None:
        if self.restore_best_weights and self._best_state is not None:
            for (kind, owner, var), values in self._best_state.items():
                _view(self._network, kind, owner, var)[...] = values


def _view(network: Any, kind: str, owner: Any, var: str) -> np.ndarray:
    groups = network.connection_populations if kind == "connection" \
        else network.neuron_populations
    return groups[owner].vars[var].view


def _trained_state(network: Any) -> Dict[tuple, np.ndarray]:
    """Copies of every trained variable: each connection's weights (and delays) and each
    population's variables that checkpoints keep (e.g. ``Bias``)."""
    state = {}
    for conn, group in network.connection_populations.items():
        for var in ("g", "d"):
            if var in group.vars:
                state["connection", conn, var] = np.array(group.vars[var].view)
    for pop, group in network.neuron_populations.items():
        for var in getattr(network, "checkpoint_neuron_vars", ()):
            if var in group.vars:
                state["population", pop, var] = np.array(group.vars[var].view)
    return state
