"""EventProp training workload: 784 -> 128 LIF -> 10 LI (avg_var), exponential synapses
(tau 5 ms), 100 timesteps, latency-coded MNIST-like input, batch 32; reports training
examples/s (and the ratio to snnTorch BPTT on the same shape when it is installed)."""
from __future__ import annotations

import numpy as np

from workloads.backend_support import CPU
from workloads.eventprop_common import (BATCH, build_network, dense_raster, report,
                                        time_eventprop, time_snntorch)

NAME = "eventprop_mnist"
TIMESTEPS, NUM_EXAMPLES = 100, 8 * BATCH


def data():
    from ml_genn.utils.data import linear_latency_encode_data
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (NUM_EXAMPLES, 784))
    images[rng.random(images.shape) < 0.8] = 0   # MNIST-like: most pixels dark, never spike
    spikes = linear_latency_encode_data(images, max_time=TIMESTEPS - 10.0)
    labels = rng.integers(0, 10, NUM_EXAMPLES)
    times = [np.asarray(s.spike_times) for s in spikes]
    ids = [np.repeat(np.arange(784), np.diff(np.concatenate([[0], s.end_spikes])))
           for s in spikes]
    return spikes, labels, times, ids


def run(threads: int, repeats: int = 3, backend: str = "cpu") -> list:
    spikes, labels, times, ids = data()
    net, inp, out = build_network(784, 128, 10, False, input_mean=0.2, input_sd=0.1,
                                  max_input_spikes=784 * BATCH)
    eventprop = time_eventprop(net, inp, out, spikes, labels, TIMESTEPS, threads, repeats,
                               max_spikes=TIMESTEPS, backend=backend)
    if backend != CPU:
        return report(eventprop, None, backend)
    raster = dense_raster(times, ids, 784, TIMESTEPS)
    return report(eventprop, time_snntorch(raster, labels, 128, 10, False, threads, repeats))
