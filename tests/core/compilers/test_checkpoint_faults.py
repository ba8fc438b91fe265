"""Checkpoints are complete or absent: killed writes, damaged files, hand-built values and names
the file system refuses are errors that name the folder, the epoch and the file, and a refused
load changes nothing."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lms_compiler import LMSCompiler
from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback, Checkpoint
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.errors import CheckpointError, CheckpointNotFoundError
from ml_genn.neurons import BinarySpikeInput, LeakyIntegrate
from ml_genn.optimisers import Adam
from ml_genn.serialisers import Numpy, Serialiser
from ml_genn.utils.atomic import TEMP_SUFFIX

HERE = os.path.dirname(__file__)
T = 4


def network(name_out="out", weight=0.0):
    net = Network()
    with net:
        inp = Population(BinarySpikeInput(), 3, name="inp")
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var", bias=np.zeros(2)), 2,
                         name=name_out)
        Connection(inp, out, Dense(np.full((3, 2), weight)), name="w")
    return net, inp, out


def saved(tmp_path, epochs=(0, 1)):
    """A folder with complete checkpoints: weights = 1 + epoch, bias = -(1 + epoch)."""
    net, inp, out = network()
    compiled = InferenceCompiler(evaluate_timesteps=T).compile(net)
    with compiled:
        for epoch in epochs:
            compiled.connection_populations[net.connections[0]].vars["g"].view[...] = 1 + epoch
            compiled.neuron_populations[out].vars["Bias"].view[...] = -(1 + epoch)
            compiled.save((epoch,), Numpy(str(tmp_path)))
    return str(tmp_path)


def loaded_weight(folder, epoch):
    net, _, out = network()
    net.load((epoch,), Numpy(folder))
    return np.asarray(net.connections[0].connectivity.weight), np.asarray(out.neuron.bias)


def test_kill_at_every_step_and_at_random_moments_leaves_complete_or_refused_checkpoints(
        tmp_path):
    """kill -9 just before and after every rename of a checkpoint write (a new epoch and an
    overwritten one), and at random moments of a run that checkpoints continuously: every
    checkpoint then loads exactly one write's values or is refused, never a mix."""
    env = dict(os.environ, ML_GENN_NUM_THREADS="1")
    result = subprocess.run([sys.executable, os.path.join(HERE, "kill_during_checkpoint.py"),
                             str(tmp_path / "ck")], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["base"] == {"stamps": [1.0]}
    steps = [o for o in report["outcomes"] if o["kind"] == "step"]
    killed = [o for o in steps if o["status"] == -9]
    # Every file-system step of both writes was a kill point; the last ones finish the writes
    assert len(killed) >= 20 and steps[-1]["status"] == 0
    for o in steps:
        point = o["point"]
        assert o["epoch0"] in ({"stamps": [1.0]}, {"stamps": [100.0 + point]},
                               {"refused": "CheckpointError"}), o
        assert o["epoch1"] in ({"stamps": [2.0 + point]}, {"refused": "CheckpointError"},
                               {"refused": "CheckpointNotFoundError"}), o
    # Kill points fell inside the writes: both kinds of outcome occur for both epochs
    assert {"refused": "CheckpointError"} in [o["epoch0"] for o in killed]
    assert {"refused": "CheckpointError"} in [o["epoch1"] for o in killed]
    assert any("stamps" in o["epoch1"] for o in killed)
    randoms = [o for o in report["outcomes"] if o["kind"] == "random"]
    assert all(o["status"] == -9 for o in randoms)
    for o in randoms:
        for epoch, outcome in o["epochs"].items():
            assert outcome in ({"stamps": [float(epoch)]}, {"refused": "CheckpointError"}), o
    assert sum(len(o["epochs"]) for o in randoms) > 12
    # Temporary files of killed writers are gone after the next complete write
    assert report["temporaries_after"] == [] and report["final"] == {"stamps": [7.0]}


def test_missing_epoch_and_mistyped_folder_are_errors_naming_them(tmp_path):
    folder = saved(tmp_path)
    with pytest.raises(CheckpointNotFoundError, match=r"No checkpoint at keys \(5,\) in folder "
                       r"'.*'; complete checkpoints there: \('0',\), \('1',\)"):
        loaded_weight(folder, 5)
    with pytest.raises(CheckpointNotFoundError, match="the folder does not exist"):
        loaded_weight(folder + "_typo", 0)
    # An mlGeNN-written epoch never written: the same error from the plain-files path
    with pytest.raises(FileNotFoundError, match=r"No checkpoint at keys \(3,\)"):
        loaded_weight(str(tmp_path / "empty"), 3)
    np.testing.assert_array_equal(loaded_weight(folder, 1)[0], np.full((3, 2), 2.0))


def test_a_missing_file_is_named(tmp_path):
    folder = saved(tmp_path)
    os.unlink(os.path.join(folder, "1-out-Bias.npy"))
    with pytest.raises(CheckpointError, match=r"Checkpoint \(1,\) in folder .* is damaged: "
                       r"'1-out-Bias.npy' is missing"):
        loaded_weight(folder, 1)
    np.testing.assert_array_equal(loaded_weight(folder, 0)[1], [-1.0, -1.0])


def test_interrupted_save_is_refused_and_earlier_checkpoints_still_load(tmp_path, monkeypatch):
    folder = saved(tmp_path, epochs=(0,))
    net, _, out = network()
    compiled = InferenceCompiler(evaluate_timesteps=T).compile(net)
    real = Numpy.serialise
    calls = []

    def fail_second(self, keys, data):
        calls.append(keys)
        if len(calls) == 2:
            raise OSError("No space left on device")
        real(self, keys, data)

    monkeypatch.setattr(Numpy, "serialise", fail_second)
    with compiled, pytest.raises(OSError, match="No space"):
        compiled.save((1,), Numpy(folder))
    monkeypatch.setattr(Numpy, "serialise", real)
    assert os.path.exists(os.path.join(folder, "1-w-g.npy"))     # one file made it
    with pytest.raises(CheckpointError, match=r"Checkpoint \(1,\) .* is incomplete: its write "
                       r"was interrupted .*complete checkpoints there: \('0',\)"):
        loaded_weight(folder, 1)
    with pytest.raises(CheckpointError, match="incomplete"):
        Numpy(folder).deserialise((1, "w", "g"))
    np.testing.assert_array_equal(loaded_weight(folder, 0)[0], np.ones((3, 2)))


def test_a_flipped_byte_is_detected(tmp_path):
    folder = saved(tmp_path)
    path = os.path.join(folder, "0-w-g.npy")
    data = bytearray(open(path, "rb").read())
    data[-3] ^= 0x10          # inside the last float: still a valid .npy file
    open(path, "wb").write(bytes(data))
    assert np.load(path).shape == (3, 2)
    with pytest.raises(CheckpointError, match=r"0-w-g.npy' is damaged: its SHA-256 differs"):
        loaded_weight(folder, 0)


def test_stale_temporaries_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    folder = saved(tmp_path, epochs=(0,))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = f".0-w-g.npy.{dead}.abc123{TEMP_SUFFIX}"
    live = f".0-w-g.npy.{os.getppid()}.def456{TEMP_SUFFIX}"
    other = f".notes.txt{TEMP_SUFFIX}"
    for name in (stale, live, other):
        open(os.path.join(folder, name), "wb").write(b"partial")
    saved(tmp_path, epochs=(1,))
    left = set(os.listdir(folder))
    assert stale not in left and live in left and other in left


def write_unit(folder, keys, arrays):
    """A hand-built but complete checkpoint (as a tool outside ml_genn might write one)."""
    serialiser = Numpy(folder)
    with serialiser.checkpoint(keys):
        for name, value in arrays.items():
            serialiser.serialise(keys + name, value)


@pytest.mark.parametrize("arrays, message", [
    ({("w", "g"): np.float32(2.0)}, r"0-w-g.npy' holds a single number for 'g' of "
                                    r"Connection 'w'"),
    ({("out", "Bias"): np.ones(1, np.float32)}, r"0-out-Bias.npy' holds 'Bias' of shape \(1,\) "
                                                r"for Population 'out', which has 2 neurons"),
    ({("w", "g"): np.ones((3, 2), np.complex64)}, r"0-w-g.npy' holds complex64 values"),
    ({("w", "g"): np.ones((2, 3), np.float32)}, r"Network.load from '.*0-w-g.npy': .*Dense"),
])
def test_hand_built_values_are_refused_naming_the_file_and_change_nothing(tmp_path, arrays,
                                                                          message):
    folder = str(tmp_path)
    arrays = dict(arrays)
    arrays.setdefault(("out", "Bias"), np.full(2, 5.0, np.float32))
    write_unit(folder, (0,), arrays)
    net, _, out = network(weight=0.5)
    with pytest.raises(CheckpointError, match=message):
        net.load((0,), Numpy(folder))
    # All or nothing: no value of the refused checkpoint stayed
    np.testing.assert_array_equal(net.connections[0].connectivity.weight, np.full((3, 2), 0.5))
    np.testing.assert_array_equal(out.neuron.bias, np.zeros(2))


def trained(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((8, 3)) < 0.5).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    net, inp, out = network()
    compiled = LMSCompiler(T, Adam(0.05), batch_size=4, rng_seed=3).compile(net)
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=2,
                       callbacks=[Checkpoint(Numpy(str(tmp_path)))])
    return str(tmp_path), x, y


