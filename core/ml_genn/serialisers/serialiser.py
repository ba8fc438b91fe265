"""Base class of checkpoint serialisers."""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, Sequence

import numpy as np


class Serialiser(ABC):
    """Stores arrays at 'paths' made of a sequence of keys.

    Keys can be any objects convertible to strings (epoch numbers, populations, connections,
    variable names); ``(5, hidden_pop, "V")`` names one array and ``(5, hidden_pop)`` everything
    stored beneath it.

    A checkpoint is written as one unit: ``with serialiser.checkpoint(keys): ...`` around the
    writes of everything stored beneath ``keys``. Serialisers that can make the unit
    complete-or-absent (the ``"numpy"`` one does, with a manifest written last) override
    :meth:`begin_checkpoint`, :meth:`commit_checkpoint` and :meth:`check_checkpoint`; the
    defaults do nothing, so a serialiser written for mlGeNN (the three abstract methods only)
    keeps working.
    """

    @abstractmethod
    def serialise(self, keys: Sequence[Any], data: np.ndarray) -> None:
        """Store one array.

        Parameters
        ----------
        keys
            Sequence of keys naming the array.
        data
            The array (or anything :func:`numpy.asarray` accepts).
        """

    @abstractmethod
    def deserialise(self, keys: Sequence[Any]) -> np.ndarray:
        """Load the array stored at ``keys``.

        Parameters
        ----------
        keys
            Sequence of keys naming the array.
        """

    @abstractmethod
    def deserialise_all(self, keys: Sequence[Any]) -> Dict[Any, np.ndarray]:
        """Load every array stored beneath ``keys``.

        Parameters
        ----------
        keys
            Sequence of keys naming the 'folder' to load.

        Returns
        -------
        A dict mapping the remaining key (as a string) of each array to the array; empty when
        nothing is stored there.
        """

    # ------------------------------------------------------------------ checkpoint units
    def begin_checkpoint(self, keys: Sequence[Any]) -> None:
        """Called before the first array of the checkpoint at ``keys`` is written.

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.
        """

    def commit_checkpoint(self, keys: Sequence[Any]) -> None:
        """Called after the last array of the checkpoint at ``keys`` was written; from then on
        the checkpoint is complete.

        Parameters
        ----------
        keys
            Keys given to :meth:`begin_checkpoint`.
        """

    def check_checkpoint(self, keys: Sequence[Any]) -> None:
        """Raise :class:`ml_genn.errors.CheckpointError` unless a complete, undamaged
        checkpoint is stored at ``keys`` (its subclass ``CheckpointNotFoundError`` when nothing
        is). The default cannot tell and accepts every ``keys``.

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.
        """

    def check_names(self, keys: Iterable[Sequence[Any]]) -> None:
        """Raise a clear error now if any of ``keys`` could not be stored later (e.g. a file
        name too long for the file system), so a training run fails before it starts rather
        than at its first checkpoint. The default accepts everything.

        Parameters
        ----------
        keys
            Every key sequence a checkpoint will write.
        """

    def describe(self, keys: Sequence[Any]) -> str:
        """Where the array at ``keys`` is stored, for error messages (a file name, say).

        Parameters
        ----------
        keys
            Sequence of keys naming the array.
        """
        return f"{type(self).__name__} keys {tuple(str(k) for k in keys)!r}"

    @contextmanager
    def checkpoint(self, keys: Sequence[Any]) -> Iterator[None]:
        """Write the checkpoint at ``keys`` as one unit: :meth:`begin_checkpoint`, the body,
        then :meth:`commit_checkpoint` only if the body finished. An exception (or a killed
        process) leaves the checkpoint marked incomplete, which loading refuses.

        Parameters
        ----------
        keys
            Keys of the checkpoint, typically ``(epoch,)``.
        """
        self.begin_checkpoint(keys)
        yield
        self.commit_checkpoint(keys)
