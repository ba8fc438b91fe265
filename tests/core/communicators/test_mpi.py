"""The MPI communicator in real MPI jobs (``mpiexec -n 2``, 3 where a third rank matters)."""
import pickle

import numpy as np
import pytest

from ml_genn.errors import InvalidTypeError, InvalidValueError

# Each rank's inputs: the script and the tests compute them with this same code
INPUTS = '''
import numpy as np

def inputs(rank):
    rng = np.random.default_rng(7 + rank)
    return {"float32": rng.standard_normal((3, 4)).astype(np.float32),
            "int16": (np.arange(5, dtype=np.int16) - 2) * (rank + 1),
            "float64": rng.standard_normal((2, 5)),
            "strided": rng.standard_normal((4, 3))}
'''

COLLECTIVES = INPUTS + '''
import pickle, sys
from ml_genn.communicators import MPI
from ml_genn.errors import InvalidTypeError, InvalidValueError

comm = MPI()
rank = comm.rank
mine = inputs(rank)
out = {"rank": rank, "num_ranks": comm.num_ranks, "timeout": comm.timeout}

# Argument errors are raised locally, before any communication
errors = {}
read_only = np.zeros(2)
read_only.flags.writeable = False
for name, call in {"not_array": lambda: comm.broadcast([1, 2], 0),
                   "bad_root": lambda: comm.broadcast(np.zeros(2), 5),
                   "read_only": lambda: comm.broadcast(read_only, 1 - rank),
                   "object_dtype": lambda: comm.broadcast(np.array([{}], dtype=object), 0),
                   "negative_timeout": lambda: MPI(timeout=-1)}.items():
    try:
        call()
        errors[name] = None
    except Exception as error:
        errors[name] = (type(error).__name__, str(error))
out["errors"] = errors

from_0 = np.full((2, 3), rank + 1.0)
from_0.flags.writeable = rank != 0      # root only reads
comm.broadcast(from_0, 0)
from_1 = np.arange(6, dtype=np.int32).reshape(2, 3) * (rank + 7)
comm.broadcast(from_1, 1)
strided_bcast = np.zeros((3, 6))
strided_bcast[:, ::2] = rank + 2.0
comm.broadcast(strided_bcast[:, ::2], 1)
out["broadcast"] = (from_0, from_1, strided_bcast)

out["sums"] = {"int": comm.reduce_sum(rank + 1),
               "big_int": comm.reduce_sum(2 ** 62 + rank),
               "float": comm.reduce_sum(0.25 * (rank + 1)),
               "numpy_float32": comm.reduce_sum(np.float32(rank + 0.5)),
               "float32": comm.reduce_sum(mine["float32"]),
               "int16": comm.reduce_sum(mine["int16"]),
               "list": comm.reduce_sum([rank, "r%d" % rank])}
out["float32_unchanged"] = np.array_equal(mine["float32"], inputs(rank)["float32"])

in_place = mine["float64"]
comm.reduce_sum_in_place(in_place)
strided = np.zeros((4, 6))
strided[:, ::2] = mine["strided"]
comm.reduce_sum_in_place(strided[:, ::2])
out["in_place"] = (in_place, strided)

out["all_gather"] = (comm.all_gather(10 * rank + 3), comm.all_gather({"rank": rank}))
out["broadcast_object"] = comm.broadcast_object({"from": rank, "list": [1, 2]}, root=1)
comm.barrier()

with open(sys.argv[1] + "/rank%d.pkl" % rank, "wb") as file:
    pickle.dump(out, file)
'''


def rank_inputs(rank):
    scope = {}
    exec(INPUTS, scope)
    return scope["inputs"](rank)


@pytest.fixture(scope="module")
def collectives(mpi_run, tmp_path_factory):
    """Both ranks' results of every collective, from one mpiexec run."""
    folder = tmp_path_factory.mktemp("collectives")
    run = mpi_run(COLLECTIVES, ranks=2, env={"ML_GENN_MPI_TIMEOUT": "45"},
                  args=[str(folder)])
    assert run.returncode == 0, run.output
    results = []
    for rank in range(2):
        with open(folder / f"rank{rank}.pkl", "rb") as file:
            results.append(pickle.load(file))
    return results


def test_mlgenn_script_line_works(mpi_run):
    run = mpi_run("from ml_genn.communicators import MPI; c = MPI(); "
                  "print(c.rank, c.num_ranks)")
    assert run.returncode == 0, run.output
    # Each rank prints "<rank> 2"; the launcher may interleave the two lines' characters
    assert sorted(run.output.replace(" ", "").replace("\n", "")) == list("0122"), run.output


def test_rank_num_ranks_and_timeout_from_environment(collectives):
    assert [(r["rank"], r["num_ranks"]) for r in collectives] == [(0, 2), (1, 2)]
    assert [r["timeout"] for r in collectives] == [45.0, 45.0]


def test_broadcast_in_place_from_either_root(collectives):
    for result in collectives:
        from_0, from_1, strided = result["broadcast"]
        np.testing.assert_array_equal(from_0, np.full((2, 3), 1.0))
        np.testing.assert_array_equal(from_1, np.arange(6).reshape(2, 3) * 8)
        assert from_1.dtype == np.int32
        np.testing.assert_array_equal(strided[:, ::2], np.full((3, 3), 3.0))
        assert not strided[:, 1::2].any()


