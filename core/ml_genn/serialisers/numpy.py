"""The ``"numpy"`` serialiser: one ``.npy`` file per array, written atomically."""
from __future__ import annotations

import json
import logging
import os
from collections import abc
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.atomic import atomic_write, atomic_write_text
from .serialiser import Serialiser
from ..errors import InvalidTypeError, InvalidValueError

logger = logging.getLogger(__name__)

#: Name of the format this module writes, recorded in each checkpoint folder's manifest
FORMAT_NAME = "ml_genn.numpy"
#: Bumped whenever the file layout changes, so that older readers can refuse newer folders
FORMAT_VERSION = 1
#: Manifest file written once into every folder a Numpy serialiser writes to
MANIFEST_NAME = "ml_genn_checkpoint.json"

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
        with atomic_write(filename, "wb") as f:
            np.save(f, array, allow_pickle=False)
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
        """
        keys = _check_keys(keys, allow_empty=False)
        self._check_manifest(self._folder())
        filename = self._filename(keys)
        if not os.path.exists(filename):
            raise FileNotFoundError(f"Numpy serialiser has nothing stored at keys {keys!r}: "
                                    f"'{filename}' does not exist")
        return np.load(filename, allow_pickle=False)

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
        title = self._title(keys)
        start = title + _KEY_SEPARATOR if title else ""
        data: Dict[Union[str, Tuple[str, ...]], np.ndarray] = {}
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".npy") or not name.startswith(start) or name.startswith("."):
                continue
            remaining = tuple(_decode_key(part) for part
                              in name[len(start):-len(".npy")].split(_KEY_SEPARATOR))
            key = remaining[0] if len(remaining) == 1 else remaining
            data[key] = np.load(os.path.join(folder, name), allow_pickle=False)
            logger.debug("Deserialised %s from %s", key, name)
        return data

    # ------------------------------------------------------------------ file naming
    def _folder(self) -> str:
        return self.path if self.path else os.curdir

    def _title(self, keys: Tuple[Any, ...]) -> str:
        prefix = () if self.file_prefix is None else (self.file_prefix,)
        return _KEY_SEPARATOR.join(_encode_key(k) for k in prefix + keys)

    def _filename(self, keys: Tuple[Any, ...]) -> str:
        return os.path.join(self._folder(), self._title(keys) + ".npy")

    # ------------------------------------------------------------------ manifest
    def _manifest(self) -> Dict[str, Any]:
        from .. import __version__
        from ..plugins.manager import get_plugin_manager
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "ml_genn_version": __version__,
                "plugins": get_plugin_manager().plugin_versions()}

    def _ensure_manifest(self, folder: str) -> None:
        if self._manifest_checked:
            return
        if self._check_manifest(folder) is None:
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
