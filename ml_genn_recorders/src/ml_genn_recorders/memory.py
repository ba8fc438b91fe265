"""Memory estimates of recordings, and the warning when one is large.

Recording every variable of every neuron at every timestep of a long run silently fills RAM;
recorders therefore estimate what they will hold before the run starts and warn, with
advice, when the estimate passes a threshold.
"""
from __future__ import annotations

import os
import warnings
from typing import Optional
from ml_genn.errors import InvalidValueError

#: Default warning threshold in bytes (override with ``ML_GENN_RECORDER_WARN_BYTES``)
DEFAULT_WARN_BYTES = 2 * 1024 ** 3

#: Fraction of (neuron, timestep) pairs assumed to spike when estimating spike recordings;
#: spike counts are unknown before a run, so the estimate is only indicative
ASSUMED_SPIKE_PROBABILITY = 0.05

#: Bytes kept per recorded spike: a float64 time and an int64 id
BYTES_PER_SPIKE = 16


class RecordingMemoryWarning(UserWarning):
    """A recorder is estimated to hold more memory than the warning threshold."""


def warn_threshold() -> int:
    """The current warning threshold in bytes.

    ``ML_GENN_RECORDER_WARN_BYTES`` overrides :data:`DEFAULT_WARN_BYTES`.
    """
    value = os.environ.get("ML_GENN_RECORDER_WARN_BYTES")
    if value is None:
        return DEFAULT_WARN_BYTES
    try:
        threshold = int(float(value))
    except ValueError:
        raise InvalidValueError(f"ML_GENN_RECORDER_WARN_BYTES must be a number of bytes, got "
                                f"{value!r}") from None
    if threshold < 0:
        raise InvalidValueError(f"ML_GENN_RECORDER_WARN_BYTES must not be negative, got {value!r}")
    return threshold


def format_bytes(num_bytes: float) -> str:
    """``num_bytes`` in human units, e.g. ``'1.5 GiB'``.

    Parameters
    ----------
    num_bytes
        A byte count.
    """
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def warn_if_large(owner: str, estimate: Optional[int], on_disk: bool, stacklevel: int = 3) -> None:
    """Warn when ``estimate`` bytes of in-memory recording exceed the threshold.

    Parameters
    ----------
    owner
        Recorder description, e.g. ``"VarRecorder(Population 'hidden', 'V')"``.
    estimate
        Estimated bytes, or ``None`` when unknown.
    on_disk
        Whether the recorder streams to disk (then RAM is not at stake and nothing is said).
    stacklevel
        Passed to :func:`warnings.warn`.
    """
    if estimate is None or on_disk:
        return
    threshold = warn_threshold()
    if estimate > threshold:
        warnings.warn(f"{owner} is estimated to record {format_bytes(estimate)} in memory "
                      f"(warning threshold {format_bytes(threshold)}). Record fewer examples "
                      f"or neurons with example_filter/neuron_filter, or stream the recording "
                      f"to disk with to_disk='<folder>'", RecordingMemoryWarning,
                      stacklevel=stacklevel)