def tamper(folder, name, value):
    """Rewrite one training-state array and re-seal the checkpoint (a hand-edited file)."""
    path = os.path.join(folder, f"1-training_state-{name}.npy")
    assert os.path.exists(path), sorted(os.listdir(folder))
    manifest = json.load(open(os.path.join(folder, "1.ml_genn_manifest.json")))
    keys = [k for k in (tuple(f[:-4].split("-")[1:]) for f in manifest["files"])]
    serialiser = Numpy(folder)
    stored = {k: serialiser.deserialise((1,) + k) for k in keys}
    stored[("training_state", name)] = value
    write_unit(folder, (1,), stored)


def state_names(folder):
    return sorted(f[len("1-training_state-"):-4] for f in os.listdir(folder)
                  if f.startswith("1-training_state-"))


@pytest.mark.parametrize("kind, message", [
    ("nan", r"holds 1 non-finite value\(s\) in optimiser state"),
    ("scalar_state", r"holds optimiser state .* of shape \(1,\); the network needs shape \(6,\)"),
    ("negative_step", r"optimiser_step.npy' holds optimiser step = -4; a step count is never "
                      r"negative"),
    ("float_step", r"optimiser_step.npy' holds optimiser step as float64"),
    ("rng_missing", r"RNG state .* is malformed: it holds \[.*\], the engine needs"),
    ("rng_dtype", r"holds RNG state 'seed' as int64"),
])
def test_training_state_is_validated_before_anything_is_assigned(tmp_path, kind, message):
    folder, x, y = trained(tmp_path)
    names = state_names(folder)
    moment = "w_learn.M"       # Adam's first moment of the weights
    assert moment in names, names
    if kind == "nan":
        value = np.load(os.path.join(folder, f"1-training_state-{moment}.npy"))
        value.flat[0] = np.nan
        tamper(folder, moment, value)
    elif kind == "scalar_state":
        tamper(folder, moment, np.zeros(1, np.float32))
    elif kind == "negative_step":
        tamper(folder, "optimiser_step", np.array([-4], np.int64))
    elif kind == "float_step":
        tamper(folder, "optimiser_step", np.array([4.0]))
    elif kind == "rng_missing":
        os.unlink(os.path.join(folder, "1-training_state-rng.seed.npy"))
        manifest_path = os.path.join(folder, "1.ml_genn_manifest.json")
        manifest = json.load(open(manifest_path))
        del manifest["files"]["1-training_state-rng.seed.npy"]
        json.dump(manifest, open(manifest_path, "w"))
    else:
        tamper(folder, "rng.seed", np.array([3], np.int64))
    net, inp, out = network(weight=0.25)
    compiled = LMSCompiler(T, Adam(0.05), batch_size=4, rng_seed=3).compile(net)
    with compiled:
        group = compiled.connection_populations[net.connections[0]]
        with pytest.raises(CheckpointError, match=message):
            compiled.restore_checkpoint((1,), Numpy(folder))
        # Refused before anything was assigned: weights and step as compiled
        np.testing.assert_array_equal(group.vars["g"].view, np.full(group.vars["g"].view.shape,
                                                                    0.25))
        assert compiled.optimiser_step == 0


