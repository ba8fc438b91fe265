"""Experiment tracking: an experiment folder per run (hyperparameters, a copy of the running
script, the metric history) and a plot of the training history."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

from ml_genn.errors import InvalidValueError

from .monitor import metric_name

from .loop_callback import LoopCallback


def _write_json(path: str, data: Any) -> None:
    """Write ``data`` as JSON atomically (temporary file, fsync, rename)."""
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def _epoch_metrics(metrics: Any, validation: Any) -> Dict[str, float]:
    row = {}
    for prefix, table in (("", metrics), ("val_", validation)):
        for pop, metric in (table or {}).items():
            if metric.result is not None:
                row[f"{pop.name}_{prefix}{metric_name(metric)}"] = float(metric.result)
    return row


class ExperimentFolder(LoopCallback):
    """Create ``<root>/<project_name>/<experiment_name>_<timestamp>/`` for the run and keep there
    ``hyperparameters.json``, a copy of the running script and ``history.json`` (each epoch's
    metrics, rewritten atomically after every epoch); the folder becomes the running loop's
    ``experiment_folder`` for other callbacks (AIToolbox's experiment tracking).

    Parameters
    ----------
    project_name, experiment_name
        Names of the project and the experiment.
    root
        Folder of all projects.
    hyperparameters
        A JSON-serialisable dict saved with the experiment.
    copy_script
        Whether the script being run (``sys.argv[0]``) is copied into the folder.
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, project_name: str, experiment_name: str, root: str = ".",
                 hyperparameters: Optional[Dict[str, Any]] = None, copy_script: bool = True):
        for what, name in (("project_name", project_name), ("experiment_name", experiment_name)):
            if not isinstance(name, str) or not name or os.sep in name or name in (".", ".."):
                raise InvalidValueError(f"ExperimentFolder {what} must be a plain folder name, "
                                        f"got {name!r}")
        try:
            json.dumps(hyperparameters or {})
        except TypeError as error:
            raise InvalidValueError(f"ExperimentFolder hyperparameters must be JSON-"
                                    f"serialisable: {error}") from None
        self.project_name, self.experiment_name, self.root = project_name, experiment_name, root
        self.hyperparameters = dict(hyperparameters or {})
        self.copy_script = bool(copy_script)
        self.execution_order = -50      # the folder exists before other callbacks start
        self.folders: List[str] = []    # every run's folder (shared with the run's copy)

    def on_train_begin(self) -> None:
        stamp = time.strftime("%Y%m%d_%H%M%S")
        base = os.path.join(self.root, self.project_name, f"{self.experiment_name}_{stamp}")
        folder, k = base, 1
        while os.path.exists(folder):
            folder, k = f"{base}_{k}", k + 1
        os.makedirs(folder)
        self.folder = folder
        self.folders.append(folder)
        self._loop.experiment_folder = folder
        _write_json(os.path.join(folder, "hyperparameters.json"), self.hyperparameters)
        script = sys.argv[0] if sys.argv else ""
        if self.copy_script and os.path.isfile(script):
            shutil.copy2(script, os.path.join(folder, os.path.basename(script)))
        self._history: List[Dict[str, float]] = []

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        row = {"epoch": epoch, **_epoch_metrics(metrics, self._loop.validation_metrics)}
        self._history.append(row)
        _write_json(os.path.join(self.folder, "history.json"), self._history)


class TrainingHistoryPlot(LoopCallback):
    """At the end of training, plot every metric against the epoch into a PNG (in the
    experiment folder when an :class:`ExperimentFolder` runs, else ``filename``); needs
    matplotlib.

    Parameters
    ----------
    filename
        The PNG (default ``training_history.png`` in the experiment folder).
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, filename: Optional[str] = None):
        self.filename = filename
        self.written: List[str] = []

    def on_train_begin(self) -> None:
        self._history: List[Dict[str, float]] = []

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        self._history.append({"epoch": epoch,
                              **_epoch_metrics(metrics, self._loop.validation_metrics)})

    def on_train_end(self, metrics: Any) -> None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        path = self.filename or os.path.join(self._loop.experiment_folder or ".",
                                             "training_history.png")
        names = sorted({k for row in self._history for k in row if k != "epoch"})
        figure, axis = plt.subplots(figsize=(6, 4))
        for name in names:
            epochs = [row["epoch"] for row in self._history if name in row]
            axis.plot(epochs, [row[name] for row in self._history if name in row], label=name)
        axis.set_xlabel("epoch")
        axis.legend()
        folder = os.path.dirname(os.path.abspath(path))
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=folder)
        os.close(fd)
        figure.savefig(temporary)
        plt.close(figure)
        os.replace(temporary, path)
        self.written.append(path)
