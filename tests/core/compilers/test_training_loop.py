"""The generic training loop, optimisers and checkpoints, proven with the test LMS compiler."""
import os
import subprocess
import sys

import numpy as np
import pytest

from lms_compiler import LMSCompiler, lms_reference
from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback, OptimiserParamSchedule
from ml_genn.connectivity import Dense
from ml_genn.neurons import BinarySpikeInput, LeakyIntegrate
from ml_genn.optimisers import SGD, Adam

T, TAU = 6, 10.0


def make(optimiser, batch_size=4, n_in=5, n_out=2):
    net = Network()
    with net:
        inp = Population(BinarySpikeInput(), n_in)
        out = Population(LeakyIntegrate(tau_mem=TAU, readout="avg_var"), n_out)
        Connection(inp, out, Dense(np.zeros((n_in, n_out))))
    compiled = LMSCompiler(T, optimiser, batch_size=batch_size, rng_seed=7).compile(net)
    return net, inp, out, compiled


def data(n=8):
    rng = np.random.default_rng(0)
    x = (rng.random((n, 5)) < 0.5).astype(np.float32)
    y = (x @ rng.normal(size=(5, 2)) * 0.6).astype(np.float32)
    return x, y


@pytest.mark.parametrize("optimiser", [Adam(0.05), SGD(0.2)])
def test_training_matches_numpy_reference_and_learns(optimiser):
    x, y = data()
    net, inp, out, compiled = make(optimiser)
    losses = []

    class LossAfterBatch(Callback):
        def on_epoch_end(self, epoch, metrics):
            losses.append(metrics[out].result)

    with compiled:
        metrics, cb = compiled.train({inp: x}, {out: y}, num_epochs=4, shuffle=False,
                                     metrics="mean_square_error", callbacks=[LossAfterBatch()])
        g = compiled.connection_populations[net.connections[0]].vars["g"].view.reshape(5, 2)
    w_ref, _ = lms_reference(x.astype(float), y.astype(float), np.zeros((5, 2)),
                             np.exp(-1.0 / TAU), T, 4, optimiser, 4, lambda e: np.arange(8))
    np.testing.assert_allclose(g, w_ref, rtol=1e-3, atol=1e-5)
    assert losses[-1] < 0.5 * losses[0]


def test_shuffle_is_seeded_and_validation_returns_four_values():
    x, y = data(12)
    results = []
    for _ in range(2):
        net, inp, out, compiled = make(Adam(0.05))
        with compiled:
            result = compiled.train({inp: x}, {out: y}, num_epochs=2, metrics="mean_square_error",
                                    callbacks=[], validation_callbacks=[], validation_split=0.25)
            results.append(compiled.connection_populations[net.connections[0]].vars["g"].view.copy())
        train_metrics, valid_metrics, train_cb, valid_cb = result
        assert train_metrics[out].total == 9 and valid_metrics[out].total == 3
    np.testing.assert_array_equal(results[0], results[1])


def test_optimiser_param_schedule_changes_alpha():
    x, y = data()
    net, inp, out, compiled = make(SGD(0.2))
    seen = []

    class Watch(Callback):
        def set_params(self, compiled_network=None, **kwargs):
            self.net = compiled_network

        def on_epoch_begin(self, epoch):
            seen.append(self.net.get_optimiser_param("alpha"))

    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=3, shuffle=False, metrics="mean_square_error",
                       callbacks=[OptimiserParamSchedule("alpha", lambda e, a: 0.2 / (e + 1)), Watch()])
        g = compiled.connection_populations[net.connections[0]].vars["g"].view.reshape(5, 2)
    assert seen == pytest.approx([0.2, 0.1, 0.2 / 3])
    # Reference: SGD with the scheduled rate
    w = np.zeros((5, 2))
    for epoch in range(3):
        w, _ = lms_reference(x.astype(float), y.astype(float), w, np.exp(-1.0 / TAU), T, 4,
                             SGD(0.2 / (epoch + 1)), 1, lambda e: np.arange(8))
    np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def test_train_bad_input_and_arguments():
    x, y = data()
    net, inp, out, compiled = make(Adam())
    with compiled:
        with pytest.raises(ValueError, match="NaN"):
            compiled.train({inp: x}, {out: np.full_like(y, np.nan)}, num_epochs=1, callbacks=[])
        with pytest.raises(ValueError, match="same number of examples"):
            compiled.train({inp: x}, {out: y[:5]}, num_epochs=1, callbacks=[])
        with pytest.raises(ValueError, match="start_epoch"):
            compiled.train({inp: x}, {out: y}, num_epochs=1, start_epoch=-1, callbacks=[])
        with pytest.raises(ValueError, match="num_epochs"):
            compiled.train({inp: x}, {out: y}, num_epochs=0, start_epoch=3, callbacks=[])
        with pytest.raises(ValueError, match="cannot be changed"):
            compiled.set_optimiser_param("beta1", 0.5)


