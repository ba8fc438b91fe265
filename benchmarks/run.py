"""Benchmark harness: ``python benchmarks/run.py [workload ...] [--threads 1 2]``.

Each module in ``benchmarks/workloads/`` is a workload exposing ``NAME`` and
``run(threads: int, repeats: int) -> list[dict]``; every returned dict is printed as one
JSON line (with the workload name and thread count added).
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
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (best is reported)")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in workloads]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; available: {sorted(workloads)}")
    for name in args.workloads or sorted(workloads):
        for threads in args.threads:
            for row in workloads[name].run(threads=threads, repeats=args.repeats):
                print(json.dumps({"workload": name, "threads": threads, **row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
