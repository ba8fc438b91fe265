"""Learning-rate schedules: the optimiser's alpha in the engine, epoch by epoch or batch by
batch of a real training run, against each schedule's closed form."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ml_genn.callbacks import Callback
from training_harness import setup_run as _setup

BASE = 0.05          # _setup's Adam(0.05)


class EngineAlpha(Callback):
    """Reads the Adam custom update's Alpha from the engine at the end of every batch: what
    the optimiser applied in it."""

    def __init__(self):
        self.values = []

    def set_params(self, compiled_network, **kwargs):
        self.network = compiled_network

    def on_batch_end(self, batch, metrics):
        opt, names = self.network.optimisers[0]
        cu = self.network.genn_model.custom_update_populations[names[0]]
        self.values.append(cu.get_dynamic_param_value("Alpha"))


def _run(schedule, epochs=6, **train):
    net, inp, out, compiled, x, y = _setup(n=16)         # 4 batches an epoch
    probe = EngineAlpha()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=epochs, callbacks=[schedule, probe],
                       **train)
    return np.array(probe.values).reshape(epochs, 4)


def test_step_multistep_and_exponential_per_epoch():
    from ml_genn.callbacks import ExponentialLR, MultiStepLR, StepLR
    values = _run(StepLR(step_size=2, gamma=0.5))
    np.testing.assert_allclose(values[:, 0], [BASE * 0.5 ** (e // 2) for e in range(6)], rtol=1e-6)
    assert np.all(values == values[:, :1])      # constant within an epoch
    values = _run(MultiStepLR([1, 4], gamma=0.1))
    np.testing.assert_allclose(values[:, 0], BASE * np.array([1, .1, .1, .1, .01, .01]),
                               rtol=1e-6)
    values = _run(ExponentialLR(0.9))
    np.testing.assert_allclose(values[:, 0], BASE * 0.9 ** np.arange(6), rtol=1e-6)


def test_cosine_warm_restarts_per_batch():
    from ml_genn.callbacks import CosineAnnealingWarmRestarts
    values = _run(CosineAnnealingWarmRestarts(t_0=4, t_mult=2, eta_min=0.01, per_batch=True))
    flat = values.reshape(-1)
    # Restarts at batches 0, 4, 12; halfway through a cycle the rate is the mean of the ends
    for restart in (0, 4, 12):
        assert flat[restart] == pytest.approx(BASE, rel=1e-6)
    assert flat[2] == pytest.approx((BASE + 0.01) / 2, rel=1e-6)
    assert flat[8] == pytest.approx((BASE + 0.01) / 2, rel=1e-6)
    assert flat[5] == pytest.approx(0.01 + (BASE - 0.01) * (1 + math.cos(math.pi / 8)) / 2,
                                    rel=1e-6)
    assert np.all(np.diff(flat[4:12]) < 0)


def test_warmup_composed_with_exponential_decay():
    from ml_genn.callbacks import ComposedSchedule, ExponentialLR, LinearWarmup
    values = _run(ComposedSchedule([LinearWarmup(4, start_factor=0.2), ExponentialLR(0.8)]))
    warm = [0.2 + 0.8 * e / 4 if e < 4 else 1.0 for e in range(6)]
    np.testing.assert_allclose(values[:, 0], BASE * np.array(warm) * 0.8 ** np.arange(6),
                               rtol=1e-6)


def test_one_cycle_rises_to_its_peak_and_falls_to_its_floor():
    from ml_genn.callbacks import OneCycleLR
    values = _run(OneCycleLR(max_alpha=0.1, total_steps=24, pct_start=0.25, per_batch=True))
    flat = values.reshape(-1)
    assert flat[0] == pytest.approx(0.1 / 25, rel=1e-6)
    assert flat[5] == pytest.approx(0.1, rel=1e-6)       # peak at pct_start * total - 1
    assert flat[-1] == pytest.approx(0.1 / 25 / 1e4, rel=1e-5)
    assert np.all(np.diff(flat[:6]) > 0) and np.all(np.diff(flat[5:]) < 0)


def test_reduce_on_plateau_follows_the_metric_history():
    from ml_genn.callbacks import ReduceLROnPlateau

    class Accuracy(Callback):
        def __init__(self):
            self.values = []

        def set_params(self, train_loop, **kwargs):
            self.loop = train_loop

        def on_epoch_end(self, epoch, metrics):
            self.values.append(next(iter(self.loop.validation_metrics.values())).result)

    accuracy = Accuracy()
    net, inp, out, compiled, x, y = _setup(n=24)
    probe = EngineAlpha()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=10, validation_split=0.25,
                       callbacks=[accuracy, ReduceLROnPlateau("val_accuracy", factor=0.5,
                                                              patience=1), probe],
                       validation_callbacks=[])
    per_epoch = np.array(probe.values).reshape(10, -1)[:, 0]
    # Independent count: more than one epoch without a new best halves alpha for the next
    best, bad, alpha, expected = None, 0, BASE, []
    for value in accuracy.values:
        expected.append(alpha)
        if best is None or value > best:
            best, bad = value, 0
        else:
            bad += 1
        if bad > 1:
            alpha, bad = alpha * 0.5, 0
    np.testing.assert_allclose(per_epoch, expected, rtol=1e-6)
    assert per_epoch[-1] < BASE
