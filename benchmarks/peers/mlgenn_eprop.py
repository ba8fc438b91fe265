"""Peer for ``eprop_shd``: the same network (mlGeNN's e-prop SHD classifier shape: 700 -> 256
recurrent ALIF -> 20 LI, delta synapses, 8 Hz Poisson input, 1000 timesteps) trained by mlGeNN's
EPropCompiler on GeNN's single-threaded CPU backend (batch 1, the only batch size that backend
runs).

Run it with a Python that has pygenn (built from GeNN's source) and mlGeNN installed:
``ML_GENN_PEER_PYTHON=/path/to/python python benchmarks/run.py eprop_shd``. It prints one JSON
line: ``{"examples_per_s": ...}``. Only mlGeNN's public API is used, so the script also runs on
this project.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import EPropCompiler
from ml_genn.compilers.eprop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import AdaptiveLeakyIntegrateFire, LeakyIntegrate, SpikeInput
from poisson_input import poisson_spike_trains


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=4)
    parser.add_argument("--rate", type=float, default=8.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    spikes, _, _ = poisson_spike_trains(rng, args.examples + 1, args.timesteps, args.rate,
                                        700)
    labels = rng.integers(0, 20, len(spikes))
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=max(len(s.spike_times) for s in spikes)), 700)
        hid = Population(AdaptiveLeakyIntegrateFire(v_thresh=0.6, tau_refrac=5.0), 256)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="sum_var"), 20)
        Connection(inp, hid, Dense(Normal(sd=1.0 / np.sqrt(700))))
        Connection(hid, hid, Dense(Normal(sd=1.0 / np.sqrt(256))))
        Connection(hid, out, Dense(Normal(sd=1.0 / np.sqrt(256))))
    compiler = EPropCompiler(example_timesteps=args.timesteps,
                             losses="sparse_categorical_crossentropy", optimiser="adam",
                             batch_size=1)
    # GeNN writes its generated code to the working directory
    os.chdir(tempfile.mkdtemp(prefix="mlgenn_peer_"))
    compiled = compiler.compile(net)
    with compiled:
        compiled.train({inp: spikes[:1]}, {out: labels[:1]}, num_epochs=1, callbacks=[])
        start = time.perf_counter()
        compiled.train({inp: spikes[1:]}, {out: labels[1:]}, num_epochs=1, callbacks=[])
        elapsed = time.perf_counter() - start
    print(json.dumps({"examples_per_s": args.examples / elapsed}))


if __name__ == "__main__":
    main()
