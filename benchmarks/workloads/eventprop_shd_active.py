"""EventProp training at SHD activity (the level users train at): 700 -> 256 recurrent LIF -> 20
LI (avg_var), exponential synapses (tau 5 ms), 1000 timesteps, 8 Hz Poisson input, input
weights N(0.078, 0.045), batch 32.

Reports training examples/s, the hidden firing rate, synaptic events/s (each spike's fan-out,
once forward and once replayed backward), where the time goes (forward steps, backward steps,
custom updates, host), a lower bound on the time from the event count, and, side by side in
the same run, snnTorch's BPTT on the same shape (when torch and snntorch are installed; one
epoch of each per round, the ratio the median of the rounds') and
mlGeNN on GeNN's CPU backend at batch 1 (when ``ML_GENN_PEER_PYTHON`` names a Python with
pygenn and mlGeNN installed; see ``benchmarks/peers/mlgenn_eventprop.py``).
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from peers.poisson_input import poisson_spike_trains

from workloads.backend_support import CPU, batch_size, peer_note
from workloads.eventprop_common import BATCH, build_network, dense_raster, snntorch_epoch

NAME = "eventprop_shd_active"
TIMESTEPS, NUM_EXAMPLES, RATE_HZ = 1000, 2 * BATCH, 8.0
NUM_INPUTS, NUM_HIDDEN, NUM_OUTPUTS = 700, 256, 20
INPUT_MEAN, INPUT_SD = 0.078, 0.045
PEER_SCRIPT = Path(__file__).resolve().parents[1] / "peers" / "mlgenn_eventprop.py"


def data(seed: int = 0):
    """Poisson spike trains (times in [0, TIMESTEPS - 1) ms), labels, and the raw arrays."""
    rng = np.random.default_rng(seed)
    spikes, times, ids = poisson_spike_trains(rng, NUM_EXAMPLES, TIMESTEPS, RATE_HZ, NUM_INPUTS)
    return spikes, rng.integers(0, NUM_OUTPUTS, NUM_EXAMPLES), times, ids


class PhaseTimer:
    """Accumulates wall time of the engine's forward and backward steps and custom updates by
    wrapping the runtime's entry points (the EventProp network switches phase through
    ``_set_phase``)."""

    def __init__(self, compiled):
        self.totals = {"forward": 0.0, "backward": 0.0, "custom_updates": 0.0}
        self.phase = "forward"
        runtime = compiled.genn_model
        run, update, set_phase = runtime.run_timesteps, runtime.custom_update, compiled._set_phase

        def timed_run(n):
            start = time.perf_counter()
            run(n)
            self.totals[self.phase] += time.perf_counter() - start

        def timed_update(name):
            start = time.perf_counter()
            update(name)
            self.totals["custom_updates"] += time.perf_counter() - start

        def tracked_phase(backward):
            self.phase = "backward" if backward else "forward"
            set_phase(backward)

        runtime.run_timesteps, runtime.custom_update = timed_run, timed_update
        compiled._set_phase = tracked_phase

    def reset(self):
        for k in self.totals:
            self.totals[k] = 0.0


def time_eventprop(net, inp, out, spikes, labels, input_spikes: int, threads: int,
                   repeats: int, peer_epoch=None, backend: str = "cpu"):
    """Training throughput; with ``peer_epoch`` (a function training the peer for one epoch
    on the same examples) each round times one epoch of each, back to back, and the ratio is
    the median of the rounds' ratios (this machine drifts between fast and slow phases)."""
    from ml_genn.compilers import EventPropCompiler
    batch = batch_size(backend, BATCH)
    compiler = EventPropCompiler(example_timesteps=TIMESTEPS, dt=1.0, batch_size=batch,
                                 losses="sparse_categorical_crossentropy", max_spikes=400,
                                 rng_seed=1, backend=backend)
    compiled = compiler.compile(net, "bench_eventprop_shd_active")
    n = len(labels)
    ours, peers, phases = [], [], []
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        y = {out: np.asarray(labels)}
        compiled.train({inp: spikes[:batch]}, {out: y[out][:batch]}, num_epochs=1,
                       callbacks=[])
        timer = PhaseTimer(compiled)
        for _ in range(repeats):
            timer.reset()
            start = time.perf_counter()
            _, cb = compiled.train({inp: spikes}, y, num_epochs=1, callbacks=[])
            ours.append(time.perf_counter() - start)
            phases.append(dict(timer.totals))
            if peer_epoch is not None:
                start = time.perf_counter()
                peer_epoch()
                peers.append(time.perf_counter() - start)
        hidden_spikes = float(np.mean(cb["eventprop"]["mean_spikes"]["hidden"]))
    best = int(np.argmin(ours))
    best_phases = phases[best]
    best_phases["host"] = ours[best] - sum(best_phases.values())
    # Synaptic events: every input spike reaches NUM_HIDDEN targets, every hidden spike
    # NUM_HIDDEN (recurrent) + NUM_OUTPUTS; the backward pass replays each of them once
    events = 2.0 * (input_spikes * NUM_HIDDEN
                    + hidden_spikes * NUM_HIDDEN * n * (NUM_HIDDEN + NUM_OUTPUTS))
    row = {"examples_per_s": n / ours[best], "batch_size": batch, "timesteps": TIMESTEPS,
           "hidden_spikes_per_neuron": hidden_spikes,
           "hidden_rate_hz": hidden_spikes / (TIMESTEPS / 1000.0),
           "synaptic_events_per_s": events / ours[best],
           "time_share": {k: round(v / ours[best], 3) for k, v in best_phases.items()}}
    if peers:
        ratios = np.array(peers) / np.array(ours)
        row.update({"snntorch_examples_per_s": n / min(peers),
                    "speedup_vs_snntorch": float(np.median(ratios)),
                    "speedup_vs_snntorch_range": [float(ratios.min()), float(ratios.max())],
                    "rounds": len(ratios)})
    elif backend != CPU:
        row["snntorch"] = peer_note(backend)
    else:
        row["snntorch"] = "not installed (pip install torch snntorch to compare)"
    return row


