"""EventProp training workload (SHD-like): 700 -> 256 LIF with recurrent 256 -> 256 -> 20 LI
(avg_var), exponential synapses (tau 5 ms), 1000 timesteps, 8 Hz Poisson input, batch 32;
reports training examples/s (and the ratio to snnTorch BPTT when it is installed)."""
from __future__ import annotations

import numpy as np

from workloads.backend_support import CPU
from workloads.eventprop_common import (BATCH, build_network, dense_raster, report,
                                        time_eventprop, time_snntorch)

NAME = "eventprop_shd"
TIMESTEPS, NUM_EXAMPLES, RATE_HZ = 1000, 2 * BATCH, 8.0


def data():
    from ml_genn.utils.data import preprocess_spikes
    rng = np.random.default_rng(0)
    spikes, times, ids = [], [], []
    for _ in range(NUM_EXAMPLES):
        count = rng.poisson(RATE_HZ * TIMESTEPS / 1000.0, 700)
        i = np.repeat(np.arange(700), count)
        t = rng.uniform(0.0, TIMESTEPS - 1.0, i.size)
        order = np.argsort(t)
        spikes.append(preprocess_spikes(t[order], i[order], 700))
        times.append(t[order])
        ids.append(i[order])
    return spikes, rng.integers(0, 20, NUM_EXAMPLES), times, ids


def run(threads: int, repeats: int = 2, backend: str = "cpu") -> list:
    spikes, labels, times, ids = data()
    max_input = int(max(len(t) for t in times)) * BATCH
    net, inp, out = build_network(700, 256, 20, True, input_mean=0.03, input_sd=0.1,
                                  max_input_spikes=max_input)
    eventprop = time_eventprop(net, inp, out, spikes, labels, TIMESTEPS, threads, repeats,
                               max_spikes=200, backend=backend)
    if backend != CPU:
        return report(eventprop, None, backend)
    raster = dense_raster(times, ids, 700, TIMESTEPS)
    return report(eventprop, time_snntorch(raster, labels, 256, 20, True, threads, repeats))
