"""Yin-Yang classification with a spiking network, evaluated end to end on the cpu engine.

The Yin-Yang dataset (Kriener et al. 2021) is generated offline as latency-coded spikes.
A hidden layer of 400 LIF neurons with fixed random weights turns each example's five input
spikes into spike counts; a readout of integrate-and-fire neurons sums the hidden spikes
through weights fitted in NumPy (ridge regression of the training set's hidden spike counts
onto one-hot labels). The whole network is then evaluated with InferenceCompiler on 1000
held-out examples and the accuracy printed.

Run: python examples/yin_yang_inference.py
"""
import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import IntegrateFire, LeakyIntegrateFire, SpikeInput
from ml_genn.synapses import Exponential
from ml_genn.utils.data import generate_yin_yang_dataset

NUM_HIDDEN, TIMESTEPS, BATCH = 400, 60, 64


def build(hidden_weights, readout_weights):
    """Input -> hidden LIF -> output IF; the hidden layer is the output when readout_weights is
    None (its spike counts are the features)."""
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=5 * BATCH), 5, name="input")
        hidden = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0, tau_refrac=2.0,
                                               readout="spike_count" if readout_weights is None else None),
                            NUM_HIDDEN, name="hidden")
        Connection(inp, hidden, Dense(hidden_weights), Exponential(5.0))
        out = None
        if readout_weights is not None:
            out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3, name="output")
            Connection(hidden, out, Dense(readout_weights))
    compiler = InferenceCompiler(evaluate_timesteps=TIMESTEPS, batch_size=BATCH, rng_seed=1)
    return compiler.compile(net, "yin_yang"), inp, hidden, out


def main():
    start = time.perf_counter()
    rng = np.random.default_rng(42)
    train_x, train_y = generate_yin_yang_dataset(3000, scale=30.0, offset=2.0, rng=1)
    test_x, test_y = generate_yin_yang_dataset(1000, scale=30.0, offset=2.0, rng=2)
    hidden_weights = rng.normal(0.0, 1.0, size=(5, NUM_HIDDEN)).astype(np.float32)

    # 1. Hidden spike counts of the training set (features)
    compiled, inp, hidden, _ = build(hidden_weights, None)
    with compiled:
        counts, _ = compiled.predict({inp: train_x}, hidden, callbacks=[])
    # 2. Ridge regression onto one-hot labels
    features = counts.astype(np.float64)
    targets = np.eye(3)[train_y]
    solution = np.linalg.solve(features.T @ features + np.eye(NUM_HIDDEN),
                               features.T @ targets)
    readout = solution.astype(np.float32)
    # 3. The whole network, evaluated on held-out data
    compiled, inp, _, out = build(hidden_weights, readout)
    with compiled:
        metrics, _ = compiled.evaluate({inp: test_x}, {out: np.asarray(test_y)}, callbacks=[])
    accuracy = metrics[out].result
    print(f"Yin-Yang test accuracy: {100 * accuracy:.1f}% on {len(test_y)} examples "
          f"(train fit {100 * np.mean(np.argmax(features @ solution, 1) == train_y):.1f}%), "
          f"wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
