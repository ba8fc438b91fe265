"""How much memory a model's state needs, checked against what the machine has, before loading.

The ``cpu`` runtime allocates every state array at load (see ``Runtime._allocate``). NumPy
asks the operating system lazily, so an allocation larger than the machine's memory often
"succeeds" and the process is killed later, without a Python error, when the engine first
writes the arrays. This module adds the arrays up first, from the model's array table (the
layout the runtime allocates: every variable times the batch where it is batched, spike
queues, synapse matrices and delay buffers, extra global parameters) and the recording buffers
the runtime sizes from ``num_recording_timesteps``, and refuses to load when they cannot fit,
naming the largest parts and whether the batch size or the recording length drives them.

``ML_GENN_MEMORY_CHECK=0`` skips the check (for machines whose limits are not visible here).
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Tuple

import numpy as np

from ...errors import InvalidValueError
from .c_support import LOG_COUNT_STRIDE, SPIKE_LOG_IDS_PER_WORD

#: Extra bytes each array gets so that it can start on a cache line (``_zeros_on_cache_lines``)
_ALIGNMENT_PAD = 64

#: Array kinds with one block per batch element (besides variables, which say so themselves)
_BATCHED_KINDS = {"spkcnt", "spk", "flags", "posthist", "insyn", "den", "outpre", "evcnt", "ev",
                  "rec_spk", "rec_evt", "rec_spk_n", "rec_evt_n", "rec_log", "rec_log_n"}
#: Array kinds sized by ``num_recording_timesteps``
_RECORDING_KINDS = {"rec_spk", "rec_evt", "rec_spk_n", "rec_evt_n", "rec_log", "rec_log_n"}

_VAR_KINDS = {"nvar": ("neuron_populations", "vars", "variable '{v}' of neuron population '{g}'"),
              "wu": ("synapse_populations", "vars", "variable '{v}' of synapse population '{g}'"),
              "wu_pre": ("synapse_populations", "pre_vars",
                         "presynaptic variable '{v}' of synapse population '{g}'"),
              "wu_post": ("synapse_populations", "post_vars",
                          "postsynaptic variable '{v}' of synapse population '{g}'"),
              "psm": ("synapse_populations", "psm_vars",
                      "postsynaptic model variable '{v}' of synapse population '{g}'"),
              "cuvar": ("custom_updates", "vars", "variable '{v}' of custom update '{g}'"),
              "ccuvar": ("custom_connectivity_updates", "vars",
                         "variable '{v}' of custom connectivity update '{g}'"),
              "ccupre": ("custom_connectivity_updates", "pre_vars",
                         "presynaptic variable '{v}' of custom connectivity update '{g}'"),
              "ccupost": ("custom_connectivity_updates", "post_vars",
                          "postsynaptic variable '{v}' of custom connectivity update '{g}'")}

_OTHER_KINDS = {"spkcnt": "spike queue of neuron population '{g}'",
                "spk": "spike queue of neuron population '{g}'",
                "flags": "spike queue of neuron population '{g}'",
                "rec_spk": "spike recording of neuron population '{g}'",
                "rec_spk_n": "spike recording of neuron population '{g}'",
                "rec_log": "spike recording of neuron population '{g}'",
                "rec_log_n": "spike recording of neuron population '{g}'",
                "rec_evt": "spike-event recording of neuron population '{g}'",
                "rec_evt_n": "spike-event recording of neuron population '{g}'",
                "posthist": "delayed values of '{v}' of neuron population '{g}'",
                "insyn": "input (inSyn) of synapse population '{g}'",
                "den": "dendritic delay buffer of synapse population '{g}'",
                "outpre": "addToPre output of synapse population '{g}'",
                "rowlen": "sparse connectivity of synapse population '{g}'",
                "ind": "sparse connectivity of synapse population '{g}'",
                "collen": "sparse connectivity of synapse population '{g}'",
                "remap": "sparse connectivity of synapse population '{g}'",
                "evcnt": "spike-event queue of synapse population '{g}'",
                "ev": "spike-event queue of synapse population '{g}'",
                "ccufail": "failed-addition counters of custom connectivity update '{g}'"}


class InsufficientMemoryError(InvalidValueError, MemoryError):
    """A model's state cannot fit in the memory available to this process.

    A ``MemoryError`` (what NumPy raises when an allocation fails) and an
    :class:`ml_genn.errors.InvalidValueError` (a setting, usually the batch size, is too large).
    """


@dataclass
class MemoryPart:
    """Bytes of one part of a model's state.

    Attributes
    ----------
    description
        What it is, e.g. ``"variable 'V' of neuron population 'hidden'"``.
    num_bytes
        Its size.
    batched
        Whether it grows with the batch size.
    recording
        Whether it grows with ``num_recording_timesteps``.
    """
    description: str
    num_bytes: int
    batched: bool
    recording: bool


def _slot_shape(spec: Any, slot: Any, num_recording_timesteps: int) -> Tuple[int, ...]:
    """The shape the runtime allocates for ``slot`` (recording buffers are sized at load,
    as ``Runtime._allocate`` sizes them; every other array has its table shape)."""
    kind = slot.key[0]
    if kind not in _RECORDING_KINDS:
        return tuple(slot.shape)
    B, T = spec.batch_size, num_recording_timesteps
    g = spec.neuron_populations[slot.key[1]]
    words = (g.num_neurons + 31) // 32
    spikes_on = g.spike_recording_enabled
    if kind in ("rec_log", "rec_log_n"):
        if not (spikes_on and T):
            return (0,)
        if kind == "rec_log":
            return (B, T * SPIKE_LOG_IDS_PER_WORD * words)
        return (B, LOG_COUNT_STRIDE)
    on = spikes_on if kind.startswith("rec_spk") else g.spike_event_recording_enabled
    if not (on and T):
        return (0,)
    return (B, T, words) if kind in ("rec_spk", "rec_evt") else (B, T)


def _describe(spec: Any, slot: Any) -> Tuple[str, Optional[bool]]:
    """``(description, batched or None when the kind decides)`` of one array."""
    kind, rest = slot.key[0], slot.key[1:]
    if kind in _VAR_KINDS and len(rest) >= 2:
        groups, attr, text = _VAR_KINDS[kind]
        group = getattr(spec, groups, {}).get(rest[0])
        var = getattr(group, attr, {}).get(rest[1]) if group is not None else None
        return text.format(g=rest[0], v=rest[1]), getattr(var, "batched", None)
    if kind == "egp":
        return f"extra global parameter '{rest[2]}' of {rest[0]} group '{rest[1]}'", False
    if kind in _OTHER_KINDS:
        return _OTHER_KINDS[kind].format(g=rest[0], v=rest[1] if len(rest) > 1 else ""), None
    return "control and timing arrays", False


def estimate_state_memory(spec: Any, slots: Iterable[Any],
                          num_recording_timesteps: int) -> List[MemoryPart]:
    """Bytes a loaded model's state arrays take, by part, largest first.

    Parameters
    ----------
    spec
        The finalised :class:`ml_genn.engine.ModelSpec` (batch size, populations, recording
        switches).
    slots
        The model's array table (``GeneratedModel.table.slots``): key, dtype and shape of
        every array the runtime allocates.
    num_recording_timesteps
        Length of the spike recording rings the model is loaded with (0: none).

    Returns
    -------
    list of MemoryPart
        Arrays of one population's variable, queue, recording etc. summed into one part.
    """
    parts = {}
    for slot in slots:
        shape = _slot_shape(spec, slot, num_recording_timesteps)
        count = int(np.prod(shape, dtype=object))   # Python ints: no overflow for absurd sizes
        num_bytes = count * np.dtype(slot.dtype).itemsize + _ALIGNMENT_PAD
        description, batched = _describe(spec, slot)
        kind = slot.key[0]
        if batched is None:
            batched = kind in _BATCHED_KINDS
        recording = kind in _RECORDING_KINDS
        part = parts.get(description)
        if part is None:
            parts[description] = MemoryPart(description, num_bytes, batched, recording)
        else:
            part.num_bytes += num_bytes
            part.batched |= batched
            part.recording |= recording
    return sorted(parts.values(), key=lambda p: p.num_bytes, reverse=True)


def _meminfo() -> dict:
    values = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                name, _, rest = line.partition(":")
                fields = rest.split()
                if fields and fields[0].isdigit():
                    values[name] = int(fields[0]) * 1024
    except OSError:
        pass
    return values


def _read_int(path: str) -> Optional[int]:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _vm_size() -> Optional[int]:
    """This process's virtual memory size (what ``RLIMIT_AS`` limits)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory() -> Tuple[Optional[int], str]:
    """Bytes this process can still allocate and where that limit comes from.

    The smallest of: the machine's available memory and free swap (``/proc/meminfo``, else
    ``sysconf``), a cgroup's memory limit less its usage (containers), and the
    ``RLIMIT_AS`` address-space limit less the process's size.

    Returns
    -------
    tuple
        ``(bytes or None when nothing could be read, description of the limit)``.
    """
    limits = []
    info = _meminfo()
    if "MemAvailable" in info:
        limits.append((info["MemAvailable"] + info.get("SwapFree", 0),
                       "the machine's available memory and free swap"))
    else:
        try:
            limits.append((os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"),
                           "the machine's free memory"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit_path, usage_path in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = _read_int(limit_path), _read_int(usage_path)
        # cgroup v1 reports "no limit" as a huge number; v2 as "max" (not an int)
        if limit is not None and usage is not None and limit < (1 << 60):
            limits.append((max(limit - usage, 0), "the container's (cgroup's) memory limit"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    size = _vm_size()
    if soft != resource.RLIM_INFINITY and size is not None:
        limits.append((max(soft - size, 0), "the process's address-space limit (ulimit -v)"))
    if not limits:
        return None, "unknown"
    return min(limits, key=lambda item: item[0])


def _format_bytes(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{num_bytes} bytes"


def check_state_memory(spec: Any, slots: Iterable[Any], num_recording_timesteps: int,
                       available: Optional[int] = None, source: str = "") -> int:
    """Raise :class:`InsufficientMemoryError` if a model's state cannot fit in memory.

    Parameters
    ----------
    spec
        The finalised ModelSpec being loaded.
    slots
        Its array table's slots.
    num_recording_timesteps
        Length of the recording rings it is loaded with.
    available
        Bytes available; by default :func:`available_memory` is asked.
    source
        What limits ``available`` (used in the message when ``available`` is given).

    Returns
    -------
    int
        The estimated bytes (also when the check is skipped or nothing could be measured).
    """
    parts = estimate_state_memory(spec, slots, num_recording_timesteps)
    total = sum(p.num_bytes for p in parts)
    if os.environ.get("ML_GENN_MEMORY_CHECK", "1").strip() == "0":
        return total
    if available is None:
        available, source = available_memory()
        if available is None:
            return total
    if total <= available:
        return total

    largest = "; ".join(f"{p.description}: {_format_bytes(p.num_bytes)}" for p in parts[:3])
    batched = sum(p.num_bytes for p in parts if p.batched)
    recording = sum(p.num_bytes for p in parts if p.recording)
    advice = []
    if recording * 2 > total:
        advice.append(f"{100 * recording // total}% of it is recording buffers sized by "
                      f"num_recording_timesteps={num_recording_timesteps}: record fewer "
                      f"timesteps")
    if batched * 2 > total and spec.batch_size > 1:
        advice.append(f"{100 * batched // total}% of it grows with the batch size "
                      f"(batch_size={spec.batch_size}): reduce batch_size")
    if not advice:
        advice.append(f"Only {100 * batched // total}% of it grows with the batch size "
                      f"(batch_size={spec.batch_size}): make the largest populations or "
                      f"connections smaller")
    raise InsufficientMemoryError(
        f"Model '{spec.model_name}' needs about {_format_bytes(total)} for its state with "
        f"batch_size={spec.batch_size}, but only {_format_bytes(available)} is available "
        f"({source or 'as given'}). Largest parts: {largest}. {'. '.join(advice)}. "
        f"(Set ML_GENN_MEMORY_CHECK=0 to load anyway.)")