def test_valid_training_state_round_trips(tmp_path):
    folder, x, y = trained(tmp_path)
    net, inp, out = network()
    compiled = LMSCompiler(T, Adam(0.05), batch_size=4, rng_seed=3).compile(net)
    with compiled:
        compiled.restore_checkpoint((1,), Numpy(folder))
        assert compiled.optimiser_step == 4       # 2 epochs of 2 batches
        np.testing.assert_array_equal(
            compiled.connection_populations[net.connections[0]].vars["g"].view.reshape(3, 2),
            np.load(os.path.join(folder, "1-w-g.npy")))


def test_names_too_long_for_the_file_system_fail_before_training_starts(tmp_path):
    long_name = "o" * 300
    net, inp, out = network(name_out=long_name)
    compiled = LMSCompiler(T, Adam(0.05), batch_size=4).compile(net)
    epochs = []

    class Count(Callback):
        def on_epoch_begin(self, epoch):
            epochs.append(epoch)

    x = np.ones((4, 3), np.float32)
    y = np.zeros((4, 2), np.float32)
    with compiled, pytest.raises(ValueError, match=r"file name '0-o+\.\.\.' is \d+ bytes, and "
                                                   r"the file system allows \d+"):
        compiled.train({inp: x}, {out: y}, num_epochs=1,
                       callbacks=[Count(), Checkpoint(Numpy(str(tmp_path)))])
    assert epochs == [] and not any(f.endswith(".npy") for f in os.listdir(tmp_path))


