"""Spike sources (a threshold test and a reset, nothing else per neuron) are tested 64 neurons at
a time into a bit mask in batch-sliced runs. Checked against a NumPy run of the same rule, with a
population size that is not a multiple of 64, against the per-neuron loop (batch of one), and
for the generated code taking the masked path only where it applies."""
import numpy as np
import pytest

from engine_models import LIF, build
from ml_genn.engine import ModelSpec, create_neuron_model

# Neuron i fires whenever t reaches its next time, then waits its own period
PERIODIC = create_neuron_model(
    "PeriodicSource", vars=[("next_time", "scalar"), ("period", "scalar")],
    threshold_condition_code="t >= next_time", reset_code="next_time += period;")
NUM_NEURONS, STEPS = 150, 60


def _initial(batch_size):
    rng = np.random.default_rng(11)
    first = rng.uniform(0.0, 30.0, (batch_size, NUM_NEURONS))
    period = rng.uniform(0.5, 20.0, (batch_size, NUM_NEURONS))
    first[:, :40] = 1e30    # a block that never fires
    first[:, 64], period[:, 64] = 0.0, 1e-3   # fires every step (a bit at a block's start)
    return first, period


def _model(name, batch_size):
    first, period = _initial(batch_size)
    m = ModelSpec("double", name)
    m.batch_size = batch_size
    pop = m.add_neuron_population("src", NUM_NEURONS, PERIODIC, {},
                                  {"next_time": first.reshape(-1) if batch_size > 1 else first[0],
                                   "period": period.reshape(-1) if batch_size > 1 else period[0]})
    pop.spike_recording_enabled = True
    return m


def _reference(batch_size, dt):
    first, period = _initial(batch_size)
    next_time = first.copy()
    fired = np.zeros((STEPS, batch_size, NUM_NEURONS), dtype=bool)
    for step in range(STEPS):
        t = step * dt
        fired[step] = t >= next_time
        next_time = np.where(fired[step], next_time + period, next_time)
    return fired


@pytest.mark.parametrize("batch_size", [1, 3])
def test_spike_source_fires_as_its_rule_says(batch_size):
    rt = build(_model(f"periodic_{batch_size}", batch_size), num_recording_timesteps=STEPS)
    rt.run_timesteps(STEPS)
    expected = _reference(batch_size, rt.dt)
    recorded = rt.neuron_populations["src"].spike_recording_data
    if batch_size == 1 and not isinstance(recorded, list):
        recorded = [recorded]
    assert expected.sum() > 200 and expected[:, :, 64].all()
    for b, (times, ids) in enumerate(recorded):
        steps, neuron_ids = np.nonzero(expected[:, b])
        np.testing.assert_array_equal(ids, neuron_ids)
        np.testing.assert_allclose(times, steps * rt.dt)


def test_only_spike_sources_take_the_masked_path():
    m = ModelSpec("double", "mask_path")
    m.batch_size = 2
    m.add_neuron_population("src", 10, PERIODIC, {}, {"next_time": 0.0, "period": 1.0})
    m.add_neuron_population("lif", 10, LIF, {"tau_m": 10.0, "v_thresh": 1.0}, {"V": 0.0})
    source = build(m)._gen.source
    src_kernel = source[source.index("/* src */"):source.index("/* lif */")]
    lif_kernel = source[source.index("/* lif */"):]
    assert "_fired" in src_kernel and "_fired" not in lif_kernel
