"""A script in mlGeNN's documented style runs unchanged, and its numbers are right.

Idioms exercised: SequentialNetwork with InputLayer/Layer, string shortcuts ("dense" is not
constructible without weights, so Dense objects; "integrate_fire" etc. by object), the
plugin-provided SpikeRecorder imported from ml_genn.callbacks, "batch_progress_bar",
``metrics, cb_data = compiled_net.evaluate(...)`` and ``compiled_net.predict``.
"""
import numpy as np

from ml_genn import InputLayer, Layer, SequentialNetwork
from ml_genn.callbacks import SpikeRecorder
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import IntegrateFire, IntegrateFireInput
from ml_genn.synapses import Delta

TIMESTEPS = 20


def test_sequential_script_classifies_and_records_like_numpy():
    rng = np.random.default_rng(7)
    # Three classes, each lighting up its own group of 4 of 12 inputs (plus noise)
    labels = rng.integers(0, 3, size=30)
    x = rng.uniform(0.0, 0.05, size=(30, 12)).astype(np.float32)
    for i, label in enumerate(labels):
        x[i, label * 4:(label + 1) * 4] += 0.25
    weights = np.zeros((12, 3), dtype=np.float32)
    for c in range(3):
        weights[c * 4:(c + 1) * 4, c] = 1.0

    network = SequentialNetwork()
    with network:
        input = InputLayer(IntegrateFireInput(v_thresh=1.0), 12, record_spikes=True)
        output = Layer(Dense(weights), IntegrateFire(v_thresh=1e6, readout="var"), 3,
                       synapse=Delta())

    compiler = InferenceCompiler(evaluate_timesteps=TIMESTEPS, batch_size=8,
                                 reset_in_syn_between_batches=True)
    compiled_net = compiler.compile(network)
    with compiled_net:
        metrics, cb_data = compiled_net.evaluate(
            {input: x}, {output: labels},
            callbacks=["batch_progress_bar", SpikeRecorder(input, key="input_spikes")])

    # Independent NumPy run of the same network: input IF integrates x, spikes at >= 1 and
    # resets to 0; its spikes reach the output one step later
    v = np.zeros_like(x)
    counts = np.zeros_like(x)
    spikes_by_step = []
    for _ in range(TIMESTEPS):
        v += x
        fired = v >= 1.0
        v[fired] = 0.0
        spikes_by_step.append(fired)
        counts += fired
    # The last step's spikes are still in flight when the example ends
    delivered = counts - spikes_by_step[-1]
    expected_v = delivered @ weights
    accuracy = np.mean(np.argmax(expected_v, axis=1) == labels)
    assert metrics[output].result == accuracy
    assert accuracy > 0.9

    times, ids = cb_data["input_spikes"]
    assert len(times) == len(ids) == 30
    for example in range(30):
        steps, neurons = np.nonzero(np.array(spikes_by_step)[:, example])
        np.testing.assert_array_equal(np.sort(ids[example]), np.sort(neurons))
        np.testing.assert_array_equal(np.sort(times[example]), np.sort(steps.astype(float)))


def test_evaluate_scores_only_the_outputs_given_labels():
    """mlGeNN's evaluate builds metrics for the populations in y: a second readout population
    without labels is simulated, not required."""
    from ml_genn import Connection, Network, Population
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
    from ml_genn.utils.data import preprocess_spikes
    import pytest
    from ml_genn.errors import InvalidKeyError
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=10), 2)
        hid = Population(LeakyIntegrateFire(readout="spike_count"), 3)
        out = Population(LeakyIntegrate(readout="avg_var"), 2)
        Connection(inp, hid, Dense(np.full((2, 3), 2.0)))
        Connection(hid, out, Dense(np.array([[1.0, 0.0]] * 3)))
    x = [preprocess_spikes(np.array([0.0, 1.0]), np.array([0, 1]), 2)] * 4
    with InferenceCompiler(evaluate_timesteps=5, batch_size=2).compile(net) as compiled:
        metrics, _ = compiled.evaluate({inp: x}, {out: [0, 0, 1, 1]}, callbacks=[])
        assert list(metrics) == [out]
        # Output 0 always wins (only it gets input): half the labels are right
        assert metrics[out].result == 0.5
        metrics, _ = compiled.evaluate({inp: x}, {hid: [0, 0, 0, 0], out: [0, 0, 0, 0]},
                                       callbacks=[])
        assert list(metrics) == [hid, out] and metrics[out].result == 1.0
        with pytest.raises(InvalidKeyError, match="y has no data for output population"):
            compiled.evaluate({inp: x}, {}, callbacks=[])
