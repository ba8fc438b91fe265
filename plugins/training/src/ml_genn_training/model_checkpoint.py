"""ModelCheckpoint and ResumeTraining: complete-or-absent training checkpoints in a folder, and
picking training up from them.

Each checkpoint is a folder ``epoch-NNNNN`` holding what ``compiled_network.save((epoch,), ...)``
writes (weights, trained neuron variables, optimiser state and step, RNG, running state) and
``checkpoint.json`` (epoch, monitored value). It is written under a temporary name and renamed
into place once complete, so a killed run leaves either the whole checkpoint or none (stale
temporary folders are removed at the next start).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from typing import Any, List, Optional, Tuple

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError

from .loop_callback import LoopCallback

from .monitor import default_mode, parse_monitor, read_monitor

logger = logging.getLogger(__name__)

META = "checkpoint.json"
PREFIX = "epoch-"
TEMPORARY = ".partial-"


def in_experiment(path: Optional[str], train_loop: Any, default: str, what: str) -> str:
    """``path``, or ``default`` inside the running experiment's folder when it is None."""
    if path is not None:
        return path
    folder = getattr(train_loop, "experiment_folder", None)
    if folder is None:
        raise InvalidValueError(f"{what} is needed without an ExperimentFolder callback (whose "
                                f"folder it would default to)")
    return os.path.join(folder, default)


def complete_checkpoints(directory: str) -> List[Tuple[int, Optional[float], str]]:
    """``(epoch, monitored value, folder)`` of every complete checkpoint in ``directory``,
    by epoch."""
    found = []
    if not os.path.isdir(directory):
        return found
    for name in os.listdir(directory):
        folder = os.path.join(directory, name)
        meta = os.path.join(folder, META)
        if name.startswith(PREFIX) and os.path.isfile(meta):
            with open(meta) as f:
                info = json.load(f)
            found.append((int(info["epoch"]), info.get("value"), folder))
    return sorted(found)


def _fsync_tree(folder: str) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())


