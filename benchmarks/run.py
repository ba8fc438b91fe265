"""Benchmark harness: ``python benchmarks/run.py [workload ...] [--threads 1 2] [--backend cpu]``.

Each module in ``benchmarks/workloads/`` is a workload exposing ``NAME`` and
``run(threads: int, repeats: int, backend: str = "cpu") -> list[dict]``; every returned dict
is printed as one JSON line (with the workload name, thread count and backend added). A
workload that cannot run on the backend returns ``{"skipped": reason}``; so does one whose
network GeNN refuses. Several backends (``--backend cuda cpu``) run each workload on each in
turn, so that their figures come from one run, side by side. A backend that cannot run here
at all (e.g. ``cuda`` without CUDA) is reported in one line before anything runs, and the
exit status is 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> dict:
    """Workload modules by their ``NAME``."""
    sys.path.insert(0, str(HERE))
    found = {}
    for info in pkgutil.iter_modules([str(HERE / "workloads")]):
        module = importlib.import_module(f"workloads.{info.name}")
        if hasattr(module, "run"):
            found[getattr(module, "NAME", info.name)] = module
    return found


def main(argv=None) -> int:
    workloads = discover()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", help=f"default: all ({', '.join(sorted(workloads))})")
    parser.add_argument("--threads", nargs="+", type=int, default=None,
                        help="cpu backend threads (default: 1 2 on 'cpu', 1 elsewhere: GeNN's "
                             "backends choose their own parallelism)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (best is reported)")
    parser.add_argument("--backend", nargs="+", default=["cpu"],
                        help="backend(s) every workload compiles for (default: cpu), e.g. "
                             "'cuda cpu' for the two side by side, single_threaded_cpu")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in workloads]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; available: {sorted(workloads)}")
    from workloads.backend_support import unavailable_reason
    backends = list(dict.fromkeys(args.backend))
    unusable = {b: r for b, r in ((b, unavailable_reason(b)) for b in backends) if r is not None}
    for backend, reason in unusable.items():
        print(json.dumps({"backend": backend, "skipped": reason}), flush=True)
        print(f"benchmarks/run.py: backend '{backend}' cannot run here: {reason}",
              file=sys.stderr)
    if unusable:
        return 2
    for name in args.workloads or sorted(workloads):
        for backend in backends:
            for threads in args.threads or ([1, 2] if backend == "cpu" else [1]):
                for row in _rows(workloads[name], threads, args.repeats, backend):
                    print(json.dumps({"workload": name, "threads": threads,
                                      "backend": backend, **row}), flush=True)
    return 0


def _rows(workload, threads: int, repeats: int, backend: str) -> list:
    """A workload's rows; a network GeNN refuses to compile (naming what it cannot express)
    is a skipped row."""
    try:
        from ml_genn_pygenn.errors import UnsupportedOnGeNNError
    except ImportError:     # no GeNN backends here: nothing to catch
        UnsupportedOnGeNNError = ()
    try:
        return workload.run(threads=threads, repeats=repeats, backend=backend)
    except UnsupportedOnGeNNError as exc:
        return [{"skipped": f"{type(exc).__name__}: {exc}"}]


if __name__ == "__main__":
    sys.exit(main())
