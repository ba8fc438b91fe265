"""Numpy serialiser: mlGeNN file names, round trips, atomic writes, the versioned manifest."""
import json
import os

import numpy as np
import pytest

from ml_genn.serialisers import Numpy, Serialiser
from ml_genn.serialisers.numpy import FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME
from ml_genn.utils.module import get_object


class Named:
    """Stands in for a Population/Connection: keys are converted with str()."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


def npy_files(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".npy"))


def test_registered_as_numpy():
    serialiser = get_object("numpy", Serialiser, "serialiser", "serialiser")
    assert isinstance(serialiser, Numpy) and serialiser.path == ""


@pytest.mark.parametrize("value", [
    np.arange(12, dtype=np.float32).reshape(3, 4), np.array([1, -2, 3], dtype=np.int64),
    np.array([True, False]), np.float64(2.5), np.zeros((2, 0, 3), dtype=np.uint8)])
def test_round_trip_keeps_values_dtype_and_shape(tmp_path, value):
    serialiser = Numpy(str(tmp_path))
    serialiser.serialise((0, Named("Pop1"), "V"), value)
    loaded = serialiser.deserialise((0, "Pop1", "V"))
    assert loaded.dtype == np.asarray(value).dtype and loaded.shape == np.shape(value)
    np.testing.assert_array_equal(loaded, value)


def test_file_names_are_keys_joined_by_hyphens_like_mlgenn(tmp_path):
    serialiser = Numpy(str(tmp_path / "ckpt"))  # folder created on first write
    serialiser.serialise((4, Named("Conn0"), "g"), np.ones(3))
    serialiser.serialise((4, Named("Pop1"), "V"), np.zeros(2))
    assert npy_files(tmp_path / "ckpt") == ["4-Conn0-g.npy", "4-Pop1-V.npy"]
    # Files are plain .npy files any NumPy can read
    np.testing.assert_array_equal(np.load(tmp_path / "ckpt" / "4-Conn0-g.npy"), np.ones(3))
    prefixed = Numpy(str(tmp_path / "p"), file_prefix="checkpoint")
    prefixed.serialise((4, "Pop1", "V"), np.zeros(2))
    assert npy_files(tmp_path / "p") == ["checkpoint-4-Pop1-V.npy"]
    np.testing.assert_array_equal(prefixed.deserialise_all((4, "Pop1"))["V"], np.zeros(2))


def test_deserialise_all_returns_everything_beneath_the_keys(tmp_path):
    serialiser = Numpy(str(tmp_path))
    rng = np.random.default_rng(0)
    stored = {(e, p, v): rng.normal(size=3) for e in (1, 2) for p in ("Pop1", "Pop10")
              for v in ("V", "A")}
    for keys, value in stored.items():
        serialiser.serialise(keys, value)
    # 'Pop1' must not pick up 'Pop10''s files
    state = serialiser.deserialise_all((2, Named("Pop1")))
    assert set(state) == {"V", "A"}
    for var, value in state.items():
        np.testing.assert_array_equal(value, stored[(2, "Pop1", var)])
    deeper = serialiser.deserialise_all((1,))
    assert set(deeper) == {(p, v) for p in ("Pop1", "Pop10") for v in ("V", "A")}
    np.testing.assert_array_equal(deeper[("Pop10", "A")], stored[(1, "Pop10", "A")])
    assert serialiser.deserialise_all((3,)) == {}
    assert Numpy(str(tmp_path / "never_written")).deserialise_all((0,)) == {}


def test_keys_with_hyphens_and_slashes_round_trip_without_ambiguity(tmp_path):
    serialiser = Numpy(str(tmp_path))
    serialiser.serialise((0, "hidden-1", "V"), np.ones(2))
    serialiser.serialise((0, "hidden", "1-V"), np.zeros(2))
    serialiser.serialise((0, "a/b", "V"), np.full(2, 7.0))
    assert set(serialiser.deserialise_all((0, "hidden"))) == {"1-V"}
    np.testing.assert_array_equal(serialiser.deserialise((0, "hidden-1", "V")), np.ones(2))
    np.testing.assert_array_equal(serialiser.deserialise_all((0, "a/b"))["V"], np.full(2, 7.0))
    # '/' in a key never makes a sub-folder
    assert all((tmp_path / f).is_file() for f in os.listdir(tmp_path))


def test_overwriting_replaces_the_previous_value(tmp_path):
    serialiser = Numpy(str(tmp_path))
    serialiser.serialise((0, "Pop", "V"), np.ones(4))
    serialiser.serialise((0, "Pop", "V"), np.arange(2))
    np.testing.assert_array_equal(serialiser.deserialise((0, "Pop", "V")), np.arange(2))


def test_crash_mid_write_leaves_previous_checkpoint_intact_and_no_temp_files(tmp_path,
                                                                             monkeypatch):
    serialiser = Numpy(str(tmp_path))
    previous = np.arange(1000, dtype=np.float64)
    serialiser.serialise((0, "Pop", "V"), previous)
    before = sorted(os.listdir(tmp_path))

    real_save = np.save

    def save_then_crash(file, array, *args, **kwargs):
        # Write part of a valid file, then die as a killed process or full disk would
        real_save(file, array[: len(array) // 2], *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", save_then_crash)
    with pytest.raises(OSError, match="disk full"):
        serialiser.serialise((0, "Pop", "V"), np.zeros(1000))
    with pytest.raises(OSError, match="disk full"):
        serialiser.serialise((0, "Pop", "U"), np.zeros(1000))  # a new file: never appears
    monkeypatch.setattr(np, "save", real_save)

    assert sorted(os.listdir(tmp_path)) == before
    np.testing.assert_array_equal(serialiser.deserialise((0, "Pop", "V")), previous)


def test_manifest_records_format_version_and_writers(tmp_path):
    from ml_genn import __version__
    Numpy(str(tmp_path)).serialise((0, "Pop", "V"), np.ones(1))
    with open(tmp_path / MANIFEST_NAME) as f:
        manifest = json.load(f)
    assert manifest["format"] == FORMAT_NAME
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["ml_genn_version"] == __version__
    assert manifest["plugins"]["ml-genn"] == __version__


def test_newer_or_foreign_format_is_refused_with_advice(tmp_path):
    serialiser = Numpy(str(tmp_path))
    serialiser.serialise((0, "Pop", "V"), np.ones(1))
    manifest_path = tmp_path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())

    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=f"format version {FORMAT_VERSION + 1}.*upgrade ml_genn"):
        Numpy(str(tmp_path)).deserialise((0, "Pop", "V"))
    with pytest.raises(ValueError, match="upgrade ml_genn"):
        Numpy(str(tmp_path)).serialise((1, "Pop", "V"), np.ones(1))

    manifest["format"], manifest["format_version"] = "ml_genn.hdf5", 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="holds a 'ml_genn.hdf5' checkpoint"):
        Numpy(str(tmp_path)).deserialise_all((0,))

    manifest_path.write_text("{not json")
    with pytest.raises(ValueError, match="manifest .* is unreadable"):
        Numpy(str(tmp_path)).deserialise((0, "Pop", "V"))


def test_folder_without_manifest_reads_as_plain_mlgenn_files(tmp_path):
    np.save(tmp_path / "3-Pop1-V.npy", np.arange(3))
    np.testing.assert_array_equal(Numpy(str(tmp_path)).deserialise_all((3, "Pop1"))["V"],
                                  np.arange(3))


def test_bad_keys_and_values_are_clear_errors(tmp_path):
    serialiser = Numpy(str(tmp_path))
    with pytest.raises(TypeError, match=r"wrap a single key as \('V',\)"):
        serialiser.serialise("V", np.ones(1))
    with pytest.raises(ValueError, match="at least one key"):
        serialiser.serialise((), np.ones(1))
    with pytest.raises(ValueError, match="must not be empty"):
        serialiser.serialise((0, ""), np.ones(1))
    with pytest.raises(TypeError, match="object array for keys"):
        serialiser.serialise((0, "x"), np.array([{}, None], dtype=object))
    with pytest.raises(FileNotFoundError, match=r"nothing stored at keys \(0, 'Pop', 'W'\)"):
        serialiser.deserialise((0, "Pop", "W"))
    with pytest.raises(TypeError, match="path must be a folder path string"):
        Numpy(3)
