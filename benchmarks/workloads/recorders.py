"""Recording overhead on the inference workload (784 -> 128 LIF -> 10 LI, exponential synapses,
100 timesteps, latency-coded inputs, batch 32, InferenceCompiler.evaluate).

Configurations, timed interleaved so machine noise hits them alike:

- ``none``: no recorder, populations built without ``record_spikes``;
- ``spikes_all``: ``record_spikes=True`` on every population and a ``SpikeRecorder`` on each;
- ``var_hidden_v``: a ``VarRecorder`` on the hidden population's ``v`` (the engine fills a
  ring of it, read once per batch).

Each row reports examples/s (best round) and the overhead against ``none`` in percent: the
median, and quartiles, over rounds of the ratio of the two runs of the same round (and, for
comparison, the ratio of the best runs).

Measured on the 2-core development machine, 2026-11-22, session 5 (1024 examples, 80 rounds,
nine runs, the last three on the final code; the machine drifts between fast and slow phases and the quartiles
of the same-round ratios span about 6 points either side of the median): none 11,800-12,400
ex/s at 1 thread and 16,600-20,400 at 2; SpikeRecorder on every population (1.38 M spikes)
+10.1% to +13.0% at 1 thread and +11.3% to +13.8% at 2 (median of same-round ratios);
VarRecorder on hidden v +7.8% to +11.6% and +7.2% to +10.3%. Session 4 measured +11% to +12%
and +12.5% to +16.7% for spikes, session 3 +20% to +25% and +21% to +26%.
Where the cost is now, per 1024 examples at 2 threads (instrumented runs): the engine's own
recording (ring bits and the spike log, written from each step's queue) about 4 ms, decoding
about 2.4 ms (a copy of the log; most of it is writing 16 bytes per spike to memory), cutting
the 4,096 per-example views natively 0.8 ms, the recorders' set-up 0.7 ms, and the unrecorded
work after each batch runs about 0.6 ms slower for the cache the decoded spikes displaced.
"""
from __future__ import annotations

import time

import numpy as np

from ml_genn.callbacks import SpikeRecorder, VarRecorder

from .inference_latency import NUM_EXAMPLES, TIMESTEPS
from .inference_latency import build as build_inference

NAME = "recorders"


def build(record_spikes: bool, backend: str = "cpu"):
    """The inference workload's network, data and compiled network."""
    return build_inference(record_spikes, name=f"{NAME}_{int(record_spikes)}", backend=backend)


def run(threads: int, repeats: int = 5, backend: str = "cpu") -> list:
    plain, (p_inp, p_hid, p_out), spikes, labels = build(record_spikes=False, backend=backend)
    recorded, (r_inp, r_hid, r_out), _, _ = build(record_spikes=True, backend=backend)
    configs = {
        "none": (plain, p_inp, p_out, lambda: []),
        "spikes_all": (recorded, r_inp, r_out,
                       lambda: [SpikeRecorder(p, key=p.name) for p in (r_inp, r_hid, r_out)]),
        "var_hidden_v": (plain, p_inp, p_out, lambda: [VarRecorder(p_hid, "v", key="v")]),
    }
    times = {name: [] for name in configs}
    recorded_spikes = 0
    with plain, recorded:
        for compiled in (plain, recorded):
            compiled.genn_model.set_num_threads(threads)
        for round_index in range(repeats + 1):  # the first round warms up and is not counted
            for name, (compiled, inp, out, callbacks) in configs.items():
                cbs = callbacks()
                start = time.perf_counter()
                _, cb_data = compiled.evaluate({inp: spikes}, {out: labels}, callbacks=cbs)
                elapsed = time.perf_counter() - start
                if round_index > 0:
                    times[name].append(elapsed)
                if name == "spikes_all":
                    recorded_spikes = sum(len(ids) for key in cb_data
                                          for ids in cb_data[key][1])
                del cb_data
    rows = []
    baseline = np.asarray(times["none"])
    for name in configs:
        seconds = np.asarray(times[name])
        # The overhead compares runs of the same round: the machine drifts between slow and
        # fast phases lasting longer than a round, which a ratio of two minima would mix up
        paired = 100.0 * (seconds / baseline - 1.0)
        rows.append({"config": name, "examples_per_s": NUM_EXAMPLES / seconds.min(),
                     "overhead_pct": float(np.median(paired)),
                     "overhead_pct_quartiles": [float(np.percentile(paired, 25)),
                                                float(np.percentile(paired, 75))],
                     "overhead_pct_of_best": 100.0 * (seconds.min() / baseline.min() - 1.0),
                     "seconds": float(seconds.min()), "batch_size": plain.batch_size,
                     "timesteps": TIMESTEPS, "examples": NUM_EXAMPLES, "rounds": len(seconds),
                     **({"recorded_spikes": recorded_spikes} if name == "spikes_all" else {})})
    return rows
