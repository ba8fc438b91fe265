"""Collect a variable's value every timestep of a batch, for the recorded examples only."""
from __future__ import annotations

from typing import Callable, List, Optional

import numpy as np


def make_gather(batched: bool, batch_size: int, slots: np.ndarray,
                columns: Optional[np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A function copying the recorded part out of a variable's array.

    Parameters
    ----------
    batched
        Whether the array has a leading batch axis (``(batch, n)``) or is shared (``(n,)``).
    batch_size
        Slots in the batch.
    slots
        Recorded batch slots (ascending).
    columns
        Flat positions along the last axis to keep, or ``None`` for all.

    Returns
    -------
    callable
        ``array -> (len(slots), kept)`` copy for batched arrays, ``(kept,)`` for shared ones.
    """
    all_slots = len(slots) == batch_size
    if not batched:
        if columns is None:
            return lambda a: a.copy()
        return lambda a: a[columns]
    # The cheapest copy that selects exactly what is recorded
    if columns is None:
        return (lambda a: a.copy()) if all_slots else (lambda a: a[slots])
    if all_slots:
        return lambda a: a[:, columns]
    index = np.ix_(slots, columns)
    return lambda a: a[index]


class TimestepSampler:
    """Per-batch buffer of samples, turned into one ``(examples, timesteps, ...)`` block.

    Parameters
    ----------
    batched
        Whether the sampled arrays carry a batch axis.
    """

    def __init__(self, batched: bool):
        self.batched = batched
        self._samples: List[np.ndarray] = []
        self._num_examples = 0

    def start(self, num_examples: int) -> None:
        """Begin a batch that records ``num_examples`` examples.

        Parameters
        ----------
        num_examples
            Recorded examples of the batch (0 disables sampling).
        """
        self._samples = []
        self._num_examples = num_examples

    @property
    def active(self) -> bool:
        """Whether the current batch records anything."""
        return self._num_examples > 0

    def add(self, sample: np.ndarray) -> None:
        """Add one timestep's (already copied) sample."""
        self._samples.append(sample)

    def take_block(self) -> Optional[np.ndarray]:
        """The batch's samples as ``(examples, timesteps, *sample_shape)``; None if empty."""
        samples, self._samples = self._samples, []
        if not samples or self._num_examples == 0:
            return None
        if self.batched:
            block = np.stack(samples, axis=1)
        else:
            # A variable shared by the batch is the same for every recorded example
            block = np.broadcast_to(np.stack(samples)[None],
                                    (self._num_examples,) + (len(samples),) + samples[0].shape)
            block = np.ascontiguousarray(block)
        return block


def var_is_batched(view: np.ndarray, batch_size: int, per_batch_size: int, owner: str) -> bool:
    """Whether ``view`` (a variable's array) has a batch axis.

    Parameters
    ----------
    view
        The engine's array.
    batch_size
        The model's batch size.
    per_batch_size
        Elements per example (neurons or synapses).
    owner
        Description for the error message.
    """
    if view.ndim == 2 and view.shape == (batch_size, per_batch_size):
        return True
    if view.ndim == 1 and view.shape[0] == per_batch_size:
        return False
    raise RuntimeError(f"{owner}: engine variable has shape {view.shape}; expected "
                       f"({batch_size}, {per_batch_size}) or ({per_batch_size},)")


__all__ = ["make_gather", "TimestepSampler", "var_is_batched"]
