"""``benchmarks/run.py --backend``: the workloads compile for the backend named, every JSON line
says which, and a backend that cannot run here is one clear line and exit status 2, not a
traceback."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backends_harness import genn_skip_reason

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def _run(*args):
    result = subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True,
                            timeout=300)
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, rows


@pytest.mark.skipif(genn_skip_reason("cuda") is None, reason="CUDA is usable here")
def test_an_unusable_backend_is_one_line_and_exit_status_2():
    result, rows = _run("engine_lif", "--backend", "cuda", "--repeats", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(rows) == 1 and rows[0]["backend"] == "cuda"
    # Why: pygenn missing, or built without GeNN's CUDA backend
    assert "pygenn" in rows[0]["skipped"] and "'cuda'" in rows[0]["skipped"]
    assert "backend 'cuda' cannot run here" in result.stderr


def test_a_workload_that_cannot_run_on_the_backend_says_skipped():
    backend = "single_threaded_cpu"     # GeNN's, or the cpu engine's alias without pygenn
    result, rows = _run("mpi_scaling", "--backend", backend, "--repeats", "1")
    assert result.returncode == 0, result.stderr
    assert rows == [{"workload": "mpi_scaling", "threads": 1, "backend": backend,
                     "skipped": rows[0]["skipped"]}]
    assert "MPI ranks of the cpu backend" in rows[0]["skipped"]


@pytest.mark.skipif(genn_skip_reason("single_threaded_cpu") is not None,
                    reason=f"GeNN backend: {genn_skip_reason('single_threaded_cpu')}")
def test_a_workload_runs_on_genn_s_single_threaded_cpu_at_batch_one():
    result, rows = _run("engine_lif", "--backend", "single_threaded_cpu", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    (row,) = rows
    assert row["backend"] == "single_threaded_cpu" and row["batch_size"] == 1
    assert row["synaptic_events"] > 0 and row["timesteps_per_s"] > 0
    assert row["openmp"] is False           # GeNN's runtime, not the cpu engine's


def test_several_backends_run_side_by_side_in_one_run():
    # GeNN's single-threaded CPU backend, or the cpu engine's alias for it without pygenn
    result, rows = _run("engine_lif", "--backend", "single_threaded_cpu", "cpu",
                        "--threads", "1", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    assert [r["backend"] for r in rows] == ["single_threaded_cpu", "cpu"]
    # The same network on both: the same spikes, so the same synaptic events at batch 1
    assert rows[0]["synaptic_events"] > 0
    if rows[1]["batch_size"] == rows[0]["batch_size"]:
        assert rows[0]["synaptic_events"] == rows[1]["synaptic_events"]


def test_one_unusable_backend_among_several_runs_nothing():
    result, rows = _run("engine_lif", "--backend", "cpu", "no_such_backend", "--repeats", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert rows == [{"backend": "no_such_backend", "skipped": rows[0]["skipped"]}]
    assert "no backend 'no_such_backend' is registered" in rows[0]["skipped"]