def run_script(mode, folder):
    script = os.path.join(os.path.dirname(__file__), "resume_script.py")
    subprocess.run([sys.executable, script, mode, str(folder)], check=True, timeout=300)
    return np.load(os.path.join(folder, f"final_{mode}.npy"))


def test_resume_from_checkpoint_in_new_process_is_bit_exact(tmp_path):
    full_dir, part_dir = tmp_path / "full", tmp_path / "part"
    full = run_script("full", full_dir)
    first = run_script("first", part_dir)
    resumed = run_script("resume", part_dir)
    assert not np.array_equal(first, full)  # the second epoch changed the weights
    np.testing.assert_array_equal(resumed, full)


def test_num_epochs_counts_epochs_from_start_epoch_as_in_mlgenn():
    """mlGeNN's train runs epochs ``range(start_epoch, start_epoch + num_epochs)``; its training
    page trains one epoch per call with ``start_epoch=e`` (data augmentation). Three epochs in
    one call must equal three calls of one epoch, bit for bit (shuffling seeded by epoch, the
    optimiser's step carried over), and callbacks must see the epoch numbers."""
    x, y = data(12)
    seen = []

    class Epochs(Callback):
        def set_params(self, num_epochs, **kwargs):
            seen.append(("num_epochs", num_epochs))

        def on_epoch_begin(self, epoch):
            seen.append(epoch)

    results = []
    for calls in ([(3, 0)], [(1, 0), (1, 1), (1, 2)]):
        seen.clear()
        net, inp, out, compiled = make(Adam(0.05))
        with compiled:
            for num_epochs, start_epoch in calls:
                compiled.train({inp: x}, {out: y}, num_epochs=num_epochs,
                               start_epoch=start_epoch, metrics="mean_square_error",
                               callbacks=[Epochs()])
            results.append(compiled.connection_populations[net.connections[0]].vars["g"].view.copy())
        epochs = [e for e in seen if not isinstance(e, tuple)]
        assert epochs == [0, 1, 2]
        assert [n for _, n in (e for e in seen if isinstance(e, tuple))] == \
            [n for n, _ in calls]
    np.testing.assert_array_equal(results[0], results[1])
    # A start epoch past num_epochs runs: epochs 5 and 6
    seen.clear()
    net, inp, out, compiled = make(Adam(0.05))
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=2, start_epoch=5,
                       metrics="mean_square_error", callbacks=[Epochs()])
    assert [e for e in seen if not isinstance(e, tuple)] == [5, 6]


def test_a_callback_stops_training_after_the_current_batch():
    """Keras's ``stop_training``: the batch finishes, the epoch ends there (validation and
    on_epoch_end with the metrics of the batches run), on_train_end runs, train returns and
    says where it stopped; the weights are those of exactly the batches run."""
    x, y = data(12)
    net, inp, out, compiled = make(SGD(0.2))
    events = []

    class Stopper(Callback):
        def set_params(self, compiled_network=None, **kwargs):
            self.network = compiled_network

        def on_epoch_begin(self, epoch):
            self.epoch = epoch

        def on_batch_end(self, batch, metrics):
            events.append(("batch", self.epoch, batch))
            if (self.epoch, batch) == (1, 1):
                self.network.stop_training = True

        def on_epoch_end(self, epoch, metrics):
            events.append(("epoch_end", epoch, metrics[out].total))

        def on_train_end(self, metrics):
            events.append(("train_end", metrics[out].total))

    with compiled:
        result = compiled.train({inp: x[:8]}, {out: y[:8]}, num_epochs=5, shuffle=False,
                                metrics="mean_square_error", callbacks=[Stopper()],
                                validation_x={inp: x[8:]}, validation_y={out: y[8:]},
                                validation_callbacks=[])
        stopped = compiled.stopped_epoch
        g = compiled.connection_populations[net.connections[0]].vars["g"].view.reshape(5, 2).copy()
        # The next train starts afresh and runs to the end
        compiled.train({inp: x[:8]}, {out: y[:8]}, num_epochs=1, shuffle=False,
                       metrics="mean_square_error", callbacks=[])
        assert compiled.stopped_epoch is None
    train_metrics, valid_metrics, _, _ = result
    assert stopped == 1
    assert events == [("batch", 0, 0), ("batch", 0, 1), ("epoch_end", 0, 8),
                      ("batch", 1, 0), ("batch", 1, 1), ("epoch_end", 1, 8), ("train_end", 8)]
    assert valid_metrics[out].total == 4      # the stopped epoch was still validated
    # Without validation (this test compiler's synapses would learn from it too), four batches
    # of 4 are learned from: one epoch of 8, then the same 8 again
    net, inp, out, compiled = make(SGD(0.2))
    events.clear()
    with compiled:
        compiled.train({inp: x[:8]}, {out: y[:8]}, num_epochs=5, shuffle=False,
                       metrics="mean_square_error", callbacks=[Stopper()])
        g = compiled.connection_populations[net.connections[0]].vars["g"].view.reshape(5, 2)
        g = g.copy()
    assert len([e for e in events if e[0] == "batch"]) == 4
    w_ref, _ = lms_reference(x[:8].astype(float), y[:8].astype(float), np.zeros((5, 2)),
                             np.exp(-1.0 / TAU), T, 4, SGD(0.2), 2, lambda e: np.arange(8))
    np.testing.assert_allclose(g, w_ref, rtol=1e-3, atol=1e-5)


