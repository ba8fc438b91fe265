"""Spike times, ids and counts from the engine's bit-packed recording buffer.

The engine records one bit per neuron per timestep per example. A batch's recording is turned
into per-example spike lists in one vectorised pass: only the rows of the batch's timesteps
and the recorded examples are gathered, only their non-zero words are unpacked (with
``np.unpackbits``), the result is narrowed to the recorded neurons and split per example.
"""
from __future__ import annotations

import sys
from typing import Optional, Sequence, Tuple

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


def gather_words(buffer: np.ndarray, first_step: int, end_step: int,
                 slots: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Packed words of timesteps ``[first_step, end_step)`` for some batch slots.

    Parameters
    ----------
    buffer
        The engine's ring buffer, ``(buffer_steps, batch_size, num_words)`` ``uint32``.
    first_step, end_step
        Engine timesteps to read; ``end_step - first_step`` must not exceed ``buffer_steps``.
    slots
        Batch slots to read, ascending.

    Returns
    -------
    steps : np.ndarray
        The timesteps read, ``int64``.
    words : np.ndarray
        ``(len(slots), len(steps), num_words)`` copy of just those words.
    """
    steps = np.arange(first_step, end_step, dtype=np.int64)
    rows = steps % buffer.shape[0]
    return steps, buffer[rows[None, :], slots[:, None]]


def find_spikes(words: np.ndarray, num_neurons: int,
                neuron_mask: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every set bit of ``words`` as ``(example, row, neuron id)``, sorted in that order.

    Spikes are sparse, so only non-zero bytes are expanded into bits: the cost grows with the
    size of the packed words plus the number of spikes, not with neurons x timesteps.

    Parameters
    ----------
    words
        ``(examples, steps, num_words)`` packed flags from :func:`gather_words`.
    num_neurons
        Neurons in the population (bits beyond are padding).
    neuron_mask
        Boolean mask over flat neuron ids to keep, or ``None`` for all.
    """
    num_steps = words.shape[1]
    row_bytes = words.shape[2] * 4
    # Little-endian words: byte j of word w holds neurons 32 w + 8 j ... 32 w + 8 j + 7
    flat = np.ascontiguousarray(words, dtype="<u4").view(np.uint8).reshape(-1)
    # np.nonzero is several times faster on booleans than on integers, and NumPy divides
    # int32 by a scalar several times faster than int64 (every index here fits in 32 bits)
    nonzero_bytes = np.nonzero(flat != 0)[0].astype(np.int32)
    set_bits = np.nonzero(np.unpackbits(flat[nonzero_bytes], bitorder="little").view(bool))[0]
    set_bits = set_bits.astype(np.int32)
    example_row, byte_in_row = np.divmod(nonzero_bytes[set_bits >> 3], np.int32(row_bytes))
    ids = byte_in_row * np.int32(8) + (set_bits & np.int32(7))
    example, row = np.divmod(example_row, np.int32(num_steps))
    keep = ids < num_neurons
    if neuron_mask is not None:
        keep &= neuron_mask[np.minimum(ids, num_neurons - 1)]
    if not keep.all():
        example, row, ids = example[keep], row[keep], ids[keep]
    # Neuron ids are handed to users as int64, as pygenn does
    return example, row, ids.astype(np.int64)


def spike_counts(example: np.ndarray, ids: np.ndarray, num_examples: int, num_neurons: int,
                 neuron_ids: Optional[np.ndarray]) -> np.ndarray:
    """Spikes per example and recorded neuron, ``(examples, recorded neurons)`` ``int64``.

    Parameters
    ----------
    example, ids
        Spikes from :func:`find_spikes`.
    num_examples
        Examples read.
    num_neurons
        Neurons in the population.
    neuron_ids
        Recorded neurons (ascending flat ids), or ``None`` for all.
    """
    counts = np.bincount(example * num_neurons + ids, minlength=num_examples * num_neurons)
    counts = counts.astype(np.int64).reshape(num_examples, num_neurons)
    return counts if neuron_ids is None else counts[:, neuron_ids]


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
