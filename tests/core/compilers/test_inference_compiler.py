"""InferenceCompiler: evaluate/predict results against NumPy, metrics, and bad-input errors."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.metrics import MeanSquareError
from ml_genn.neurons import IntegrateFire, IntegrateFireInput, SpikeInput
from ml_genn.utils.data import preprocess_spikes


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 3))
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=0.5), 5, name="input")
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3, name="output")
        Connection(inp, out, Dense(w))
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True, batch_size=4).compile(net)
    x = (rng.random((10, 5)) < 0.5).astype(np.float32)
    with compiled:
        yield compiled, inp, out, w, x


def test_evaluate_accuracy_and_mse_match_numpy(model):
    compiled, inp, out, w, x = model
    scores = x @ w
    labels = np.arange(10) % 3
    metrics, _ = compiled.evaluate({inp: x}, {out: labels}, callbacks=[])
    assert metrics[out].result == pytest.approx(np.mean(np.argmax(scores, 1) == labels))
    target = np.ones((10, 3))
    metrics, _ = compiled.evaluate({inp: x}, {out: target}, metrics=MeanSquareError(), callbacks=[])
    assert metrics[out].result == pytest.approx(np.mean((scores - target) ** 2), rel=1e-5)


def test_evaluate_batch_iter_and_evaluate_batch(model):
    compiled, inp, out, w, x = model
    labels = np.arange(10) % 3
    batches = ((x[i:i + 4], labels[i:i + 4]) for i in range(0, 10, 4))
    metrics, _ = compiled.evaluate_batch_iter(inp, out, batches, num_batches=3, callbacks=[])
    assert metrics[out].result == pytest.approx(np.mean(np.argmax(x @ w, 1) == labels))
    metrics, _ = compiled.evaluate_batch({inp: x[:3]}, {out: labels[:3]}, callbacks=[])
    assert metrics[out].total == 3


def test_batch_callbacks_and_one_native_call_without_timestep_hooks(model):
    compiled, inp, out, w, x = model
    seen = []

    class Count(Callback):
        def on_batch_end(self, batch, metrics):
            seen.append((batch, compiled.genn_model.timestep))

    compiled.evaluate({inp: x}, {out: np.zeros(10, dtype=int)}, callbacks=[Count()])
    assert seen == [(0, 2), (1, 2), (2, 2)]


@pytest.mark.parametrize("x_fn,y_fn,error,match", [
    (lambda i, o, x: {"input": x}, lambda i, o: {o: np.zeros(10, int)}, KeyError, "not an input population"),
    (lambda i, o, x: {i: x}, lambda i, o: {i: np.zeros(10, int)}, KeyError, "not an output population"),
    (lambda i, o, x: {i: x}, lambda i, o: {o: np.zeros(9, int)}, ValueError, "same number of examples"),
    (lambda i, o, x: {i: x[:, :4]}, lambda i, o: {o: np.zeros(10, int)}, ValueError, r"shape \(examples,\) \+ \(5,\)"),
    (lambda i, o, x: {i: x.astype(str)}, lambda i, o: {o: np.zeros(10, int)}, TypeError, "numeric"),
    (lambda i, o, x: {i: x}, lambda i, o: {o: np.full(10, 3)}, ValueError, "label 3, out of range"),
    (lambda i, o, x: {i: x}, lambda i, o: {o: np.full(10, 0.5)}, TypeError, "integer class labels"),
    (lambda i, o, x: {i: [preprocess_spikes([1.0], [0], 5)] * 10}, lambda i, o: {o: np.zeros(10, int)},
     TypeError, "feed spikes to a SpikeInput"),
])
def test_bad_input_errors_before_simulation(model, x_fn, y_fn, error, match):
    compiled, inp, out, w, x = model
    compiled.genn_model.timestep = 0
    with pytest.raises(error, match=match):
        compiled.evaluate(x_fn(inp, out, x), y_fn(inp, out), callbacks=[])
    assert compiled.genn_model.timestep == 0  # nothing was simulated


def test_nan_targets_rejected(model):
    compiled, inp, out, w, x = model
    target = np.ones((10, 3))
    target[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compiled.evaluate({inp: x}, {out: target}, metrics="mean_square_error", callbacks=[])


def test_spike_input_fed_dense_array_is_an_error():
    net = Network()
    with net:
        inp = Population(SpikeInput(), 2)
        out = Population(IntegrateFire(readout="spike_count"), 2)
        Connection(inp, out, Dense(1.0))
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True).compile(net)
    with compiled:
        with pytest.raises(TypeError, match="SpikeInput.*PreprocessedSpikes"):
            compiled.predict({inp: np.ones((3, 2))}, out, callbacks=[])


def test_compiled_network_must_be_loaded(model):
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True).compile(Network())
    with pytest.raises(RuntimeError, match="with compiled_net"):
        compiled.evaluate({}, {}, callbacks=[])


@pytest.mark.parametrize("reset_in_syn, expected", [(False, [0.0, 1.0]), (True, [0.0, 0.0])])
def test_synaptic_state_crosses_batches_unless_reset(reset_in_syn, expected):
    # The input spikes on the last step of each 2-step example (V: 0.5, then 1.0), so its spike
    # is delivered on the next step: the first step of the *next* batch. mlGeNN's default keeps
    # that in-flight input (reset_in_syn_between_batches=False); resetting drops it.
    from ml_genn.neurons import IntegrateFireInput
    from ml_genn.synapses import Delta
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=1.0), 1)
        out = Population(IntegrateFire(v_thresh=100.0, readout="var"), 1)
        Connection(inp, out, Dense(np.ones((1, 1))), Delta())
    kwargs = {} if not reset_in_syn else {"reset_in_syn_between_batches": True}
    compiled = InferenceCompiler(evaluate_timesteps=2, batch_size=1, **kwargs).compile(net)
    with compiled:
        y, _ = compiled.predict({inp: np.full((2, 1), 0.5)}, out, callbacks=[])
    np.testing.assert_array_equal(np.asarray(y).ravel(), expected)