def test_callbacks_that_ask_reach_the_running_loop():
    """AIToolbox's train_loop_obj: a callback whose set_params names ``train_loop`` sees the
    epoch and batch, the network, the data, and can predict on the validation set; one that
    does not ask (no **kwargs either) is called exactly as before."""
    x, y = data(12)
    net, inp, out, compiled = make(SGD(0.2))
    seen = []

    class Asks(Callback):
        def set_params(self, train_loop, compiled_network, **kwargs):
            self.loop = train_loop

        def on_batch_end(self, batch, metrics):
            seen.append(("batch", self.loop.epoch, self.loop.batch))

        def on_epoch_end(self, epoch, metrics):
            assert self.loop.compiled_network is compiled and self.loop.x[inp] is not None
            prediction = self.loop.predict_on_validation_set()[out]
            w = compiled.connection_populations[net.connections[0]].vars["g"].view
            # avg_var of V_k = a_k (x @ W), a_0 = 0, a_k = alpha a_(k-1) + 1 (closed form)
            a = np.zeros(T)
            for k in range(1, T):
                a[k] = np.exp(-1.0 / TAU) * a[k - 1] + 1.0
            expected = a.mean() * (x[8:].astype(float) @ w.reshape(5, 2))
            np.testing.assert_allclose(prediction, expected, rtol=1e-4, atol=1e-6)
            seen.append(("predicted", epoch, prediction.shape))

    class DoesNotAsk(Callback):
        def set_params(self, data, compiled_network, num_batches, num_epochs):
            self.ok = compiled_network is compiled

    with compiled:
        compiled.train({inp: x[:8]}, {out: y[:8]}, num_epochs=2, shuffle=False,
                       metrics="mean_square_error", callbacks=[Asks(), DoesNotAsk()],
                       validation_x={inp: x[8:]}, validation_y={out: y[8:]},
                       validation_callbacks=[])
        assert compiled.train_loop is None
    assert seen == [("batch", 0, 0), ("batch", 0, 1), ("predicted", 0, (4, 2)),
                    ("batch", 1, 0), ("batch", 1, 1), ("predicted", 1, (4, 2))]


def test_gradient_hooks_see_and_change_what_the_optimiser_applies():
    """on_after_gradient_update sees the batch's summed gradient (the NumPy reference's, times
    the batch) and what it writes is applied; on_after_optimizer_step sees the new weights."""
    x, y = data(8)
    net, inp, out, compiled = make(SGD(0.2))
    conn = net.connections[0]
    seen = []

    class Hooks(Callback):
        def set_params(self, compiled_network, **kwargs):
            self.network = compiled_network

        def on_after_gradient_update(self, batch):
            gradient = self.network.get_gradients()[conn]
            seen.append(("gradient", batch, gradient.copy()))
            if batch == 1:
                gradient[...] = 0.0           # the second batch teaches nothing

        def on_after_optimizer_step(self, batch):
            w = self.network.connection_populations[conn].vars["g"].view.reshape(5, 2)
            seen.append(("step", batch, w.copy()))

    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=1, shuffle=False,
                       metrics="mean_square_error", callbacks=[Hooks()])
    assert [s[:2] for s in seen] == [("gradient", 0), ("step", 0), ("gradient", 1), ("step", 1)]
    # The reference's first step: w1 = -lr * grad (mean over the batch of 4)
    w1, _ = lms_reference(x[:4].astype(float), y[:4].astype(float), np.zeros((5, 2)),
                          np.exp(-1.0 / TAU), T, 4, SGD(0.2), 1, lambda e: np.arange(4))
    np.testing.assert_allclose(seen[0][2], -w1 / 0.2, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(seen[1][2], w1, rtol=1e-3, atol=1e-6)
    np.testing.assert_array_equal(seen[3][2], seen[1][2])     # the zeroed gradient moved nothing