def time_mlgenn_peer(threads: int):
    """mlGeNN on GeNN's single-threaded CPU backend (batch 1: GeNN's CPU backend has no
    batching), in a separate interpreter, or None when no peer Python is configured."""
    python = os.environ.get("ML_GENN_PEER_PYTHON")
    if not python:
        return None
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    result = subprocess.run([python, str(PEER_SCRIPT), "--timesteps", str(TIMESTEPS),
                             "--examples", "16", "--input-mean", str(INPUT_MEAN),
                             "--input-sd", str(INPUT_SD), "--rate", str(RATE_HZ)],
                            capture_output=True, text=True, env=env, cwd=os.getcwd(),
                            check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(threads: int, repeats: int = 2, backend: str = "cpu") -> list:
    spikes, labels, times, ids = data()
    input_spikes = int(sum(len(t) for t in times))
    max_input = int(max(len(t) for t in times)) * BATCH
    net, inp, out = build_network(NUM_INPUTS, NUM_HIDDEN, NUM_OUTPUTS, True,
                                  input_mean=INPUT_MEAN, input_sd=INPUT_SD,
                                  max_input_spikes=max_input)
    if backend != CPU:
        # The peers run on the CPU: they are compared with the cpu backend only
        rows = [time_eventprop(net, inp, out, spikes, labels, input_spikes, threads, repeats,
                               backend=backend)]
        rows[0]["mlgenn_genn_cpu"] = peer_note(backend)
        return rows
    raster = dense_raster(times, ids, NUM_INPUTS, TIMESTEPS)
    peer_epoch = snntorch_epoch(raster, labels, NUM_HIDDEN, NUM_OUTPUTS, True, threads)
    if peer_epoch is not None:
        peer_epoch()     # warm-up
    rows = [time_eventprop(net, inp, out, spikes, labels, input_spikes, threads, repeats,
                           peer_epoch)]
    peer = time_mlgenn_peer(threads)
    if peer is None:
        rows[0]["mlgenn_genn_cpu"] = "set ML_GENN_PEER_PYTHON to a Python with pygenn and mlGeNN"
    elif "examples_per_s" in peer:
        rows[0]["mlgenn_genn_cpu_examples_per_s"] = peer["examples_per_s"]
        rows[0]["speedup_vs_mlgenn_genn_cpu"] = (rows[0]["examples_per_s"]
                                                 / peer["examples_per_s"])
    else:
        rows[0]["mlgenn_genn_cpu"] = peer
    return rows
