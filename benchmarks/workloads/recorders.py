"""Recording overhead on the inference workload (784 -> 128 LIF -> 10 LI, exponential synapses,
100 timesteps, latency-coded inputs, batch 32, InferenceCompiler.evaluate).

Configurations, timed interleaved so machine noise hits them alike:

- ``none``: no recorder, populations built without ``record_spikes``;
- ``spikes_all``: ``record_spikes=True`` on every population and a ``SpikeRecorder`` on each;
- ``var_hidden_v``: a ``VarRecorder`` on the hidden population's ``v`` (steps per timestep).

Each row reports examples/s and the overhead against ``none`` in percent.

Measured on the 2-core development machine while other jobs ran (load average 2.5-5, so
figures scatter by +-10 points between runs), 20 repeats, best of each:
threads=1: none 3180 ex/s; spikes_all 2800 ex/s (+13.6 %, 347k spikes recorded);
var_hidden_v 2813 ex/s (+13.0 %). Decoding the packed buffers costs about 1-2 ms per batch of
32 x 100 timesteps for the three populations; the engine's own recording adds 0-9 %.
"""
from __future__ import annotations

import time

from ml_genn.callbacks import SpikeRecorder, VarRecorder

from .inference_latency import BATCH, NUM_EXAMPLES, TIMESTEPS
from .inference_latency import build as build_inference

NAME = "recorders"


def build(record_spikes: bool):
    """The inference workload's network, data and compiled network."""
    return build_inference(record_spikes, name=f"{NAME}_{int(record_spikes)}")


def run(threads: int, repeats: int = 5) -> list:
    plain, (p_inp, p_hid, p_out), spikes, labels = build(record_spikes=False)
    recorded, (r_inp, r_hid, r_out), _, _ = build(record_spikes=True)
    configs = {
        "none": (plain, p_inp, p_out, lambda: []),
        "spikes_all": (recorded, r_inp, r_out,
                       lambda: [SpikeRecorder(p, key=p.name) for p in (r_inp, r_hid, r_out)]),
        "var_hidden_v": (plain, p_inp, p_out, lambda: [VarRecorder(p_hid, "v", key="v")]),
    }
    best = {name: float("inf") for name in configs}
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
                    best[name] = min(best[name], elapsed)
                if name == "spikes_all":
                    recorded_spikes = sum(len(ids) for key in cb_data
                                          for ids in cb_data[key][1])
                del cb_data
    rows = []
    for name in configs:
        rows.append({"config": name, "examples_per_s": NUM_EXAMPLES / best[name],
                     "overhead_pct": 100.0 * (best[name] / best["none"] - 1.0),
                     "seconds": best[name], "batch_size": BATCH, "timesteps": TIMESTEPS,
                     "examples": NUM_EXAMPLES,
                     **({"recorded_spikes": recorded_spikes} if name == "spikes_all" else {})})
    return rows
