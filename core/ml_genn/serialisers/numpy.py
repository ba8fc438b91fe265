"""The ``"numpy"`` serialiser: one ``.npy`` file per array, written atomically."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sys
from collections import abc
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.atomic import atomic_write_bytes, atomic_write_text, remove_stale_temporaries
from .serialiser import Serialiser
from ..errors import (CheckpointError, CheckpointNotFoundError, InvalidTypeError,
                      InvalidValueError)

logger = logging.getLogger(__name__)

#: Name of the format this module writes, recorded in each checkpoint folder's manifest
FORMAT_NAME = "ml_genn.numpy"
#: Bumped whenever the file layout changes, so that older readers can refuse newer folders
#: (2: checkpoints written as units with a manifest of their files)
FORMAT_VERSION = 2
#: Manifest file written once into every folder a Numpy serialiser writes to
MANIFEST_NAME = "ml_genn_checkpoint.json"
#: Ending of the manifest of one checkpoint unit ('4.ml_genn_manifest.json' for keys (4,))
UNIT_MANIFEST_SUFFIX = ".ml_genn_manifest.json"
#: Longest file name assumed where the file system cannot be asked
_DEFAULT_NAME_MAX = 255

_KEY_SEPARATOR = "-"
# Characters that would make file names ambiguous or escape the folder; percent-encoded so
# that keys containing them still round-trip. Names without them give mlGeNN's file names.
_ESCAPES = (("%", "%25"), ("-", "%2D"), ("/", "%2F"), ("\\", "%5C"))


def _encode_key(key: Any) -> str:
    text = str(key)
    if not text:
        raise InvalidValueError(f"Numpy serialiser keys must not be empty strings, got {key!r}")
    for char, code in _ESCAPES:
        text = text.replace(char, code)
    return text


def _decode_key(text: str) -> str:
    for char, code in reversed(_ESCAPES):
        text = text.replace(code, char)
    return text


def _check_keys(keys: Any, allow_empty: bool) -> Tuple[Any, ...]:
    # A bare string would otherwise be split into characters
    if isinstance(keys, (str, bytes)) or not isinstance(keys, abc.Sequence):
        raise InvalidTypeError(f"Numpy serialiser keys must be a tuple of keys such as (epoch, "
                               f"population, 'V'), got {type(keys).__name__}: {keys!r}; "
                               f"wrap a single key as ({keys!r},)")
    if not keys and not allow_empty:
        raise InvalidValueError("Numpy serialiser needs at least one key to name an array, got ()")
    return tuple(keys)


class Numpy(Serialiser):
    """Stores each array as a NumPy ``.npy`` file named by its keys joined with ``-``.

    ``serialise((3, "Pop1", "V"), v)`` writes ``<path>/3-Pop1-V.npy``. Every file is written
    atomically (an interrupted write leaves the previous file intact), and each folder written to
    gets a small manifest (``ml_genn_checkpoint.json``) recording the format version and the
    ml_genn and plugin versions that wrote it, so that later formats can be told apart.

    A checkpoint (``compiled_network.save((3,), serialiser)``) is written as one unit: first a
    manifest ``3.ml_genn_manifest.json`` marked incomplete, then the arrays, then the manifest
    again, complete, listing every file with its size and SHA-256. Loading checks it: a
    checkpoint whose write was interrupted, whose files are missing or differ from what was
    written, or that was never written, is an error naming the folder, the keys and the files
    concerned. Folders without manifests (mlGeNN's) load as plain files.

    Parameters
    ----------
    path
        Folder to store files in (created on first write); ``""`` is the working directory.
    file_prefix
        Optional extra first key for every file name (e.g. ``"checkpoint"`` gives
        ``checkpoint-3-Pop1-V.npy``); ``None`` (default) gives mlGeNN's file names.
    """

    def __init__(self, path: str = "", file_prefix: Optional[str] = None):
        if not isinstance(path, (str, os.PathLike)):
            raise InvalidTypeError(f"Numpy serialiser path must be a folder path string, got "
                                   f"{type(path).__name__}: {path!r}")
        if file_prefix is not None and not isinstance(file_prefix, str):
            raise InvalidTypeError(f"Numpy serialiser file_prefix must be a string or None, got "
                                   f"{type(file_prefix).__name__}: {file_prefix!r}")
        self.path = os.fspath(path)
        self.file_prefix = file_prefix
        self._manifest_checked = False
        # Units being written: title -> {file name: {"size", "sha256"}}
        self._open_units: Dict[str, Dict[str, Dict[str, Any]]] = {}

    # ------------------------------------------------------------------ public API
    def serialise(self, keys: Sequence[Any], data: Any) -> None:
        """Write ``data`` to the file named by ``keys``, atomically.

        Parameters
        ----------
        keys
            Tuple of keys naming the array, e.g. ``(epoch, population, "V")``.
        data
            Array (or scalar) to store; object arrays are refused because they would need
            pickling, which loading does not allow.
        """
        keys = _check_keys(keys, allow_empty=False)
        array = np.asarray(data)
        if array.dtype.hasobject:
            raise InvalidTypeError(
                f"Numpy serialiser can only store numeric arrays, got an object "
                f"array for keys {keys!r}; convert it with np.asarray(..., dtype=...)")
        folder = self._folder()
        os.makedirs(folder, exist_ok=True)
        self._ensure_manifest(folder)
        filename = self._filename(keys)
        # Serialised in memory first: the checksum the manifest records is of exactly the
        # bytes that reach the file
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        content = buffer.getbuffer()
        atomic_write_bytes(filename, content)
        entry = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for files in self._open_units.values():
            files[os.path.basename(filename)] = entry
        logger.debug("Serialised %s to %s", keys, filename)

    def deserialise(self, keys: Sequence[Any]) -> np.ndarray:
        """Load the array stored at ``keys``.

        Parameters
        ----------
        keys
            Tuple of keys naming the array.

        Raises
        ------
        FileNotFoundError
            Naming the expected file when nothing is stored at ``keys``.
        ml_genn.errors.CheckpointError
            When the checkpoint holding the file is incomplete or the file was damaged.
        """
        keys = _check_keys(keys, allow_empty=False)
        folder = self._folder()
        self._check_manifest(folder)
        unit = self._governing_unit(keys, require_complete=True)
        filename = self._filename(keys)
        if not os.path.exists(filename):
            raise FileNotFoundError(f"Numpy serialiser has nothing stored at keys {keys!r}: "
                                    f"'{filename}' does not exist")
        return self._load(filename, unit)

    def deserialise_all(self, keys: Sequence[Any]) -> Dict[Union[str, Tuple[str, ...]], np.ndarray]:
        """Load every array stored beneath ``keys``.

        Parameters
        ----------
        keys
            Tuple of keys, e.g. ``(epoch, population)``.

        Returns
        -------
        A dict mapping the remaining key of each array to the array: a string when one key
        remains (as mlGeNN), a tuple of strings when several do. Empty when nothing is stored.
        """
        keys = _check_keys(keys, allow_empty=True)
        folder = self._folder()
        if not os.path.isdir(folder):
            return {}
        self._check_manifest(folder)
        unit = self._governing_unit(keys, require_complete=True)
        data: Dict[Union[str, Tuple[str, ...]], np.ndarray] = {}
        for name, remaining in self._files_beneath(keys):
            key = remaining[0] if len(remaining) == 1 else remaining
            data[key] = self._load(os.path.join(folder, name), unit)
            logger.debug("Deserialised %s from %s", key, name)
        return data

    # ------------------------------------------------------------------ checkpoint units
    def begin_checkpoint(self, keys: Sequence[Any]) -> None:
        """Mark the checkpoint at ``keys`` incomplete until :meth:`commit_checkpoint`.

        Files an earlier, complete checkpoint at the same keys listed stay listed (mlGeNN
        scripts write ``save`` and ``save_connectivity`` to the same keys); rewriting one of
        them updates its entry.

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.
        """
        keys = _check_keys(keys, allow_empty=True)
        folder = self._folder()
        os.makedirs(folder, exist_ok=True)
        self._ensure_manifest(folder)
        # A killed writer's temporary files are never renamed into place; only space is lost
        for name in remove_stale_temporaries(folder):
            logger.info("Removed '%s', left in '%s' by a killed writer", name, folder)
        title = self._title(keys)
        carried: Dict[str, Dict[str, Any]] = {}
        previous = self._read_unit(self._unit_path(title))
        if previous is not None:
            carried = dict(previous["files"])
        self._write_unit(title, keys, carried, complete=False)
        self._open_units[title] = carried

    def commit_checkpoint(self, keys: Sequence[Any]) -> None:
        """Record the checkpoint at ``keys`` complete: its manifest, listing every file with
        its size and SHA-256, replaces the incomplete one.

        Parameters
        ----------
        keys
            Keys given to :meth:`begin_checkpoint`.
        """
        keys = _check_keys(keys, allow_empty=True)
        title = self._title(keys)
        if title not in self._open_units:
            raise InvalidValueError(f"Numpy serialiser: commit_checkpoint({keys!r}) without "
                                    f"begin_checkpoint({keys!r})")
        self._write_unit(title, keys, self._open_units.pop(title), complete=True)

    def check_checkpoint(self, keys: Sequence[Any]) -> None:
        """Raise unless a complete checkpoint is stored at ``keys`` with every file its
        manifest lists present at the size written (checksums are checked as files load).

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.

        Raises
        ------
        ml_genn.errors.CheckpointNotFoundError
            When nothing is stored at ``keys``.
        ml_genn.errors.CheckpointError
            When the checkpoint is incomplete or files are missing or damaged.
        """
        keys = _check_keys(keys, allow_empty=True)
        folder = self._folder()
        if os.path.isdir(folder):
            self._check_manifest(folder)
        unit = self._governing_unit(keys, require_complete=True)
        if unit is None:
            if not any(True for _ in self._files_beneath(keys)):
                complete = self._complete_units()
                also = (f"; complete checkpoints there: {', '.join(complete[:8])}"
                        f"{' ...' if len(complete) > 8 else ''}" if complete
                        else "; it holds no complete checkpoint")
                raise CheckpointNotFoundError(
                    f"No checkpoint at keys {self._show(keys)} in folder '{folder}'"
                    f"{also if os.path.isdir(folder) else ' (the folder does not exist)'}")
            return      # plain files without a manifest (mlGeNN's): nothing to check against
        path, manifest = unit
        problems = []
        for name, entry in sorted(manifest["files"].items()):
            file = os.path.join(folder, name)
            if not os.path.isfile(file):
                problems.append(f"'{name}' is missing")
            elif os.path.getsize(file) != entry["size"]:
                problems.append(f"'{name}' has {os.path.getsize(file)} bytes, "
                                f"{entry['size']} were written")
        if problems:
            raise CheckpointError(
                f"Checkpoint {self._show(keys)} in folder '{folder}' is damaged: "
                f"{'; '.join(problems[:6])}{' ...' if len(problems) > 6 else ''} "
                f"(manifest '{path}')")

    def check_names(self, keys: Iterable[Sequence[Any]]) -> None:
        """Raise if a file name for any of ``keys`` is longer than the folder's file system
        allows (checked before training, not at the first checkpoint).

        Parameters
        ----------
        keys
            Every key sequence a checkpoint will write.
        """
        folder = self._folder()
        limit = _name_max(folder)
        encoding = sys.getfilesystemencoding()
        for k in keys:
            k = _check_keys(k, allow_empty=False)
            name = os.path.basename(self._filename(k))
            length = len(name.encode(encoding, "surrogateescape"))
            if length > limit:
                raise InvalidValueError(
                    f"Numpy serialiser cannot store keys {self._show(k)} in folder '{folder}': "
                    f"the file name '{name[:60]}...' is {length} bytes, and the file system "
                    f"allows {limit}; give the populations or connections shorter names")

    def describe(self, keys: Sequence[Any]) -> str:
        """The file that holds (or would hold) the array at ``keys``.

        Parameters
        ----------
        keys
            Tuple of keys naming the array.
        """
        return f"'{self._filename(tuple(keys))}'"

    # ------------------------------------------------------------------ file naming
    def _folder(self) -> str:
        return self.path if self.path else os.curdir

    def _title(self, keys: Tuple[Any, ...]) -> str:
        prefix = () if self.file_prefix is None else (self.file_prefix,)
        return _KEY_SEPARATOR.join(_encode_key(k) for k in prefix + keys)

    def _filename(self, keys: Tuple[Any, ...]) -> str:
        return os.path.join(self._folder(), self._title(keys) + ".npy")

    def _unit_path(self, title: str) -> str:
        name = title + UNIT_MANIFEST_SUFFIX if title else UNIT_MANIFEST_SUFFIX[1:]
        return os.path.join(self._folder(), name)

    @staticmethod
    def _show(keys: Tuple[Any, ...]) -> str:
        return repr(tuple(str(k) if not isinstance(k, (int, str)) else k for k in keys))

    def _files_beneath(self, keys: Tuple[Any, ...]) -> Iterable[Tuple[str, Tuple[str, ...]]]:
        """``(file name, remaining keys)`` of every array stored beneath ``keys``."""
        folder = self._folder()
        if not os.path.isdir(folder):
            return
        title = self._title(keys)
        start = title + _KEY_SEPARATOR if title else ""
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".npy") or not name.startswith(start) or name.startswith("."):
                continue
            yield name, tuple(_decode_key(part) for part
                              in name[len(start):-len(".npy")].split(_KEY_SEPARATOR))

    # ------------------------------------------------------------------ checkpoint manifests
    def _write_unit(self, title: str, keys: Tuple[Any, ...], files: Dict[str, Any],
                    complete: bool) -> None:
        atomic_write_text(self._unit_path(title), json.dumps(
            {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
             "keys": [str(k) for k in keys], "complete": complete, "files": files},
            indent=1, sort_keys=True))

    def _read_unit(self, path: str) -> Optional[Dict[str, Any]]:
        """The manifest of one checkpoint unit, or None if there is none."""
        try:
            with open(path, encoding="utf-8") as f:
                manifest = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"Checkpoint manifest '{path}' is unreadable ({exc}); the "
                                  f"checkpoint cannot be trusted") from None
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(files, dict) or not isinstance(manifest.get("complete"), bool) or \
                not all(isinstance(e, dict) and isinstance(e.get("size"), int)
                        and isinstance(e.get("sha256"), str) for e in files.values()):
            raise CheckpointError(f"Checkpoint manifest '{path}' is damaged: expected "
                                  f"'complete' and 'files' with each file's size and sha256")
        return manifest

    def _governing_unit(self, keys: Tuple[Any, ...], require_complete: bool
                        ) -> Optional[Tuple[str, Dict[str, Any]]]:
        """``(path, manifest)`` of the checkpoint unit holding ``keys`` (the one with the
        longest prefix of them), or None when no unit does."""
        for n in range(len(keys), -1, -1):
            path = self._unit_path(self._title(keys[:n]))
            manifest = self._read_unit(path)
            if manifest is None:
                continue
            if require_complete and not manifest["complete"]:
                complete = self._complete_units()
                raise CheckpointError(
                    f"Checkpoint {self._show(keys[:n])} in folder '{self._folder()}' is "
                    f"incomplete: its write was interrupted ('{os.path.basename(path)}' was "
                    f"never completed){'; complete checkpoints there: ' if complete else ''}"
                    f"{', '.join(complete[:8])}")
            return path, manifest
        return None

    def _complete_units(self) -> List[str]:
        """Keys of the complete checkpoints in the folder, for advice in errors."""
        folder = self._folder()
        found = []
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return found
        for name in names:
            if name.endswith(UNIT_MANIFEST_SUFFIX) or name == UNIT_MANIFEST_SUFFIX[1:]:
                try:
                    manifest = self._read_unit(os.path.join(folder, name))
                except CheckpointError:
                    continue
                if manifest is not None and manifest["complete"]:
                    found.append(repr(tuple(manifest.get("keys", []))))
        return found

    def _load(self, filename: str, unit: Optional[Tuple[str, Dict[str, Any]]]) -> np.ndarray:
        """Read one file, checking it against the unit's manifest when it lists it."""
        try:
            with open(filename, "rb") as f:
                content = f.read()
        except OSError as exc:
            raise CheckpointError(f"Cannot read '{filename}': {exc}") from None
        entry = None if unit is None else unit[1]["files"].get(os.path.basename(filename))
        if entry is not None and (len(content) != entry["size"] or
                                  hashlib.sha256(content).hexdigest() != entry["sha256"]):
            raise CheckpointError(
                f"'{filename}' is damaged: its {'size' if len(content) != entry['size'] else 'SHA-256'} "
                f"differs from what was written (recorded in '{unit[0]}')")
        try:
            return np.load(io.BytesIO(content), allow_pickle=False)
        except (ValueError, EOFError, OSError) as exc:
            raise CheckpointError(f"'{filename}' is not a readable .npy file ({exc})") from None

    # ------------------------------------------------------------------ folder manifest
    def _manifest(self) -> Dict[str, Any]:
        from .. import __version__
        from ..plugins.manager import get_plugin_manager
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "ml_genn_version": __version__,
                "plugins": get_plugin_manager().plugin_versions()}

    def _ensure_manifest(self, folder: str) -> None:
        if self._manifest_checked:
            return
        existing = self._check_manifest(folder)
        if existing is None or int(existing["format_version"]) < FORMAT_VERSION:
            atomic_write_text(os.path.join(folder, MANIFEST_NAME),
                              json.dumps(self._manifest(), indent=2, sort_keys=True))
        self._manifest_checked = True

    def _check_manifest(self, folder: str) -> Optional[Dict[str, Any]]:
        """The folder's manifest, or ``None`` for a folder without one (e.g. mlGeNN's files)."""
        path = os.path.join(folder, MANIFEST_NAME)
        if not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as f:
                manifest = json.load(f)
            fmt, version = manifest["format"], int(manifest["format_version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidValueError(
                f"Checkpoint manifest '{path}' is unreadable ({exc}); it should be "
                f"JSON with 'format' and 'format_version'") from None
        if fmt != FORMAT_NAME:
            raise InvalidValueError(
                f"Folder '{folder}' holds a '{fmt}' checkpoint (see '{path}'), not "
                f"a '{FORMAT_NAME}' one; load it with the serialiser that wrote it")
        if version > FORMAT_VERSION:
            raise InvalidValueError(
                f"Checkpoint folder '{folder}' uses {FORMAT_NAME} format version "
                f"{version}, but this ml_genn reads versions up to {FORMAT_VERSION}; "
                f"upgrade ml_genn to load it")
        return manifest


def _name_max(folder: str) -> int:
    """Longest file name (bytes) the file system of ``folder`` (or of its nearest existing
    parent, as it may not exist yet) accepts."""
    path = os.path.abspath(folder)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        return int(os.pathconf(path, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return _DEFAULT_NAME_MAX
