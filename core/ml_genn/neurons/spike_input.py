"""Input neurons that replay given spike trains."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from ..engine import VarAccess
from ..utils.data import (PreprocessedSpikes, batch_spikes, calc_start_spikes,
                          check_preprocessed_spikes)
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
            if isinstance(data, np.ndarray):
                received = f"an array of shape {data.shape} and dtype {data.dtype}"
            elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
                received = (f"an empty {type(data).__name__} (no examples)" if len(data) == 0
                            else f"a {type(data).__name__} whose first item is "
                                 f"{type(data[0]).__name__}")
            else:
                received = type(data).__name__
            raise InvalidTypeError(
                f"{owner} (SpikeInput) takes a list of PreprocessedSpikes, one per example "
                f"(see ml_genn.utils.data.preprocess_spikes), got {received}")
        examples = [data] if isinstance(data, PreprocessedSpikes) else list(data)
        n = int(np.prod(shape))
        # The engine indexes the spike times with end_spikes unchecked: refuse inconsistent
        # hand-built trains here, before anything is simulated
        return [check_preprocessed_spikes(example, n, f"{owner} (SpikeInput) example {i}")
                for i, example in enumerate(examples)]

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
        # Last guard before the engine reads SpikeTimes[StartSpike..EndSpike) unchecked (data
        # that bypassed check_input): every slice must lie inside this batch's spike times
        if end.size and (start.min() < 0 or np.any(end < start) or end.max() > num_spikes):
            raise InvalidValueError(
                f"Population '{population_name}' (SpikeInput): a batch's end_spikes are not "
                f"cumulative counts within its {num_spikes} spike times; check each example "
                f"with ml_genn.utils.data.check_preprocessed_spikes")
        genn_pop.vars["StartSpike"].view[...] = start
        genn_pop.vars["EndSpike"].view[...] = end
        genn_pop.extra_global_params["SpikeTimes"].view[:num_spikes] = batched.spike_times
        times = np.asarray(batched.spike_times)
        first = np.minimum(start, max(num_spikes - 1, 0))
        genn_pop.vars["NextSpikeTime"].view[...] = np.where(
            start < end, times[first] if num_spikes else NO_SPIKE_TIME, NO_SPIKE_TIME)
