"""How recorders reach the engine: runtime groups of a compiled network and their buffers."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np
from ml_genn.errors import InvalidValueError

def require_loaded(compiled_network: Any, owner: str) -> Any:
    """The compiled network's runtime; raises when the network is not loaded.

    Parameters
    ----------
    compiled_network
        What ``set_params`` received.
    owner
        Recorder description for the error message.
    """
    if compiled_network is None:
        raise RuntimeError(f"{owner} was not given a compiled network: recorders only work as "
                           f"callbacks of evaluate/train/predict")
    genn_model = getattr(compiled_network, "genn_model", None)
    if genn_model is None:
        raise RuntimeError(f"{owner}: the compiled network is not loaded; run it inside "
                           f"'with compiled_net:'")
    return genn_model


def _describe_keys(mapping: Any) -> str:
    names = [getattr(k, "name", repr(k)) for k in mapping]
    return ", ".join(f"'{n}'" for n in names) or "none"


def neuron_group(compiled_network: Any, pop: Any, owner: str) -> Any:
    """Runtime neuron group of Population ``pop`` in ``compiled_network``.

    Parameters
    ----------
    compiled_network
        A loaded compiled network (``neuron_populations`` maps Population -> group).
    pop
        The recorded Population.
    owner
        Recorder description for the error message.
    """
    groups = compiled_network.neuron_populations
    try:
        return groups[pop]
    except KeyError:
        raise InvalidValueError(
            f"{owner}: Population '{pop.name}' is not part of the network being "
            f"run (its populations: {_describe_keys(groups)})") from None


def synapse_group(compiled_network: Any, conn: Any, owner: str) -> Any:
    """Runtime synapse group of Connection ``conn`` in ``compiled_network``.

    Parameters
    ----------
    compiled_network
        A loaded compiled network (``connection_populations`` maps Connection -> group).
    conn
        The recorded Connection.
    owner
        Recorder description for the error message.
    """
    groups = compiled_network.connection_populations
    try:
        return groups[conn]
    except KeyError:
        raise InvalidValueError(
            f"{owner}: Connection '{conn.name}' is not part of the network being "
            f"run (its connections: {_describe_keys(groups)})") from None


def recording_enabled(group: Any, kind: str) -> Optional[bool]:
    """Whether the engine records ``kind`` (``"spikes"``/``"spike_events"``) for ``group``.

    ``None`` when the group does not say (then the population's flag is trusted).
    """
    attribute = "spike_recording_enabled" if kind == "spikes" else "spike_event_recording_enabled"
    for holder in (group, getattr(group, "spec", None)):
        value = getattr(holder, attribute, None)
        if value is not None:
            return bool(value)
    return None


def packed_recording_buffer(group: Any, kind: str) -> Optional[np.ndarray]:
    """The engine's bit-packed recording buffer of ``group``, without copying.

    Shape ``(num_recording_timesteps, batch_size, ceil(num_neurons / 32))``, ``uint32``; row
    ``timestep % num_recording_timesteps`` holds that timestep, bit ``i % 32`` of word
    ``i // 32`` neuron ``i``. Reading it directly lets a recorder unpack only the examples and
    neurons it keeps, once per batch. Returns ``None`` when the backend does not expose it
    (recorders then fall back to pygenn's ``spike_recording_data`` lists).

    Parameters
    ----------
    group
        Runtime neuron group.
    kind
        ``"spikes"`` or ``"spike_events"``.
    """
    buffer = getattr(group, f"{kind[:-1]}_recording_buffer", None)
    if not isinstance(buffer, np.ndarray) or buffer.ndim != 3 or buffer.dtype != np.uint32:
        return None
    return buffer


def recording_data_lists(group: Any, kind: str) -> Any:
    """pygenn's per-batch ``(times, ids)`` lists of ``group`` (the portable path)."""
    return group.spike_recording_data if kind == "spikes" else group.spike_event_recording_data


def timestep_range(begin: Optional[int], end: int, buffer_steps: int,
                   owner: Any) -> Tuple[int, int]:
    """The timesteps ``[first, end)`` a batch simulated, checked against the buffer length.

    Parameters
    ----------
    begin
        Engine timestep at ``on_batch_begin``, or ``None`` if it was not seen.
    end
        Engine timestep at ``on_batch_end``.
    buffer_steps
        Timesteps the engine's recording buffer holds.
    owner
        The recorder (its ``describe()`` names it in the error message).
    """
    if begin is None or begin > end:
        # Time was reset after on_batch_begin (or the hook never ran): the batch is the
        # latest buffer's worth of timesteps
        begin = max(0, end - buffer_steps)
    if end - begin > buffer_steps:
        raise RuntimeError(f"{owner.describe()}: the batch ran {end - begin} timesteps but the engine's "
                           f"recording buffer holds only {buffer_steps}; the earlier spikes "
                           f"were overwritten. Load the model with num_recording_timesteps of "
                           f"at least the timesteps per batch")
    return begin, end
