"""mlGeNN's scripts change learning rates by assigning ``optimiser.alpha`` in a callback
(``for o, _ in compiled_network.optimisers: o.alpha = ...``); the engine must use the new value
from the next batch on, as mlGeNN's optimisers write alpha before every batch."""
import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.synapses import Exponential
from ml_genn.utils.data import linear_latency_encode_data


class SetAlpha(Callback):
    def __init__(self, alpha):
        self.alpha = alpha

    def set_params(self, compiled_network, **kwargs):
        self._optimisers = [o for o, _ in compiled_network.optimisers]

    def on_batch_begin(self, batch):
        for optimiser in self._optimisers:
            optimiser.alpha = self.alpha


def train(alpha, callbacks):
    rng = np.random.default_rng(0)
    x = linear_latency_encode_data(rng.integers(0, 256, (64, 20)), 18.0, 2.0)
    y = rng.integers(0, 3, 64)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=16 * 20), 20)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0, tau_refrac=None), 16)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 3)
        c1 = Connection(inp, hid, Dense(Normal(mean=0.5, sd=0.3)), Exponential(5.0))
        Connection(hid, out, Dense(Normal(mean=0.2, sd=0.4)), Exponential(5.0))
    compiled = EventPropCompiler(example_timesteps=20, losses="sparse_categorical_crossentropy",
                                 optimiser=Adam(alpha), batch_size=16,
                                 rng_seed=1).compile(net)
    with compiled:
        g = compiled.connection_populations[c1].vars["g"]
        g.pull_from_device()
        before = np.array(g.values)
        compiled.train({inp: x}, {out: y}, num_epochs=2, callbacks=callbacks, shuffle=False)
        g.pull_from_device()
        return before, np.array(g.values)


def test_assigning_alpha_in_a_callback_changes_the_engines_learning_rate():
    before, frozen = train(0.01, [SetAlpha(0.0)])
    np.testing.assert_array_equal(frozen, before)
    _, assigned = train(0.01, [SetAlpha(0.003)])
    _, constructed = train(0.003, [])
    np.testing.assert_array_equal(assigned, constructed)
    assert not np.array_equal(constructed, before)
