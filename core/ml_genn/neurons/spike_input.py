"""Input neurons that replay given spike trains."""
from __future__ import annotations

from .checks import check_positive_int
from .input import Input
from .neuron import Neuron


class SpikeInput(Neuron, Input):
    """An input neuron that emits the spike trains it is given (preprocessed spikes).

    Parameters
    ----------
    max_spikes
        Most spikes the population may emit for one batch, across all its neurons and the
        batch's examples (e.g. batch 32 x 100 neurons x 1 spike each = 3200).
    """

    spiking = True

    def __init__(self, max_spikes: int = 1000000):
        Neuron.__init__(self)
        self.max_spikes = check_positive_int(type(self).__name__, "max_spikes", max_spikes)
