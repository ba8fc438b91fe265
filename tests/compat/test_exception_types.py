"""Errors are instances of the type mlGeNN 2.4 raises for the same mistake (nearly always
``RuntimeError``; read from mlGeNN's source), so scripts that catch it keep working. Each
case also keeps its precise built-in type and names the object at fault."""
import numpy as np
import pytest

from ml_genn import Connection, InputLayer, Layer, Network, Population
from ml_genn.callbacks import SpikeRecorder, VarRecorder
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense, OneToOne
from ml_genn.neurons import IntegrateFire, IntegrateFireInput, LeakyIntegrate


def small_network():
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(), 4)
        hid = Population(IntegrateFire(), 3)
        out = Population(LeakyIntegrate(readout="sum_var"), 2)
        Connection(inp, hid, Dense(1.0))
        Connection(hid, out, Dense(1.0))
    return net, inp, hid, out


def raises_runtime(func, match, also=None):
    with pytest.raises(RuntimeError, match=match) as info:
        func()
    if also is not None:
        assert isinstance(info.value, also)


def test_network_construction_errors_are_runtime_errors():
    # population.py: a shape that is neither None, an int nor a tuple
    raises_runtime(lambda: Population(IntegrateFire(), "wide"), "shape", TypeError)
    # sequential_network.py: layers outside a SequentialNetwork's with block
    raises_runtime(lambda: Layer(Dense(1.0), IntegrateFire(), 3), "SequentialNetwork")
    raises_runtime(lambda: InputLayer(IntegrateFireInput(), 3), "SequentialNetwork")
    # readouts: a spike readout on a neuron that never spikes
    raises_runtime(lambda: LeakyIntegrate(readout="spike_count"), "SpikeCount", ValueError)
    # utils/module.py: an unknown registered name
    raises_runtime(lambda: LeakyIntegrate(readout="avg_varr"), "avg_varr")
    # connectivity: weights whose shape does not fit the populations
    net = Network()
    with net:
        a = Population(IntegrateFireInput(), 4)
        b = Population(IntegrateFire(), 3)
        raises_runtime(lambda: Connection(a, b, Dense(np.ones((5, 3)))), r"\(5, 3\)", ValueError)
        raises_runtime(lambda: Connection(a, b, OneToOne(1.0)), "same size", ValueError)
    # utils/value.py: an unknown initializer name
    raises_runtime(lambda: IntegrateFire(v="normall"), "normall")


def test_run_time_errors_are_runtime_errors():
    net, inp, hid, out = small_network()
    compiled = InferenceCompiler(evaluate_timesteps=5, batch_size=2).compile(net)
    x, y = np.ones((3, 4)), np.zeros(3, dtype=int)
    with compiled:
        # compilers: every input population needs data, and x and y the same length
        raises_runtime(lambda: compiled.evaluate({}, {out: y}), "input", KeyError)
        raises_runtime(lambda: compiled.evaluate({inp: x}, {out: y[:2]}), "3.*2|2.*3")
        # input shape that does not match the population
        raises_runtime(lambda: compiled.evaluate({inp: np.ones((3, 5))}, {out: y}), "shape")
        # callbacks: a spike recorder on a population that does not record spikes, and a
        # variable the model does not have
        raises_runtime(lambda: compiled.evaluate({inp: x}, {out: y},
                                                 callbacks=[SpikeRecorder(hid)]),
                       "record_spikes")
        raises_runtime(lambda: compiled.evaluate({inp: x}, {out: y},
                                                 callbacks=[VarRecorder(hid, "W")]), "'W'")
        # utils/filter.py: an unsupported neuron filter
        raises_runtime(lambda: compiled.evaluate({inp: x}, {out: y},
                                                 callbacks=[VarRecorder(hid, "v",
                                                                        neuron_filter="all")]),
                       "filter")


def test_data_helpers_raise_runtime_errors():
    from ml_genn.utils.data import split_dataset
    raises_runtime(lambda: split_dataset({0: np.ones(4)}, 1.5), "split", ValueError)
