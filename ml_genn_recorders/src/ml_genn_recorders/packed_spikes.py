"""Spike times, ids and counts from the engine's bit-packed recording buffer.

The engine records one bit per neuron per timestep per example. A batch's recording is turned
into per-example spike lists in one vectorised pass: only the rows of the batch's timesteps
and the recorded examples are gathered, unpacked with ``np.unpackbits``, narrowed to the
recorded neurons, and split per example.
"""
from __future__ import annotations

import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np


def unpack_words(words: np.ndarray, num_neurons: int) -> np.ndarray:
    """Bits of packed ``uint32`` words as 0/1 ``uint8`` per neuron.

    Parameters
    ----------
    words
        ``(..., num_words)`` array; bit ``i % 32`` of word ``i // 32`` is neuron ``i``.
    num_neurons
        Neurons to keep (the padding bits of the last word are dropped).

    Returns
    -------
    np.ndarray
        ``(..., num_neurons)`` ``uint8`` array.
    """
    words = np.asarray(words, dtype=np.uint32)
    if sys.byteorder != "little":
        words = words.astype("<u4")
    words = np.ascontiguousarray(words)
    bits = np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")
    return bits[..., :num_neurons]


def gather_bits(buffer: np.ndarray, first_step: int, end_step: int, slots: np.ndarray,
                num_neurons: int, neuron_ids: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Unpacked spikes of timesteps ``[first_step, end_step)`` for some batch slots and neurons.

    Parameters
    ----------
    buffer
        The engine's ring buffer, ``(buffer_steps, batch_size, num_words)`` ``uint32``.
    first_step, end_step
        Engine timesteps to read; ``end_step - first_step`` must not exceed ``buffer_steps``.
    slots
        Batch slots to read, ascending.
    num_neurons
        Neurons in the population.
    neuron_ids
        Neurons to keep (ascending flat ids), or ``None`` for all.

    Returns
    -------
    steps : np.ndarray
        The timesteps read, ``int64``.
    bits : np.ndarray
        ``(len(slots), len(steps), num_kept_neurons)`` ``uint8`` spike flags.
    """
    steps = np.arange(first_step, end_step, dtype=np.int64)
    rows = steps % buffer.shape[0]
    # Gather only what is recorded: (slots, steps, words)
    words = buffer[rows[None, :], slots[:, None]]
    bits = unpack_words(words, num_neurons)
    if neuron_ids is not None:
        bits = bits[..., neuron_ids]
    return steps, bits


def spike_lists(steps: np.ndarray, bits: np.ndarray, dt: float,
                neuron_ids: Optional[np.ndarray]) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Per example, spike times and neuron ids ordered by time, then id.

    Parameters
    ----------
    steps
        Timestep of each row of ``bits``.
    bits
        ``(examples, steps, neurons)`` flags from :func:`gather_bits`.
    dt
        Timestep length [ms]; a spike in timestep ``s`` has time ``s * dt``.
    neuron_ids
        Flat id of each column of ``bits`` (``None``: the column index is the id).
    """
    example, row, column = np.nonzero(bits)
    times = steps[row] * dt
    ids = column.astype(np.int64) if neuron_ids is None else neuron_ids[column]
    bounds = np.searchsorted(example, np.arange(bits.shape[0] + 1))
    return [(times[a:b], ids[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def spike_counts(bits: np.ndarray) -> np.ndarray:
    """Spikes per example and neuron, ``(examples, neurons)`` ``int64``.

    Parameters
    ----------
    bits
        ``(examples, steps, neurons)`` flags from :func:`gather_bits`.
    """
    return bits.sum(axis=1, dtype=np.int64)


def from_recording_lists(data: Sequence[Tuple[np.ndarray, np.ndarray]], slots: np.ndarray,
                         mask: np.ndarray, neuron_ids: np.ndarray, counts: bool):
    """The same results from pygenn's per-batch ``(times, ids)`` lists (portable path).

    Parameters
    ----------
    data
        ``spike_recording_data``: one ``(times, ids)`` per batch slot.
    slots
        Batch slots to keep.
    mask
        Boolean mask over the population's flat neurons.
    neuron_ids
        Ascending flat ids of the kept neurons.
    counts
        Return ``(examples, neurons)`` counts instead of per-example lists.
    """
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        data = [data]  # pygenn gives a bare (times, ids) pair when batch_size is 1
    lists = []
    for slot in slots:
        times, ids = data[slot]
        ids = np.asarray(ids, dtype=np.int64)
        keep = mask[ids]
        lists.append((np.asarray(times, dtype=np.float64)[keep], ids[keep]))
    if not counts:
        return lists
    num_neurons = mask.size
    if not lists:
        return np.zeros((0, len(neuron_ids)), dtype=np.int64)
    return np.stack([np.bincount(ids, minlength=num_neurons)[neuron_ids] for _, ids in lists])
