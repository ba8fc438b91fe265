"""Run by test_training_loop.py in fresh processes: train with checkpoints and resume.

Usage: python resume_script.py MODE FOLDER  (MODE: full | first | resume)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from lms_compiler import LMSCompiler  # noqa: E402

from ml_genn import Connection, Network, Population  # noqa: E402
from ml_genn.callbacks import Checkpoint  # noqa: E402
from ml_genn.connectivity import Dense  # noqa: E402
from ml_genn.neurons import LeakyIntegrate, PoissonInput  # noqa: E402
from ml_genn.optimisers import Adam  # noqa: E402
from ml_genn.serialisers import Numpy  # noqa: E402


def main(mode, folder):
    rng = np.random.default_rng(0)
    x = rng.random((12, 6)).astype(np.float32) * 0.5
    y = rng.random((12, 2)).astype(np.float32)
    net = Network()
    with net:
        # Poisson input makes the run depend on the engine RNG, so resuming must restore it
        inp = Population(PoissonInput(), 6)
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), 2)
        # Drawn in NumPy: the LMS compiler's weights are per-batch copies (see lms_compiler.py)
        Connection(inp, out, Dense(rng.normal(scale=0.1, size=(6, 2)).astype(np.float32)))
    serialiser = Numpy(folder)
    if mode == "resume":
        net.load((0,), serialiser)
    compiler = LMSCompiler(8, Adam(0.02), batch_size=4, rng_seed=1234)
    compiled = compiler.compile(net)
    with compiled:
        kwargs = dict(metrics="mean_square_error", callbacks=[Checkpoint(serialiser)])
        if mode == "full":
            compiled.train({inp: x}, {out: y}, num_epochs=2, **kwargs)
        elif mode == "first":
            compiled.train({inp: x}, {out: y}, num_epochs=1, **kwargs)
        else:
            compiled.train({inp: x}, {out: y}, num_epochs=1, start_epoch=1, **kwargs)
        g = compiled.connection_populations[net.connections[0]].vars["g"].view
        np.save(os.path.join(folder, f"final_{mode}.npy"), g)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
