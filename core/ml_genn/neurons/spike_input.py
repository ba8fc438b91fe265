"""Input neurons that replay given spike trains."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from ..engine import VarAccess
from ..utils.data import PreprocessedSpikes, batch_spikes, calc_start_spikes
from ..utils.model_builder import NeuronModelBuilder
from .checks import check_positive_int
from .input import Input
from .neuron import Neuron
from ..errors import InvalidTypeError, InvalidValueError


def is_spike_data(data: Any) -> bool:
    """Whether ``data`` is PreprocessedSpikes or a sequence of them."""
    if isinstance(data, PreprocessedSpikes):
        return True
    if isinstance(data, np.ndarray):
        return data.dtype == object and data.size > 0 and isinstance(data.flat[0], PreprocessedSpikes)
    return isinstance(data, Sequence) and len(data) > 0 and isinstance(data[0], PreprocessedSpikes)


# "Never" for NextSpikeTime: the largest float, so any precision compares correctly
NO_SPIKE_TIME = float(np.finfo(np.float32).max)


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
        super().__init__()
        self.max_spikes = check_positive_int(type(self).__name__, "max_spikes", max_spikes)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Spikes are replayed from ``SpikeTimes``: each neuron walks its slice
        ``[StartSpike, EndSpike)`` of the batch's spike times, emitting one spike per timestep
        while the next time has been reached. ``NextSpikeTime`` caches the time at
        ``StartSpike`` (or never), so the test each step reads one contiguous value per neuron
        instead of gathering from the spike times."""
        model = NeuronModelBuilder("SpikeInput")
        model.add_var("StartSpike", 0, "unsigned int", VarAccess.READ_WRITE)
        model.add_var("EndSpike", 0, "unsigned int", VarAccess.READ_ONLY_DUPLICATE)
        model.add_var("NextSpikeTime", NO_SPIKE_TIME, "scalar", VarAccess.READ_WRITE)
        model.add_egp("SpikeTimes", "scalar*", np.zeros(self.max_spikes, dtype=np.float32))
        model.code["threshold_condition_code"] = "t >= NextSpikeTime"
        model.code["reset_code"] = (
            "StartSpike++;\n"
            f"NextSpikeTime = (StartSpike != EndSpike) ? SpikeTimes[StartSpike] : {NO_SPIKE_TIME!r};")
        return model

    def check_input(self, data: Any, shape: Tuple[int, ...], owner: str) -> List[PreprocessedSpikes]:
        """Check a dataset of spike trains: a sequence of PreprocessedSpikes, one per example."""
        if not is_spike_data(data):
            raise InvalidTypeError(
                f"{owner} (SpikeInput) takes a list of PreprocessedSpikes (see "
                f"ml_genn.utils.data.preprocess_spikes), got {type(data).__name__}"
                + (f" of shape {np.shape(data)}" if isinstance(data, np.ndarray) else ""))
        examples = [data] if isinstance(data, PreprocessedSpikes) else list(data)
        n = int(np.prod(shape))
        for i, example in enumerate(examples):
            if not isinstance(example, PreprocessedSpikes):
                raise InvalidTypeError(
                    f"{owner} (SpikeInput) example {i} is {type(example).__name__}, "
                    f"expected PreprocessedSpikes")
            if np.size(example.end_spikes) != n:
                raise InvalidValueError(
                    f"{owner} (SpikeInput) example {i} has spikes for "
                    f"{np.size(example.end_spikes)} neurons, the population has {n}")
        return examples

    def set_input(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...],
                  input: Sequence[PreprocessedSpikes], population_name: str = "") -> None:
        """Copy one batch of spike trains into the engine.

        Raises
        ------
        ValueError
            When the batch holds more spikes than ``max_spikes``.
        """
        batched = batch_spikes(input, batch_size)
        num_spikes = len(batched.spike_times)
        if num_spikes > self.max_spikes:
            raise InvalidValueError(
                f"Population '{population_name}' (SpikeInput): a batch holds "
                f"{num_spikes} spikes but max_spikes is {self.max_spikes}; create "
                f"it with SpikeInput(max_spikes={num_spikes}) or more")
        end = batched.end_spikes.reshape(batch_size, -1)
        start = calc_start_spikes(end)
        genn_pop.vars["StartSpike"].view[...] = start
        genn_pop.vars["EndSpike"].view[...] = end
        genn_pop.extra_global_params["SpikeTimes"].view[:num_spikes] = batched.spike_times
        times = np.asarray(batched.spike_times)
        first = np.minimum(start, max(num_spikes - 1, 0))
        genn_pop.vars["NextSpikeTime"].view[...] = np.where(
            start < end, times[first] if num_spikes else NO_SPIKE_TIME, NO_SPIKE_TIME)
