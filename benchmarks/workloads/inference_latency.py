"""Inference workload: 784 -> 128 LIF -> 10 LI (avg_var), exponential synapses, 100 timesteps,
latency-coded inputs, batch 32, through InferenceCompiler.evaluate; reports examples/s.
1024 examples per timing: with 256 a run lasted ~40 ms and machine noise swamped differences.
Batch 1 on GeNN's single-threaded CPU backend."""
from __future__ import annotations

import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.synapses import Exponential
from ml_genn.utils.data import linear_latency_encode_data

from workloads.backend_support import batch_size

NAME = "inference_latency"
BATCH, TIMESTEPS, NUM_EXAMPLES = 32, 100, 1024


def build(record_spikes: bool = False, name: str = NAME, kernel_profiling: bool = False,
          backend: str = "cpu"):
    """The network (recording spikes of every population if asked), its data, compiled (with
    kernel timers if asked) for ``backend`` (at ``batch_size(backend, BATCH)``)."""
    batch = batch_size(backend, BATCH)
    rng = np.random.default_rng(0)
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=784 * batch), 784, record_spikes=record_spikes)
        hidden = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0), 128,
                            record_spikes=record_spikes)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 10,
                         record_spikes=record_spikes)
        Connection(inp, hidden, Dense(rng.normal(0, 0.2, (784, 128)).astype(np.float32)),
                   Exponential(5.0))
        Connection(hidden, out, Dense(rng.normal(0, 0.2, (128, 10)).astype(np.float32)),
                   Exponential(5.0))
    images = rng.integers(0, 256, (NUM_EXAMPLES, 784))
    images[rng.random(images.shape) < 0.8] = 0  # MNIST-like: most pixels dark, never spike
    spikes = linear_latency_encode_data(images, max_time=TIMESTEPS - 10.0)
    labels = rng.integers(0, 10, NUM_EXAMPLES)
    compiled = InferenceCompiler(evaluate_timesteps=TIMESTEPS, batch_size=batch,
                                 kernel_profiling=kernel_profiling,
                                 backend=backend).compile(net, name)
    return compiled, (inp, hidden, out), spikes, labels


def run(threads: int, repeats: int = 5, backend: str = "cpu") -> list:
    compiled, (inp, _, out), spikes, labels = build(backend=backend)
    best = float("inf")
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        compiled.evaluate({inp: spikes}, {out: labels}, callbacks=[])  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            compiled.evaluate({inp: spikes}, {out: labels}, callbacks=[])
            best = min(best, time.perf_counter() - start)
    return [{"examples_per_s": NUM_EXAMPLES / best, "batch_size": compiled.batch_size,
             "timesteps": TIMESTEPS}]
