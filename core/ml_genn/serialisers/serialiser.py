"""Base class of checkpoint serialisers."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Sequence

import numpy as np


class Serialiser(ABC):
    """Stores arrays at 'paths' made of a sequence of keys.

    Keys can be any objects convertible to strings (epoch numbers, populations, connections,
    variable names); ``(5, hidden_pop, "V")`` names one array and ``(5, hidden_pop)`` everything
    stored beneath it.
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
