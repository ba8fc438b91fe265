"""Spike data that SpikeInput and the NumPy references take identically."""
import numpy as np

from ml_genn.utils.data import preprocess_spikes


def half_step_spike_data(rng: np.random.Generator, num_examples: int, num_inputs: int, dt: float,
                         per_input: int = 3, t_max: float = 15.0):
    """``(trains, data)``: per example, each input's spike times for the references and the
    same spikes as ``PreprocessedSpikes`` for ``SpikeInput``.

    ``SpikeInput`` emits a spike in the first step whose start time reaches it; the references
    put a spike at time t into step floor(t / dt). Times half a step off the grid keep both
    unambiguous: data (k + 0.5) dt is emitted in step k + 1, the references' (k + 1.5) dt too.
    Each input's spikes fall in distinct steps (SpikeInput would delay a second spike in one
    step)."""
    trains, data = [], []
    for _ in range(num_examples):
        steps = [np.sort(rng.choice(int(t_max / dt), per_input, replace=False))
                 for _ in range(num_inputs)]
        trains.append([(k + 1.5) * dt for k in steps])
        flat_t = np.concatenate([(k + 0.5) * dt for k in steps])
        flat_i = np.concatenate([np.full(per_input, i) for i in range(num_inputs)])
        order = np.argsort(flat_t, kind="stable")
        data.append(preprocess_spikes(flat_t[order], flat_i[order], num_inputs))
    return trains, data
