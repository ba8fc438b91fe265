"""Base class of input neuron models."""
from __future__ import annotations


class Input:
    """Base class of every input neuron model: populations with one are fed data.

    Compilers add ``set_input(genn_pop, batch_size, shape, input)``, which copies one batch of
    data into the engine.
    """


def __getattr__(name: str):
    # mlGeNN defines InputBase in this module; here it lives in input_base (which imports
    # Input from this module), so it is looked up when first asked for
    if name == "InputBase":
        from .input_base import InputBase
        return InputBase
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
