"""Cost of kernel profiling: the ``inference_latency`` workload (short, cheap timesteps: the
worst case for per-step timers) compiled with and without ``kernel_profiling``; one
evaluation of each per round, back to back (alternating which goes first), and the overhead is
the median over the rounds of the ratio of their times (this machine drifts between fast and
slow phases)."""
from __future__ import annotations

import time

import numpy as np

from workloads.inference_latency import NUM_EXAMPLES, build

NAME = "kernel_profiling"


def run(threads: int, repeats: int = 5, backend: str = "cpu") -> list:
    plain, (inp, _, out), spikes, labels = build(name="profiling_off", backend=backend)
    timed, (t_inp, _, t_out), _, _ = build(name="profiling_on", kernel_profiling=True,
                                           backend=backend)
    ratios, best = [], float("inf")
    with plain, timed:
        for compiled in (plain, timed):
            compiled.genn_model.set_num_threads(threads)
        plain.evaluate({inp: spikes}, {out: labels}, callbacks=[])       # warm-up
        timed.evaluate({t_inp: spikes}, {t_out: labels}, callbacks=[])
        def seconds(compiled, x, y):
            start = time.perf_counter()
            compiled.evaluate({x: spikes}, {y: labels}, callbacks=[])
            return time.perf_counter() - start

        for round_number in range(max(3, repeats)):
            # Alternate which runs first, so running second (warmer caches, or a phase
            # change of the machine) favours neither
            if round_number % 2 == 0:
                off = seconds(plain, inp, out)
                on = seconds(timed, t_inp, t_out)
            else:
                on = seconds(timed, t_inp, t_out)
                off = seconds(plain, inp, out)
            ratios.append(on / off)
            best = min(best, off)
        model = timed.genn_model
        shares = {"neuron_update_time": model.neuron_update_time,
                  "presynaptic_update_time": model.presynaptic_update_time}
    return [{"examples_per_s_without": NUM_EXAMPLES / best,
             "overhead": float(np.median(ratios)) - 1.0,
             "overhead_range": [float(min(ratios)) - 1.0, float(max(ratios)) - 1.0],
             "rounds": len(ratios), **shares}]
