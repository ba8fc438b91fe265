"""Where recorders put what they record: in memory, or streamed to ``.npy`` files.

Recorders hand over *blocks* of whole examples, holding only the examples they record: one per
batch, or, where spikes are decoded natively into memory, one per segment of many batches
(see :mod:`.spike_segments`). A sink either keeps the blocks in memory or appends them to files
in a folder, so that a long run's recordings never have to fit in RAM: only one batch is ever
held. Either way the result is a list with one array per recorded example; on disk these are
views of read-only memory maps.

Recorders build their blocks in memory the sink gives them (:meth:`DenseSink.empty`,
:meth:`RaggedSink.empty`), carved from an :class:`~.arena.Arena` whose pages are cheap to
touch; blocks bound for disk give their memory back once written.
"""
from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ml_genn.utils.views import split_views

from .arena import Arena
from .npy_stream import NpyAppendFile
from ml_genn.errors import InvalidTypeError

PathType = Union[str, "os.PathLike[str]"]


def check_folder(to_disk: Optional[PathType], owner: str) -> Optional[str]:
    """Validate a recorder's ``to_disk`` argument; returns it as a string (or None).

    Parameters
    ----------
    to_disk
        Folder to stream recordings into (created when missing), or ``None`` for memory.
    owner
        Recorder description for error messages.
    """
    if to_disk is None:
        return None
    if isinstance(to_disk, bool) or not isinstance(to_disk, (str, os.PathLike)):
        raise InvalidTypeError(
            f"{owner}: to_disk must be a folder path (str or os.PathLike) or None "
            f"to record in memory, got {type(to_disk).__name__}: {to_disk!r}")
    path = os.fspath(to_disk)
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{owner}: to_disk='{path}' exists and is not a folder; "
                                 f"give a folder to write the recording files into")
    return path


