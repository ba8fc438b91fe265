"""Communicator over MPI (mpi4py), with a timeout on every collective operation."""
from __future__ import annotations

import atexit
import logging
import operator
import os
import pickle
import shutil
import sys
import time
from functools import reduce
from numbers import Real
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..errors import InvalidTypeError, InvalidValueError
from .communicator import NUMERIC_KINDS, Communicator, check_array, check_root
from .errors import CommunicatorTimeoutError

logger = logging.getLogger(__name__)

#: Environment variable giving the default timeout in seconds
TIMEOUT_ENV = "ML_GENN_MPI_TIMEOUT"

#: Timeout in seconds when neither the argument nor the environment gives one
DEFAULT_TIMEOUT = 600.0

# Tag of the point-to-point "I timed out" reports; MPI never matches point-to-point messages
# with collectives, and every MPI allows tags up to 32767
_REPORT_TAG = 27975

# Waiting: a rank whose peers are ready finishes within microseconds, so poll without pause
# first; a longer wait sleeps between polls (doubling up to a millisecond) so a rank waiting
# for a slower one costs little CPU yet notices completion within about a millisecond
_SPIN_SECONDS = 1e-3
_FIRST_SLEEP = 5e-5
_MAX_SLEEP = 1e-3

# Pause before aborting the job at exit, so the launcher forwards this rank's last output
_OUTPUT_DRAIN_SECONDS = 0.2

# Set once a collective timed out in this process: MPI_Finalize at exit could then wait forever
# for the missing rank, so the exit hook aborts the whole job instead
_timed_out_here = False
_exit_hook_registered = False

# dtype -> whether MPI sums it (asked on every call, e.g. per gradient array)
_SUMMABLE: Dict[np.dtype, bool] = {}


def find_mpiexec() -> Optional[str]:
    """The ``mpiexec`` that starts this Python's MPI jobs, or None if there is none.

    The ``mpich`` wheel (``pip install ml-genn[mpi]``) installs it beside the interpreter,
    which need not be on ``PATH`` (e.g. a virtual environment that is not activated); a
    system MPI's comes from ``PATH``.
    """
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


