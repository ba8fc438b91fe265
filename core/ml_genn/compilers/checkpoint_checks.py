"""Checks on values read back from a checkpoint before any of them is assigned: exact shapes
(a stored single number or (1,)-array is never broadcast), finite optimiser state, whole step
counts, a well-formed RNG state. Every error names the file the value came from."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Sequence, Tuple

import numpy as np

from ..errors import CheckpointError


def check_present(state: Dict[Any, Any], names: Iterable[str], keys: Sequence[Any],
                  where: Callable[[str], str]) -> None:
    """Raise naming the files of every name in ``names`` missing from ``state``.

    Parameters
    ----------
    state
        What the serialiser returned beneath the checkpoint's state keys.
    names
        The names a complete checkpoint holds.
    keys
        Keys of the checkpoint, for the message.
    where
        Maps a name to where it is stored (``serialiser.describe``).
    """
    missing = [where(n) for n in names if n not in state]
    if missing:
        raise CheckpointError(
            f"Checkpoint {tuple(keys)!r} holds training state, but not all of it: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} "
            f"{'is' if len(missing) == 1 else 'are'} missing; it was written by a different "
            f"network or optimiser, or damaged")


def checked_array(value: Any, shape: Tuple[int, ...], where: str, what: str,
                  finite: bool = True) -> np.ndarray:
    """``value`` as an array of exactly ``shape`` with real (and, if ``finite``, finite)
    values.

    Parameters
    ----------
    value
        The loaded value.
    shape
        The shape it must have (what was saved).
    where
        The file it came from.
    what
        What it is, for the message (e.g. ``"Adam state 'M' of Connection 'c1'"``).
    finite
        Refuse NaN and infinite values.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise CheckpointError(f"{where} holds {array.dtype} values for {what}; expected real "
                              f"numbers")
    if array.shape != tuple(shape):
        raise CheckpointError(f"{where} holds {what} of shape {array.shape}; the network "
                              f"needs shape {tuple(shape)}")
    if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise CheckpointError(f"{where} holds {bad} non-finite value(s) in {what}; training "
                              f"cannot resume from it")
    return array


def checked_count(value: Any, where: str, what: str) -> int:
    """A stored step count: one non-negative whole number.

    Parameters
    ----------
    value
        The loaded value (saved as an int64 array of shape (1,)).
    where
        The file it came from.
    what
        What it is, for the message.
    """
    array = np.asarray(value)
    if array.shape != (1,) or array.dtype.kind not in "iu":
        raise CheckpointError(f"{where} holds {what} as {array.dtype} of shape {array.shape}; "
                              f"expected one whole number (shape (1,))")
    count = int(array[0])
    if count < 0:
        raise CheckpointError(f"{where} holds {what} = {count}; a step count is never "
                              f"negative")
    return count


def checked_rng_state(state: Dict[Any, Any], expected: Iterable[str],
                      where: Callable[[str], str]) -> Dict[str, int]:
    """The engine RNG state stored as ``rng.<name>`` entries: exactly the names the engine
    has, each one unsigned 64-bit number.

    Parameters
    ----------
    state
        What the serialiser returned beneath the checkpoint's state keys.
    expected
        The names of the engine's RNG state (``get_rng_state()``'s keys).
    where
        Maps a stored name to where it is stored.
    """
    expected = set(expected)
    stored = {k[len("rng."):] for k in state if isinstance(k, str) and k.startswith("rng.")}
    if stored != expected:
        raise CheckpointError(
            f"The RNG state in {where('rng.*')} is malformed: it holds "
            f"{sorted(stored)}, the engine needs {sorted(expected)}")
    rng = {}
    for name in sorted(expected):
        array = np.asarray(state[f"rng.{name}"])
        if array.shape != (1,) or array.dtype != np.uint64:
            raise CheckpointError(f"{where('rng.' + name)} holds RNG state '{name}' as "
                                  f"{array.dtype} of shape {array.shape}; expected one uint64")
        rng[name] = int(array[0])
    return rng


def checked_synapses(stored: Dict[Any, Any], num_pre: int, num_post: int, capacity: int,
                     where: Callable[[str], str], what: str) -> Tuple[np.ndarray, np.ndarray]:
    """Saved sparse connectivity (``pre_ind`` and ``post_ind``) that a loaded SPARSE synapse
    group can take in place.

    Parameters
    ----------
    stored
        What the serialiser returned beneath the connection's keys.
    num_pre, num_post
        Sizes of the source and target populations.
    capacity
        The group's ``max_row_length``: no row may hold more synapses.
    where
        Maps a stored name to where it is stored.
    what
        The connection, for the message (e.g. ``"Connection 'hidden'"``).
    """
    for name in ("pre_ind", "post_ind"):
        if name not in stored:
            raise CheckpointError(f"{where(name)} is missing: the checkpoint holds only half of "
                                  f"the synapses' indices of {what}")
    out = []
    for name, size in (("pre_ind", num_pre), ("post_ind", num_post)):
        array = np.asarray(stored[name])
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise CheckpointError(f"{where(name)} holds {array.dtype} values of shape "
                                  f"{array.shape} for '{name}' of {what}; expected a 1-D array "
                                  f"of neuron indices")
        if array.size and (array.min() < 0 or array.max() >= size):
            raise CheckpointError(f"{where(name)} holds indices outside [0, {size}) for "
                                  f"'{name}' of {what}")
        out.append(array.astype(np.int64))
    pre, post = out
    if pre.shape != post.shape:
        raise CheckpointError(f"{where('pre_ind')} and {where('post_ind')} of {what} differ in "
                              f"length ({len(pre)} and {len(post)})")
    counts = np.bincount(pre, minlength=num_pre)
    if counts.size and counts.max() > capacity:
        raise CheckpointError(f"{where('pre_ind')} gives row {int(np.argmax(counts))} of {what} "
                              f"{int(counts.max())} synapses; the compiled network's rows hold at "
                              f"most {capacity}: load it with Network.load before compiling")
    return pre, post
