"""Finding and probing the system C compiler (also used by ``ml-genn doctor``)."""
from __future__ import annotations

import functools
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
from typing import List, Tuple

from ...engine.errors import CompilerNotFoundError

#: How to get a compiler, shown whenever none is found.
INSTALL_ADVICE = ("install a C compiler (Debian/Ubuntu: 'apt-get install gcc'; Fedora: 'dnf install gcc'; "
                  "macOS: 'xcode-select --install') or set the CC environment variable to one")

_CANDIDATES = ("cc", "gcc", "clang")
_PROBE = "int ml_genn_probe(int x) { return x + 1; }\n"
_OMP_PROBE = "#include <omp.h>\nint ml_genn_probe(void) { return omp_get_max_threads(); }\n"


def find_c_compiler() -> List[str]:
    """The C compiler command as an argument list.

    Honours ``CC`` (which may include arguments); otherwise tries cc, gcc, clang.

    Raises
    ------
    CompilerNotFoundError
        When ``CC`` names a missing program or no candidate is on ``PATH``.
    """
    cc = os.environ.get("CC")
    if cc:
        args = shlex.split(cc)
        if not args or shutil.which(args[0]) is None:
            raise CompilerNotFoundError(f"The CC environment variable names {cc!r}, which was not found on PATH; "
                                        f"fix CC or unset it, or {INSTALL_ADVICE}")
        return [shutil.which(args[0])] + args[1:]
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return [path]
    raise CompilerNotFoundError(f"No C compiler found (tried {', '.join(_CANDIDATES)}); the cpu backend "
                                f"compiles models to native code, so {INSTALL_ADVICE}")


@functools.lru_cache(maxsize=8)
def compiler_version(compiler: Tuple[str, ...]) -> str:
    """First line of ``compiler --version`` (part of the build cache key).

    See :func:`build_identity` for the whole of what identifies a build besides its source.
    """
    try:
        out = subprocess.run(list(compiler) + ["--version"], capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _try_build(compiler: List[str], source: str, flags: List[str]) -> Tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="ml_genn_probe_") as d:
        src = os.path.join(d, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        cmd = compiler + flags + ["-shared", "-fPIC", src, "-o", os.path.join(d, "probe.so")]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            return False, f"{' '.join(cmd)} failed to run: {e}"
        if r.returncode != 0:
            return False, (r.stderr or r.stdout).strip()
        return True, " ".join(cmd)


def check_shared_library_build() -> Tuple[bool, str]:
    """Whether the C compiler can build a shared library; ``(ok, detail)``."""
    try:
        cc = find_c_compiler()
    except CompilerNotFoundError as e:
        return False, str(e)
    ok, detail = _try_build(cc, _PROBE, ["-O2"])
    if ok:
        return True, f"{cc[0]} ({compiler_version(tuple(cc))}) builds shared libraries"
    return False, f"{cc[0]} cannot build a shared library: {detail}; {INSTALL_ADVICE}"


@functools.lru_cache(maxsize=8)
def _openmp_cached(compiler: Tuple[str, ...]) -> Tuple[bool, str]:
    ok, detail = _try_build(list(compiler), _OMP_PROBE, ["-fopenmp"])
    if ok:
        return True, f"{compiler[0]} supports OpenMP (-fopenmp)"
    return False, (f"{compiler[0]} has no OpenMP; models run on one thread. Install OpenMP support "
                   f"(Debian/Ubuntu: 'apt-get install libgomp1' for gcc, 'libomp-dev' for clang)")


def openmp_available() -> Tuple[bool, str]:
    """Whether the C compiler supports OpenMP; ``(ok, detail)``."""
    try:
        cc = find_c_compiler()
    except CompilerNotFoundError as e:
        return False, str(e)
    return _openmp_cached(tuple(cc))


LOOP_ALIGNMENT_FLAG = "-falign-loops=32"


@functools.lru_cache(maxsize=8)
def _loop_alignment_ok(compiler: Tuple[str, ...]) -> bool:
    return _try_build(list(compiler), _PROBE, [LOOP_ALIGNMENT_FLAG])[0]


@functools.lru_cache(maxsize=8)
def _native_arch_ok(compiler: Tuple[str, ...]) -> bool:
    return _try_build(list(compiler), _PROBE, ["-march=native"])[0]


@functools.lru_cache(maxsize=8)
def native_target(compiler: Tuple[str, ...]) -> str:
    """The CPU that ``-march=native`` resolves to on this machine (part of the cache key).

    A cache directory shared between machines (an NFS home on a cluster) must never hand one
    CPU's ``-march=native`` build to another, where it could die of an illegal instruction.
    """
    try:
        out = subprocess.run(list(compiler) + ["-march=native", "-Q", "--help=target"],
                             capture_output=True, text=True, timeout=30).stdout
        resolved = [line.split()[-1] for line in out.splitlines()
                    if line.strip().startswith(("-march=", "-mcpu="))]
        if resolved:
            return resolved[0]
    except (OSError, subprocess.SubprocessError):
        pass
    # Compilers that cannot say (e.g. clang): fall back to the kernel's view of the CPU
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            lines = [line for line in cpuinfo if line.startswith(("model name", "flags"))]
        return " ".join(sorted(set(lines)))
    except OSError:
        return platform.processor() or platform.machine()


def build_identity(compiler: List[str], flags: List[str]) -> str:
    """What, besides source and flags, decides the binary: compiler version and, for
    ``-march=native`` builds, the CPU it resolves to."""
    identity = compiler_version(tuple(compiler))
    if "-march=native" in flags:
        identity += f" target={native_target(tuple(compiler))}"
    return identity


def compile_flags(compiler: List[str]) -> List[str]:
    """Optimisation flags for generated models.

    ``-ffp-contract=off`` keeps results equal to separate multiply/add (as NumPy does),
    ``-fno-math-errno`` lets math calls vectorise. Loops start on 32-byte boundaries
    (:data:`LOOP_ALIGNMENT_FLAG`): without it, an unrelated change elsewhere in a model's code
    shifted the neuron loop and made the same model 40% slower (measured on an AMD EPYC).
    """
    flags = ["-O3", "-std=gnu11", "-fPIC", "-shared", "-fno-math-errno", "-ffp-contract=off",
             "-fno-semantic-interposition"]
    if os.environ.get("ML_GENN_NO_NATIVE_ARCH") != "1" and _native_arch_ok(tuple(compiler)):
        flags.append("-march=native")
    if _loop_alignment_ok(tuple(compiler)):
        flags.append(LOOP_ALIGNMENT_FLAG)
    if _openmp_cached(tuple(compiler))[0] and os.environ.get("ML_GENN_DISABLE_OPENMP") != "1":
        flags.append("-fopenmp")
    return flags
