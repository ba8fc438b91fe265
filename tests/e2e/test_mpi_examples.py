"""examples/mpi/: mlGeNN's two MPI example scripts (less pygenn's CUDA device selection) train
data-parallel under ``mpiexec`` with two ranks on offline stand-in data.

Each run starts the script as two MPI ranks in one ``mpiexec`` (an MPMD launch,
``mpiexec -n 1 --wdir rank0 python script : -n 1 --wdir rank1 python script``, the same as
``mpiexec -n 2 python script`` but that each rank runs in its own folder), so that the test
can tell which rank wrote the checkpoint folder: rank 0 only. Both folders sit beside
``data/``, which the SHD script reads as ``../data``; MNIST is read through the ``mnist``
package from ``$TMPDIR``, which points at the test's stand-in.

- ``latency_mnist_mpi.py`` runs exactly as shipped (10 epochs, batch 32, 4000 stand-in
  digits: about 10 s), then a copy with ``TRAIN = False`` loads rank 0's last checkpoint in one
  process and evaluates the 1000 held-out digits.
- ``shd_classifier_mpi.py`` trains 50 epochs of 1000 timesteps at batch 512. The engine
  simulates every lane of a batch, padding included, so one epoch costs 12-30 s on two
  cores however small the data (one Adam step per epoch), and the first epoch's accuracy is
  the untrained network's: even two epochs would take a minute. The test therefore runs a
  copy with the epoch count (``NUM_EPOCHS = 50`` and the literal ``num_epochs=50`` it passes
  to ``train``) rewritten to 3 and ``BATCH_SIZE = 512`` to 32 (16 per rank), on a
  40-example stand-in of 20 classes: 2 batches a rank per epoch, about 10 s. The full script
  was run by hand (examples/mpi/README.md).

Chance is 10% (MNIST) and 5% (SHD's 20 classes); the thresholds sit far above it and below
what the runs reached when the test was written (MNIST 97.7-98.0% train / 90.3-90.8% test,
SHD 65-68% after 3 epochs).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ml_genn.communicators.mpi import find_mpiexec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "mpi"
STANDIN = ROOT / "tools" / "standin_datasets.py"
TIMEOUT = 240
# Unanchored: mpiexec interleaves the ranks' output, so one rank's line may run into another's
ACCURACY = re.compile(r"Accuracy = ([0-9.]+(?:e[+-]?[0-9]+)?)%")


def _mpi_unavailable() -> str:
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:
        return f"mpi4py is not installed ({exc}); pip install mpi4py mpich"
    if find_mpiexec() is None:
        return "no mpiexec on PATH (pip install mpich, or a system MPI)"
    return ""


pytestmark = pytest.mark.skipif(bool(_mpi_unavailable()), reason=_mpi_unavailable() or "-")


def _environment(tmp_path: Path) -> dict:
    # One thread per rank: the two ranks share the machine's cores
    return dict(os.environ, TMPDIR=str(tmp_path / "mnist"), ML_GENN_NUM_THREADS="1",
                MPLBACKEND="Agg")


def _standin(tmp_path: Path, *args: str) -> None:
    (tmp_path / "mnist").mkdir(exist_ok=True)
    subprocess.run([sys.executable, str(STANDIN), "--mnist-dir", str(tmp_path / "mnist"),
                    "--tonic-root", str(tmp_path / "data"), *args],
                   check=True, capture_output=True, timeout=TIMEOUT)


def _copy(name: str, folder: Path, replacements: dict) -> Path:
    """The example ``name`` copied into ``folder`` with each ``old: new`` replaced (each
    ``old`` must occur exactly once)."""
    text = (EXAMPLES / name).read_text()
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{name}: expected one {old!r}"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text)
    return path


def _run_two_ranks(script: Path, tmp_path: Path) -> str:
    ranks = [tmp_path / "rank0", tmp_path / "rank1"]
    command = [find_mpiexec()]
    for i, folder in enumerate(ranks):
        folder.mkdir(exist_ok=True)
        command += ([":"] if i else []) + ["-n", "1", "--wdir", str(folder),
                                           sys.executable, str(script)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                            env=_environment(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Training on rank 0 / 2" in out and "Training on rank 1 / 2" in out, out[-3000:]
    return out


def _files(folder: Path) -> list:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _checkpoint_keys(folder: Path) -> set:
    """The checkpoint keys (epochs) of the Numpy serialiser's files, named ``<epoch>-...``
    and ``<epoch>.<manifest>`` (beside them an index file)."""
    return {m.group(1) for m in map(re.compile(r"([0-9]+)[-.]").match, _files(folder)) if m}


def test_latency_mnist_mpi_trains_on_two_ranks_and_rank_0_checkpoints(tmp_path):
    _standin(tmp_path, "--only", "mnist")
    out = _run_two_ranks(EXAMPLES / "latency_mnist_mpi.py", tmp_path)
    # The script prints the accuracy on rank 0 only: one line
    accuracies = [float(a) for a in ACCURACY.findall(out)]
    assert len(accuracies) == 1, out[-3000:]
    assert accuracies[0] > 80.0, out[-3000:]
    # The metric is reduced over both ranks: rank r trains on digits r, r + 2, ... of the
    # first 3999 (slice(rank, -1, 2)), so the accuracy is a whole number of 3999ths; rank 0's
    # 2000 digits alone would give 2000ths (3999 and 2000 are coprime: only 100% is both)
    correct = accuracies[0] / 100.0 * 3999
    assert abs(correct - round(correct)) < 1e-6, f"{accuracies[0]}% is not k/3999"
    assert re.search(r"Neuron update time = [0-9.]+", out), out[-3000:]

    # Checkpoints (epochs 0..9) and the connectivity saved at the end: rank 0 only
    checkpoints = tmp_path / "rank0" / "latency_mnist_mpi_checkpoints"
    keys = _checkpoint_keys(checkpoints)
    assert keys == {str(epoch) for epoch in range(10)}, _files(checkpoints)
    assert _files(tmp_path / "rank1") == []

    # TRAIN = False: one process loads rank 0's last checkpoint and scores the test digits
    script = _copy("latency_mnist_mpi.py", tmp_path / "rank0", {"TRAIN = True": "TRAIN = False"})
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=TIMEOUT, cwd=tmp_path / "rank0", env=_environment(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    accuracies = [float(a) for a in ACCURACY.findall(result.stdout)]
    assert len(accuracies) == 1 and accuracies[0] > 75.0, result.stdout[-3000:]


def test_shd_classifier_mpi_trains_on_two_ranks_and_rank_0_checkpoints(tmp_path):
    _standin(tmp_path, "--only", "shd", "--shd-train", "40", "--shd-test", "20")
    script = _copy("shd_classifier_mpi.py", tmp_path,
                   {"NUM_EPOCHS = 50\n": "NUM_EPOCHS = 3\n", "num_epochs=50,": "num_epochs=3,",
                    "BATCH_SIZE = 512\n": "BATCH_SIZE = 32\n"})
    out = _run_two_ranks(script, tmp_path)
    # Both ranks print the training accuracy, which is reduced over both halves of the data
    accuracies = [float(a) for a in ACCURACY.findall(out)]
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1], out[-3000:]
    assert accuracies[0] > 25.0, out[-3000:]

    checkpoints = tmp_path / "rank0" / "shd_mpi_checkpoints"
    keys = _checkpoint_keys(checkpoints)
    assert keys == {"0", "1", "2"}, _files(checkpoints)
    assert _files(tmp_path / "rank1") == []
