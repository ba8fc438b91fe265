"""EarlyStopping and TerminateOnNaN on real small training runs (e-prop), checked against the
recorded metric history and weights."""
from __future__ import annotations

import numpy as np
import pytest

from ml_genn.callbacks import Callback
from training_harness import setup_run
from training_harness import setup_run as _setup

class History(Callback):
    """Records each epoch's validation accuracy and the weights at its end (in lists made at
    construction: a run works on a shallow copy of each callback, as in mlGeNN)."""

    def __init__(self):
        self.values, self.weights = [], []

    def set_params(self, train_loop, compiled_network, **kwargs):
        self.loop, self.network = train_loop, compiled_network

    def on_epoch_end(self, epoch, metrics):
        self.values.append(next(iter(self.loop.validation_metrics.values())).result)
        self.weights.append({c: np.array(g.vars["g"].view)
                             for c, g in self.network.connection_populations.items()})


def _expected_stop(values, patience, min_delta):
    best, wait = None, 0
    for epoch, value in enumerate(values):
        if best is None or value > best + min_delta:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait > patience:
                return epoch, best_epoch
    return None, best_epoch


@pytest.mark.parametrize("patience, min_delta", [(0, 0.0), (1, 0.0), (2, 0.05)])
def test_early_stopping_stops_where_the_history_says_and_restores_the_best(patience,
                                                                           min_delta):
    from ml_genn.callbacks import EarlyStopping
    net, inp, out, compiled, x, y = _setup()
    history = History()
    stopper = EarlyStopping("val_accuracy", min_delta=min_delta, patience=patience,
                            restore_best_weights=True)
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=30, validation_split=0.25,
                       callbacks=[history, stopper], validation_callbacks=[])
        final = {c: np.array(g.vars["g"].view) for c, g in
                 compiled.connection_populations.items()}
        stopped = compiled.stopped_epoch
    expected_stop, best_epoch = _expected_stop(history.values, patience, min_delta)
    assert expected_stop is not None, "the accuracy of random labels should stall"
    assert stopped == expected_stop == len(history.values) - 1
    assert best_epoch < stopped
    for conn, weights in history.weights[best_epoch].items():
        np.testing.assert_array_equal(final[conn], weights)
    assert not all(np.array_equal(final[c], w) for c, w in history.weights[-1].items())


def test_terminate_on_nan_stops_at_the_batch_a_weight_became_nan():
    from ml_genn.callbacks import TerminateOnNaN
    net, inp, out, compiled, x, y = _setup()
    batches = []

    class Inject(Callback):
        def set_params(self, train_loop, compiled_network, **kwargs):
            self.loop, self.network = train_loop, compiled_network

        def on_batch_end(self, batch, metrics):
            batches.append((self.loop.epoch, batch))
            if (self.loop.epoch, batch) == (1, 2):
                group = self.network.connection_populations[net.connections[0]]
                group.vars["g"].view[0] = np.nan

    terminate = TerminateOnNaN()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=5, callbacks=[Inject(), terminate])
        assert compiled.stopped_epoch == 1
    assert batches[-1] == (1, 2) and len(batches) == 6 + 3


def test_terminate_on_nan_watches_the_compilers_losses():
    """A compiler's batch loss (``last_losses``, as EventProp keeps them) that turns NaN stops
    training at that batch."""
    from ml_genn.callbacks import TerminateOnNaN
    net, inp, out, compiled, x, y = setup_run()
    batches = []

    class NaNLoss(Callback):
        def set_params(self, train_loop, compiled_network, **kwargs):
            self.loop, self.network = train_loop, compiled_network

        def on_batch_end(self, batch, metrics):
            batches.append((self.loop.epoch, batch))
            self.network.last_losses = {out: float("nan") if batch == 3 else 0.5}

    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=3,
                       callbacks=[NaNLoss(), TerminateOnNaN(check_weights=False)])
        assert compiled.stopped_epoch == 0
    assert batches[-1] == (0, 3)


def test_registered_names_and_bad_arguments():
    from ml_genn.callbacks import Callback as Base
    from ml_genn.errors import InvalidValueError
    from ml_genn.utils.module import get_object
    from ml_genn_training.early_stopping import EarlyStopping
    from ml_genn_training.terminate_on_nan import TerminateOnNaN
    assert isinstance(get_object("early_stopping", Base, "c", "callback"), EarlyStopping)
    assert isinstance(get_object("terminate_on_nan", Base, "c", "callback"), TerminateOnNaN)
    with pytest.raises(InvalidValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(InvalidValueError, match="mode"):
        EarlyStopping(mode="up")
    net, inp, out, compiled, x, y = _setup()
    with compiled:
        with pytest.raises(InvalidValueError, match="validation"):
            compiled.train({inp: x}, {out: y}, num_epochs=2, callbacks=[EarlyStopping()])
