"""e-prop training workload, the ``eprop_shd`` shape of mlGeNN's SHD example: 700 -> 256
recurrent ALIF -> 20 LI (sum_var), delta synapses, 1000 timesteps, 8 Hz Poisson input,
batch 32, Adam. Reports training examples/s, synapse updates/s (synapses x timesteps x examples
per second: the per-synapse rule's work) and where the time goes; side by side, the same shape
trained with BPTT in snnTorch when it is installed (LIF neurons with delta synapses and
subtractive reset: snnTorch has no adaptive threshold), and mlGeNN's EPropCompiler on GeNN's
CPU backend at batch 1 when ``ML_GENN_PEER_PYTHON`` names a Python with pygenn and mlGeNN
(``benchmarks/peers/mlgenn_eprop.py``)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from peers.poisson_input import poisson_spike_trains

from workloads.backend_support import CPU, batch_size, peer_note
from workloads.eventprop_common import BATCH, dense_raster, y_first

NAME = "eprop_shd"
TIMESTEPS, NUM_EXAMPLES, RATE_HZ = 1000, 2 * BATCH, 8.0
NUM_INPUT, NUM_HIDDEN, NUM_OUTPUT = 700, 256, 20
PEER_SCRIPT = Path(__file__).resolve().parents[1] / "peers" / "mlgenn_eprop.py"


def data():
    rng = np.random.default_rng(0)
    spikes, times, ids = poisson_spike_trains(rng, NUM_EXAMPLES, TIMESTEPS, RATE_HZ, NUM_INPUT)
    return spikes, rng.integers(0, NUM_OUTPUT, NUM_EXAMPLES), times, ids


def build_network(max_input_spikes: int):
    """mlGeNN's eprop SHD classifier network (its initialisation)."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.eprop_compiler import default_params
    from ml_genn.connectivity import Dense
    from ml_genn.initializers import Normal
    from ml_genn.neurons import AdaptiveLeakyIntegrateFire, LeakyIntegrate, SpikeInput
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=max_input_spikes), NUM_INPUT, name="input")
        hidden = Population(AdaptiveLeakyIntegrateFire(v_thresh=0.6, tau_refrac=5.0),
                            NUM_HIDDEN, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="sum_var"), NUM_OUTPUT,
                         name="output")
        Connection(inp, hidden, Dense(Normal(sd=1.0 / np.sqrt(NUM_INPUT))))
        Connection(hidden, hidden, Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))))
        Connection(hidden, out, Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))))
    return net, inp, hidden, out


def time_eprop(spikes, labels, threads: int, repeats: int, implementation: str,
               num_examples: int, backend: str = "cpu") -> dict:
    from ml_genn.compilers import EPropCompiler
    batch = batch_size(backend, BATCH)
    max_input = int(max(len(s.spike_times) for s in spikes)) * batch
    net, inp, hidden, out = build_network(max_input)
    compiler = EPropCompiler(TIMESTEPS, "sparse_categorical_crossentropy", optimiser="adam",
                             batch_size=batch, rng_seed=1, implementation=implementation,
                             backend=backend)
    compiled = compiler.compile(net, f"bench_eprop_{implementation}")
    spikes, labels = spikes[:num_examples], np.asarray(labels[:num_examples])
    best, seconds = float("inf"), None
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        y = {out: labels}
        compiled.train({inp: spikes[:batch]}, y_first(y, batch), num_epochs=1, callbacks=[])
        for _ in range(repeats):
            before = dict(compiled.seconds)
            start = time.perf_counter()
            compiled.train({inp: spikes}, y, num_epochs=1, callbacks=[])
            elapsed = time.perf_counter() - start
            if elapsed < best:
                best = elapsed
                seconds = {k: compiled.seconds[k] - before[k] for k in before}
    synapses = NUM_INPUT * NUM_HIDDEN + NUM_HIDDEN * NUM_HIDDEN + NUM_HIDDEN * NUM_OUTPUT
    rate = len(labels) / best
    return {"implementation": implementation, "examples_per_s": rate,
            "synapse_updates_per_s": rate * synapses * TIMESTEPS, "batch_size": batch,
            "timesteps": TIMESTEPS, "examples": len(labels),
            "seconds_simulation": seconds["simulation"],
            "seconds_synapse_updates": seconds["synapse_updates"],
            "seconds_other": best - seconds["simulation"] - seconds["synapse_updates"]}


