"""Scaling workload: the ``eventprop_mnist`` shape (784 -> 128 LIF -> 10 LI, 100 timesteps,
global batch 32) trained on two cores two ways, in one run: one rank with two threads, and
two MPI ranks (``mpiexec -n 2``) with one thread each, every rank half of each batch.

Reports training examples/s of each and, for the MPI run, the share of each training step
spent in communication (time inside the communicator's collectives: the gradient sum, metric
and stop-flag reductions), plus the bytes the gradient sum moves per step. Needs the ``mpi``
extra (``pip install ml-genn[mpi]``); without it the MPI row says why it is missing.

It only runs for ``--threads 2`` (it compares two ways of using the same two cores).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List

import numpy as np

NAME = "mpi_scaling"
BATCH, TIMESTEPS = 32, 100
#: eventprop_mnist's synthetic data set (8 batches of 32)
NUM_EXAMPLES = 8 * BATCH


def _child(repeats: int, use_mpi: bool) -> Dict[str, Any]:
    """One rank's measurement (run in the child processes)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from ml_genn.compilers import EventPropCompiler
    from workloads.eventprop_common import build_network
    from workloads.eventprop_mnist import data

    communicator, rank, ranks = None, 0, 1
    spent = [0.0]
    if use_mpi:
        from ml_genn.communicators import MPI
        communicator = MPI()
        rank, ranks = communicator.rank, communicator.num_ranks
        # Time every collective the training loop makes
        for method in ("barrier", "broadcast", "reduce_sum", "reduce_sum_in_place",
                       "all_gather"):
            original = getattr(communicator, method)

            def timed(*args, _original=original, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    spent[0] += time.perf_counter() - start
            setattr(communicator, method, timed)
    spikes, labels, _, _ = data()
    assert len(labels) == NUM_EXAMPLES
    spikes, labels = spikes[rank::ranks], np.asarray(labels)[rank::ranks]
    net, inp, out = build_network(784, 128, 10, False, input_mean=0.2, input_sd=0.1,
                                  max_input_spikes=784 * BATCH)
    compiler = EventPropCompiler(example_timesteps=TIMESTEPS, dt=1.0, batch_size=BATCH,
                                 losses="sparse_categorical_crossentropy",
                                 max_spikes=TIMESTEPS, rng_seed=1, communicator=communicator)
    compiled = compiler.compile(net, "bench_mpi_scaling")
    best, best_comm = float("inf"), 0.0
    with compiled:
        y = {out: labels}
        compiled.train({inp: spikes[:BATCH // ranks]}, {out: labels[:BATCH // ranks]},
                       num_epochs=1, callbacks=[])          # warm-up
        for _ in range(repeats):
            if communicator is not None:
                communicator.barrier()
            spent[0] = 0.0
            start = time.perf_counter()
            compiled.train({inp: spikes}, y, num_epochs=1, callbacks=[])
            elapsed = time.perf_counter() - start
            if elapsed < best:
                best, best_comm = elapsed, spent[0]
        gradient_bytes = sum(v.nbytes for v in compiled._reduced_gradients())
    steps = NUM_EXAMPLES // BATCH
    return {"rank": rank, "ranks": ranks, "seconds": best, "comm_seconds": best_comm,
            "examples_per_s": NUM_EXAMPLES / best, "steps": steps,
            "gradient_bytes_per_step": gradient_bytes}


def _launch(command: List[str], threads: int) -> List[Dict[str, Any]]:
    env = dict(os.environ, ML_GENN_NUM_THREADS=str(threads))
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    # The ranks share one stdout, so their lines may run into each other: read object by object
    decoder, rows, text, at = json.JSONDecoder(), [], result.stdout, 0
    while (at := text.find("{", at)) >= 0:
        row, at = decoder.raw_decode(text, at)
        rows.append(row)
    return rows


def run(threads: int, repeats: int = 3, backend: str = "cpu") -> list:
    from workloads.backend_support import CPU, skipped
    if backend != CPU:
        return skipped(f"compares threads and MPI ranks of the cpu backend on two cores; "
                       f"backend '{backend}' chooses its own parallelism")
    if threads != 2:
        return []
    me = os.path.abspath(__file__)
    rows = []
    # One core alone: the compute a step costs, which the scaling model in docs/scaling.md
    # sets against the communication
    alone = _launch([sys.executable, me, "--child", str(repeats)], 1)[0]
    rows.append({"config": "1 rank x 1 thread", "examples_per_s": alone["examples_per_s"],
                 "ms_per_step": 1e3 * alone["seconds"] / alone["steps"],
                 "batch_size": BATCH, "timesteps": TIMESTEPS})
    single = _launch([sys.executable, me, "--child", str(repeats)], 2)[0]
    rows.append({"config": "1 rank x 2 threads", "examples_per_s": single["examples_per_s"],
                 "ms_per_step": 1e3 * single["seconds"] / single["steps"],
                 "batch_size": BATCH, "timesteps": TIMESTEPS})
    from ml_genn.communicators.mpi import find_mpiexec
    mpiexec = find_mpiexec()
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None:
        missing = "mpi4py is not installed (pip install ml-genn[mpi])"
    else:
        missing = "" if mpiexec else "no mpiexec (pip install ml-genn[mpi])"
    if missing:
        rows.append({"config": "2 ranks x 1 thread", "skipped": missing})
        return rows
    ranks = _launch([mpiexec, "-n", "2", sys.executable, me, "--child", str(repeats),
                     "--mpi"], 1)
    slowest = max(r["seconds"] for r in ranks)
    rows.append({"config": "2 ranks x 1 thread", "examples_per_s": NUM_EXAMPLES / slowest,
                 "ms_per_step": 1e3 * slowest / ranks[0]["steps"],
                 "batch_size": BATCH, "timesteps": TIMESTEPS,
                 "comm_share": max(r["comm_seconds"] / r["seconds"] for r in ranks),
                 "comm_ms_per_step": 1e3 * max(r["comm_seconds"] for r in ranks)
                 / ranks[0]["steps"],
                 "gradient_bytes_per_step": ranks[0]["gradient_bytes_per_step"],
                 "ratio_to_1_rank": (NUM_EXAMPLES / slowest) / single["examples_per_s"]})
    return rows


if __name__ == "__main__" and "--child" in sys.argv:
    print(json.dumps(_child(int(sys.argv[sys.argv.index("--child") + 1]), "--mpi" in sys.argv)),
          flush=True)
