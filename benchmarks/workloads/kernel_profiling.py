"""Cost of kernel profiling: the ``inference_latency`` workload (short, cheap timesteps: the
worst case for per-step timers) compiled with and without ``kernel_profiling``; one
evaluation of each per round, back to back, and the overhead is the median over the rounds of
the ratio of their times (this machine drifts between fast and slow phases)."""
from __future__ import annotations

import time

import numpy as np

from workloads.inference_latency import NUM_EXAMPLES, build

NAME = "kernel_profiling"


def run(threads: int, repeats: int = 5) -> list:
    plain, (inp, _, out), spikes, labels = build(name="profiling_off")
    timed, (t_inp, _, t_out), _, _ = build(name="profiling_on", kernel_profiling=True)
    ratios, best = [], float("inf")
    with plain, timed:
        for compiled in (plain, timed):
            compiled.genn_model.set_num_threads(threads)
        plain.evaluate({inp: spikes}, {out: labels}, callbacks=[])       # warm-up
        timed.evaluate({t_inp: spikes}, {t_out: labels}, callbacks=[])
        for _ in range(max(3, repeats)):
            start = time.perf_counter()
            plain.evaluate({inp: spikes}, {out: labels}, callbacks=[])
            middle = time.perf_counter()
            timed.evaluate({t_inp: spikes}, {t_out: labels}, callbacks=[])
            end = time.perf_counter()
            ratios.append((end - middle) / (middle - start))
            best = min(best, middle - start)
        model = timed.genn_model
        shares = {"neuron_update_time": model.neuron_update_time,
                  "presynaptic_update_time": model.presynaptic_update_time}
    return [{"examples_per_s_without": NUM_EXAMPLES / best,
             "overhead": float(np.median(ratios)) - 1.0,
             "overhead_range": [float(min(ratios)) - 1.0, float(max(ratios)) - 1.0],
             "rounds": len(ratios), **shares}]
