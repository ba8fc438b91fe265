"""Run by test_checkpoint_faults.py in its own process: writes checkpoints and is killed
(SIGKILL, from forked children) at every file-system step of a write and at random moments,
then loads what is left. Prints one JSON object with every outcome.

Each checkpoint fills every weight and bias with one number (its 'stamp'), so a load that
mixes two writes shows up as more than one distinct value.
"""
import json
import os
import random
import signal
import sys
import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.errors import CheckpointError
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.serialisers import Numpy
from ml_genn.synapses import Exponential


def build():
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=4), 5, name="inp")
        hid = Population(LeakyIntegrateFire(), 4, name="hid")
        hid2 = Population(LeakyIntegrateFire(), 3, name="hid2")
        out = Population(LeakyIntegrate(readout="sum_var", bias=np.zeros(2)), 2, name="out")
        Connection(inp, hid, Dense(np.zeros((5, 4))), Exponential(5.0), name="c1")
        Connection(hid, hid2, Dense(np.zeros((4, 3))), Exponential(5.0), name="c2")
        Connection(hid2, out, Dense(np.zeros((3, 2))), Exponential(5.0), name="c3")
    return net


def stamp(compiled, value):
    for group in compiled.connection_populations.values():
        group.vars["g"].view[...] = value
    for pop, group in compiled.neuron_populations.items():
        if "Bias" in group.vars:
            group.vars["Bias"].view[...] = value


def loaded_stamps(folder, epoch):
    """The distinct values a fresh network loads from the checkpoint, or the error."""
    net = build()
    try:
        net.load((epoch,), Numpy(folder))
    except CheckpointError as exc:
        return {"refused": type(exc).__name__}
    values = [np.asarray(c.connectivity.weight).ravel() for c in net.connections]
    values += [np.atleast_1d(np.asarray(p.neuron.bias)).ravel() for p in net.populations
               if hasattr(p.neuron, "bias")]
    return {"stamps": sorted(set(float(v) for v in np.concatenate(values)))}


def killed_child(action):
    """Run ``action`` in a forked child that must die by SIGKILL (or finish); the exit."""
    pid = os.fork()
    if pid == 0:
        try:
            action()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main(folder):
    compiled = InferenceCompiler(evaluate_timesteps=5, batch_size=1).compile(build())
    outcomes = []
    with compiled:
        serialiser = Numpy(folder)
        stamp(compiled, 1.0)
        compiled.save((0,), serialiser)
        base = loaded_stamps(folder, 0)

        # 1. Kill at every step: just before and just after each rename a write makes
        real_replace = os.replace
        point = 0
        while True:
            point += 1
            for when in ("before", "after"):
                def write(point=point, when=when):
                    count = [0]

                    def replace(src, dst):
                        count[0] += 1
                        if count[0] == point and when == "before":
                            os.kill(os.getpid(), signal.SIGKILL)
                        real_replace(src, dst)
                        if count[0] == point and when == "after":
                            os.kill(os.getpid(), signal.SIGKILL)
                    os.replace = replace
                    stamp(compiled, 2.0 + point)
                    compiled.save((1,), Numpy(folder))      # a new epoch
                    stamp(compiled, 100.0 + point)
                    compiled.save((0,), Numpy(folder))      # overwriting an epoch
                status = killed_child(write)
                outcomes.append({"kind": "step", "point": point, "when": when,
                                 "status": status, "epoch0": loaded_stamps(folder, 0),
                                 "epoch1": loaded_stamps(folder, 1)})
            if status == 0:
                break       # the writes finished before the kill point: every point was tried
            # Start each point from the same complete state
            stamp(compiled, 1.0)
            compiled.save((0,), serialiser)
            if os.path.exists(os.path.join(folder, "1.ml_genn_manifest.json")):
                os.unlink(os.path.join(folder, "1.ml_genn_manifest.json"))

        # 2. Kill at random moments of a run that checkpoints continuously
        rng = random.Random(1234)
        for trial in range(12):
            def loop():
                epoch = 10
                while True:
                    stamp(compiled, float(epoch))
                    compiled.save((epoch,), Numpy(folder))
                    epoch += 1
            pid = os.fork()
            if pid == 0:
                try:
                    loop()
                finally:
                    os._exit(0)
            time.sleep(rng.uniform(0.005, 0.08))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            epochs = {}
            for name in os.listdir(folder):
                if name.endswith(".npy") and name.split("-")[0].isdigit():
                    epochs[int(name.split("-")[0])] = True
            results = {e: loaded_stamps(folder, e) for e in sorted(epochs) if e >= 10}
            outcomes.append({"kind": "random", "trial": trial,
                             "status": -os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
                             "epochs": {str(e): r for e, r in results.items()}})

        temporaries_before = sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))
        stamp(compiled, 7.0)
        compiled.save((2,), Numpy(folder))
        temporaries_after = sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))
    print(json.dumps({"base": base, "outcomes": outcomes,
                      "temporaries_before": temporaries_before,
                      "temporaries_after": temporaries_after,
                      "final": loaded_stamps(folder, 2)}))


if __name__ == "__main__":
    main(sys.argv[1])
