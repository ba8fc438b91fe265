"""Communicator's default extensions, on a communicator written with only mlGeNN's five
members, and the MPI communicator's checks that need no MPI job."""
import sys
import threading
from functools import reduce
from operator import add

import numpy as np
import pytest

from ml_genn.communicators import Communicator, CommunicatorTimeoutError, MPI
from ml_genn.communicators.mpi import timeout_error
from ml_genn.errors import InvalidTypeError, InvalidValueError


class _Shared:
    """What the ranks of one in-process run share."""

    def __init__(self, num_ranks):
        self.num_ranks = num_ranks
        self.meeting = threading.Barrier(num_ranks, timeout=10)
        self.slots = [None] * num_ranks


class ThreadCommunicator(Communicator):
    """An mlGeNN-style communicator: ranks are threads; only the five mlGeNN members."""

    def __init__(self, shared, rank):
        self._shared = shared
        self._rank = rank

    def barrier(self):
        self._shared.meeting.wait()

    def broadcast(self, data, root):
        if self._rank == root:
            self._shared.slots[root] = data.copy()
        self.barrier()
        if self._rank != root:
            data[...] = self._shared.slots[root]
        self.barrier()

    def reduce_sum(self, value):
        self._shared.slots[self._rank] = value
        self.barrier()
        total = reduce(add, self._shared.slots)
        self.barrier()
        return total

    @property
    def rank(self):
        return self._rank

    @property
    def num_ranks(self):
        return self._shared.num_ranks


def run_ranks(num_ranks, body):
    """body(communicator) on every rank, each in a thread; the results by rank."""
    shared = _Shared(num_ranks)
    results = [None] * num_ranks
    errors = []

    def target(rank):
        try:
            results[rank] = body(ThreadCommunicator(shared, rank))
        except BaseException as error:      # reported below, in the test's thread
            errors.append(error)
            shared.meeting.abort()

    threads = [threading.Thread(target=target, args=(r,)) for r in range(num_ranks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]
    return results


def rank_array(rank):
    return np.random.default_rng(100 + rank).standard_normal((3, 4))


def test_mlgenn_style_communicator_gets_reduce_sum_in_place():
    def body(comm):
        array = rank_array(comm.rank)
        strided = np.zeros((3, 8))
        strided[:, ::2] = rank_array(comm.rank)
        comm.reduce_sum_in_place(array)
        comm.reduce_sum_in_place(strided[:, ::2])
        return array, strided

    results = run_ranks(3, body)
    expected = rank_array(0) + rank_array(1) + rank_array(2)
    for array, strided in results:
        np.testing.assert_allclose(array, expected, rtol=1e-12)
        np.testing.assert_allclose(strided[:, ::2], expected, rtol=1e-12)
        assert not strided[:, 1::2].any()   # only the view was written


def test_mlgenn_style_communicator_gets_all_gather():
    def body(comm):
        r = comm.rank
        return (comm.all_gather(10 * r + 1), comm.all_gather(0.5 * r), comm.all_gather(r == 1),
                comm.all_gather(np.float32(r + 0.25)), comm.all_gather(np.arange(3) * r),
                comm.all_gather(np.array([r % 2 == 0, True])), comm.all_gather(1j * r))

    for gathered in run_ranks(3, body):
        ints, floats, bools, float32s, arrays, bool_arrays, complexes = gathered
        assert ints == [1, 11, 21] and all(type(v) is int for v in ints)
        assert floats == [0.0, 0.5, 1.0] and all(type(v) is float for v in floats)
        assert bools == [False, True, False] and all(type(v) is bool for v in bools)
        assert float32s == [np.float32(0.25), np.float32(1.25), np.float32(2.25)]
        assert all(type(v) is np.float32 for v in float32s)
        for r, array in enumerate(arrays):
            np.testing.assert_array_equal(array, np.arange(3) * r)
            assert array.dtype == np.arange(3).dtype
        for r, array in enumerate(bool_arrays):
            np.testing.assert_array_equal(array, [r % 2 == 0, True])
            assert array.dtype == bool
        assert complexes == [0j, 1j, 2j]


def test_mlgenn_style_communicator_gets_broadcast_object():
    def body(comm):
        return comm.broadcast_object({"sizes": [3, 1], "name": "run"} if comm.rank == 2
                                     else None, root=2)

    assert run_ranks(3, body) == [{"sizes": [3, 1], "name": "run"}] * 3


def test_default_extensions_refuse_what_they_cannot_do():
    def body(comm):
        caught = []
        for call in (lambda: comm.all_gather("text"),
                     lambda: comm.reduce_sum_in_place([1.0, 2.0]),
                     lambda: comm.broadcast_object(1, root=2)):
            with pytest.raises((InvalidTypeError, InvalidValueError)) as info:
                call()
            caught.append(str(info.value))
        return caught

    gather, in_place, root = run_ranks(2, body)[0]
    assert "str" in gather and "override all_gather" in gather
    assert "NumPy array" in in_place and "list" in in_place
    assert "0 to 1" in root and "got 2" in root


def test_communicator_needs_mlgenn_five_members():
    class NoReduce(Communicator):
        def barrier(self):
            pass

        def broadcast(self, data, root):
            pass

        rank = 0
        num_ranks = 1

    with pytest.raises(TypeError, match="reduce_sum"):
        NoReduce()


def test_mpi_without_mpi4py_advises_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install ml-genn\[mpi\]"):
        MPI()


@pytest.mark.parametrize("text", ["soon", "0", "-3", "nan"])
def test_mpi_timeout_from_environment_is_checked(monkeypatch, text):
    # No MPI in this process: a bad value must be refused before mpi4py is imported
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("ML_GENN_MPI_TIMEOUT", text)
    with pytest.raises(InvalidValueError, match=f"ML_GENN_MPI_TIMEOUT.*{text!r}"):
        MPI()


def test_mpi_timeout_argument_is_checked(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(InvalidTypeError, match="str"):
        MPI(timeout="10")
    with pytest.raises(InvalidValueError, match="greater than 0"):
        MPI(timeout=0)


def test_timeout_error_names_missing_waiting_and_diverged_ranks():
    error = timeout_error(rank=0, num_ranks=5, sequence=4, collective="barrier", waited=2.01,
                          timeout=2.0, grace=1.0,
                          heard={2: (4, "barrier"), 3: (7, "reduce_sum")})
    assert isinstance(error, RuntimeError) and isinstance(error, TimeoutError)
    assert isinstance(error, CommunicatorTimeoutError)
    assert error.missing_ranks == (1, 4)
    assert error.waiting_ranks == ((2, 4, "barrier"), (3, 7, "reduce_sum"))
    assert (error.collective, error.sequence) == ("barrier", 4)
    text = str(error)
    assert "collective #4 (barrier)" in text and "2.0 s" in text
    assert "never arrived (not heard from within 1.0 s): 1, 4." in text
    assert "also waited at #4 (barrier): 2." in text
    assert "rank 3 at #7 (reduce_sum)" in text and "different code" in text
    assert "ML_GENN_MPI_TIMEOUT" in text
