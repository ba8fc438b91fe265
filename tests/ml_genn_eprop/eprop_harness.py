"""Builds the same small network for the engine and for the NumPy reference, with spike input
on whole timesteps (a ``SpikeInput`` emits a spike at time ``t`` in step ``ceil(t / dt)``)."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from eprop_reference import Conn, EPropReference, Hidden, Net, Output


def random_raster(rng: np.random.Generator, examples: int, steps: int, num: int,
                  rate: float) -> np.ndarray:
    """``(examples, steps, num)`` 0/1 spikes with probability ``rate`` per step."""
    return (rng.random((examples, steps, num)) < rate).astype(np.uint8)


def spike_trains(raster: np.ndarray, dt: float = 1.0) -> list:
    """The raster as ml_genn's preprocessed spike trains (one per example)."""
    from ml_genn.utils.data import preprocess_spikes
    trains = []
    for example in raster:
        steps, ids = np.nonzero(example)
        order = np.lexsort((ids, steps))
        trains.append(preprocess_spikes(steps[order] * dt, ids[order], example.shape[1]))
    return trains


def build(spec: Net, seed_weights: bool = True, connectivity: Optional[Dict[int, str]] = None):
    """``(network, populations by name, connections by index)`` of ``spec`` in ml_genn."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.eprop_compiler import default_params
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, LeakyIntegrate, LeakyIntegrateFire,
                                 SpikeInput)
    from ml_genn.synapses import Delta
    net = Network(default_params)
    pops, conns = {}, {}
    with net:
        for name, n in spec.inputs.items():
            pops[name] = Population(SpikeInput(max_spikes=100000), n, name=name)
        for name, h in spec.hidden.items():
            common = dict(v_thresh=h.v_thresh, v_reset=h.v_reset, tau_mem=h.tau_mem,
                          tau_refrac=h.tau_refrac, relative_reset=h.relative_reset,
                          integrate_during_refrac=h.integrate_during_refrac)
            neuron = AdaptiveLeakyIntegrateFire(beta=h.beta, tau_adapt=h.tau_adapt, **common) \
                if h.adaptive else LeakyIntegrateFire(**common)
            pops[name] = Population(neuron, h.n, name=name)
        for name, o in spec.outputs.items():
            pops[name] = Population(LeakyIntegrate(tau_mem=o.tau_mem, bias=o.bias,
                                                   readout=o.readout), o.n, name=name)
        for k, c in enumerate(spec.conns):
            conns[k] = Connection(pops[c.source], pops[c.target], Dense(c.weight.copy()), Delta(),
                                  name=f"c{k}_{c.source}_{c.target}")
    return net, pops, conns


def reference_batches(ref: EPropReference, rasters: Dict[str, np.ndarray], y: Dict[str, np.ndarray],
                      batch: int, train: bool, lr: float) -> List[Dict[str, np.ndarray]]:
    """Run the reference over every batch of the data in order."""
    n_total = len(next(iter(rasters.values())))
    readouts = []
    for start in range(0, n_total, batch):
        n = min(batch, n_total - start)
        raster = {}
        for name, r in rasters.items():
            lanes = np.zeros((batch,) + r.shape[1:])
            lanes[:n] = r[start:start + n]
            raster[name] = np.moveaxis(lanes, 0, 1)
        yy = {}
        for name, t in y.items():
            pad = np.zeros((batch,) + t.shape[1:], dtype=t.dtype)
            pad[:n] = t[start:start + n]
            yy[name] = pad
        readouts.append(ref.run_batch(raster, yy, n, train, lr))
    return readouts


def engine_weights(compiled, conns) -> Dict[int, np.ndarray]:
    """Current weights of every connection, ``(num_pre, num_post)``."""
    return {k: np.array(compiled.connection_populations[c].vars["g"].view, dtype=np.float64)
            .reshape(c.source.num_neurons, c.target.num_neurons) for k, c in conns.items()}
