"""GradientClipping, GradientStats, CSVLogger and AllPredictionsSame on real small runs."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from ml_genn.callbacks import Callback
from training_harness import setup_run


def _sgd_run(callbacks, lr=0.5):
    """Training with SGD, recording the gradient the optimiser receives and the update."""
    from ml_genn.compilers import EPropCompiler
    from ml_genn.optimisers import SGD
    net, inp, out, _, x, y = setup_run(n=8)
    compiled = EPropCompiler(30, "sparse_categorical_crossentropy", optimiser=SGD(lr),
                             batch_size=4, rng_seed=3).compile(net)
    steps = []

    class Updates(Callback):
        def set_params(self, compiled_network, **kwargs):
            self.network = compiled_network

        def on_batch_begin(self, batch):
            self.before = {c: np.array(g.vars["g"].view)
                           for c, g in self.network.connection_populations.items()}

        def on_after_optimizer_step(self, batch):
            steps.append({c.name: (self.before[c] - np.array(g.vars["g"].view)) / lr
                          for c, g in self.network.connection_populations.items()})

    with compiled:
        _, data = compiled.train({inp: x}, {out: y}, num_epochs=1, shuffle=False,
                                 callbacks=callbacks + [Updates()])
    return steps, data


def test_clipping_by_value_and_by_norm_bounds_the_applied_update():
    """The first batch's update equals the clipped unclipped one; every update is bounded."""
    from ml_genn.callbacks import GradientClipping, GradientStats
    free, data = _sgd_run([GradientStats()])
    largest = max(np.abs(g).max() for step in free for g in step.values())
    clip = largest / 4
    by_value, _ = _sgd_run([GradientClipping(None, clip_value=clip)])
    for name, g in by_value[0].items():
        np.testing.assert_allclose(g, np.clip(free[0][name], -clip, clip), rtol=1e-4,
                                   atol=1e-6 * largest)
    assert all(np.abs(g).max() <= clip * (1 + 1e-5) for step in by_value for g in step.values())

    def norm(step):
        return np.sqrt(sum(np.sum(g.astype(float) ** 2) for g in step.values()))
    # The norm over everything trained, the output biases included (from GradientStats)
    stats = data["gradient_stats"]
    max_norm = np.sqrt(sum(s["norm"][0] ** 2 for s in stats.values())) / 2
    by_norm, _ = _sgd_run([GradientClipping(max_norm=max_norm)])
    for name, g in by_norm[0].items():      # same direction, half the length
        np.testing.assert_allclose(g, free[0][name] / 2, rtol=1e-3, atol=1e-6 * largest)
    # The biases are clipped with the weights; the weights alone stay within the bound
    assert all(norm(step) <= max_norm * (1 + 1e-4) for step in by_norm)
    # GradientStats saw the very gradients the optimiser applied (the biases' too)
    assert set(stats) == {"in_hid", "hid_out", "out"}
    for k, step in enumerate(free):
        for name, g in step.items():
            assert stats[name]["norm"][k] == pytest.approx(np.sqrt(np.sum(g.astype(float) ** 2)),
                                                           rel=1e-4)
            assert stats[name]["max_abs"][k] == pytest.approx(np.abs(g).max(), rel=1e-4)


def test_gradient_callbacks_given_by_name_run_too():
    """A callback named by its string ("gradient_stats") gets the gradient hooks as its
    object would."""
    net, inp, out, compiled, x, y = setup_run(n=8)
    with compiled:
        _, data = compiled.train({inp: x}, {out: y}, num_epochs=1, callbacks=["gradient_stats"])
    assert len(data["gradient_stats"]["in_hid"]["norm"]) == 2


def test_csv_logger_writes_every_epoch_atomically(tmp_path):
    from ml_genn.callbacks import CSVLogger
    net, inp, out, compiled, x, y = setup_run()
    path = tmp_path / "log.csv"
    seen = []

    class Validation(Callback):
        def set_params(self, train_loop, **kwargs):
            self.loop = train_loop

        def on_epoch_end(self, epoch, metrics):
            seen.append((metrics[out].result,
                         next(iter(self.loop.validation_metrics.values())).result))

    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=3, validation_split=0.25,
                       callbacks=[Validation(), CSVLogger(str(path))], validation_callbacks=[])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for row, (train, valid) in zip(rows, seen):
        assert float(row["out_sparse_categorical_accuracy"]) == pytest.approx(train)
        assert float(row["val_out_sparse_categorical_accuracy"]) == pytest.approx(valid)
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]     # no temporary left


def test_all_predictions_same_reports_a_collapsed_model():
    from ml_genn.callbacks import AllPredictionsSame
    net, inp, out, compiled, x, y = setup_run()
    # Output biases that make class 2 win for every input: every prediction is 2
    with compiled:
        compiled.neuron_populations[out].vars["Bias"].view[...] = [0.0, 0.0, 50.0]
        report = AllPredictionsSame(value=2, stop_training=True)
        compiled.train({inp: x}, {out: y}, num_epochs=3, validation_split=0.25,
                       callbacks=[report], validation_callbacks=[])
        assert compiled.stopped_epoch == 0
    assert report.epochs_all_same == [0]