class DictSerialiser(Serialiser):
    """A serialiser written for mlGeNN: the three abstract methods only. (Serialisers given to
    save are copied, as mlGeNN's get_object copies them, so the store is shared.)"""

    STORE = {}

    @property
    def data(self):
        return self.STORE

    def serialise(self, keys, data):
        self.data[tuple(str(k) for k in keys)] = np.array(data)

    def deserialise(self, keys):
        return self.data[tuple(str(k) for k in keys)]

    def deserialise_all(self, keys):
        keys = tuple(str(k) for k in keys)
        return {k[len(keys)]: v for k, v in self.data.items()
                if k[:len(keys)] == keys and len(k) == len(keys) + 1}


def test_serialisers_without_checkpoint_units_keep_working(tmp_path):
    serialiser = DictSerialiser()
    net, _, out = network()
    compiled = InferenceCompiler(evaluate_timesteps=T).compile(net)
    with compiled:
        compiled.connection_populations[net.connections[0]].vars["g"].view[...] = 3.0
        compiled.save((2,), serialiser)
    net2, _, _ = network()
    net2.load((2,), serialiser)
    np.testing.assert_array_equal(net2.connections[0].connectivity.weight, np.full((3, 2), 3.0))
    # Nothing stored at all is still an error, whatever the serialiser
    with pytest.raises(CheckpointNotFoundError, match=r"no population or connection of this "
                                                      r"network has values stored at keys \(7,\)"):
        network()[0].load((7,), serialiser)
