"""EventProp learns an SHD-like task: 20 spatio-temporal classes of 600 ms over 700 inputs
(``ml_genn.utils.synthetic_spikes``), 700 -> 64 LIF -> 20 LI, exponential synapses, dt = 1 ms,
cross-entropy on the readout, Adam; training accuracy measured afterwards by evaluating the
training set. With the gradient of earlier versions the true class ended up the *lowest*
output on most examples of such a task."""
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes
from ml_genn.utils.synthetic_spikes import generate_spatio_temporal_dataset

STEPS = 601


def _train(batch_size, readout, examples_per_class, epochs, learning_rate, num_hidden=64,
           peak_rate=60.0, record_curve=False):
    """Train on the generated set; returns the training accuracy after each epoch (with
    ``record_curve``) or after the last."""
    times, ids, labels = generate_spatio_temporal_dataset(
        num_classes=20, examples_per_class=examples_per_class, duration=600.0, num_tracks=2,
        peak_rate=peak_rate, max_shift=5.0, max_warp=0.05, seed=3)
    spikes = [preprocess_spikes(t, i, 700) for t, i in zip(times, ids)]
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=batch_size * 5000), 700)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0, tau_refrac=None), num_hidden)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout=readout), 20)
        Connection(inp, hid, Dense(Normal(mean=0.05, sd=0.01)), Exponential(5.0))
        Connection(hid, out, Dense(Normal(mean=0.0, sd=0.03)), Exponential(5.0))
    compiler = EventPropCompiler(example_timesteps=STEPS, losses="sparse_categorical_crossentropy",
                                 optimiser=Adam(learning_rate), batch_size=batch_size,
                                 max_spikes=STEPS, rng_seed=1)
    curve = []
    with compiler.compile(net) as compiled:
        for epoch in range(epochs):
            compiled.train({inp: spikes}, {out: labels}, num_epochs=1, shuffle=True,
                           callbacks=[])
            if record_curve or epoch == epochs - 1:
                metrics, _ = compiled.evaluate({inp: spikes}, {out: labels}, callbacks=[])
                curve.append(metrics[out].result)
    return curve


# Measured (2-core machine, after each epoch): batch 32, 2560 examples, Adam(0.005):
# 70.0%, 89.9%, 95.0%; batch 1, 1280 examples, Adam(0.002): 85.0%, 90.0%, 92.4%
@pytest.mark.slow
def test_shd_like_task_learns_at_batch_32():
    accuracy = _train(32, "avg_var_exp_weight", 128, 3, 0.005)[-1]
    assert accuracy >= 0.9


@pytest.mark.slow
def test_shd_like_task_learns_at_batch_1():
    accuracy = _train(1, "avg_var_exp_weight", 64, 3, 0.002)[-1]
    assert accuracy >= 0.9
