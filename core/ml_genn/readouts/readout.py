"""Base class of readouts."""
from __future__ import annotations


class Readout:
    """Base class of every readout.

    A readout turns the state of an output population over a trial into the values that
    metrics and losses see (one per neuron and example). Compilers add the engine logic
    (state variables, code) for each readout class.

    Attributes
    ----------
    needs_output_var
        The readout reads the neuron model's output variable (e.g. ``V``), so the neuron
        must have one.
    needs_spikes
        The readout reads spikes, so the neuron must spike.
    """

    needs_output_var: bool = False
    needs_spikes: bool = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
