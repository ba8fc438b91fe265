"""One training run of the data-parallel tests: started as a plain process (one rank, the
whole batch) or under ``mpiexec -n R`` with ``--mpi`` (each rank a share of every batch, as
mlGeNN's MPI examples split the data: ``data[rank::num_ranks]``).

Each rank writes ``<out>.rank<r>.npz``: its weights before and after training, the metrics it
reports and the epochs it ran.
"""
from __future__ import annotations

import argparse
import os
import signal

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes

NUM_IN, NUM_HID, NUM_OUT, STEPS = 20, 16, 4, 30


def dataset(n: int):
    rng = np.random.default_rng(11)
    x = []
    for _ in range(n):
        steps, ids = np.nonzero(rng.random((STEPS - 2, NUM_IN)) < 0.08)
        x.append(preprocess_spikes(steps.astype(float), ids, NUM_IN))
    return x, rng.integers(0, NUM_OUT, n)


def build(kind: str, weights_seed: int, deep_r: float = 0.0):
    """EventProp or e-prop network; ``weights_seed`` 0 leaves the weights to the engine's
    seeded draw (to prove ranks agree on drawn weights); ``deep_r`` > 0: the input
    connection is FixedProbability(deep_r) with drawn weights, for Deep-R."""
    from ml_genn.initializers import Normal
    if kind == "eventprop":
        from ml_genn.compilers.event_prop_compiler import default_params
    else:
        from ml_genn.compilers.eprop_compiler import default_params
    rng = np.random.default_rng(weights_seed)

    def weight(mean, shape):
        return rng.normal(mean, 0.4, shape) if weights_seed else Normal(mean, 0.4)

    def synapse():
        return [Exponential(5.0)] if kind == "eventprop" else []

    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=10000), NUM_IN, name="inp")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0,
                                            tau_refrac=None if kind == "eventprop" else 2.0),
                         NUM_HID, name="hid")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), NUM_OUT, name="out")
        if deep_r:
            from ml_genn.connectivity import FixedProbability
            Connection(inp, hid, FixedProbability(deep_r, Normal(0.1, 0.4)), *synapse(),
                       name="in_hid")
        else:
            Connection(inp, hid, Dense(weight(0.1, (NUM_IN, NUM_HID))), *synapse(),
                       name="in_hid")
        Connection(hid, out, Dense(weight(0.0, (NUM_HID, NUM_OUT))), *synapse(),
                   name="hid_out")
    return net, inp, out


def compiler(kind: str, batch_size: int, communicator, precision: str, seed: int,
             deep_r_conns=()):
    common = dict(optimiser=Adam(0.02), batch_size=batch_size, rng_seed=seed,
                  communicator=communicator, precision=precision)
    if deep_r_conns:
        common.update(deep_r_conns=list(deep_r_conns), deep_r_l1_strength=0.01,
                      deep_r_record_rewirings={deep_r_conns[0]: "rewirings"})
    if kind == "eventprop":
        from ml_genn.compilers import EventPropCompiler
        return EventPropCompiler(STEPS, "sparse_categorical_crossentropy", **common)
    from ml_genn.compilers import EPropCompiler
    return EPropCompiler(STEPS, "sparse_categorical_crossentropy", **common)


def weights(compiled):
    """Per-synapse weights, and each SPARSE connection's synapses (``<name>_post``, row by
    row)."""
    out = {}
    for conn, group in compiled.connection_populations.items():
        out[conn.name] = np.array(group.vars["g"].values, dtype=np.float64)
        if group.matrix_type.name == "SPARSE":
            out[f"{conn.name}_pre"] = group.get_sparse_pre_inds()
            out[f"{conn.name}_post"] = group.get_sparse_post_inds()
    return out


class KillAfter(Callback):
    """SIGKILLs this process as the epoch after ``epoch`` begins (a crashed run to resume);
    every rank has then finished ``epoch``, its checkpoint included, as the end of an epoch
    is a collective step."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, epoch):
        if epoch == self.epoch + 1:
            os.kill(os.getpid(), signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("eventprop", "eprop"), required=True)
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--precision", default="double")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--weights-seed", type=int, default=3)
    parser.add_argument("--checkpoints", default=None)
    parser.add_argument("--kill-after-epoch", type=int, default=None)
    parser.add_argument("--deep-r", type=float, default=0.0,
                        help="FixedProbability input connection of this p, trained with Deep-R")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    communicator, rank, ranks = None, 0, 1
    if args.mpi:
        from ml_genn.communicators import MPI
        communicator = MPI()
        rank, ranks = communicator.rank, communicator.num_ranks
    x, y = dataset(args.examples)
    x, y = x[rank::ranks], y[rank::ranks]
    net, inp, out = build(args.kind, args.weights_seed, args.deep_r)
    compiled = compiler(args.kind, args.batch_size, communicator, args.precision, args.seed,
                        net.connections[:1] if args.deep_r else ()).compile(net)
    callbacks = []
    epochs_run = []

    class Epochs(Callback):
        def on_epoch_begin(self, epoch):
            epochs_run.append(epoch)

    callbacks.append(Epochs())
    if args.checkpoints:
        from ml_genn.callbacks import ModelCheckpoint, ResumeTraining
        callbacks += [ResumeTraining(args.checkpoints), ModelCheckpoint(args.checkpoints)]
    if args.kill_after_epoch is not None and rank == ranks - 1:
        callbacks.append(KillAfter(args.kill_after_epoch))
    with compiled:
        initial = weights(compiled)
        metrics, cb_data = compiled.train({inp: x}, {out: y}, num_epochs=args.epochs,
                                          shuffle=False, callbacks=callbacks)
        final = weights(compiled)
        step = compiled.optimiser_step
        threads = compiled.genn_model.num_threads
    np.savez(f"{args.out}.rank{rank}.npz",
             **{f"initial_{k}": v for k, v in initial.items()},
             **{f"final_{k}": v for k, v in final.items()},
             accuracy=metrics[out].result, correct=metrics[out].correct,
             total=metrics[out].total, epochs=np.array(epochs_run), step=step,
             local_batch=compiled.batch_size, threads=threads,
             rewirings=np.array(cb_data.get("rewirings", []), dtype=np.int64))


if __name__ == "__main__":
    main()
