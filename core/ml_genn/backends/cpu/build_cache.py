"""Compiled-model cache: one shared library per (source, compiler, flags) hash."""
from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import List, Tuple

from .compile_errors import raise_compile_error


def cache_dir() -> Path:
    """``$ML_GENN_CACHE_DIR`` or ``~/.cache/ml_genn``, created if needed."""
    d = Path(os.environ.get("ML_GENN_CACHE_DIR") or Path.home() / ".cache" / "ml_genn")
    d.mkdir(parents=True, exist_ok=True)
    return d


def cache_key(source: str, compiler: List[str], version: str, flags: List[str]) -> str:
    h = hashlib.sha256()
    for part in (source, "\0".join(compiler), version, "\0".join(flags)):
        h.update(part.encode())
        h.update(b"\x01")
    return h.hexdigest()[:24]


def build_library(model_name: str, source: str, compiler: List[str], version: str, flags: List[str],
                  code_labels: dict, block_ends: dict = None) -> Tuple[Path, bool]:
    """Return ``(path, compiled)``: the cached library, compiling it if absent.

    Compiles into a private temporary file and renames it into place, so concurrent
    builders of one model never see a half-written library and both succeed.
    """
    d = cache_dir()
    key = cache_key(source, compiler, version, flags)
    lib = d / f"{model_name}_{key}.so"
    if lib.exists():
        return lib, False
    fd, tmp_src = tempfile.mkstemp(prefix=f".{model_name}_", suffix=".c", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(source)
    fd, tmp_lib = tempfile.mkstemp(prefix=f".{model_name}_", suffix=".so.tmp", dir=d)
    os.close(fd)
    try:
        cmd = compiler + flags + [tmp_src, "-o", tmp_lib, "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise_compile_error(model_name, r.stderr or r.stdout, code_labels, source, block_ends)
        os.replace(tmp_lib, lib)
        # Keep the source beside the library for debugging.
        os.replace(tmp_src, d / f"{model_name}_{key}.c")
    finally:
        for p in (tmp_src, tmp_lib):
            if os.path.exists(p):
                os.unlink(p)
    return lib, True