class ModelCheckpoint(Callback):
    """Save the full training state every ``every_n_epochs`` epochs into ``directory``,
    keeping the ``keep_best_n`` best by ``monitor`` (or, without a monitor, the most recent).

    Parameters
    ----------
    directory
        Folder of the checkpoints (created if needed); by default ``checkpoints`` in the
        experiment folder of an :class:`~ml_genn_training.experiment.ExperimentFolder`.
    monitor
        Metric that ranks checkpoints (see
        :class:`~ml_genn_training.early_stopping.EarlyStopping`), or None.
    mode
        ``"min"``, ``"max"`` or ``"auto"``.
    keep_best_n
        How many checkpoints to keep (None: all).
    every_n_epochs
        Save after epochs ``n - 1, 2n - 1, ...``.
    output
        Output population whose metric is monitored (needed only with several outputs).
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, directory: Optional[str] = None, monitor: Optional[str] = None,
                 mode: str = "auto",
                 keep_best_n: Optional[int] = None, every_n_epochs: int = 1, output: Any = None):
        self.directory = None if directory is None else str(directory)
        self.monitor = monitor
        if monitor is not None:
            self._validation, self._metric = parse_monitor(monitor, "ModelCheckpoint")
        if mode not in ("min", "max", "auto"):
            raise InvalidValueError(f"ModelCheckpoint mode must be 'min', 'max' or 'auto', "
                                    f"got {mode!r}")
        self.mode = mode if mode != "auto" or monitor is None else default_mode(self._metric)
        if keep_best_n is not None and (isinstance(keep_best_n, bool) or keep_best_n < 1):
            raise InvalidValueError(f"ModelCheckpoint keep_best_n must be a positive integer or "
                                    f"None, got {keep_best_n!r}")
        if isinstance(every_n_epochs, bool) or every_n_epochs < 1:
            raise InvalidValueError(f"ModelCheckpoint every_n_epochs must be a positive "
                                    f"integer, got {every_n_epochs!r}")
        self.keep_best_n, self.every_n_epochs, self.output = keep_best_n, every_n_epochs, output

    def set_params(self, train_loop: Any = None, compiled_network: Any = None,
                   **kwargs: Any) -> None:
        """Keep the network to save and the running loop (for the monitored metric)."""
        self._loop, self._network = train_loop, compiled_network

    def on_train_begin(self) -> None:
        self._directory = in_experiment(self.directory, self._loop, "checkpoints",
                                        "ModelCheckpoint directory")
        os.makedirs(self._directory, exist_ok=True)
        for name in os.listdir(self._directory):
            if name.startswith(TEMPORARY):
                shutil.rmtree(os.path.join(self._directory, name), ignore_errors=True)
        # A name the file system refuses is found now, not at the first checkpoint
        from ml_genn.serialisers import Numpy
        last = self._loop.start_epoch + self._loop.num_epochs - 1
        Numpy(os.path.join(self._directory, f"{PREFIX}{last:05d}")).check_names(
            self._network.checkpoint_keys((last,)))

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        if (epoch + 1) % self.every_n_epochs != 0:
            return
        from ml_genn.serialisers import Numpy
        value = None if self.monitor is None else read_monitor(
            self._loop, self._validation, self._metric, self.output, "ModelCheckpoint")
        partial = tempfile.mkdtemp(prefix=TEMPORARY, dir=self._directory)
        self._network.save((epoch,), Numpy(partial))
        with open(os.path.join(partial, META), "w") as f:
            json.dump({"epoch": epoch, "monitor": self.monitor, "value": value}, f)
        _fsync_tree(partial)
        final = os.path.join(self._directory, f"{PREFIX}{epoch:05d}")
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(partial, final)
        self._prune()

    def _prune(self) -> None:
        if self.keep_best_n is None:
            return
        found = complete_checkpoints(self._directory)
        if self.monitor is None:
            ranked = sorted(found, key=lambda c: -c[0])
        else:
            sign = -1.0 if self.mode == "max" else 1.0
            ranked = sorted(found, key=lambda c: (float("inf") if c[1] is None
                                                  else sign * c[1], -c[0]))
        for _, _, folder in ranked[self.keep_best_n:]:
            shutil.rmtree(folder)


class ResumeTraining(LoopCallback):
    """At the start of ``train``, load the latest (or best) complete checkpoint a
    :class:`ModelCheckpoint` wrote into ``directory`` and continue after its epoch, so that the
    run ends as an uninterrupted one would have (bit-exactly with the same data, seed and
    number of processes). Without a checkpoint, training starts afresh.

    Parameters
    ----------
    directory
        The checkpoints' folder.
    which
        ``"latest"`` or ``"best"`` (by the value the checkpoints were ranked with; ties go to
        the latest).
    mode
        For ``"best"``: ``"min"`` or ``"max"``.

    Attributes
    ----------
    resumed_epoch
        The epoch of the checkpoint loaded, or None.
    """

    def __init__(self, directory: str, which: str = "latest", mode: str = "max"):
        if which not in ("latest", "best"):
            raise InvalidValueError(f"ResumeTraining which must be 'latest' or 'best', got "
                                    f"{which!r}")
        if mode not in ("min", "max"):
            raise InvalidValueError(f"ResumeTraining mode must be 'min' or 'max', got {mode!r}")
        self.directory, self.which, self.mode = str(directory), which, mode
        self.resumed_epoch: Optional[int] = None
        # Before other callbacks' on_train_begin, which should see the resumed state
        self.execution_order = -100

    def on_train_begin(self) -> None:
        found = complete_checkpoints(self.directory)
        if self.which == "latest":
            ranked = sorted(found, key=lambda c: -c[0])
        else:
            sign = 1.0 if self.mode == "max" else -1.0
            ranked = sorted(found, key=lambda c: (-float("inf") if c[1] is None
                                                  else sign * c[1], c[0]), reverse=True)
        # In a data-parallel run rank 0 alone reads the checkpoints (they are its files) and
        # gives every rank the state it resumed from
        network = self._network
        ranks = getattr(network, "num_ranks", 1)
        epoch = -1
        if getattr(network, "rank", 0) == 0:
            epoch = self._restore_best_readable(ranked)
        if ranks > 1:
            import numpy as np
            shared = np.array([epoch], dtype=np.int64)
            network.communicator.broadcast(shared, 0)
            epoch = int(shared[0])
            if epoch >= 0:
                network.synchronise_ranks()
        if epoch >= 0:
            self._loop.start_epoch = epoch + 1
            self.resumed_epoch = epoch

    def _restore_best_readable(self, ranked: List[Tuple[int, Optional[float], str]]) -> int:
        """Restore the first checkpoint of ``ranked`` that loads; its epoch, or -1."""
        import warnings
        from ml_genn.errors import CheckpointError
        from ml_genn.serialisers import Numpy
        # A damaged checkpoint (a file lost or changed since it was written) is reported and
        # the next one in line is taken, rather than resuming from a mix of states
        for epoch, _, folder in ranked:
            try:
                self._network.restore_checkpoint((epoch,), Numpy(folder))
            except CheckpointError as exc:
                warnings.warn(f"ResumeTraining: skipping the checkpoint in '{folder}': {exc}",
                              RuntimeWarning, stacklevel=3)
                continue
            logger.info("ResumeTraining: continuing after epoch %d from %s", epoch, folder)
            return epoch
        return -1
