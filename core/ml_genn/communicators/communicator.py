"""The interface every communicator implements."""
from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from numbers import Complex, Integral, Real
from typing import Any, List

import numpy as np

from ..errors import InvalidTypeError, InvalidValueError

#: dtype kinds a numeric sum is defined for (signed, unsigned, float, complex)
NUMERIC_KINDS = "iufc"


class Communicator(ABC):
    """Base class for all communicators: parallel communication between the ranks (processes)
    of a data-parallel run.

    A subclass implements mlGeNN's five members: :meth:`barrier`, :meth:`broadcast`,
    :meth:`reduce_sum`, :attr:`rank` and :attr:`num_ranks`. ml_genn adds
    :meth:`reduce_sum_in_place`, :meth:`all_gather` and :meth:`broadcast_object`, whose
    default implementations use only those five, so a communicator written for mlGeNN works
    unchanged; a subclass may override them with faster versions.

    Every rank must call the same operations in the same order, with values of the same
    type (and, for arrays, the same shape and dtype) on every rank.
    """

    @abstractmethod
    def barrier(self) -> None:
        """Wait for all ranks to reach this point in execution before continuing."""

    @abstractmethod
    def broadcast(self, data: np.ndarray, root: int) -> None:
        """Broadcast data from root to all ranks, in place: on every other rank ``data`` is
        overwritten with root's values.

        Args:
            data:   NumPy array of the same shape and dtype on every rank
            root:   Index of the rank to broadcast from
        """

    @abstractmethod
    def reduce_sum(self, value: Any) -> Any:
        """Calculate the sum of value across all ranks.

        Args:
            value:  Value to sum up (a number or a NumPy array)

        Returns:
            Sum of value across all ranks
        """

    @property
    @abstractmethod
    def rank(self) -> int:
        """Index of this rank, from 0 to ``num_ranks - 1``."""

    @property
    @abstractmethod
    def num_ranks(self) -> int:
        """Total number of ranks."""

    @property
    def local_num_ranks(self) -> int:
        """Number of ranks on this machine, which share its cores (the default cannot tell
        and assumes all of them: fewer threads each, never more threads than cores)."""
        return self.num_ranks

    def reduce_sum_in_place(self, array: np.ndarray) -> None:
        """Sum an array across all ranks, writing the sum into the same array on every rank
        (e.g. gradients before an optimiser step).

        The default replaces the array's contents with :meth:`reduce_sum` of it.

        Args:
            array:  Writable NumPy array of the same shape and dtype on every rank
        """
        check_array(type(self).__name__, "reduce_sum_in_place", array, writable=True)
        array[...] = self.reduce_sum(array)

    def all_gather(self, value: Any) -> List[Any]:
        """Collect one value from every rank, e.g. each rank's dataset size.

        The default places the value in a zero array indexed by rank and sums that array
        with :meth:`reduce_sum`, so it takes numbers (Python or NumPy) and NumPy arrays of
        the same shape on every rank; a subclass may accept more.

        Args:
            value:  This rank's value

        Returns:
            List of ``num_ranks`` values, the one of rank ``i`` at index ``i``, each of the
            type given (Python int/float/bool, NumPy scalar or array of the same dtype)
        """
        owner = type(self).__name__
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in NUMERIC_KINDS + "b":
                raise InvalidTypeError(
                    f"{owner}.all_gather gathers numbers and numeric or boolean NumPy arrays, "
                    f"got an array of dtype {value.dtype}; override all_gather in the "
                    f"communicator to gather other objects")
            # Booleans have no sum: gather them as integers
            dtype = np.int64 if value.dtype.kind == "b" else value.dtype
            convert = (lambda row: row.astype(value.dtype))
            shape = value.shape
        elif isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS + "b":
            dtype = np.int64 if value.dtype.kind == "b" else value.dtype
            convert = (lambda row: value.dtype.type(row[()]))
            shape = ()
        elif isinstance(value, (bool, Integral)):
            if not isinstance(value, bool) and not -2 ** 63 <= int(value) < 2 ** 63:
                raise InvalidValueError(
                    f"{owner}.all_gather gathers integers as 64-bit integers, got {value}, "
                    f"which does not fit; override all_gather to gather larger ones")
            dtype = np.int64
            kind = bool if isinstance(value, bool) else int
            convert = (lambda row: kind(row[()]))
            shape = ()
        elif isinstance(value, Real):
            dtype = np.float64
            convert = (lambda row: float(row[()]))
            shape = ()
        elif isinstance(value, Complex):
            dtype = np.complex128
            convert = (lambda row: complex(row[()]))
            shape = ()
        else:
            raise InvalidTypeError(
                f"{owner}.all_gather gathers numbers and NumPy arrays, got "
                f"{type(value).__name__}: {short_repr(value)}; override all_gather in the "
                f"communicator to gather other objects")
        rows = np.zeros((self.num_ranks,) + shape, dtype=dtype)
        rows[self.rank] = value
        total = np.asarray(self.reduce_sum(rows))
        return [convert(total[i]) for i in range(self.num_ranks)]

    def broadcast_object(self, obj: Any, root: int = 0) -> Any:
        """Broadcast any picklable object from root to all ranks.

        The default pickles the object on root and sends its size, then its bytes, with
        :meth:`broadcast`.

        Args:
            obj:    The object to send (on root; ignored on the other ranks)
            root:   Index of the rank to broadcast from

        Returns:
            Root's object: ``obj`` itself on root, an unpickled copy on the other ranks
        """
        root = check_root(type(self).__name__, "broadcast_object", root, self.num_ranks)
        is_root = self.rank == root
        payload = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL),
                                dtype=np.uint8).copy() if is_root else None
        size = np.array([payload.size if is_root else 0], dtype=np.int64)
        self.broadcast(size, root)
        if not is_root:
            payload = np.empty(int(size[0]), dtype=np.uint8)
        self.broadcast(payload, root)
        return obj if is_root else pickle.loads(payload.tobytes())


def check_root(owner: str, method: str, root: Any, num_ranks: int) -> int:
    """``root`` as an int if it names a rank; a clear error otherwise.

    Args:
        owner:      Communicator class name, for the message
        method:     Method called, for the message
        root:       The root given
        num_ranks:  Number of ranks
    """
    if isinstance(root, (bool, np.bool_)) or not isinstance(root, Integral):
        raise InvalidTypeError(f"{owner}.{method} root must be a rank index (int), got "
                               f"{type(root).__name__}: {root!r}")
    if not 0 <= root < num_ranks:
        raise InvalidValueError(f"{owner}.{method} root must be a rank from 0 to "
                                f"{num_ranks - 1}, got {root}")
    return int(root)


def check_array(owner: str, method: str, data: Any, writable: bool) -> None:
    """A clear error unless ``data`` is a NumPy array (writable if asked).

    Args:
        owner:      Communicator class name, for the message
        method:     Method called, for the message
        data:       The argument given
        writable:   Whether the method writes into the array on this rank
    """
    if not isinstance(data, np.ndarray):
        raise InvalidTypeError(
            f"{owner}.{method} works in place on a NumPy array, got "
            f"{type(data).__name__}: {short_repr(data)}"
            + ("; use broadcast_object to send other objects" if method == "broadcast" else
               "; use reduce_sum for other values" if method == "reduce_sum_in_place" else ""))
    if writable and not data.flags.writeable:
        raise InvalidValueError(f"{owner}.{method} writes into the array, but the array given "
                                f"(shape {data.shape}, dtype {data.dtype}) is read-only")


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters so a large object keeps messages short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
