"""ExperimentFolder and TrainingHistoryPlot on a real small run."""
from __future__ import annotations

import json
import os

import pytest

from ml_genn.callbacks import Callback
from training_harness import setup_run


def test_experiment_folder_keeps_hyperparameters_script_and_history(tmp_path):
    from ml_genn.callbacks import ExperimentFolder, TrainingHistoryPlot
    seen, folders = [], []

    class Record(Callback):
        def set_params(self, train_loop, **kwargs):
            self.loop = train_loop

        def on_epoch_end(self, epoch, metrics):
            folders.append(self.loop.experiment_folder)
            seen.append((metrics[out].result,
                         next(iter(self.loop.validation_metrics.values())).result))

    net, inp, out, compiled, x, y = setup_run()
    experiment = ExperimentFolder("demo", "eprop", root=str(tmp_path),
                                  hyperparameters={"lr": 0.05, "batch": 4}, copy_script=False)
    plot = TrainingHistoryPlot()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=3, validation_split=0.25,
                       callbacks=[Record(), plot, experiment], validation_callbacks=[])
    (folder,) = experiment.folders
    assert folders == [folder] * 3 and folder.startswith(str(tmp_path / "demo" / "eprop_"))
    with open(os.path.join(folder, "hyperparameters.json")) as f:
        assert json.load(f) == {"lr": 0.05, "batch": 4}
    with open(os.path.join(folder, "history.json")) as f:
        history = json.load(f)
    assert [row["epoch"] for row in history] == [0, 1, 2]
    for row, (train, valid) in zip(history, seen):
        assert row["out_sparse_categorical_accuracy"] == pytest.approx(train)
        assert row["out_val_sparse_categorical_accuracy"] == pytest.approx(valid)
    (png,) = plot.written
    assert png == os.path.join(folder, "training_history.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not [n for n in os.listdir(folder) if n.startswith(".tmp-")]
