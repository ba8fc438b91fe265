"""Every registered compiler learns a small synthetic task through the production path.

Each test compiles a network with the compiler, evaluates it untrained (about chance), trains
it (``compiled.train`` for the training compilers; for ``InferenceCompiler`` and
``FewSpikeCompiler``, which have no training loop, weights fitted in NumPy and then set on the
compiled network or converted into it) and evaluates held-out examples, which must reach a
stated accuracy well above chance. The spike task is temporal: three classes of one spike per
input, whose latencies follow a per-class template (plus jitter and dropped spikes), so the
counts of input spikes tell the classes nothing. EventProp and inference run at dt = 0.5 ms, so
the dt-dependent parts of the models are exercised on the production path too; e-prop at 1 ms.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import SpikeRecorder
from ml_genn.compilers import (EPropCompiler, EventPropCompiler, FewSpikeCompiler,
                               InferenceCompiler)
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, FewSpikeRelu, FewSpikeReluInput,
                             IntegrateFire, LeakyIntegrate, LeakyIntegrateFire, SpikeInput)
from ml_genn.optimisers import Adam
from ml_genn.plugins.manager import get_registry
from ml_genn.readouts import FirstSpikeTime
from ml_genn.synapses import Delta, Exponential
from ml_genn.utils.data import preprocess_spikes

NUM_IN, NUM_CLASSES, DURATION = 16, 3, 30.0
CHANCE = 1.0 / NUM_CLASSES


def latency_task(per_class, seed, jitter=1.0, drop=0.1):
    """``(spike trains, labels)``: each input spikes once (or, with probability ``drop``,
    not at all) at its class's template latency (uniform in 2-20 ms, the same templates for
    every seed) plus Gaussian ``jitter`` [ms]."""
    templates = np.random.default_rng(0).uniform(2.0, 20.0, (NUM_CLASSES, NUM_IN))
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(NUM_CLASSES), per_class))
    trains = []
    for label in labels:
        times = templates[label] + rng.normal(0.0, jitter, NUM_IN)
        keep = rng.random(NUM_IN) >= drop
        trains.append(preprocess_spikes(np.clip(times[keep], 0.25, DURATION - 1.0),
                                        np.flatnonzero(keep), NUM_IN))
    return trains, labels


TRAIN = latency_task(30, seed=1)
TEST = latency_task(20, seed=2)


def train_and_evaluate(compiled, inp, out, epochs):
    """Held-out accuracy before and after ``epochs`` of training, and the training accuracy
    of each epoch (measured by ``train`` while it learns)."""
    with compiled:
        before, _ = compiled.evaluate({inp: TEST[0]}, {out: TEST[1]}, callbacks=[])
        curve = []
        for _ in range(epochs):
            metrics, _ = compiled.train({inp: TRAIN[0]}, {out: TRAIN[1]}, num_epochs=1,
                                        shuffle=True, callbacks=[])
            curve.append(metrics[out].result)
        after, _ = compiled.evaluate({inp: TEST[0]}, {out: TEST[1]}, callbacks=[])
    return before[out].result, after[out].result, curve


def assert_learned(before, after, curve, target):
    assert before < CHANCE + 0.15, f"untrained held-out accuracy {before:.2f} is not near chance"
    assert np.mean(curve[-3:]) > np.mean(curve[:3]) + 0.2, f"training accuracy {curve}"
    assert after >= target, f"held-out accuracy {after:.2f} < {target}"


# ------------------------------------------------------------------ EventProp
@pytest.mark.parametrize("output", ["leaky_integrator", "first_spike_time"])
def test_event_prop_learns_the_latency_task(output):
    """EventProp (dt = 0.5 ms): LIF hidden layer, exponential synapses, and either leaky
    integrators read out with ``avg_var`` or LIF outputs whose first spike time is the
    prediction (cross-entropy over negated spike times)."""
    from ml_genn.compilers.event_prop_compiler import default_params
    dt = 0.5
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=NUM_IN * 16), NUM_IN)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 32)
        if output == "leaky_integrator":
            out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), NUM_CLASSES)
            out_weights = Normal(mean=0.0, sd=0.5)
        else:
            out = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0,
                                                readout=FirstSpikeTime()), NUM_CLASSES)
            # Outputs must spike before anything can be learned from their spike times
            out_weights = Normal(mean=1.0, sd=0.5)
        Connection(inp, hid, Dense(Normal(mean=1.0, sd=0.5)), Exponential(5.0))
        Connection(hid, out, Dense(out_weights), Exponential(5.0))
    steps = int(DURATION / dt)
    compiler = EventPropCompiler(example_timesteps=steps, dt=dt,
                                 losses="sparse_categorical_crossentropy",
                                 optimiser=Adam(0.02), batch_size=16, max_spikes=steps,
                                 rng_seed=1)
    before, after, curve = train_and_evaluate(compiler.compile(net), inp, out, epochs=12)
    assert_learned(before, after, curve, target=0.9)


# ------------------------------------------------------------------ e-prop
@pytest.mark.parametrize("adaptive", [False, True], ids=["lif", "alif"])
def test_eprop_learns_the_latency_task(adaptive):
    """e-prop (dt = 1 ms): a recurrent layer of LIF or ALIF neurons (delta synapses) and
    leaky-integrator outputs read out with ``avg_var``."""
    from ml_genn.compilers.eprop_compiler import default_params
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=NUM_IN * 16), NUM_IN)
        if adaptive:
            neuron = AdaptiveLeakyIntegrateFire(v_thresh=0.6, tau_mem=10.0, tau_refrac=2.0,
                                                beta=0.05, tau_adapt=100.0)
        else:
            neuron = LeakyIntegrateFire(v_thresh=0.6, tau_mem=10.0, tau_refrac=2.0)
        hid = Population(neuron, 32)
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), NUM_CLASSES)
        Connection(inp, hid, Dense(Normal(mean=0.0, sd=1.0 / np.sqrt(NUM_IN))), Delta())
        Connection(hid, hid, Dense(Normal(mean=0.0, sd=1.0 / np.sqrt(32))), Delta())
        Connection(hid, out, Dense(Normal(mean=0.0, sd=1.0 / np.sqrt(32))), Delta())
    compiler = EPropCompiler(int(DURATION), "sparse_categorical_crossentropy",
                             optimiser=Adam(0.005), batch_size=16, rng_seed=3)
    before, after, curve = train_and_evaluate(compiler.compile(net), inp, out, epochs=20)
    assert_learned(before, after, curve, target=0.9)


# ------------------------------------------------------------------ inference
def test_inference_compiler_reads_out_a_fitted_reservoir():
    """InferenceCompiler (dt = 0.5 ms) has no training loop: a fixed random LIF layer's
    spike counts (recorded while ``predict`` runs the training set) are fitted to one-hot
    labels by ridge regression in NumPy, the fitted weights are written into the compiled
    network's output connection, and the same compiled network then classifies held-out
    examples."""
    rng = np.random.default_rng(4)
    dt, num_hidden = 0.5, 120
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=NUM_IN * 16), NUM_IN)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0, tau_refrac=1.0),
                         num_hidden, record_spikes=True)
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), NUM_CLASSES)
        Connection(inp, hid, Dense(rng.normal(0.4, 0.6, (NUM_IN, num_hidden))),
                   Exponential(5.0))
        readout = Connection(hid, out, Dense(np.zeros((num_hidden, NUM_CLASSES))), Delta())
    compiled = InferenceCompiler(evaluate_timesteps=int(DURATION / dt), dt=dt,
                                 batch_size=16).compile(net)
    with compiled:
        before, _ = compiled.evaluate({inp: TEST[0]}, {out: TEST[1]}, callbacks=[])
        _, cb_data = compiled.predict({inp: TRAIN[0]}, out,
                                      callbacks=[SpikeRecorder(hid, key="hidden")])
        features = np.array([np.bincount(ids, minlength=num_hidden)
                             for ids in cb_data["hidden"][1]], dtype=np.float64)
        assert features.sum(axis=1).min() > 0, "some example left the hidden layer silent"
        weights = np.linalg.solve(features.T @ features + 1.0 * np.eye(num_hidden),
                                  features.T @ np.eye(NUM_CLASSES)[TRAIN[1]])
        train_accuracy = np.mean(np.argmax(features @ weights, axis=1) == TRAIN[1])
        group = compiled.connection_populations[readout]
        group.vars["g"].view[...] = weights.reshape(group.vars["g"].view.shape)
        group.push_to_device()
        after, _ = compiled.evaluate({inp: TEST[0]}, {out: TEST[1]}, callbacks=[])
    # Zero readout weights: every output reads 0, so the prediction is class 0
    assert before[out].result == pytest.approx(np.mean(TEST[1] == 0))
    assert train_accuracy >= 0.95
    assert after[out].result >= 0.9


# ------------------------------------------------------------------ few-spike
def ring_task(n, seed):
    """Points in the unit square, class 1 inside a ring (radius 0.2-0.4 around the centre):
    not linearly separable. Features ``(x, y, 1 - x, 1 - y, 0.5)`` all lie in ``[0, 1)``; the
    constant one stands in for biases (few-spike neurons have none)."""
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2))
    radius = np.hypot(points[:, 0] - 0.5, points[:, 1] - 0.5)
    labels = ((radius > 0.2) & (radius < 0.4)).astype(int)
    return np.column_stack([points, 1.0 - points, np.full(n, 0.5)]), labels


def train_relu_mlp(x, y, hidden, epochs, seed):
    """A bias-free ReLU MLP trained by full-batch gradient descent (Adam) on cross-entropy."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(0.0, np.sqrt(2.0 / x.shape[1]), (x.shape[1], hidden)),
              rng.normal(0.0, np.sqrt(2.0 / hidden), (hidden, 2))]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    targets = np.eye(2)[y]
    for step in range(1, epochs + 1):
        h = np.maximum(x @ params[0], 0.0)
        logits = h @ params[1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        d_logits = (p - targets) / len(x)
        grads = [x.T @ ((d_logits @ params[1].T) * (h > 0)), h.T @ d_logits]
        for param, grad, (m, v) in zip(params, grads, moments):
            m[...] = 0.9 * m + 0.1 * grad
            v[...] = 0.999 * v + 0.001 * grad ** 2
            param -= 0.02 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return params


def test_few_spike_compiler_runs_a_numpy_trained_relu_network():
    """FewSpikeCompiler: a ReLU network trained in NumPy on the ring task, converted with
    each layer's code scale ``alpha`` set just above its largest training activation, keeps
    the ANN's held-out accuracy within 3 points (and above 90%)."""
    k = 10
    x_train, y_train = ring_task(600, seed=5)
    x_test, y_test = ring_task(300, seed=6)
    w_hidden, w_out = train_relu_mlp(x_train, y_train, hidden=64, epochs=3000, seed=7)
    ann_logits = np.maximum(x_test @ w_hidden, 0.0) @ w_out
    ann_accuracy = np.mean(np.argmax(ann_logits, axis=1) == y_test)
    majority = max(np.mean(y_test), 1.0 - np.mean(y_test))
    hidden_alpha = 1.05 * np.maximum(x_train @ w_hidden, 0.0).max()
    net = Network()
    with net:
        inp = Population(FewSpikeReluInput(k=k, alpha=1.0), 5)
        hid = Population(FewSpikeRelu(k=k, alpha=hidden_alpha), 64)
        out = Population(FewSpikeRelu(k=k, alpha=1.0, readout="var"), 2)
        Connection(inp, hid, Dense(w_hidden), Delta())
        Connection(hid, out, Dense(w_out), Delta())
    compiled = FewSpikeCompiler(k=k, batch_size=32).compile(net)
    with compiled:
        metrics, _ = compiled.evaluate({inp: x_test}, {out: y_test}, callbacks=[])
    assert ann_accuracy >= 0.93 and majority < 0.7
    assert metrics[out].result >= max(0.9, ann_accuracy - 0.03)


# ------------------------------------------------------------------ coverage
COVERED = {"InferenceCompiler": test_inference_compiler_reads_out_a_fitted_reservoir,
           "FewSpikeCompiler": test_few_spike_compiler_runs_a_numpy_trained_relu_network,
           "EventPropCompiler": test_event_prop_learns_the_latency_task,
           "EPropCompiler": test_eprop_learns_the_latency_task}


def test_every_registered_compiler_has_a_learning_test():
    """A compiler registered by core or an installed plugin without a test here fails this."""
    registry = get_registry().kind("compiler")
    registered = {registry.get(name).__name__ for name in registry.names()}
    assert registered == set(COVERED)
