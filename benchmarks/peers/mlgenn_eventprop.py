"""Peer for ``eventprop_shd_active``: the same network trained by mlGeNN's EventPropCompiler on
GeNN's single-threaded CPU backend (batch 1, the only batch size that backend runs).

Run it with a Python that has pygenn (built from GeNN's source) and mlGeNN installed:
``ML_GENN_PEER_PYTHON=/path/to/python python benchmarks/run.py eventprop_shd_active``.
It prints one JSON line: ``{"examples_per_s": ..., "hidden_spikes_per_neuron": ...}``.
Only mlGeNN's public API is used, so the script also runs on this project.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import SpikeRecorder
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.synapses import Exponential
from poisson_input import poisson_spike_trains


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=16)
    parser.add_argument("--input-mean", type=float, default=0.078)
    parser.add_argument("--input-sd", type=float, default=0.045)
    parser.add_argument("--rate", type=float, default=8.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    spikes, _, _ = poisson_spike_trains(rng, args.examples + 1, args.timesteps, args.rate,
                                        700)
    labels = rng.integers(0, 20, len(spikes))
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=max(len(s.spike_times) for s in spikes)), 700)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0), 256,
                         record_spikes=True)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 20)
        Connection(inp, hid, Dense(Normal(mean=args.input_mean, sd=args.input_sd)),
                   Exponential(5.0))
        Connection(hid, hid, Dense(Normal(mean=0.0, sd=0.02)), Exponential(5.0))
        Connection(hid, out, Dense(Normal(mean=0.0, sd=0.1)), Exponential(5.0))
    compiler = EventPropCompiler(example_timesteps=args.timesteps,
                                 losses="sparse_categorical_crossentropy",
                                 optimiser=Adam(0.001), batch_size=1, max_spikes=400)
    # GeNN writes its generated code to the working directory
    os.chdir(tempfile.mkdtemp(prefix="mlgenn_peer_"))
    compiled = compiler.compile(net)
    with compiled:
        compiled.train({inp: spikes[:1]}, {out: labels[:1]}, num_epochs=1, callbacks=[])
        start = time.perf_counter()
        _, cb = compiled.train({inp: spikes[1:]}, {out: labels[1:]}, num_epochs=1,
                               callbacks=[SpikeRecorder(hid, key="hidden",
                                                        record_counts=True)])
        elapsed = time.perf_counter() - start
    counts = [np.sum(c) / 256 for c in cb["hidden"]]
    print(json.dumps({"examples_per_s": args.examples / elapsed,
                      "hidden_spikes_per_neuron": float(np.mean(counts))}))


if __name__ == "__main__":
    main()
