"""An append-only ``.npy`` file: recordings streamed to disk a block at a time.

NumPy can only write a ``.npy`` file whose final shape is known up front. A recording's length
is not, so the file is written with a fixed-size header that is rewritten with the real
shape when the stream closes. The result is an ordinary ``.npy`` file that ``np.load`` (with
``mmap_mode="r"`` for files larger than memory) reads back.
"""
from __future__ import annotations

import os
import struct
from typing import Tuple

import numpy as np
from ml_genn.errors import InvalidValueError

# 128 bytes keep the data 64-byte aligned, as NumPy's own writer does, and leave room for the
# header dictionary of any realistic shape
HEADER_BYTES = 128
_MAGIC = b"\x93NUMPY\x01\x00"
_PREFIX_BYTES = len(_MAGIC) + 2  # magic, version, little-endian uint16 header length


def _header(dtype: np.dtype, shape: Tuple[int, ...]) -> bytes:
    text = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                 "shape": tuple(int(s) for s in shape)})
    body_len = HEADER_BYTES - _PREFIX_BYTES
    if len(text) + 1 > body_len:
        raise InvalidValueError(f"Recording shape {shape} is too large to describe in a .npy header")
    body = text.ljust(body_len - 1) + "\n"
    return _MAGIC + struct.pack("<H", body_len) + body.encode("latin1")


class NpyAppendFile:
    """A ``.npy`` file that grows along its first axis.

    Parameters
    ----------
    path
        File to create; it must not exist yet (so two runs never overwrite each other).
    dtype
        Element type of every appended block.
    item_shape
        Shape of one entry along the first axis (``()`` for a flat stream).

    Raises
    ------
    FileExistsError
        When ``path`` exists.
    """

    def __init__(self, path: str, dtype: np.dtype, item_shape: Tuple[int, ...] = ()):
        self.path = os.fspath(path)
        self.dtype = np.dtype(dtype)
        self.item_shape = tuple(int(s) for s in item_shape)
        self.count = 0
        # "x": refuse to overwrite, so data a previous run returned as memmaps stays intact
        self._file = open(self.path, "xb")
        self._file.write(_header(self.dtype, (0,) + self.item_shape))

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._file is None

    def append(self, block: np.ndarray) -> None:
        """Write ``block`` (shape ``(n, *item_shape)``) at the end of the file.

        Parameters
        ----------
        block
            Entries to add; converted to the stream's dtype.
        """
        if self._file is None:
            raise InvalidValueError(f"Cannot append to recording file '{self.path}': it is closed")
        block = np.asarray(block)
        if block.shape[1:] != self.item_shape:
            raise InvalidValueError(f"Recording file '{self.path}' holds entries of shape "
                                    f"{self.item_shape}, got a block of shape {block.shape}")
        np.ascontiguousarray(block, dtype=self.dtype).tofile(self._file)
        self.count += block.shape[0]

    def close(self) -> None:
        """Write the final shape into the header and close the file (idempotent)."""
        if self._file is None:
            return
        self._file.flush()
        self._file.seek(0)
        self._file.write(_header(self.dtype, (self.count,) + self.item_shape))
        self._file.close()
        self._file = None

    def load(self) -> np.ndarray:
        """The whole file as a read-only memory map (closing the stream first)."""
        self.close()
        if self.count == 0 or 0 in self.item_shape:
            # Nothing to map: mmap refuses zero-length regions
            return np.zeros((self.count,) + self.item_shape, dtype=self.dtype)
        return np.load(self.path, mmap_mode="r")