def time_snntorch(raster, labels, threads: int, repeats: int):
    """BPTT in snnTorch on the same shape (None when snnTorch is not installed)."""
    try:
        import snntorch as snn
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    beta = float(np.exp(-1.0 / 20.0))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(NUM_INPUT, NUM_HIDDEN, bias=False)
            self.rec = torch.nn.Linear(NUM_HIDDEN, NUM_HIDDEN, bias=False)
            self.lif = snn.Leaky(beta=beta, threshold=0.6, reset_mechanism="subtract")
            self.fc2 = torch.nn.Linear(NUM_HIDDEN, NUM_OUTPUT)
            self.li = snn.Leaky(beta=beta, threshold=1e9)

        def forward(self, x):
            mem1, mem2 = self.lif.init_leaky(), self.li.init_leaky()
            spk = torch.zeros(x.shape[1], NUM_HIDDEN)
            total = 0.0
            for step in range(x.shape[0]):
                spk, mem1 = self.lif(self.fc1(x[step]) + self.rec(spk), mem1)
                _, mem2 = self.li(self.fc2(spk), mem2)
                total = total + mem2
            return total

    model = Net()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    data_t = torch.from_numpy(raster)
    targets = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        for first in range(0, len(targets), BATCH):
            optimiser.zero_grad()
            loss = loss_fn(model(data_t[first:first + BATCH].transpose(0, 1)),
                           targets[first:first + BATCH])
            loss.backward()
            optimiser.step()
        best = min(best, time.perf_counter() - start)
    return len(targets) / best


def time_mlgenn(threads: int):
    """mlGeNN on GeNN's CPU backend (None unless ML_GENN_PEER_PYTHON is set)."""
    python = os.environ.get("ML_GENN_PEER_PYTHON")
    if not python:
        return None
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    result = subprocess.run([python, str(PEER_SCRIPT), "--timesteps", str(TIMESTEPS),
                             "--rate", str(RATE_HZ)], capture_output=True, text=True, env=env,
                            cwd=os.getcwd(), check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(threads: int, repeats: int = 2, backend: str = "cpu") -> list:
    spikes, labels, times, ids = data()
    if backend != CPU:
        # GeNN's backends train e-prop per synapse (the factorised form reads the cpu
        # backend's native variable recording); one batch's worth of examples, as the
        # per-synapse row on the cpu backend
        row = time_eprop(spikes, labels, threads, repeats, "per_synapse", BATCH, backend)
        row["factorised"] = "needs the cpu backend's native variable recording"
        row["snntorch"] = row["mlgenn_genn_cpu"] = peer_note(backend)
        return [row]
    row = time_eprop(spikes, labels, threads, repeats, "factorised", NUM_EXAMPLES)
    # mlGeNN's per-synapse form, one batch (it is the reference the factorised form equals)
    slow = time_eprop(spikes, labels, threads, 1, "per_synapse", BATCH)
    row["per_synapse_examples_per_s"] = slow["examples_per_s"]
    row["speedup_vs_per_synapse"] = row["examples_per_s"] / slow["examples_per_s"]
    peer = time_snntorch(dense_raster(times, ids, NUM_INPUT, TIMESTEPS), labels, threads,
                         repeats)
    if peer is None:
        row["snntorch"] = "not installed (pip install torch snntorch to compare)"
    else:
        row["snntorch_examples_per_s"] = peer
        row["speedup_vs_snntorch"] = row["examples_per_s"] / peer
    mlgenn = time_mlgenn(threads)
    if mlgenn is None:
        row["mlgenn_genn_cpu"] = "set ML_GENN_PEER_PYTHON to a Python with pygenn and mlGeNN"
    elif "examples_per_s" in mlgenn:
        row["mlgenn_genn_cpu_examples_per_s"] = mlgenn["examples_per_s"]
        row["speedup_vs_mlgenn_genn_cpu"] = row["examples_per_s"] / mlgenn["examples_per_s"]
    else:
        row["mlgenn_genn_cpu"] = mlgenn
    return [row]
