"""Kernel profiling (``kernel_profiling=True``): pygenn's timers on ``genn_model``, in seconds,
as mlGeNN's scripts print them at the end of a run."""
import time

import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.engine.errors import RuntimeStateError
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, PoissonInput


def _network():
    net = Network()
    with net:
        inp = Population(PoissonInput(), 200)
        hid = Population(LeakyIntegrateFire(), 300)
        out = Population(LeakyIntegrate(readout="avg_var"), 10)
        Connection(inp, hid, Dense(np.full((200, 300), 0.05)))
        Connection(hid, out, Dense(np.full((300, 10), 0.1)))
    return net, inp, out


def _evaluate(compiled, inp, out, n):
    x = np.random.default_rng(0).random((n, 200))
    start = time.perf_counter()
    compiled.evaluate({inp: x}, {out: np.zeros(n, int)}, callbacks=[])
    return time.perf_counter() - start


def test_timers_account_for_the_run_and_grow_with_it():
    net, inp, out = _network()
    compiled = InferenceCompiler(evaluate_timesteps=400, batch_size=4,
                                 kernel_profiling=True).compile(net)
    with compiled:
        model = compiled.genn_model
        assert model.neuron_update_time == 0.0 and model.presynaptic_update_time == 0.0
        wall = _evaluate(compiled, inp, out, 8)
        neuron, presyn = model.neuron_update_time, model.presynaptic_update_time
        assert neuron > 0.0 and presyn > 0.0
        # The kernels run inside the evaluation: together no longer than it took
        assert neuron + presyn <= wall * 1.05
        # Nothing in this model has postsynaptic or synapse dynamics code
        assert model.postsynaptic_update_time == 0.0 and model.synapse_dynamics_time == 0.0
        assert model.init_time > 0.0 and model.custom_update_time == 0.0
        # mlGeNN's inference resets with a custom update; here the host does: zero device time
        assert model.get_custom_update_time("Reset") == 0.0
        with pytest.raises(RuntimeStateError, match="GradientLearnn"):
            model.get_custom_update_time("GradientLearnn")
        # Accumulated: four times the examples take more time again
        _evaluate(compiled, inp, out, 32)
        assert model.neuron_update_time > 2.0 * neuron
        assert model.presynaptic_update_time > presyn


def test_custom_update_groups_are_timed():
    from ml_genn.compilers import EventPropCompiler
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.neurons import SpikeInput
    from ml_genn.synapses import Exponential
    from ml_genn.utils.data import preprocess_spikes
    rng = np.random.default_rng(1)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=4000), 50)
        hid = Population(LeakyIntegrateFire(tau_mem=20.0), 40)
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 5)
        Connection(inp, hid, Dense(rng.normal(0.3, 0.1, (50, 40))), Exponential(5.0))
        Connection(hid, out, Dense(rng.normal(0.0, 0.3, (40, 5))), Exponential(5.0))
    spikes = [preprocess_spikes(np.sort(rng.uniform(0, 99, 300)), rng.integers(0, 50, 300), 50)
              for _ in range(8)]
    compiled = EventPropCompiler(example_timesteps=100, losses="sparse_categorical_crossentropy",
                                 batch_size=4, kernel_profiling=True).compile(net)
    with compiled:
        compiled.train({inp: spikes}, {out: rng.integers(0, 5, 8)}, num_epochs=1,
                       callbacks=[])
        model = compiled.genn_model
        learn = model.get_custom_update_time("GradientLearn")
        reduce = model.get_custom_update_time("GradientBatchReduce")
        assert learn > 0.0 and reduce > 0.0
        assert model.custom_update_time == pytest.approx(learn + reduce)
        # Softmaxes run on the host here (mlGeNN's scripts print their device time)
        assert model.get_custom_update_time("BatchSoftmax1") == 0.0


def test_timers_need_profiling():
    net, inp, out = _network()
    compiled = InferenceCompiler(evaluate_timesteps=10, batch_size=1).compile(net)
    with compiled:
        with pytest.raises(RuntimeStateError, match="kernel_profiling=True"):
            compiled.genn_model.neuron_update_time
    with pytest.raises(TypeError, match="kernel_profiling"):
        InferenceCompiler(evaluate_timesteps=10, kernel_profiling="yes")

