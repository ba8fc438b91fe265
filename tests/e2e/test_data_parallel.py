"""Data-parallel training over MPI (``mpiexec -n 2``, started by the tests): two ranks with a
global batch of 16 train as one process with a batch of 16 on the same data order does,
for EventProp and e-prop; ranks agree on drawn weights; only rank 0 writes checkpoints, and a
killed two-rank run resumes to the end an uninterrupted one reaches.

Tolerance: the runs differ only in the order of floating-point sums (each rank sums its half
of a batch's gradients, then the halves are added, where one process sums all 16 in one
go). In double precision that is ~1e-16 relative per sum; after a few epochs of Adam the
weights agree to 1e-9 relative (no spike is moved by such a difference in these runs).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ml_genn.communicators.mpi import find_mpiexec

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "data_parallel_run.py")
TIMEOUT = 240


def _mpi_unavailable() -> str:
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:
        return f"mpi4py is not installed ({exc}); pip install ml-genn[mpi]"
    if find_mpiexec() is None:
        return "no mpiexec beside Python or on PATH (pip install mpich, or a system MPI)"
    return ""


pytestmark = pytest.mark.skipif(bool(_mpi_unavailable()), reason=_mpi_unavailable() or "-")


def run(out, *args, ranks=None, check=True, threads="1"):
    command = [sys.executable, SCRIPT, "--out", str(out), *map(str, args)]
    if ranks is not None:
        command = [find_mpiexec(), "-n", str(ranks)] + command + ["--mpi"]
    env = dict(os.environ, ML_GENN_NUM_THREADS=threads, ML_GENN_MPI_TIMEOUT="60")
    if not threads:
        del env["ML_GENN_NUM_THREADS"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def load(out, rank=0):
    with np.load(f"{out}.rank{rank}.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_two_ranks_train_as_one_process_with_the_whole_batch(tmp_path, kind):
    run(tmp_path / "one", "--kind", kind)
    run(tmp_path / "two", "--kind", kind, ranks=2)
    one, rank0, rank1 = load(tmp_path / "one"), load(tmp_path / "two", 0), \
        load(tmp_path / "two", 1)
    assert int(rank0["local_batch"]) == int(rank1["local_batch"]) == 8
    assert int(one["step"]) == int(rank0["step"]) == int(rank1["step"]) == 3 * 4
    for name in ("in_hid", "hid_out"):
        # Training moved the weights, identically on both ranks
        assert np.abs(one[f"final_{name}"] - one[f"initial_{name}"]).max() > 1e-2
        np.testing.assert_array_equal(rank0[f"final_{name}"], rank1[f"final_{name}"])
        np.testing.assert_allclose(rank0[f"final_{name}"], one[f"final_{name}"], rtol=1e-9,
                                   atol=1e-12)
    # Metrics are reduced: both ranks report the accuracy of the whole last epoch
    assert int(rank0["total"]) == int(rank1["total"]) == int(one["total"]) == 64
    assert int(rank0["correct"]) == int(rank1["correct"]) == int(one["correct"])


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_deep_r_rewires_alike_on_every_rank_and_as_one_process(tmp_path, kind):
    run(tmp_path / "one", "--kind", kind, "--deep-r", 0.5, "--weights-seed", 0)
    run(tmp_path / "two", "--kind", kind, "--deep-r", 0.5, "--weights-seed", 0, ranks=2)
    one, rank0, rank1 = load(tmp_path / "one"), load(tmp_path / "two", 0), \
        load(tmp_path / "two", 1)
    # Synapses were rewired (one count per batch of the 3 epochs), the same on both ranks and
    # as in one process with the whole batch
    assert one["rewirings"].shape == (3 * 4, 2) and one["rewirings"][:, 0].sum() > 0
    np.testing.assert_array_equal(rank0["rewirings"], rank1["rewirings"])
    np.testing.assert_array_equal(rank0["rewirings"], one["rewirings"])
    for key in ("final_in_hid_pre", "final_in_hid_post", "final_in_hid", "final_hid_out"):
        np.testing.assert_array_equal(rank0[key], rank1[key])
    for key in ("final_in_hid_pre", "final_in_hid_post"):
        np.testing.assert_array_equal(rank0[key], one[key])
    np.testing.assert_allclose(rank0["final_in_hid"], one["final_in_hid"], rtol=1e-9,
                               atol=1e-12)


def test_ranks_start_from_the_same_drawn_weights_with_an_os_seed(tmp_path):
    # rng_seed=0: rank 0 draws the seed and every rank builds from it
    run(tmp_path / "os", "--kind", "eventprop", "--seed", 0, "--weights-seed", 0,
        "--epochs", 1, ranks=2)
    rank0, rank1 = load(tmp_path / "os", 0), load(tmp_path / "os", 1)
    for name in ("in_hid", "hid_out"):
        assert np.std(rank0[f"initial_{name}"]) > 0.1       # drawn, not constant
        np.testing.assert_array_equal(rank0[f"initial_{name}"], rank1[f"initial_{name}"])
        np.testing.assert_array_equal(rank0[f"final_{name}"], rank1[f"final_{name}"])


def test_batch_size_that_does_not_divide_across_ranks_is_an_error(tmp_path):
    result = run(tmp_path / "bad", "--kind", "eventprop", "--batch-size", 15, ranks=2,
                 check=False)
    assert result.returncode != 0
    assert "batch_size 15 does not divide evenly across the communicator's 2 ranks" in \
        result.stderr


def test_ranks_with_different_numbers_of_batches_are_an_error(tmp_path):
    # 70 examples split rank::2 give 35 each: 5 batches of 8 on both, fine; 66 gives 33
    # each, fine; 64 + 9 = 73 gives 37 and 36 -> 5 and 5 batches; 81 -> 41 and 40: 6 and 5
    result = run(tmp_path / "uneven", "--kind", "eventprop", "--examples", 81, ranks=2,
                 check=False)
    assert result.returncode != 0
    assert "the ranks hold [41, 40] examples, which give them different numbers of " \
           "batches of 8 ([6, 5])" in result.stderr


def test_a_killed_two_rank_run_resumes_to_the_end_of_an_uninterrupted_one(tmp_path):
    run(tmp_path / "straight", "--kind", "eventprop", "--epochs", 4,
        "--checkpoints", tmp_path / "ck_straight", ranks=2)
    killed = run(tmp_path / "killed", "--kind", "eventprop", "--epochs", 4,
                 "--checkpoints", tmp_path / "ck", "--kill-after-epoch", 1, ranks=2,
                 check=False)
    assert killed.returncode != 0
    # Only rank 0 wrote checkpoints, one folder per finished epoch
    assert sorted(os.listdir(tmp_path / "ck")) == ["epoch-00000", "epoch-00001"]
    run(tmp_path / "resumed", "--kind", "eventprop", "--epochs", 4,
        "--checkpoints", tmp_path / "ck", ranks=2)
    straight, resumed = load(tmp_path / "straight"), load(tmp_path / "resumed", 1)
    assert list(resumed["epochs"]) == [2, 3]
    for name in ("in_hid", "hid_out"):
        np.testing.assert_array_equal(resumed[f"final_{name}"], straight[f"final_{name}"])
    assert int(resumed["step"]) == int(straight["step"]) == 4 * 4


def test_eprop_resume_on_several_ranks_says_the_running_state_is_not_exact(tmp_path):
    """e-prop's neuron and synapse state runs on between batches, per batch element; a
    checkpoint holds rank 0's elements only, so a multi-rank resume says it is not exact."""
    run(tmp_path / "first", "--kind", "eprop", "--epochs", 1, "--checkpoints", tmp_path / "ck",
        ranks=2)
    resumed = run(tmp_path / "second", "--kind", "eprop", "--epochs", 2,
                  "--checkpoints", tmp_path / "ck", ranks=2)
    assert list(load(tmp_path / "second", 1)["epochs"]) == [1]
    assert "restores the running neuron and synapse state of rank 0's batch elements only" \
        in resumed.stderr


def test_ranks_on_one_machine_share_its_cores_unless_told_otherwise(tmp_path):
    """Without ML_GENN_NUM_THREADS, OpenMP would run one thread per core in every rank and
    oversubscribe the cores; each rank takes its share instead."""
    cores = len(os.sched_getaffinity(0))
    run(tmp_path / "shared", "--kind", "eventprop", "--epochs", 1, ranks=2, threads="")
    expected = max(1, cores // 2)
    for rank in (0, 1):
        assert int(load(tmp_path / "shared", rank)["threads"]) == expected
    run(tmp_path / "told", "--kind", "eventprop", "--epochs", 1, ranks=2, threads="3")
    assert int(load(tmp_path / "told", 1)["threads"]) == 3
