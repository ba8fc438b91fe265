"""Compiled-model cache: one shared library per (source, compiler, flags) hash.

A cached library is trusted only after it is checked: beside each ``<model>_<key>.so`` lies
``<model>_<key>.so.sha256`` (its SHA-256 and size, written after the library), and the library
itself carries its cache key as a string. A file that fails either check (truncated, corrupted,
empty, another model's) or that cannot be loaded is rebuilt once, with a
:class:`BuildCacheWarning`, instead of being loaded: a damaged library can pass ``dlopen`` and
kill the process with SIGBUS later, on every run.

Files are written to temporary names, fsynced and renamed into place, so concurrent builders
and a crash mid-build never leave a half-written file under a library's name. In a cache
directory that other users can write (group- or world-writable), files are made readable to
them as well; a cache directory that cannot be written falls back to a private one.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import re
import secrets
import stat
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import List, Optional, Tuple

from ...engine.errors import CodeCompileError
from ...errors import InvalidValueError
from ...utils.atomic import fsync_directory
from .compile_errors import raise_compile_error

#: Temporary files of builds killed midway are removed once they are this old (seconds); a
#: live build never takes this long, so a build in progress is never robbed of its files.
STALE_TEMP_AGE_S = 24 * 3600

#: Bumped when the cache's layout changes, so libraries of an older layout are never read.
_CACHE_FORMAT = "2"

#: Name of the string every library carries to say which cache key it was built for.
_KEY_SYMBOL = "ml_genn_cache_key"

#: How shared libraries start: ELF, Mach-O (32/64-bit, either byte order) and universal Mach-O.
_LIBRARY_MAGIC = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
                  b"\xfe\xed\xfa\xce", b"\xca\xfe\xba\xbe")

#: Temporary files of this module (``.<name>_<random>.c`` / ``.so.tmp`` / ``.sha256.tmp``) and of
#: the view splitter's build (``.ml_genn_views_<random>.c`` / ``<ext suffix>.tmp``)
_TEMP_NAME = re.compile(r"\..+_[a-z0-9_]{8,16}(\.c|\..*\.tmp)")

_warned_cache_dirs = set()


class BuildCacheWarning(UserWarning):
    """The build cache found a problem and worked around it: a damaged cached library was
    rebuilt, or an unusable cache directory was replaced by a private one."""


class _NotReplaceable(Exception):
    """Another user's file in a shared cache stands where a new library must go."""


def cache_dir() -> Path:
    """The build cache directory, created if needed.

    ``$ML_GENN_CACHE_DIR`` or ``~/.cache/ml_genn``; when that cannot be created or written, a
    private per-user directory under the system's temporary directory (with one
    :class:`BuildCacheWarning` per process that names ``ML_GENN_CACHE_DIR``).
    """
    configured = Path(os.environ.get("ML_GENN_CACHE_DIR") or Path.home() / ".cache" / "ml_genn")
    try:
        configured.mkdir(parents=True, exist_ok=True)
        problem = None if os.access(configured, os.W_OK | os.X_OK) else "is not writable"
    except OSError as e:
        problem = f"cannot be created ({e.strerror or e})"
    if problem is None:
        return configured
    private = _private_dir(tempfile.gettempdir())
    if str(configured) not in _warned_cache_dirs:
        _warned_cache_dirs.add(str(configured))
        warnings.warn(f"The build cache directory '{configured}' {problem}; compiled models go to the "
                      f"private directory '{private}' instead. Set ML_GENN_CACHE_DIR to a directory you "
                      f"can write to choose where they are kept.", BuildCacheWarning, stacklevel=3)
    return private


@functools.lru_cache(maxsize=None)
def _private_dir(temp_root: str) -> Path:
    """``<temp_root>/ml_genn-<uid>`` (mode 0700), or a fresh private directory when that name
    is taken by another user or is not private (a shared temporary directory is open to all)."""
    owner = os.geteuid() if hasattr(os, "geteuid") else None
    name = f"ml_genn-{owner if owner is not None else os.getlogin()}"
    d = Path(temp_root) / name
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = d.lstat()
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & 0o077 and (owner is None or st.st_uid == owner):
            return d
        return Path(tempfile.mkdtemp(prefix=name + "-", dir=temp_root))
    except OSError as e:
        raise InvalidValueError(f"No build cache directory can be written: ML_GENN_CACHE_DIR (or "
                                f"~/.cache/ml_genn) is unusable and so is the temporary directory "
                                f"'{temp_root}' ({e}). Set ML_GENN_CACHE_DIR to a writable directory.") from e


