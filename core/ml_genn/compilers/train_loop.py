"""What a callback can see of a running ``train`` (AIToolbox's ``train_loop_obj``)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np


class _Collect:
    """A metric that keeps what it is shown: the predictions of a forward pass."""

    def __init__(self):
        self.predictions: List[np.ndarray] = []

    def update(self, y_true: Any, y_pred: Any, communicator: Any = None) -> None:
        self.predictions.append(np.array(y_pred))

    def reset(self) -> None:
        self.predictions = []


class TrainLoop:
    """The running training loop, handed to callbacks whose ``set_params`` asks for
    ``train_loop`` (or takes ``**kwargs``); others never see it.

    Attributes
    ----------
    compiled_network
        The network being trained.
    epoch, batch
        The current epoch and batch (None before the first).
    num_epochs, start_epoch
        What ``train`` was asked for.
    x, y, validation_x, validation_y
        The checked training data and the validation data (None without validation).
    train_metrics, validation_metrics
        The metric objects per output population of the epoch running (training) and of the
        last validation (None before the first or without validation); a training callback's
        ``on_epoch_end`` runs after the epoch's validation.
    experiment_folder
        Folder of the run's experiment, set by an experiment-tracking callback (None by
        default).
    """

    def __init__(self, compiled_network: Any, x: Dict[Any, Any], y: Dict[Any, Any],
                 validation_x: Optional[Dict[Any, Any]], validation_y: Optional[Dict[Any, Any]],
                 num_epochs: int, start_epoch: int):
        self.compiled_network = compiled_network
        self.x, self.y = x, y
        self.validation_x, self.validation_y = validation_x, validation_y
        self.num_epochs, self.start_epoch = num_epochs, start_epoch
        self.epoch: Optional[int] = None
        self.batch: Optional[int] = None
        self.train_metrics: Optional[Dict[Any, Any]] = None
        self.validation_metrics: Optional[Dict[Any, Any]] = None
        self.experiment_folder: Optional[str] = None

    def predict_on_validation_set(self) -> Dict[Any, np.ndarray]:
        """Run the validation set forward (no learning, no callbacks) and return what each
        output's metrics would compare with its targets (the readouts, or for a regression on
        a per-timestep target the whole trial's output), per output population.

        Neuron state that runs on between batches (e-prop) runs on through these batches too,
        as through a validation epoch.
        """
        if self.validation_x is None:
            raise ValueError("predict_on_validation_set: this train() has no validation data "
                             "(pass validation_split or validation_x/validation_y)")
        net = self.compiled_network
        vx, vy = self.validation_x, self.validation_y
        n = len(next(iter(vy.values())))
        collectors = {pop: _Collect() for pop in vy}
        net._run_epoch(vx, vy, n, np.arange(n), collectors, _NoCallbacks(), False)
        return {pop: np.concatenate(c.predictions)[:n] for pop, c in collectors.items()}


class _NoCallbacks:
    """Stands in for a CallbackList with no callbacks."""
    has_timestep_callbacks = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *args: None
        raise AttributeError(name)
