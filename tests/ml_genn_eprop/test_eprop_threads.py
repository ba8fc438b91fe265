"""Same seed, same result at any thread count: training with the factorised form (engine
threads and the BLAS threads of its spike sums) gives bit-identical weights on 1 and 2 threads.
Each run is its own process, because BLAS reads its thread count when NumPy is imported."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import numpy as np
from eprop_harness import build, random_raster, spike_trains
from eprop_reference import Conn, Hidden, Net, Output
from ml_genn.compilers import EPropCompiler
rng = np.random.default_rng(0)
spec = Net({{"in": 300}}, {{"h": Hidden(128, v_thresh=0.6, tau_refrac=5.0, adaptive=True,
                                      beta=0.05, tau_adapt=200.0)}},
           {{"out": Output(5, 20.0, 0.0, "avg_var")}},
           [Conn("in", "h", rng.normal(0.0, 0.06, (300, 128))),
            Conn("h", "h", rng.normal(0.0, 0.09, (128, 128))),
            Conn("h", "out", rng.normal(0.0, 0.09, (128, 5)))])
net, pops, conns = build(spec)
compiled = EPropCompiler(120, "sparse_categorical_crossentropy", batch_size=8,
                         rng_seed=3).compile(net)
raster = random_raster(rng, 16, 120, 300, 0.03)
y = rng.integers(0, 5, 16)
with compiled:
    compiled.genn_model.set_num_threads({threads})
    compiled.train({{pops["in"]: spike_trains(raster)}}, {{pops["out"]: y}}, num_epochs=2,
                   callbacks=[])
    np.save({out!r}, np.concatenate([np.array(g.vars[v].view).ravel()
                                     for g in compiled.connection_populations.values()
                                     for v in ("g", "eFiltered", "epsilonA") if v in g.vars]))
"""


def test_factorised_training_is_identical_on_one_and_two_threads(tmp_path):
    here = str(Path(__file__).resolve().parent)
    results = []
    for threads in (1, 2):
        out = str(tmp_path / f"w{threads}.npy")
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-c", SCRIPT.format(here=here, threads=threads, out=out)],
                       check=True, env=env, timeout=600)
        results.append(np.load(out))
    assert results[0].size > 300 * 128
    np.testing.assert_array_equal(results[0], results[1])