def cache_key(source: str, compiler: List[str], version: str, flags: List[str]) -> str:
    """Hash identifying one build: its source, compiler command, compiler identity and flags.

    Parameters
    ----------
    source
        The generated C source.
    compiler
        The compiler command as an argument list.
    version
        What identifies the compiler's output besides its command (see ``toolchain.build_identity``).
    flags
        The compiler flags.
    """
    h = hashlib.sha256()
    for part in (_CACHE_FORMAT, source, "\0".join(compiler), version, "\0".join(flags)):
        h.update(part.encode())
        h.update(b"\x01")
    return h.hexdigest()[:24]


def _key_marker(key: str) -> bytes:
    return f"{_KEY_SYMBOL}:{key}".encode() + b"\0"


def _digest_path(lib: Path) -> Path:
    return lib.with_name(lib.name + ".sha256")


def _verify(lib: Path, key: str) -> Optional[str]:
    """None when ``lib`` is this key's complete build; otherwise what is wrong with it."""
    try:
        data = lib.read_bytes()
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    try:
        recorded = _digest_path(lib).read_text(encoding="ascii").split()
        digest, size = recorded[0], int(recorded[1])
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return "has no valid record of its digest (its build was interrupted)"
    if len(data) != size:
        return f"is {len(data)} bytes long but was built {size} bytes long (truncated or overwritten)"
    if hashlib.sha256(data).hexdigest() != digest:
        return "does not match the SHA-256 recorded when it was built (corrupted)"
    if _key_marker(key) not in data:
        return f"was built for a different model (it does not carry cache key {key})"
    return None


def _load_error(lib: Path) -> Optional[str]:
    """None when the dynamic loader accepts ``lib`` (it then stays loaded for the runtime)."""
    try:
        ctypes.CDLL(str(lib))
    except OSError as e:
        return str(e)
    return None


def _identity(path: Path) -> Optional[Tuple[int, int, int]]:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _shared_mode(directory_mode: int, mode: int) -> int:
    """``mode`` plus read access for whoever else may write the cache directory (they must be
    able to load what is built there); other directories keep the mode the umask gave."""
    if directory_mode & stat.S_IWOTH:
        return mode | stat.S_IRGRP | stat.S_IROTH
    if directory_mode & stat.S_IWGRP:
        return mode | stat.S_IRGRP
    return mode


def _write_new(path: Path, data: bytes, directory_mode: int) -> None:
    """Create ``path`` (which must not exist) with ``data``, synced to disk."""
    # 0o666 lets the umask decide, as for any file the user creates (mkstemp would force 0600)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.fchmod(fd, _shared_mode(directory_mode, stat.S_IMODE(os.fstat(fd).st_mode)))
    finally:
        os.close(fd)


def _remove_stale_temps(directory: Path) -> None:
    """Delete temporary files (``.<name>_*.tmp`` / ``.c``) that builds killed midway left behind."""
    cutoff = time.time() - STALE_TEMP_AGE_S
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if _TEMP_NAME.fullmatch(entry.name):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass   # gone already, or another user's file in a sticky shared directory


def _check_output(model_name: str, path: Path, cmd: List[str], key: str, diagnostics: str) -> bytes:
    """The compiled library's bytes; raises when the compiler "succeeded" without building it."""
    try:
        data = path.read_bytes()
    except OSError:
        data = None
    if data is None:
        problem = "wrote no output file"
    elif not data:
        problem = "wrote an empty output file"
    elif not data.startswith(_LIBRARY_MAGIC):
        problem = f"wrote something that is not a shared library (it starts with {data[:8]!r})"
    elif _key_marker(key) not in data:
        problem = "wrote a library that does not contain the model's code"
    else:
        return data
    raise CodeCompileError(f"Model '{model_name}': the C compiler exited successfully but {problem}. "
                           f"Command: {' '.join(cmd)}. Check that CC (or cc/gcc/clang on PATH) is a "
                           f"working C compiler that can build shared libraries ('ml-genn doctor' tests it).",
                           diagnostics)


