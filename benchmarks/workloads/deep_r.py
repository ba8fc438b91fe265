"""Deep-R's cost per training batch, as a share of the training step: mlGeNN's
``latency_mnist_deep_r.py`` shape (784 -> 128 LIF -> 10 LI, input connection
``FixedProbability(0.1)`` rewired by Deep-R, batch 128, 51 ms latency codes) trained with
e-prop and with EventProp on random latency-coded examples and random labels (the gradients
then churn, so synapses keep being rewired).

Each row reports training examples/s with Deep-R, the same network trained without it
(``deep_r_conns=[]``, same sparse connectivity) and the wall time of Deep-R itself (its L1
update and the rewiring: stage 1, the host-side draws, stage 2) as ``deep_r_share`` of the
training time, with the synapses rewired per batch. On GeNN's single-threaded CPU backend
(one example at a time) the batches are of one example."""
from __future__ import annotations

import time

import numpy as np

from workloads.backend_support import batch_size

NAME = "deep_r"
NUM_INPUT, NUM_HIDDEN, NUM_OUTPUT, P = 784, 128, 10, 0.1
BATCH, NUM_BATCHES, TIMESTEPS = 128, 4, 51


def data(batch: int = BATCH):
    """Latency codes: each input fires once, at a random time, with probability 0.2
    (``NUM_BATCHES`` batches of ``batch``)."""
    from ml_genn.utils.data import preprocess_spikes
    rng = np.random.default_rng(0)
    spikes = []
    for _ in range(batch * NUM_BATCHES):
        ids = np.flatnonzero(rng.random(NUM_INPUT) < 0.2)
        times = rng.uniform(0.0, TIMESTEPS - 1.0, len(ids))
        order = np.argsort(times)
        spikes.append(preprocess_spikes(times[order], ids[order], NUM_INPUT))
    return spikes, rng.integers(0, NUM_OUTPUT, len(spikes))


def build(kind: str, deep_r: bool, max_spikes: int, backend: str = "cpu",
          batch: int = BATCH):
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers import EPropCompiler, EventPropCompiler
    from ml_genn.connectivity import Dense, FixedProbability
    from ml_genn.initializers import Normal
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
    from ml_genn.synapses import Exponential
    eventprop = kind == "eventprop"
    if eventprop:
        from ml_genn.compilers.event_prop_compiler import default_params
    else:
        from ml_genn.compilers.eprop_compiler import default_params
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=max_spikes), NUM_INPUT)
        hid = Population(LeakyIntegrateFire(v_thresh=0.61, tau_mem=20.0,
                                            tau_refrac=None if eventprop else 5.0), NUM_HIDDEN)
        out = Population(LeakyIntegrate(tau_mem=20.0,
                                        readout="avg_var" if eventprop else "sum_var"),
                         NUM_OUTPUT)
        syn = {"synapse": Exponential(5.0)} if eventprop else {}
        conn = Connection(inp, hid, FixedProbability(P, Normal(sd=1.0 / np.sqrt(NUM_INPUT))),
                          **syn)
        syn = {"synapse": Exponential(5.0)} if eventprop else {}
        Connection(hid, out, Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))), **syn)
    kw = dict(losses="sparse_categorical_crossentropy", optimiser="adam", batch_size=batch,
              rng_seed=1, backend=backend)
    if deep_r:
        kw.update(deep_r_conns=[conn], deep_r_l1_strength=1e-8,
                  deep_r_record_rewirings={conn: "rewirings"})
    compiler = (EventPropCompiler if eventprop else EPropCompiler)(example_timesteps=TIMESTEPS,
                                                                   **kw)
    return compiler.compile(net), inp, out


def time_training(kind: str, deep_r: bool, spikes, labels, threads: int, repeats: int,
                  backend: str = "cpu", batch: int = BATCH) -> dict:
    max_spikes = batch * max(len(s.spike_times) for s in spikes)
    compiled, inp, out = build(kind, deep_r, max_spikes, backend, batch)
    best, best_share, rewired = float("inf"), 0.0, 0
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        compiled.train({inp: spikes}, {out: labels}, num_epochs=1, callbacks=[])   # warm-up
        for r in range(repeats):
            deep_r_before = compiled.deep_r_seconds
            start = time.perf_counter()
            _, cb_data = compiled.train({inp: spikes}, {out: labels}, num_epochs=1,
                                        start_epoch=r + 1, callbacks=[])
            seconds = time.perf_counter() - start
            if seconds < best:
                best = seconds
                best_share = (compiled.deep_r_seconds - deep_r_before) / seconds
                if deep_r:
                    rewired = float(np.mean([n for n, _ in cb_data["rewirings"]]))
    row = {"engine": "ml_genn", "algorithm": kind, "deep_r": deep_r,
           "examples_per_s": round(len(spikes) / best, 1),
           "ms_per_batch": round(1000 * best / NUM_BATCHES, 2), "batch_size": batch}
    if deep_r:
        row.update(deep_r_share=round(best_share, 4),
                   deep_r_ms_per_batch=round(1000 * best * best_share / NUM_BATCHES, 3),
                   rewired_per_batch=rewired)
    return row


def run(threads: int, repeats: int, backend: str = "cpu") -> list:
    batch = batch_size(backend, BATCH)
    spikes, labels = data(batch)
    rows = []
    for kind in ("eprop", "eventprop"):
        plain = time_training(kind, False, spikes, labels, threads, repeats, backend, batch)
        with_deep_r = time_training(kind, True, spikes, labels, threads, repeats, backend,
                                    batch)
        with_deep_r["slowdown_vs_plain"] = round(plain["examples_per_s"]
                                                 / with_deep_r["examples_per_s"], 3)
        rows += [plain, with_deep_r]
    return rows