def _file_stem(label: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_.")
    return stem or "recording"


def open_streams(folder: str, label: str, specs: Sequence[Tuple[str, np.dtype, Tuple[int, ...]]]
                 ) -> List[NpyAppendFile]:
    """Create one new ``.npy`` stream per ``(suffix, dtype, item_shape)`` in ``folder``.

    Files are named ``<label>-<n>_<suffix>.npy`` with the first ``n`` not yet taken, so runs
    (and recorders) never overwrite each other's files.

    Parameters
    ----------
    folder
        Folder for the files (created when missing).
    label
        Human-readable part of the file names (e.g. the recorder's key).
    specs
        ``(suffix, dtype, item_shape)`` of each stream.
    """
    os.makedirs(folder, exist_ok=True)
    stem = _file_stem(label)
    n = 0
    while True:
        streams: List[NpyAppendFile] = []
        try:
            for suffix, dtype, item_shape in specs:
                streams.append(NpyAppendFile(os.path.join(folder, f"{stem}-{n}_{suffix}.npy"),
                                             dtype, item_shape))
            return streams
        except FileExistsError:
            # Taken (by an earlier run or a concurrent process): drop what we made, try n + 1
            for s in streams:
                s.close()
                os.remove(s.path)
            n += 1


class _Sink:
    """What both sinks share: where they keep blocks, and the memory blocks are built in."""

    def __init__(self, folder: Optional[str], label: str):
        self._folder = folder
        self._label = label
        self._arena = Arena()

    def empty(self, shape: Union[int, Sequence[int]], dtype: np.dtype) -> np.ndarray:
        """Uninitialised memory for a block (or a block's field) to be appended; arguments as
        for :meth:`.arena.Arena.empty`."""
        return self._arena.empty(shape, dtype)

    def _written(self) -> None:
        """A block went to disk: its memory is free for the next batch once dropped."""
        if self._folder is not None:
            self._arena.close()


class DenseSink(_Sink):
    """Records of the same shape per example (variable traces, spike counts).

    Parameters
    ----------
    folder
        Folder to stream into, or ``None`` to keep blocks in memory.
    label
        Name part of the files written into ``folder``.
    """

    def __init__(self, folder: Optional[str] = None, label: str = "recording"):
        super().__init__(folder, label)
        self._blocks: List[np.ndarray] = []          # memory mode
        self._segments: List[NpyAppendFile] = []     # disk mode: a new file per shape change
        self._example_counts: List[int] = []         # examples per block, in order

    @property
    def paths(self) -> List[str]:
        """Files written so far (disk mode)."""
        return [s.path for s in self._segments]

    def append(self, block: np.ndarray) -> None:
        """Add a block of shape ``(examples, *record_shape)``.

        Parameters
        ----------
        block
            Owned by the sink afterwards (in memory it is kept, not copied).
        """
        if block.shape[0] == 0:
            return
        if self._folder is None:
            self._blocks.append(block)
        else:
            current = self._segments[-1] if self._segments else None
            if current is None or current.item_shape != block.shape[1:] \
                    or current.dtype != block.dtype:
                if current is not None:
                    current.close()
                current = open_streams(self._folder, self._label,
                                       [("data", block.dtype, block.shape[1:])])[0]
                self._segments.append(current)
            current.append(block)
            self._written()
        self._example_counts.append(block.shape[0])

    def result(self) -> List[np.ndarray]:
        """One array per recorded example, in recording order."""
        self._arena.close()   # its blocks now belong to the result alone
        blocks = self._blocks if self._folder is None else [s.load() for s in self._segments]
        return [example for block in blocks for example in block]


class RaggedSink(_Sink):
    """Several parallel variable-length records per example (spike times and ids).

    Parameters
    ----------
    fields
        ``(name, dtype)`` of each parallel stream, e.g. ``[("times", float64), ("ids", int64)]``.
    folder
        Folder to stream into, or ``None`` to keep arrays in memory.
    label
        Name part of the files written into ``folder``.
    """

    def __init__(self, fields: Sequence[Tuple[str, np.dtype]], folder: Optional[str] = None,
                 label: str = "recording"):
        super().__init__(folder, label)
        self._fields = [(name, np.dtype(dtype)) for name, dtype in fields]
        # Memory mode: per batch, example boundaries and one array per field
        self._batches: List[Tuple[List[int], Tuple[np.ndarray, ...]]] = []
        self._streams: Optional[List[NpyAppendFile]] = None  # disk mode, opened on first use
        self._offsets = [0]                                  # disk mode: start of each example

    @property
    def paths(self) -> List[str]:
        """Files written so far (disk mode)."""
        return [] if self._streams is None else [s.path for s in self._streams]

    def append(self, examples: Sequence[Tuple[np.ndarray, ...]]) -> None:
        """Add one tuple of 1-D arrays (one per field) for each recorded example.

        Parameters
        ----------
        examples
            Per example, its arrays in the order of ``fields`` (equal lengths).
        """
        if not examples:
            return
        bounds = np.cumsum([0] + [len(e[0]) for e in examples])
        self.append_batch(bounds, tuple(np.concatenate([e[f] for e in examples]).astype(dtype)
                                        for f, (_, dtype) in enumerate(self._fields)))

    def append_batch(self, offsets: np.ndarray, arrays: Sequence[np.ndarray]) -> None:
        """Add a batch of examples stored back to back: example ``k``'s records are entries
        ``offsets[k]:offsets[k + 1]`` of each array.

        Parameters
        ----------
        offsets
            ``examples + 1`` ascending boundaries, starting at 0.
        arrays
            One 1-D array per field (in memory they are kept, not copied).
        """
        if len(offsets) <= 1:
            return
        if self._folder is None:
            bounds = np.array(offsets, dtype=np.int64)   # a copy: callers may reuse theirs
            # Split per example only in result(): slicing costs the same then, and the run
            # does less between batches
            self._batches.append((bounds, tuple(arrays)))
            return
        bounds = offsets.tolist() if isinstance(offsets, np.ndarray) else [int(b) for b in offsets]
        if self._streams is None:
            self._streams = open_streams(self._folder, self._label,
                                         [(name, dtype, ()) for name, dtype in self._fields])
        for stream, array in zip(self._streams, arrays):
            stream.append(np.asarray(array)[:bounds[-1]])
        self._written()
        base = self._offsets[-1]
        self._offsets.extend(base + b for b in bounds[1:])

    def result(self) -> Tuple[List[np.ndarray], ...]:
        """Per field, a list with one array per recorded example."""
        self._arena.close()   # its blocks now belong to the result alone
        if self._folder is None:
            out = tuple([] for _ in self._fields)
            for bounds, arrays in self._batches:
                if bounds[-1] == 0:
                    # Nothing recorded (a silent population): one empty array serves all
                    for field, array in zip(out, arrays):
                        field.extend([array[:0]] * (len(bounds) - 1))
                    continue
                for field, array in zip(out, arrays):
                    field.extend(split_views(array, bounds))
            return out
        if self._streams is None:
            return tuple([] for _ in self._fields)
        offsets = self._offsets
        out = []
        for stream in self._streams:
            data = stream.load()
            out.append(split_views(data, offsets))
        # Keep the per-example boundaries next to the data so the files can be reloaded later
        index_path = self._streams[0].path.rsplit("_", 1)[0] + "_offsets.npy"
        np.save(index_path, np.asarray(offsets, dtype=np.int64))
        return tuple(out)