def _compile_into(directory: Path, lib: Path, model_name: str, key: str, source: str, compiler: List[str],
                  flags: List[str], code_labels: dict, block_ends: Optional[dict]) -> None:
    """Compile ``source`` and install it as ``lib`` with its digest, unless another builder
    installs it first."""
    _remove_stale_temps(directory)
    directory_mode = directory.stat().st_mode
    before = _identity(lib)
    # The source carries its key into the library, so a library under the wrong name is recognised
    marked = (f"{source}\n__attribute__((visibility(\"default\"))) const char {_KEY_SYMBOL}[] = "
              f"\"{_key_marker(key)[:-1].decode()}\";\n")
    stem = directory / f".{model_name}_{secrets.token_hex(8)}"
    tmp_src, tmp_lib, tmp_digest = (Path(f"{stem}{suffix}") for suffix in (".c", ".so.tmp", ".sha256.tmp"))
    try:
        _write_new(tmp_src, marked.encode(), directory_mode)
        cmd = compiler + flags + [str(tmp_src), "-o", str(tmp_lib), "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise_compile_error(model_name, r.stderr or r.stdout, code_labels, source, block_ends)
        data = _check_output(model_name, tmp_lib, cmd, key, r.stderr + r.stdout)
        with open(tmp_lib, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp_lib, _shared_mode(directory_mode, stat.S_IMODE(os.stat(tmp_lib).st_mode)))
        _write_new(tmp_digest, f"{hashlib.sha256(data).hexdigest()} {len(data)}\n".encode("ascii"),
                   directory_mode)
        now = _identity(lib)
        if now is not None and now != before and _verify(lib, key) is None:
            return   # another process installed this build meanwhile; keep theirs
        try:
            # Library first, digest after: a crash in between leaves a library without a
            # digest, which is rebuilt, never trusted
            os.replace(tmp_lib, lib)
            os.replace(tmp_digest, _digest_path(lib))
        except PermissionError as e:
            raise _NotReplaceable(lib) from e
        try:
            os.replace(tmp_src, lib.with_suffix(".c"))   # kept beside the library for debugging
        except OSError:
            pass
        fsync_directory(directory)
    finally:
        for p in (tmp_src, tmp_lib, tmp_digest):
            try:
                p.unlink()
            except OSError:
                pass


def _build_in(directory: Path, model_name: str, key: str, source: str, compiler: List[str], flags: List[str],
              code_labels: dict, block_ends: Optional[dict]) -> Tuple[Path, bool]:
    lib = directory / f"{model_name}_{key}.so"
    if lib.exists():
        # Never hand an unchecked file to the loader: a damaged one may load and crash later
        problem = _verify(lib, key)
        if problem is None:
            problem = _load_error(lib)
            if problem is None:
                return lib, False
            problem = f"could not be loaded ({problem})"
        warnings.warn(f"The cached library '{lib}' of model '{model_name}' {problem}; rebuilding it.",
                      BuildCacheWarning, stacklevel=4)
    _compile_into(directory, lib, model_name, key, source, compiler, flags, code_labels, block_ends)
    error = _load_error(lib)
    if error is not None:
        # A fresh, verified build that will not load: rebuilding again cannot help
        raise CodeCompileError(f"Model '{model_name}': the library '{lib}' built by {compiler[0]} could not "
                               f"be loaded: {error}. If the cache directory is on a file system mounted "
                               f"'noexec', set ML_GENN_CACHE_DIR to a directory elsewhere.")
    return lib, True


def build_library(model_name: str, source: str, compiler: List[str], version: str, flags: List[str],
                  code_labels: dict, block_ends: Optional[dict] = None) -> Tuple[Path, bool]:
    """The checked, loadable library for ``source``, compiled first if the cache lacks it.

    A cached library that is damaged, another model's or unloadable is rebuilt once with a
    :class:`BuildCacheWarning`; concurrent builders of one model all succeed.

    Parameters
    ----------
    model_name
        The model's name (prefix of the cached files and named in errors).
    source
        The generated C source.
    compiler
        The compiler command as an argument list.
    version
        What identifies the compiler's output besides its command (part of the cache key).
    flags
        The compiler flags.
    code_labels
        ``#line`` labels of the user's code strings, to report compile errors against them.
    block_ends
        Generated lines where user code blocks end (see :func:`raise_compile_error`).

    Returns
    -------
    ``(path, compiled)``: the library and whether the compiler ran.

    Raises
    ------
    CodeCompileError
        When the source does not compile, the compiler exits successfully without building a
        library, or a fresh build cannot be loaded.
    """
    key = cache_key(source, compiler, version, flags)
    directory = cache_dir()
    try:
        return _build_in(directory, model_name, key, source, compiler, flags, code_labels, block_ends)
    except _NotReplaceable as e:
        # A sticky shared directory (like /tmp) lets only a file's owner replace it
        private = _private_dir(tempfile.gettempdir())
        if directory == private:
            raise e.__cause__
        warnings.warn(f"The cached library '{e.args[0]}' needs rebuilding but belongs to another user of the "
                      f"shared cache; building model '{model_name}' in the private directory '{private}' "
                      f"instead (set ML_GENN_CACHE_DIR to choose another cache directory).",
                      BuildCacheWarning, stacklevel=3)
        return _build_in(private, model_name, key, source, compiler, flags, code_labels, block_ends)
