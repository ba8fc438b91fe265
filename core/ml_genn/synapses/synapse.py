"""Base class of synapse models."""
from __future__ import annotations

from typing import Any


class Synapse:
    """Base class of every synapse model: how input arriving through a connection becomes
    current in the target neurons.

    Subclasses declare their parameters as :class:`~ml_genn.utils.value.ValueDescriptor`
    class attributes (arrays are per target neuron). Compilers add the engine model
    (``get_model(connection, dt, batch_size)``).
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def get_model(self, connection: Any, dt: float, batch_size: int) -> Any:
        """The engine postsynaptic model builder (:class:`ml_genn.utils.model_builder.SynapseModelBuilder`).

        Parameters
        ----------
        connection
            The connection this synapse model belongs to.
        dt
            Simulation timestep [ms].
        batch_size
            Batch size of the compiled model.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_model(); "
                                  f"it cannot be compiled")
