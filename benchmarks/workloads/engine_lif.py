"""Engine workload: 784-128-10 LIF network, exponential synapses, dense, Poisson 20 Hz input.

100 timesteps (dt = 1 ms), batch 32 (1 on GeNN's single-threaded CPU backend), one native
``run_timesteps`` call per repetition.
"""
from __future__ import annotations

import time

import numpy as np

from ml_genn.engine import (ModelSpec, VarAccess, create_neuron_model, create_postsynaptic_model,
                            create_weight_update_model, init_postsynaptic, init_var, init_weight_update)

from workloads.backend_support import backend_class, batch_size

NAME = "engine_lif"
TIMESTEPS, BATCH, SIZES = 100, 32, (784, 128, 10)

POISSON = create_neuron_model(
    "Poisson", params=["rate"], derived_params=[("p_spike", lambda p, dt: p["rate"] * dt / 1000.0)],
    threshold_condition_code="gennrand_uniform() < p_spike")
LIF = create_neuron_model(
    "LIF", params=["tau_m", "v_thresh"], vars=[("V", "scalar")],
    derived_params=[("alpha", lambda p, dt: float(np.exp(-dt / p["tau_m"])))],
    sim_code="V = (alpha * V) + Isyn;", threshold_condition_code="V >= v_thresh", reset_code="V = 0.0;")
EXP_CURR = create_postsynaptic_model(
    "ExpCurr", params=["tau_syn"], derived_params=[("decay", lambda p, dt: float(np.exp(-dt / p["tau_syn"])))],
    sim_code="injectCurrent(inSyn); inSyn *= decay;")
STATIC = create_weight_update_model("StaticPulse", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                    pre_spike_syn_code="addToPost(g);")


def make_spec(batch: int = BATCH) -> ModelSpec:
    m = ModelSpec("float", "bench_engine_lif")
    m.batch_size, m.seed = batch, 1234
    inp = m.add_neuron_population("input", SIZES[0], POISSON, {"rate": 20.0}, {})
    hid = m.add_neuron_population("hidden", SIZES[1], LIF, {"tau_m": 20.0, "v_thresh": 1.0}, {"V": 0.0})
    out = m.add_neuron_population("output", SIZES[2], LIF, {"tau_m": 20.0, "v_thresh": 1.0}, {"V": 0.0})
    inp.spike_recording_enabled = hid.spike_recording_enabled = True
    # Weights calibrated so hidden neurons fire at about 30 Hz and outputs at tens of Hz: a
    # realistic load (stronger weights make every neuron fire every step and flatter events/s)
    for name, pre, post, mean, sd in (("in_hid", inp, hid, 0.0008, 0.002),
                                      ("hid_out", hid, out, 0.01, 0.02)):
        m.add_synapse_population(name, "DENSE", pre, post,
                                 init_weight_update(STATIC, vars={"g": init_var("Normal", {"mean": mean, "sd": sd})}),
                                 init_postsynaptic(EXP_CURR, {"tau_syn": 5.0}))
    return m


def run(threads: int, repeats: int = 5, backend: str = "cpu") -> list:
    batch = batch_size(backend, BATCH)
    t0 = time.perf_counter()
    built = backend_class(backend)().build(make_spec(batch))
    build_s = time.perf_counter() - t0
    rt = built.load(num_recording_timesteps=TIMESTEPS)
    rt.set_num_threads(threads)
    rt.run_timesteps(TIMESTEPS)   # warm-up
    best = float("inf")
    events = 0
    for _ in range(repeats):
        rt.timestep, rt.t = 0, 0.0
        rt.reset_in_flight_state()
        start = time.perf_counter()
        rt.run_timesteps(TIMESTEPS)
        best = min(best, time.perf_counter() - start)
        n_in = sum(len(ids) for _, ids in rt.neuron_populations["input"].spike_recording_data)
        n_hid = sum(len(ids) for _, ids in rt.neuron_populations["hidden"].spike_recording_data)
        events = n_in * SIZES[1] + n_hid * SIZES[2]
    hidden_rate_hz = n_hid / (batch * SIZES[1] * TIMESTEPS * 1e-3)
    row = {"timesteps_per_s": TIMESTEPS / best, "synaptic_events_per_s": events / best,
           "synaptic_events": events, "hidden_rate_hz": hidden_rate_hz, "seconds": best, "batch_size": batch, "timesteps": TIMESTEPS,
           "build_s": build_s}
    if hasattr(built, "compiled"):     # the cpu backend says whether its cache had the library
        row["compiled"] = built.compiled
    row["openmp"] = rt.has_openmp
    return [row]
