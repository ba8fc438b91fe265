"""A small e-prop training run for the training-callback tests."""
from __future__ import annotations

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.utils.data import preprocess_spikes

STEPS = 30


def setup_run(seed=0, n=24, record_hidden=False):
    from ml_genn.compilers import EPropCompiler
    from ml_genn.compilers.eprop_compiler import default_params
    from ml_genn.optimisers import Adam
    rng = np.random.default_rng(seed)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=5000), 10, name="inp")
        hid = Population(LeakyIntegrateFire(v_thresh=0.5, tau_refrac=2.0), 12, name="hid",
                         record_spikes=record_hidden)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 3, name="out")
        Connection(inp, hid, Dense(rng.normal(0.2, 0.3, (10, 12))), name="in_hid")
        Connection(hid, out, Dense(rng.normal(0.0, 0.3, (12, 3))), name="hid_out")
    x = []
    for _ in range(n):
        steps, ids = np.nonzero(rng.random((STEPS, 10)) < 0.1)
        x.append(preprocess_spikes(steps.astype(float), ids, 10))
    y = rng.integers(0, 3, n)          # random labels: validation accuracy wanders
    compiled = EPropCompiler(STEPS, "sparse_categorical_crossentropy", optimiser=Adam(0.05),
                             batch_size=4, rng_seed=3).compile(net)
    return net, inp, out, compiled, x, y