def test_reduce_sum_keeps_type(collectives):
    a, b = rank_inputs(0), rank_inputs(1)
    for result in collectives:
        sums = result["sums"]
        assert sums["int"] == 3 and type(sums["int"]) is int
        assert sums["big_int"] == 2 ** 63 + 1 and type(sums["big_int"]) is int
        assert sums["float"] == 0.75 and type(sums["float"]) is float
        assert sums["numpy_float32"] == np.float32(2.0)
        assert type(sums["numpy_float32"]) is np.float32
        # Two operands: the sum is exact whatever the order
        np.testing.assert_array_equal(sums["float32"], a["float32"] + b["float32"])
        assert sums["float32"].dtype == np.float32 and sums["float32"].shape == (3, 4)
        np.testing.assert_array_equal(sums["int16"], a["int16"] + b["int16"])
        assert sums["int16"].dtype == np.int16
        assert sums["list"] == [0, "r0", 1, "r1"]    # other objects: + in rank order
        assert result["float32_unchanged"]


def test_reduce_sum_in_place_equals_numpy_sum(collectives):
    a, b = rank_inputs(0), rank_inputs(1)
    for result in collectives:
        in_place, strided = result["in_place"]
        np.testing.assert_array_equal(in_place, a["float64"] + b["float64"])
        np.testing.assert_array_equal(strided[:, ::2], a["strided"] + b["strided"])
        assert not strided[:, 1::2].any()


def test_all_gather_and_broadcast_object(collectives):
    for result in collectives:
        numbers, objects = result["all_gather"]
        assert numbers == [3, 13] and all(type(n) is int for n in numbers)
        assert objects == [{"rank": 0}, {"rank": 1}]
        assert result["broadcast_object"] == {"from": 1, "list": [1, 2]}


def test_argument_errors_are_clear(collectives):
    for result in collectives:
        errors = result["errors"]
        kind, text = errors["not_array"]
        assert kind == InvalidTypeError.__name__ and "list" in text
        assert "broadcast_object" in text
        kind, text = errors["bad_root"]
        assert kind == InvalidValueError.__name__ and "0 to 1" in text and "got 5" in text
        kind, text = errors["read_only"]
        assert kind == InvalidValueError.__name__ and "read-only" in text
        kind, text = errors["object_dtype"]
        assert kind == InvalidTypeError.__name__ and "object" in text
        kind, text = errors["negative_timeout"]
        assert kind == InvalidValueError.__name__ and "-1" in text


TIMEOUT = '''
import os, sys, time
from ml_genn.communicators import MPI, CommunicatorTimeoutError

comm = MPI(timeout=2)
if comm.rank == 1:
    time.sleep(60)      # far longer than the timeout: only an abort ends this rank early
try:
    comm.barrier()
except CommunicatorTimeoutError as error:
    # A file per rank: the launcher may interleave the ranks' output at any byte
    path = os.path.join(sys.argv[1], "report_%d" % comm.rank)
    with open(path + ".tmp", "w") as report:
        report.write(f"{error.missing_ranks} {error.waiting_ranks}\\n{error}")
    os.replace(path + ".tmp", path)
    raise
'''


def test_timeout_names_missing_rank_and_ends_the_run(mpi_run, tmp_path):
    run = mpi_run(TIMEOUT, ranks=3, limit=30, args=[str(tmp_path)])
    assert run.returncode != 0, run.output
    assert run.seconds < 15, run.output
    assert "CommunicatorTimeoutError" in run.output and "#1 (barrier)" in run.output
    # Ranks 0 and 2 both time out; whichever aborts the job first has reported
    reports = {int(p.name.split("_")[1]): p.read_text() for p in tmp_path.glob("report_*")
               if not p.name.endswith(".tmp")}
    assert reports and set(reports) <= {0, 2}, (reports, run.output)
    for rank, report in reports.items():
        details, message = report.split("\n", 1)
        other = 2 - rank
        assert details == f"(1,) (({other}, 1, 'barrier'),)", run.output
        assert "never arrived (not heard from within 1.0 s): 1." in message, report


def test_killed_rank_ends_the_run(mpi_run, tmp_path):
    run = mpi_run(f'''
        import os, signal
        from ml_genn.communicators import MPI
        comm = MPI(timeout=10)
        with open(os.path.join({str(tmp_path)!r}, "pid%d" % comm.rank), "w") as file:
            file.write(str(os.getpid()))
        if comm.rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        comm.barrier()
    ''', limit=30)
    assert run.returncode != 0, run.output
    # MPICH's launcher ends the job at once (our 10 s timeout would end it later)
    assert run.seconds < 8, run.output
    # and names a killed process by PID: rank 1's, or rank 0's when it reaps that one first
    pids = [(tmp_path / f"pid{rank}").read_text() for rank in range(2)]
    assert any(f"PID {pid}" in run.output or f"PID: {pid}" in run.output for pid in pids) \
        or "never arrived (not heard from within 1.0 s): 1." in run.output, run.output


def test_uncaught_exception_on_one_rank_ends_the_run(mpi_run):
    run = mpi_run('''
        from ml_genn.communicators import MPI
        comm = MPI(timeout=60)
        if comm.rank == 1:
            raise ValueError("bug on rank 1")
        comm.barrier()
    ''', limit=30)
    assert run.returncode != 0, run.output
    assert run.seconds < 15, run.output
    assert "ValueError: bug on rank 1" in run.output
