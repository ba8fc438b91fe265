"""Running small scripts under ``mpiexec`` for the communicator tests."""
import functools
import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import pytest

from ml_genn.communicators.mpi import find_mpiexec


@dataclass
class MPIRun:
    """What an mpiexec run did."""
    returncode: int
    output: str     # stdout and stderr of every rank and of mpiexec, interleaved
    seconds: float




@functools.lru_cache(maxsize=None)
def _why_mpi_cannot_start() -> Optional[str]:
    """Why no MPI job can start here, or None. Imports mpi4py in a subprocess so the test
    process itself never initialises MPI."""
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install ml-genn[mpi])"
    if find_mpiexec() is None:
        return "no mpiexec beside the Python interpreter or on PATH (pip install mpich)"
    probe = subprocess.run([sys.executable, "-c", "from mpi4py import MPI"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"mpi4py cannot be imported (no usable MPI library): {last}"
    return None


@pytest.fixture(scope="session")
def mpi_run(tmp_path_factory):
    """``mpi_run(script, ranks=2, limit=30, env=None, args=())`` runs the (dedented) script
    text under ``mpiexec -n ranks`` and returns an :class:`MPIRun`; the test fails if the
    run has not ended after ``limit`` seconds (its processes are then killed). Skips when
    MPI cannot start here."""
    reason = _why_mpi_cannot_start()
    if reason is not None:
        pytest.skip(f"MPI cannot start: {reason}")
    folder = tmp_path_factory.mktemp("mpi_scripts")
    counter = iter(range(1_000_000))

    def run(script: str, ranks: int = 2, limit: float = 30.0,
            env: Optional[Dict[str, str]] = None, args: Sequence[str] = ()) -> MPIRun:
        path = folder / f"script_{next(counter)}.py"
        path.write_text(textwrap.dedent(script))
        environment = dict(os.environ)
        # A collective that should complete but does not fails the test in seconds
        environment["ML_GENN_MPI_TIMEOUT"] = "20"
        environment.update(env or {})
        start = time.monotonic()
        # Own session: on a hang, the launcher and every rank are killed together
        process = subprocess.Popen(
            [find_mpiexec(), "-n", str(ranks), sys.executable, str(path), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
            start_new_session=True)
        try:
            output, _ = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"mpiexec -n {ranks} {path.name} still ran after {limit} s "
                        f"(killed); output:\n{output}")
        return MPIRun(process.returncode, output, time.monotonic() - start)

    return run
