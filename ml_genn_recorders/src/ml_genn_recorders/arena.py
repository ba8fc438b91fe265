"""Arena: the memory recorders keep their results in, carved from large pooled blocks.

Recording every spike of a run writes tens of megabytes of new arrays. Memory new to the
process costs a page fault per 4 KiB page on its first write, and in a virtual machine that
runs near 1 GB/s: slower than decoding the spikes, and the larger part of a recorder's cost.
Two things make it cheap:

- Blocks of a few MiB and more are backed by 2 MiB pages where the kernel allows it (NumPy
  asks for them on large allocations, and blocks start on a 2 MiB boundary so that all of a
  block can be), so touching them costs one fault per 2 MiB instead.
- Blocks are pooled: when every array carved from a block has been dropped (a script that
  evaluates every epoch drops the last epoch's recordings), the block goes back to a pool and
  the next recording reuses it, already touched, instead of asking the kernel again.

Arrays handed out are views of a block; a block lives as long as any of its views. Blocks
grow geometrically from the size the first request suggests, so a small recording keeps a
small block and a large one soon gets large blocks.
"""
from __future__ import annotations

import threading
from typing import Dict, List, Sequence, Union

import numpy as np
from ml_genn.errors import InvalidValueError

HUGE_PAGE_BYTES = 2 << 20
# NumPy asks the kernel for huge pages on allocations of at least 4 MiB
HUGE_PAGE_MIN_BLOCK_BYTES = 4 << 20
ALIGNMENT_BYTES = 64
DEFAULT_MAX_POOLED_BYTES = 256 << 20


class BlockPool:
    """Blocks no longer referenced by any recording, kept for the next one.

    Parameters
    ----------
    max_pooled_bytes
        Most bytes of free blocks kept; a block that would exceed it is freed instead.
    """

    def __init__(self, max_pooled_bytes: int = DEFAULT_MAX_POOLED_BYTES):
        self.max_pooled_bytes = int(max_pooled_bytes)
        self._free: Dict[int, List[np.ndarray]] = {}
        self._pooled_bytes = 0
        self._lock = threading.Lock()   # blocks come back from whichever thread drops them
        self.blocks_allocated = 0
        self.blocks_reused = 0

    @property
    def pooled_bytes(self) -> int:
        """Bytes of free blocks held."""
        return self._pooled_bytes

    def take(self, size: int) -> np.ndarray:
        """A block of ``size`` bytes (``uint8``), reused when one is free.

        Parameters
        ----------
        size
            Bytes wanted.
        """
        with self._lock:
            free = self._free.get(size)
            if free:
                self._pooled_bytes -= size
                self.blocks_reused += 1
                return free.pop()
            self.blocks_allocated += 1
        # Over-allocate so that the block starts on a boundary: a huge page where the block
        # can use huge pages, else ALIGNMENT_BYTES (a cache line)
        boundary = HUGE_PAGE_BYTES if size >= HUGE_PAGE_MIN_BLOCK_BYTES else ALIGNMENT_BYTES
        raw = np.empty(size + boundary, dtype=np.uint8)
        offset = -raw.ctypes.data % boundary
        return raw[offset:offset + size]

    def give_back(self, block: np.ndarray) -> None:
        """Keep ``block`` for reuse (or free it when the pool is full).

        Parameters
        ----------
        block
            A block from :meth:`take` that nothing references any more.
        """
        with self._lock:
            if self._pooled_bytes + block.size <= self.max_pooled_bytes:
                self._free.setdefault(block.size, []).append(block)
                self._pooled_bytes += block.size

    def clear(self) -> None:
        """Free every pooled block."""
        with self._lock:
            self._free.clear()
            self._pooled_bytes = 0


#: The pool shared by every recorder of the process
POOL = BlockPool()


def release_pooled_memory() -> int:
    """Free the memory kept for future recordings; returns the bytes released."""
    released = POOL.pooled_bytes
    POOL.clear()
    return released


class _BlockLease:
    """Owner of a block while arrays use it: NumPy keeps it as their base, so it dies with
    the last of them, and then returns the block to its pool."""

    def __init__(self, block: np.ndarray, pool: BlockPool):
        self._block = block
        self._pool = pool
        self.__array_interface__ = block.__array_interface__

    def __del__(self):
        try:
            self._pool.give_back(self._block)
        except Exception:   # interpreter shutdown: nothing to keep the block for
            pass


class Arena:
    """Hands out uninitialised arrays carved from large blocks of a :class:`BlockPool`.

    Parameters
    ----------
    min_block_bytes
        Smallest block allocated.
    max_block_bytes
        Largest block allocated, except for single requests that need more.
    blocks_per_request
        A new block holds at least this many requests the size of the one that needed it,
        so that large recordings allocate rarely.
    pool
        Where blocks come from and go back to (the process's :data:`POOL` by default).
    """

    def __init__(self, min_block_bytes: int = 64 << 10, max_block_bytes: int = 64 << 20,
                 blocks_per_request: int = 8, pool: BlockPool = None):
        if not 0 < min_block_bytes <= max_block_bytes:
            raise InvalidValueError(f"Arena: need 0 < min_block_bytes <= max_block_bytes, got "
                                    f"{min_block_bytes} and {max_block_bytes}")
        self._min_block_bytes = int(min_block_bytes)
        self._max_block_bytes = int(max_block_bytes)
        self._blocks_per_request = int(blocks_per_request)
        self._pool = POOL if pool is None else pool
        self._block = np.empty(0, dtype=np.uint8)
        self._block_bytes = 0
        self._used = 0
        self._last_block_bytes = 0
        self.allocated_bytes = 0   # total size of the blocks taken so far

    def empty(self, shape: Union[int, Sequence[int]], dtype: np.dtype) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` and ``dtype``.

        Parameters
        ----------
        shape
            Shape of the array.
        dtype
            Its dtype.
        """
        if type(dtype) is not np.dtype:
            dtype = np.dtype(dtype)
        if type(shape) is int:
            nbytes = dtype.itemsize * shape
        else:
            if isinstance(shape, np.integer):
                shape = int(shape)
                nbytes = dtype.itemsize * shape
            else:
                shape = tuple(int(extent) for extent in shape)
                nbytes = dtype.itemsize
                for extent in shape:
                    nbytes *= extent
        start = -(-self._used // ALIGNMENT_BYTES) * ALIGNMENT_BYTES
        if start + nbytes > self._block_bytes:
            self._new_block(nbytes)
            start = 0
        self._used = start + nbytes
        return np.ndarray(shape, dtype=dtype, buffer=self._block, offset=start)

    def close(self) -> None:
        """Stop carving from the current block, so that it goes back to the pool as soon as
        the arrays already handed out are dropped. The arena stays usable."""
        self._block = np.empty(0, dtype=np.uint8)
        self._block_bytes = 0
        self._used = 0

    def _new_block(self, request_bytes: int) -> None:
        wanted = max(self._min_block_bytes, 2 * self._last_block_bytes,
                     request_bytes * self._blocks_per_request)
        size = max(request_bytes, min(self._max_block_bytes, 1 << (wanted - 1).bit_length()))
        self._block = np.asarray(_BlockLease(self._pool.take(size), self._pool))
        self._block_bytes = size
        self._used = 0
        self._last_block_bytes = size
        self.allocated_bytes += size
