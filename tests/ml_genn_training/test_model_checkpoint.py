"""ModelCheckpoint and ResumeTraining: a run killed with SIGKILL resumes from its last complete
checkpoint and finishes bit-equal to an uninterrupted run; keep-best-N keeps exactly the N best."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = str(Path(__file__).resolve().parent)

RUN = """
import os, signal, sys
sys.path.insert(0, {here!r})
import numpy as np
from ml_genn.callbacks import Callback, ModelCheckpoint, ResumeTraining
from training_harness import setup_run

class KillIn(Callback):
    def __init__(self, epoch):
        self.epoch = epoch
    def on_epoch_begin(self, epoch):
        self.current = epoch
    def on_batch_end(self, batch, metrics):
        if self.current == self.epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)

net, inp, out, compiled, x, y = setup_run()
callbacks = [ResumeTraining({folder!r}), ModelCheckpoint({folder!r})]
if {kill_in} is not None:
    callbacks.append(KillIn({kill_in}))
with compiled:
    compiled.train({{inp: x}}, {{out: y}}, num_epochs=4, callbacks=callbacks)
    np.save({out!r}, np.concatenate([np.array(g.vars["g"].view).ravel()
                                     for g in compiled.connection_populations.values()]
                                    + [np.array(compiled.neuron_populations[out].vars["Bias"]
                                                .view).ravel()]))
"""


def _run(folder, out, kill_in=None):
    script = RUN.format(here=HERE, folder=str(folder), out=str(out), kill_in=kill_in)
    return subprocess.run([sys.executable, "-c", script], timeout=600, capture_output=True,
                          text=True)


def test_a_killed_run_resumes_from_its_last_checkpoint_and_ends_as_if_uninterrupted(tmp_path):
    straight = _run(tmp_path / "straight", tmp_path / "straight.npy")
    assert straight.returncode == 0, straight.stderr
    killed = _run(tmp_path / "killed", tmp_path / "never.npy", kill_in=2)
    assert killed.returncode == -9
    names = sorted(os.listdir(tmp_path / "killed"))
    assert names == ["epoch-00000", "epoch-00001"]        # nothing of epoch 2
    resumed = _run(tmp_path / "killed", tmp_path / "resumed.npy")
    assert resumed.returncode == 0, resumed.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "resumed.npy"),
                                  np.load(tmp_path / "straight.npy"))
    assert sorted(os.listdir(tmp_path / "killed")) == [f"epoch-0000{e}" for e in range(4)]


def test_keep_best_n_keeps_exactly_the_n_best(tmp_path):
    from ml_genn.callbacks import Callback, ModelCheckpoint
    from ml_genn_training.model_checkpoint import complete_checkpoints
    from training_harness import setup_run
    values = []

    class Record(Callback):
        def set_params(self, train_loop, **kwargs):
            self.loop = train_loop

        def on_epoch_end(self, epoch, metrics):
            values.append(next(iter(self.loop.validation_metrics.values())).result)

    net, inp, out, compiled, x, y = setup_run()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=6, validation_split=0.25,
                       callbacks=[Record(), ModelCheckpoint(str(tmp_path), "val_accuracy",
                                                            keep_best_n=2)],
                       validation_callbacks=[])
    kept = complete_checkpoints(str(tmp_path))
    # The two best epochs by the recorded values (ties: the later)
    best = sorted(range(6), key=lambda e: (-values[e], -e))[:2]
    assert sorted(e for e, _, _ in kept) == sorted(best)
    assert [v for _, v, _ in kept] == [values[e] for e in sorted(best)]


def test_resume_skips_a_damaged_latest_checkpoint_with_a_warning(tmp_path):
    """A file of the latest checkpoint changed after it was written (a flipped byte): resuming
    takes the one before it, says why, and never loads the damaged one; replaying the lost
    epoch then ends where the original run did."""
    import warnings
    from ml_genn.callbacks import Callback, ModelCheckpoint, ResumeTraining
    from training_harness import setup_run

    def weights(compiled):
        return [np.array(g.vars["g"].view) for g in compiled.connection_populations.values()]

    net, inp, out, compiled, x, y = setup_run()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=2,
                       callbacks=[ModelCheckpoint(str(tmp_path))])
        expected = weights(compiled)
    damaged = sorted((tmp_path / "epoch-00001").glob("1-*-g.npy"))[0]
    data = bytearray(damaged.read_bytes())
    data[-2] ^= 0x01
    damaged.write_bytes(bytes(data))
    epochs = []

    class Epochs(Callback):
        def on_epoch_begin(self, epoch):
            epochs.append(epoch)

    net, inp, out, compiled, x, y = setup_run()
    with compiled, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled.train({inp: x}, {out: y}, num_epochs=2,
                       callbacks=[ResumeTraining(str(tmp_path)), Epochs()])
        resumed = weights(compiled)
    assert epochs == [1]              # resumed after epoch 0
    for got, want in zip(resumed, expected):
        np.testing.assert_array_equal(got, want)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("skipping the checkpoint in" in m and "epoch-00001" in m and
               f"'{damaged}' is damaged" in m for m in messages), messages


def test_model_checkpoint_refuses_names_too_long_before_the_first_epoch(tmp_path):
    import pytest
    from ml_genn.callbacks import Callback, ModelCheckpoint
    from training_harness import setup_run
    net, inp, out, compiled, x, y = setup_run()
    out.name = "x" * 260
    began = []

    class Began(Callback):
        def on_epoch_begin(self, epoch):
            began.append(epoch)

    with compiled, pytest.raises(ValueError, match="the file system allows"):
        compiled.train({inp: x}, {out: y}, num_epochs=1,
                       callbacks=[Began(), ModelCheckpoint(str(tmp_path))])
    assert began == []
