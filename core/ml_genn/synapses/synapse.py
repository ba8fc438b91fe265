"""Base class of synapse models."""
from __future__ import annotations


class Synapse:
    """Base class of every synapse model: how input arriving through a connection becomes
    current in the target neurons.

    Subclasses declare their parameters as :class:`~ml_genn.utils.value.ValueDescriptor`
    class attributes (arrays are per target neuron). Compilers add the engine model
    (``get_model(connection, dt, batch_size)``).
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
