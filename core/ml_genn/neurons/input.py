"""Base class of input neuron models."""
from __future__ import annotations


class Input:
    """Base class of every input neuron model: populations with one are fed data.

    Compilers add ``set_input(genn_pop, batch_size, shape, input)``, which copies one batch of
    data into the engine.
    """
