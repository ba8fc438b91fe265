"""Variable access modes with GeNN 5's names and meaning.

Each access mode says two things: whether a variable may be written, and which
dimensions it has (one value per batch and/or one value per element).
"""
from __future__ import annotations

from enum import Enum


class VarAccess(Enum):
    """Access of a neuron, synapse or postsynaptic model variable.

    ``READ_WRITE``: one value per batch and element.  ``READ_ONLY``: one value per
    element shared by all batches.  ``READ_ONLY_DUPLICATE``: per batch and element, read
    only.  ``READ_ONLY_SHARED_NEURON``: one value per batch shared by all elements.
    """

    READ_WRITE = "read_write"
    READ_ONLY = "read_only"
    READ_ONLY_DUPLICATE = "read_only_duplicate"
    READ_ONLY_SHARED_NEURON = "read_only_shared_neuron"

    @property
    def read_only(self) -> bool:
        return self is not VarAccess.READ_WRITE

    @property
    def batched(self) -> bool:
        return self is not VarAccess.READ_ONLY

    @property
    def per_element(self) -> bool:
        return self is not VarAccess.READ_ONLY_SHARED_NEURON


class CustomUpdateVarAccess(Enum):
    """Access of a custom update's own variables.

    ``READ_WRITE`` / ``READ_ONLY`` follow the custom update's dimensions (batched when
    the update is).  ``*_SHARED`` are shared across the batch; ``*_SHARED_NEURON`` are one
    value per batch.  ``REDUCE_BATCH_*`` variables have no batch dimension and receive
    the sum/max over batches of what the update code assigns; ``REDUCE_NEURON_*`` have
    one value per batch and receive the sum/max over elements.
    """

    READ_WRITE = "read_write"
    READ_ONLY = "read_only"
    READ_WRITE_SHARED = "read_write_shared"
    READ_ONLY_SHARED = "read_only_shared"
    READ_WRITE_SHARED_NEURON = "read_write_shared_neuron"
    READ_ONLY_SHARED_NEURON = "read_only_shared_neuron"
    REDUCE_BATCH_SUM = "reduce_batch_sum"
    REDUCE_BATCH_MAX = "reduce_batch_max"
    REDUCE_NEURON_SUM = "reduce_neuron_sum"
    REDUCE_NEURON_MAX = "reduce_neuron_max"

    @property
    def read_only(self) -> bool:
        return self in (CustomUpdateVarAccess.READ_ONLY, CustomUpdateVarAccess.READ_ONLY_SHARED,
                        CustomUpdateVarAccess.READ_ONLY_SHARED_NEURON)

    @property
    def reduction(self):
        """``(over, op)`` with over in {"batch", "neuron"} and op in {"sum", "max"}, or None."""
        return {CustomUpdateVarAccess.REDUCE_BATCH_SUM: ("batch", "sum"),
                CustomUpdateVarAccess.REDUCE_BATCH_MAX: ("batch", "max"),
                CustomUpdateVarAccess.REDUCE_NEURON_SUM: ("neuron", "sum"),
                CustomUpdateVarAccess.REDUCE_NEURON_MAX: ("neuron", "max")}.get(self)

    def batched(self, update_batched: bool) -> bool:
        if self in (CustomUpdateVarAccess.READ_WRITE, CustomUpdateVarAccess.READ_ONLY):
            return update_batched
        if self in (CustomUpdateVarAccess.READ_WRITE_SHARED_NEURON,
                    CustomUpdateVarAccess.READ_ONLY_SHARED_NEURON,
                    CustomUpdateVarAccess.REDUCE_NEURON_SUM,
                    CustomUpdateVarAccess.REDUCE_NEURON_MAX):
            return update_batched
        return False

    @property
    def per_element(self) -> bool:
        return self not in (CustomUpdateVarAccess.READ_WRITE_SHARED_NEURON,
                            CustomUpdateVarAccess.READ_ONLY_SHARED_NEURON,
                            CustomUpdateVarAccess.REDUCE_NEURON_SUM,
                            CustomUpdateVarAccess.REDUCE_NEURON_MAX)


class VarAccessMode(Enum):
    """How a custom update or model accesses a variable through a reference.

    ``REDUCE_SUM`` / ``REDUCE_MAX``: the referenced variable must have no batch
    dimension and receives the sum/max over batches of what the code assigns.
    """

    READ_WRITE = "read_write"
    READ_ONLY = "read_only"
    REDUCE_SUM = "reduce_sum"
    REDUCE_MAX = "reduce_max"

    @property
    def reduction(self):
        return {VarAccessMode.REDUCE_SUM: "sum", VarAccessMode.REDUCE_MAX: "max"}.get(self)
