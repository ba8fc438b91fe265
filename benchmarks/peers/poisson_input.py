"""Poisson input spike trains shared by the SHD-shaped workloads and their peers (which run in
another Python, so this module needs only NumPy and mlGeNN's public ``preprocess_spikes``)."""
import numpy as np


def poisson_spike_trains(rng: np.random.Generator, examples: int, timesteps: int,
                         rate_hz: float, num_inputs: int) -> tuple:
    """``(spike trains, times, ids)`` of ``examples`` examples: each input fires a Poisson
    number of spikes at ``rate_hz`` at uniform times in ``[0, timesteps - 1)`` ms.

    Parameters
    ----------
    rng
        Random generator (drawn from in a fixed order, so equal seeds give equal data).
    examples, timesteps, rate_hz, num_inputs
        Number of examples, their length [steps of 1 ms], the rate and the input count.
    """
    from ml_genn.utils.data import preprocess_spikes
    spikes, times, ids = [], [], []
    for _ in range(examples):
        count = rng.poisson(rate_hz * timesteps / 1000.0, num_inputs)
        i = np.repeat(np.arange(num_inputs), count)
        t = rng.uniform(0.0, timesteps - 1.0, i.size)
        order = np.argsort(t)
        spikes.append(preprocess_spikes(t[order], i[order], num_inputs))
        times.append(t[order])
        ids.append(i[order])
    return spikes, times, ids