class MPI(Communicator):
    """Communicator using mpi4py's ``COMM_WORLD``, for runs started with ``mpiexec -n N``.

    Every collective operation waits at most ``timeout`` seconds. When it expires, this rank
    asks the others which of them are waiting too, so the error names the ranks that never
    arrived (dead, hanging, slower than the timeout, or running different code) - at no cost
    while everything works. A process that timed out, or that exits on an uncaught
    exception, aborts the whole MPI job when it exits, because the other ranks would
    otherwise wait for it (and MPI_Finalize could hang).

    Needs mpi4py and an MPI library: ``pip install ml-genn[mpi]`` installs both (the
    ``mpi4py`` and ``mpich`` wheels, which bring ``mpiexec``).

    Args:
        timeout:    Seconds a collective operation may wait for the other ranks
                    (``float("inf")``: forever). ``None`` reads the ``ML_GENN_MPI_TIMEOUT``
                    environment variable, else 600.
    """

    def __init__(self, timeout: Optional[float] = None):
        self._timeout = _resolve_timeout(timeout)
        try:
            from mpi4py import MPI as mpi
        except (ImportError, RuntimeError) as error:
            raise ImportError(
                f"ml_genn.communicators.MPI needs mpi4py and an MPI library, which could not "
                f"be loaded ({type(error).__name__}: {error}). Install both with "
                f"`pip install ml-genn[mpi]` (the mpi4py and mpich wheels, with mpiexec), or "
                f"build mpi4py against your system's MPI with `pip install mpi4py`") from error
        self._mpi = mpi
        #: mpi4py communicator used (``MPI.COMM_WORLD``), as in mlGeNN
        self.comm = mpi.COMM_WORLD
        self._rank = self.comm.Get_rank()
        self._num_ranks = self.comm.Get_size()
        # Ranks sharing this machine's memory (and cores): how many threads each may run
        local = self.comm.Split_type(mpi.COMM_TYPE_SHARED)
        self._local_num_ranks = local.Get_size()
        local.Free()
        self._sequence = 0
        self._collective = ""
        self._failure: Optional[CommunicatorTimeoutError] = None
        # Outstanding timeout reports, kept referenced until the process ends
        self._reports: List[Any] = []
        _register_exit_hook(mpi)
        # The PID lets a launcher's "process PID ... killed" notice be traced to its rank
        logger.info(f"MPI communicator {self._rank}/{self._num_ranks} (PID {os.getpid()})")

    @property
    def rank(self) -> int:
        """Index of this rank, from 0 to ``num_ranks - 1``."""
        return self._rank

    @property
    def num_ranks(self) -> int:
        """Total number of ranks."""
        return self._num_ranks

    @property
    def local_num_ranks(self) -> int:
        """Number of ranks on this machine (MPI's shared-memory split of COMM_WORLD)."""
        return self._local_num_ranks

    @property
    def timeout(self) -> float:
        """Seconds a collective operation waits before raising
        :class:`CommunicatorTimeoutError`."""
        return self._timeout

    def barrier(self) -> None:
        """Wait for all ranks to reach this point in execution before continuing."""
        self._start("barrier")
        self._wait(self.comm.Ibarrier())

    def broadcast(self, data: np.ndarray, root: int) -> None:
        """Broadcast data from root to all ranks, in place: on every other rank ``data`` is
        overwritten with root's values (mlGeNN's ``Bcast``).

        Args:
            data:   NumPy array of the same shape and dtype on every rank (writable except
                    on root); use :meth:`broadcast_object` for other objects
            root:   Index of the rank to broadcast from
        """
        root = check_root("MPI", "broadcast", root, self._num_ranks)
        check_array("MPI", "broadcast", data, writable=self._rank != root)
        if data.dtype.hasobject:
            raise InvalidTypeError(
                f"MPI.broadcast sends array contents as bytes, but the array given has dtype "
                f"{data.dtype}, which holds references to Python objects; use "
                f"broadcast_object to send it")
        self._start("broadcast")
        buffer = data if data.flags.c_contiguous else np.ascontiguousarray(data)
        # As bytes: any plain dtype travels unchanged, whether or not MPI has a type for it
        self._wait(self.comm.Ibcast([buffer, self._mpi.BYTE], root=root))
        if buffer is not data and self._rank != root:
            data[...] = buffer

    def reduce_sum(self, value: Any) -> Any:
        """Calculate the sum of value across all ranks.

        Python ints and floats, NumPy numbers and numeric NumPy arrays are summed by MPI
        and keep their type (an int stays an int, an array keeps its shape and dtype);
        anything else (e.g. lists, boolean arrays) is pickled, gathered and added with
        ``+`` in rank order, like mpi4py's ``allreduce``.

        Args:
            value:  Value to sum up; the same type (and shape) on every rank

        Returns:
            Sum of value across all ranks (a new object; ``value`` is unchanged)
        """
        self._start("reduce_sum")
        if isinstance(value, np.ndarray) and self._summable(value.dtype):
            total = np.array(value, order="C")
            self._allreduce(total)
            return total
        if isinstance(value, np.generic) and self._summable(value.dtype):
            total = np.array(value)
            self._allreduce(total)
            return total[()]
        if isinstance(value, int) and not isinstance(value, np.generic):
            # Python ints have no size limit: the second element counts ranks whose value
            # could overflow a 64-bit sum, and then every rank adds them exactly instead
            limit = 2 ** 63 // self._num_ranks
            fits = -limit < value < limit
            total = np.array([value if fits else 0, 0 if fits else 1], dtype=np.int64)
            self._allreduce(total)
            if total[1] == 0:
                return int(total[0])
        elif isinstance(value, float) and not isinstance(value, np.generic):
            total = np.array(value, dtype=np.float64)
            self._allreduce(total)
            return float(total)
        return reduce(operator.add, self._gather_objects(value))

    def reduce_sum_in_place(self, array: np.ndarray) -> None:
        """Sum an array across all ranks, writing the sum into the same array on every rank
        (e.g. gradients before an optimiser step), without allocating.

        Args:
            array:  Writable NumPy array of the same shape and dtype on every rank
        """
        check_array("MPI", "reduce_sum_in_place", array, writable=True)
        if not self._summable(array.dtype):
            array[...] = self.reduce_sum(array)
            return
        self._start("reduce_sum_in_place")
        if array.flags.c_contiguous:
            self._allreduce(array)
        else:
            buffer = np.ascontiguousarray(array)
            self._allreduce(buffer)
            array[...] = buffer

    def all_gather(self, value: Any) -> List[Any]:
        """Collect one value from every rank, e.g. each rank's dataset size.

        Args:
            value:  This rank's value: any picklable object

        Returns:
            List of ``num_ranks`` values, the one of rank ``i`` at index ``i``
        """
        self._start("all_gather")
        return self._gather_objects(value)

    def _summable(self, dtype: np.dtype) -> bool:
        """Whether MPI can sum arrays of ``dtype`` (the same answer on every rank)."""
        known = _SUMMABLE.get(dtype)
        if known is None:
            from mpi4py.util.dtlib import from_numpy_dtype
            known = dtype.kind in NUMERIC_KINDS and dtype.isnative
            try:
                known = known and from_numpy_dtype(dtype) is not None
            except (ValueError, KeyError):
                known = False
            _SUMMABLE[dtype] = known
        return known

    def _allreduce(self, array: np.ndarray) -> None:
        """Sum a C-contiguous array across ranks into itself."""
        self._wait(self.comm.Iallreduce(self._mpi.IN_PLACE, array))

    def _gather_objects(self, value: Any) -> List[Any]:
        """Every rank's ``value``, pickled and gathered with two non-blocking collectives
        (sizes, then bytes), so these waits have the timeout too."""
        payload = np.frombuffer(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
                                dtype=np.uint8)
        sizes = np.empty(self._num_ranks, dtype=np.int64)
        self._wait(self.comm.Iallgather(np.array([payload.size], dtype=np.int64), sizes))
        offsets = np.zeros(self._num_ranks, dtype=np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        received = np.empty(int(sizes.sum()), dtype=np.uint8)
        self._wait(self.comm.Iallgatherv(payload, [received, sizes, offsets, self._mpi.BYTE]))
        return [pickle.loads(received[start:start + size].tobytes())
                for start, size in zip(offsets, sizes)]

    def _start(self, collective: str) -> None:
        """Number the collective operation about to begin (for timeout reports); refuse it
        if an earlier one timed out, since the ranks no longer agree on what comes next."""
        if self._failure is not None:
            failure = self._failure
            raise CommunicatorTimeoutError(
                f"MPI rank {self._rank}: cannot start {collective}: this communicator is "
                f"unusable since collective #{failure.sequence} ({failure.collective}) timed "
                f"out. That error:\n{failure}", failure.collective, failure.sequence,
                failure.waited, failure.missing_ranks, failure.waiting_ranks)
        self._sequence += 1
        self._collective = collective

    def _wait(self, request: Any) -> None:
        """Wait for a non-blocking collective; raise CommunicatorTimeoutError after
        ``timeout`` seconds."""
        if request.Test():
            return
        start = time.monotonic()
        spin_end = start + _SPIN_SECONDS
        while time.monotonic() < spin_end:
            if request.Test():
                return
        deadline = start + self._timeout
        pause = _FIRST_SLEEP
        while True:
            time.sleep(pause)
            if request.Test():
                return
            now = time.monotonic()
            if now >= deadline:
                raise self._diagnose_timeout(now - start)
            pause = min(2.0 * pause, _MAX_SLEEP)

    def _diagnose_timeout(self, waited: float) -> CommunicatorTimeoutError:
        """Find out which ranks are missing and build the error.

        Every rank that times out tells every other rank where it waits; ranks not heard
        from within a grace period never reached a collective. Only this failure path
        sends anything, so the normal path has no overhead.
        """
        global _timed_out_here
        _timed_out_here = True
        mpi = self._mpi
        report = (self._sequence, self._collective)
        for other in range(self._num_ranks):
            if other != self._rank:
                try:
                    self._reports.append(self.comm.isend(report, dest=other, tag=_REPORT_TAG))
                except mpi.Exception:
                    pass    # A dead rank cannot be told; it is named missing anyway
        grace = _grace_period(self._timeout)
        heard: Dict[int, Tuple[int, str]] = {}
        status = mpi.Status()
        end = time.monotonic() + grace
        try:
            while len(heard) < self._num_ranks - 1 and time.monotonic() < end:
                while self.comm.iprobe(source=mpi.ANY_SOURCE, tag=_REPORT_TAG, status=status):
                    source = status.Get_source()
                    heard[source] = self.comm.recv(source=source, tag=_REPORT_TAG)
                time.sleep(0.01)
        except mpi.Exception as error:
            logger.warning(f"MPI rank {self._rank}: collecting timeout reports failed: {error}")
        self._failure = timeout_error(self._rank, self._num_ranks, self._sequence,
                                      self._collective, waited, self._timeout, grace, heard)
        return self._failure


def timeout_error(rank: int, num_ranks: int, sequence: int, collective: str, waited: float,
                  timeout: float, grace: float,
                  heard: Dict[int, Tuple[int, str]]) -> CommunicatorTimeoutError:
    """The error a rank raises when its collective timed out, with the diagnosis.

    Args:
        rank:       This rank
        num_ranks:  Number of ranks
        sequence:   Number of the collective that timed out (from 1)
        collective: Its name
        waited:     Seconds waited
        timeout:    The communicator's timeout
        grace:      Seconds spent listening for other ranks' reports
        heard:      Reports received: rank -> (sequence, collective) where it waited
    """
    missing = [r for r in range(num_ranks) if r != rank and r not in heard]
    same = sorted(r for r, where in heard.items() if tuple(where) == (sequence, collective))
    elsewhere = sorted(r for r in heard if r not in same)

    def ranks(values: List[int]) -> str:
        return ", ".join(str(r) for r in values) if values else "none"

    lines = [f"MPI rank {rank} of {num_ranks}: collective #{sequence} ({collective}) did not "
             f"complete within {waited:.1f} s (timeout {timeout:g} s).",
             f"Ranks that never arrived (not heard from within {grace:.1f} s): "
             f"{ranks(missing)}.",
             f"Ranks that also waited at #{sequence} ({collective}): {ranks(same)}."]
    if elsewhere:
        places = ", ".join(f"rank {r} at #{heard[r][0]} ({heard[r][1]})" for r in elsewhere)
        lines.append(f"Ranks waiting at a different collective: {places}; the ranks call "
                     f"collectives in a different number or order, i.e. run different code.")
    lines.append(
        "A rank that never arrives has died, hangs, runs different code, or is just slower "
        "than the timeout allows: then raise it with MPI(timeout=seconds) or the "
        f"{TIMEOUT_ENV} environment variable. This communicator is now unusable, and this "
        "process aborts the MPI job when it exits, since MPI cannot shut down cleanly while "
        "a rank is missing.")
    return CommunicatorTimeoutError(
        "\n".join(lines), collective, sequence, waited, missing,
        [(r, int(heard[r][0]), str(heard[r][1])) for r in same + elsewhere])


def _grace_period(timeout: float) -> float:
    """Seconds a timed-out rank listens for the others' reports: ranks that entered the
    collective a little later time out a little later (a tenth of the timeout, 1 to 5 s)."""
    return min(5.0, max(1.0, 0.1 * timeout))


def _resolve_timeout(timeout: Optional[float]) -> float:
    """The timeout in seconds from the argument, else the environment, else the default."""
    if timeout is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        try:
            timeout = float(text)
        except ValueError:
            raise InvalidValueError(
                f"The {TIMEOUT_ENV} environment variable must be a number of seconds greater "
                f"than 0 (or 'inf'), got {text!r}") from None
        origin = f"The {TIMEOUT_ENV} environment variable"
        given = text
    else:
        if isinstance(timeout, (bool, np.bool_)) or not isinstance(timeout, Real):
            raise InvalidTypeError(f"MPI timeout must be a number of seconds or None, got "
                                   f"{type(timeout).__name__}: {timeout!r}")
        origin = "MPI timeout"
        given = timeout
    if not float(timeout) > 0.0:
        raise InvalidValueError(f"{origin} must be a number of seconds greater than 0 (or "
                                f"inf), got {given!r}")
    return float(timeout)


def _register_exit_hook(mpi: Any) -> None:
    """Abort the job at exit after a timeout or an uncaught exception (once per process).

    Registered after mpi4py initialised MPI, so it runs before mpi4py finalises it.
    """
    global _exit_hook_registered
    if _exit_hook_registered:
        return
    _exit_hook_registered = True

    def abort_job() -> None:
        uncaught = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
        if not (_timed_out_here or uncaught is not None) or mpi.Is_finalized():
            return
        world = mpi.COMM_WORLD
        if world.Get_size() < 2:
            return
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # The launcher stops forwarding output once it kills the job: give it a moment to
        # pass on the traceback that says why
        time.sleep(_OUTPUT_DRAIN_SECONDS)
        world.Abort(1)

    atexit.register(abort_job)
