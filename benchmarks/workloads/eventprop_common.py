"""Shared parts of the EventProp training workloads (``eventprop_mnist``, ``eventprop_shd``).

Each workload trains one network shape with ``EventPropCompiler`` on synthetic spike data for a
fixed number of batches and reports training examples/s at batch 32. When ``torch`` and
``snntorch`` are installed (optional benchmark extra), the same shape is trained with BPTT in
snnTorch in the same run and the speed ratio is reported.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.synapses import Exponential

BATCH = 32


def build_network(num_inputs: int, num_hidden: int, num_outputs: int, recurrent: bool,
                  input_mean: float, input_sd: float, max_input_spikes: int):
    """num_inputs -> num_hidden LIF (optionally recurrent) -> num_outputs LI (avg_var)."""
    from ml_genn.compilers.event_prop_compiler import default_params
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=max_input_spikes), num_inputs, name="input")
        hidden = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0), num_hidden,
                            name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), num_outputs,
                         name="output")
        Connection(inp, hidden, Dense(Normal(mean=input_mean, sd=input_sd)), Exponential(5.0))
        if recurrent:
            Connection(hidden, hidden, Dense(Normal(mean=0.0, sd=0.02)), Exponential(5.0))
        Connection(hidden, out, Dense(Normal(mean=0.0, sd=0.1)), Exponential(5.0))
    return net, inp, out


def time_eventprop(net, inp, out, spikes, labels, timesteps: int, threads: int, repeats: int,
                   max_spikes: int, backend: str = "cpu") -> Dict[str, Any]:
    """Best-of-``repeats`` training throughput of one epoch over ``spikes`` on ``backend``
    (at batch ``BATCH``, or 1 where the backend runs one example at a time)."""
    from ml_genn.compilers import EventPropCompiler
    from workloads.backend_support import batch_size
    batch = batch_size(backend, BATCH)
    compiler = EventPropCompiler(example_timesteps=timesteps, dt=1.0, batch_size=batch,
                                 losses="sparse_categorical_crossentropy",
                                 max_spikes=max_spikes, rng_seed=1, backend=backend)
    compiled = compiler.compile(net, f"bench_eventprop_{timesteps}")
    best = float("inf")
    with compiled:
        compiled.genn_model.set_num_threads(threads)
        y = {out: np.asarray(labels)}
        compiled.train({inp: spikes[:batch]}, y_first(y, batch), num_epochs=1, callbacks=[])
        for _ in range(repeats):
            start = time.perf_counter()
            _, cb = compiled.train({inp: spikes}, y, num_epochs=1, callbacks=[])
            best = min(best, time.perf_counter() - start)
        hidden_spikes = float(np.mean(cb["eventprop"]["mean_spikes"]["hidden"]))
    return {"examples_per_s": len(labels) / best, "batch_size": batch, "timesteps": timesteps,
            "hidden_spikes_per_neuron": hidden_spikes}


def y_first(y: Dict[Any, np.ndarray], n: int) -> Dict[Any, np.ndarray]:
    return {k: v[:n] for k, v in y.items()}


def dense_raster(spike_times: List[np.ndarray], spike_ids: List[np.ndarray], num_inputs: int,
                 timesteps: int) -> np.ndarray:
    """(examples, timesteps, inputs) 0/1 raster of the same spikes, for snnTorch."""
    raster = np.zeros((len(spike_times), timesteps, num_inputs), np.float32)
    for e, (t, i) in enumerate(zip(spike_times, spike_ids)):
        raster[e, np.minimum(np.floor(t).astype(int), timesteps - 1), i] = 1.0
    return raster


def time_snntorch(raster: np.ndarray, labels: np.ndarray, num_hidden: int, num_outputs: int,
                  recurrent: bool, threads: int, repeats: int) -> Optional[Dict[str, Any]]:
    """BPTT training throughput of the same shape in snnTorch, or None if it is not installed."""
    epoch = snntorch_epoch(raster, labels, num_hidden, num_outputs, recurrent, threads)
    if epoch is None:
        return None
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - start)
    return {"examples_per_s": len(labels) / best}


def snntorch_epoch(raster: np.ndarray, labels: np.ndarray, num_hidden: int, num_outputs: int,
                   recurrent: bool, threads: int):
    """A function that trains the same shape for one epoch with BPTT in snnTorch (batch
    ``BATCH``, Adam), or None if snnTorch is not installed."""
    try:
        import snntorch as snn
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    beta_mem, alpha_syn = float(np.exp(-1.0 / 20.0)), float(np.exp(-1.0 / 5.0))
    num_inputs = raster.shape[2]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(num_inputs, num_hidden, bias=False)
            self.rec = torch.nn.Linear(num_hidden, num_hidden, bias=False) if recurrent else None
            self.lif = snn.Synaptic(alpha=alpha_syn, beta=beta_mem, threshold=1.0,
                                    reset_mechanism="zero")
            self.fc2 = torch.nn.Linear(num_hidden, num_outputs, bias=False)
            self.li = snn.Synaptic(alpha=alpha_syn, beta=beta_mem, threshold=1e9)

        def forward(self, x):
            syn1, mem1 = self.lif.init_synaptic()
            syn2, mem2 = self.li.init_synaptic()
            spk = torch.zeros(x.shape[1], num_hidden)
            total = 0.0
            for step in range(x.shape[0]):
                current = self.fc1(x[step])
                if self.rec is not None:
                    current = current + self.rec(spk)
                spk, syn1, mem1 = self.lif(current, syn1, mem1)
                _, syn2, mem2 = self.li(self.fc2(spk), syn2, mem2)
                total = total + mem2
            return total / x.shape[0]

    model = Net()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    data = torch.from_numpy(raster)
    targets = torch.from_numpy(np.asarray(labels, dtype=np.int64))

    def epoch():
        torch.set_num_threads(threads)
        for start in range(0, len(targets), BATCH):
            x = data[start:start + BATCH].transpose(0, 1)
            optimiser.zero_grad()
            loss = loss_fn(model(x), targets[start:start + BATCH])
            loss.backward()
            optimiser.step()

    return epoch


def report(eventprop: Dict[str, Any], snntorch_row: Optional[Dict[str, Any]],
           backend: str = "cpu") -> List[dict]:
    from workloads.backend_support import CPU, peer_note
    row = dict(eventprop)
    if backend != CPU:
        row["snntorch"] = peer_note(backend)
    elif snntorch_row is None:
        row["snntorch"] = "not installed (pip install torch snntorch to compare)"
    else:
        row["snntorch_examples_per_s"] = snntorch_row["examples_per_s"]
        row["speedup_vs_snntorch"] = eventprop["examples_per_s"] / snntorch_row["examples_per_s"]
    return [row]
