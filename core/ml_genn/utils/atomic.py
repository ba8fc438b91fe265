"""Atomic file writes: readers see either the old file or the complete new one, never a torn one.

Checkpoints and build caches are written through :func:`atomic_write`: the data goes to a temporary
file in the destination's folder (same file system, so the final rename is atomic), is flushed and
fsynced, and only then replaces the destination with :func:`os.replace`. If anything raises while
writing, the temporary file is removed and the destination is left exactly as it was.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from typing import IO, Iterator, List, Optional, Union
from ..errors import InvalidValueError

PathLike = Union[str, "os.PathLike[str]"]

#: Suffix of temporary files, so that stray ones (after a power cut) are recognisable
TEMP_SUFFIX = ".tmp"

#: Characters of the destination's name kept in its temporary file's name
_TEMP_NAME_KEEP = 64

_umask: Optional[int] = None


def _current_umask() -> int:
    # os.umask can only be read by setting it; do it once and cache the answer
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return _umask


def fsync_directory(directory: PathLike) -> None:
    """Make renames into ``directory`` durable (fsync the folder itself); platforms and file
    systems that cannot (e.g. Windows) are left alone, which is harmless.

    Parameters
    ----------
    directory
        The folder whose entries changed.
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: PathLike, mode: str = "wb", *,
                 encoding: Optional[str] = None) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` atomically when the block exits cleanly.

    Parameters
    ----------
    path
        Destination file. Its folder must exist.
    mode
        ``"wb"`` (binary, default) or ``"w"`` (text).
    encoding
        Text encoding for ``mode="w"`` (UTF-8 when not given).

    Yields
    ------
    The open temporary file. If the ``with`` block raises, the temporary file is deleted, the
    exception propagates and ``path`` is untouched.

    Examples
    --------
    >>> with atomic_write("weights.npy") as f:      # doctest: +SKIP
    ...     np.save(f, weights)
    """
    if mode not in ("wb", "w"):
        raise InvalidValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot write '{path}': folder '{directory}' does not exist")
    if mode == "w" and encoding is None:
        encoding = "utf-8"

    # A hidden name next to the destination: same file system, and globs for the
    # destination's pattern (e.g. '0-*.npy') never pick it up. The writer's pid lets
    # remove_stale_temporaries tell a killed writer's leftovers from a live one's; the
    # destination's name is shortened so that a name the file system accepts always has a
    # temporary name it accepts too.
    fd, temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:_TEMP_NAME_KEEP]}."
                                            f"{os.getpid()}.",
                                     suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as temp_file:
            yield temp_file
            temp_file.flush()
            os.fsync(temp_file.fileno())
        # mkstemp creates files readable by the owner only; give the result the
        # permissions an ordinary open() would have
        os.chmod(temp_path, 0o666 & ~_current_umask())
        os.replace(temp_path, path)
    except BaseException:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        raise
    fsync_directory(directory)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    data
        Bytes to write.
    """
    with atomic_write(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`).

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    text
        Text to write.
    encoding
        Text encoding.
    """
    with atomic_write(path, "w", encoding=encoding) as f:
        f.write(text)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True     # exists, owned by somebody else
    except OSError:
        return True     # cannot tell: keep the file
    return True


def remove_stale_temporaries(directory: PathLike) -> List[str]:
    """Delete temporary files that :func:`atomic_write` left in ``directory`` when its writer
    was killed (they are never renamed into place, so nothing reads them; they only take
    space). Files of writers still running are kept.

    Parameters
    ----------
    directory
        Folder to clean; a folder that does not exist is left alone.

    Returns
    -------
    The names of the files removed.
    """
    directory = os.fspath(directory)
    removed: List[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
            continue
        # '.<destination>.<pid>.<random>.tmp'
        parts = name[:-len(TEMP_SUFFIX)].rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or _process_alive(pid):
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed.append(name)
        except OSError:
            pass
    return removed


__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_directory",
           "remove_stale_temporaries",
           "TEMP_SUFFIX"]
