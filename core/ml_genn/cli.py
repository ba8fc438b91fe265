"""The ``ml-genn`` command: ``ml-genn plugins [--json]`` and ``ml-genn doctor [--json]``."""
from __future__ import annotations

import argparse
import json
import platform
import sys
import textwrap
from dataclasses import asdict, dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Callable, List, Optional, Sequence, Tuple

from . import __version__


# ---------------------------------------------------------------------------
# ml-genn plugins
# ---------------------------------------------------------------------------
def collect_plugins() -> List[dict]:
    """One dict per plugin: name, distribution, version, entry point, hooks, components, error."""
    from .plugins import get_plugin_manager
    manager = get_plugin_manager()
    components = manager.registry.entries_by_origin()
    rows = []
    for info in manager.plugins.values():
        rows.append({
            "plugin": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "entry_point": info.entry_point,
            "builtin": info.builtin,
            "hooks": info.hooks,
            "components": [f"{kind}:{name}" for kind, name in components.get(info.name, [])],
            "error": info.error,
        })
    return rows


def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def _cmd_plugins(args: argparse.Namespace) -> int:
    rows = collect_plugins()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table_rows = [[row["plugin"], row["distribution"] or "-", row["version"] or "-",
                   row["entry_point"] or "-",
                   "FAILED" if row["error"] else str(len(row["components"]))]
                  for row in rows]
    print(_format_table(["plugin", "distribution", "version", "entry point", "components"],
                        table_rows))
    for row in rows:
        print(f"\n{row['plugin']}:")
        if row["error"]:
            print(f"    failed to load: {row['error']}")
            continue
        by_kind: dict = {}
        for component in row["components"]:
            kind, _, name = component.partition(":")
            by_kind.setdefault(kind, []).append(name)
        for kind, names in by_kind.items():
            print(textwrap.fill(", ".join(names), width=100, initial_indent=f"    {kind}: ",
                                subsequent_indent=" " * (6 + len(kind))))
    return 0


# ---------------------------------------------------------------------------
# ml-genn doctor
# ---------------------------------------------------------------------------
@dataclass
class Check:
    """Result of one environment check."""
    name: str
    ok: bool
    detail: str
    hint: str = ""


def _check_python() -> Check:
    ok = sys.version_info >= (3, 9)
    return Check("python", ok, f"{platform.python_implementation()} {platform.python_version()}",
                 "" if ok else "ml_genn needs Python 3.9 or newer")


def _check_numpy() -> Check:
    try:
        import numpy
    except ImportError as exc:
        return Check("numpy", False, str(exc), "pip install numpy")
    return Check("numpy", True, numpy.__version__)


def _toolchain():
    return import_module("ml_genn.backends.cpu.toolchain")


def _check_c_compiler() -> Check:
    hint = ("install a C compiler (Debian/Ubuntu: 'apt-get install gcc'; macOS: "
            "'xcode-select --install') or point CC at one")
    try:
        toolchain = _toolchain()
        compiler = toolchain.find_c_compiler()
    except Exception as exc:  # noqa: BLE001 - the check reports whatever went wrong
        return Check("c compiler", False, str(exc), hint)
    return Check("c compiler", True, str(compiler))


def _check_shared_library() -> Check:
    try:
        ok, detail = _toolchain().check_shared_library_build()
    except Exception as exc:  # noqa: BLE001
        ok, detail = False, str(exc)
    return Check("shared library build", ok, detail,
                 "" if ok else "the C compiler must be able to build and load a shared library "
                               "(-shared -fPIC); check CC and CFLAGS")


def _check_openmp() -> Check:
    try:
        ok, detail = _toolchain().openmp_available()
    except Exception as exc:  # noqa: BLE001
        ok, detail = False, str(exc)
    return Check("openmp", ok, detail,
                 "" if ok else "optional: without OpenMP the cpu backend runs batches serially; "
                               "install libgomp (gcc) or libomp (clang)")


#: GeNN's installation guide: pygenn is built from GeNN's source, no package index carries it
GENN_INSTALL_URL = "https://genn-team.github.io/genn/documentation/5/installation.html"

#: GeNN's backends as pygenn names them, best first
_GENN_BACKENDS = ("cuda", "hip", "single_threaded_cpu")


def _check_pygenn() -> Check:
    """Whether pygenn imports, which GeNN backends it has, and whether ml-genn-pygenn (which
    makes them ml_genn backends) is installed."""
    install = (f"optional: the GeNN backends ('genn', 'cuda', 'hip' and GeNN's "
               f"'single_threaded_cpu') need pygenn built from GeNN 5's source "
               f"({GENN_INSTALL_URL}) and the plugin ml-genn-pygenn ('pip install "
               f"./plugins/genn'); the built-in 'cpu' backend needs neither")
    try:
        pygenn = import_module("pygenn")
        genn_model = import_module("pygenn.genn_model")
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
        return Check("pygenn", False, f"not importable ({type(exc).__name__}: {exc})", install)
    version = getattr(pygenn, "__version__", "importable")
    backends = [b for b in _GENN_BACKENDS if b in getattr(genn_model, "backend_modules", {})]
    try:
        plugin = find_spec("ml_genn_pygenn") is not None
    except (ImportError, ValueError):
        plugin = False
    detail = (f"{version}; GeNN backends: {', '.join(backends) or 'none'}; ml-genn-pygenn "
              f"{'installed' if plugin else 'not installed'}")
    if not backends:
        return Check("pygenn", False, detail, f"pygenn found none of GeNN's backends: rebuild "
                                              f"GeNN ({GENN_INSTALL_URL})")
    if not plugin:
        return Check("pygenn", False, detail, "install the plugin that makes these GeNN "
                                              "backends ml_genn backends: 'pip install "
                                              "./plugins/genn' (ml-genn-pygenn)")
    return Check("pygenn", True, detail)


#: Checks in report order; the second item says whether a failure is fatal for core
CHECKS: Tuple[Tuple[Callable[[], Check], bool], ...] = (
    (_check_python, True),
    (_check_numpy, True),
    (_check_c_compiler, True),
    (_check_shared_library, True),
    (_check_openmp, False),
    (_check_pygenn, False),
)


def run_checks() -> List[Tuple[Check, bool]]:
    """Run every doctor check; returns ``(check, required)`` pairs."""
    return [(check(), required) for check, required in CHECKS]


def _cmd_doctor(args: argparse.Namespace) -> int:
    results = run_checks()
    if args.json:
        print(json.dumps([dict(asdict(check), required=required) for check, required in results],
                         indent=2))
    else:
        print(f"ml_genn {__version__}")
        for check, required in results:
            status = "PASS" if check.ok else ("FAIL" if required else "WARN")
            print(f"[{status}] {check.name}: {check.detail}")
            if not check.ok and check.hint:
                print(f"       fix: {check.hint}")
    return 0 if all(check.ok for check, required in results if required) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ml-genn", description="ml_genn command-line tools")
    parser.add_argument("--version", action="version", version=f"ml_genn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    plugins = sub.add_parser("plugins", help="list plugin distributions and their components")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=_cmd_plugins)
    doctor = sub.add_parser("doctor", help="check Python, NumPy, the C toolchain and pygenn")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=_cmd_doctor)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
