"""Few-spike inference workload: a small convolutional ReLU network on 28x28 input run with
FewSpikeCompiler (k=8, batch 32): 28x28x1 -> conv 3x3x16 -> conv 3x3x32 (stride 2) -> dense
128 -> dense 10. Reports examples/s over 1024 examples (including the presentations that
flush the pipeline). Batch 1 on GeNN's single-threaded CPU backend."""
from __future__ import annotations

import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import FewSpikeCompiler
from ml_genn.connectivity import Conv2D, Dense
from ml_genn.neurons import FewSpikeRelu, FewSpikeReluInput
from ml_genn.synapses import Delta

from workloads.backend_support import batch_size

NAME = "few_spike_conv"
BATCH, K, NUM_EXAMPLES = 32, 8, 1024


def build(backend: str = "cpu", batch: int = BATCH):
    """The compiled network, its input and output populations and random image data."""
    rng = np.random.default_rng(0)
    net = Network()
    with net:
        inp = Population(FewSpikeReluInput(k=K, alpha=1.0), (28, 28, 1))
        c1 = Population(FewSpikeRelu(k=K, alpha=4.0), None)
        c2 = Population(FewSpikeRelu(k=K, alpha=4.0), None)
        d1 = Population(FewSpikeRelu(k=K, alpha=4.0), 128)
        out = Population(FewSpikeRelu(k=K, alpha=4.0, readout="var"), 10)
        Connection(inp, c1, Conv2D(rng.normal(0, 0.3, (3, 3, 1, 16)), 16, 3), Delta())
        Connection(c1, c2, Conv2D(rng.normal(0, 0.1, (3, 3, 16, 32)), 32, 3, conv_strides=2),
                   Delta())
        Connection(c2, d1, Dense(rng.normal(0, 0.03, (12 * 12 * 32, 128))), Delta())
        Connection(d1, out, Dense(rng.normal(0, 0.1, (128, 10))), Delta())
    images = rng.uniform(0.0, 1.0, (NUM_EXAMPLES, 28, 28, 1))
    labels = rng.integers(0, 10, NUM_EXAMPLES)
    compiled = FewSpikeCompiler(k=K, batch_size=batch, backend=backend).compile(net, NAME)
    return compiled, inp, out, images, labels


def run(threads: int, repeats: int = 5, backend: str = "cpu") -> list:
    batch = batch_size(backend, BATCH)
    compiled, inp, out, images, labels = build(backend, batch)
    best = float("inf")
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        compiled.evaluate({inp: images}, {out: labels}, callbacks=[])  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            compiled.evaluate({inp: images}, {out: labels}, callbacks=[])
            best = min(best, time.perf_counter() - start)
    return [{"examples_per_s": NUM_EXAMPLES / best, "batch_size": batch, "k": K}]
