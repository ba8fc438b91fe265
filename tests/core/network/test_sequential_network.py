"""SequentialNetwork, InputLayer and Layer."""
import numpy as np
import pytest

from ml_genn import InputLayer, Layer, Network, Population, SequentialNetwork
from ml_genn.connectivity import AvgPool2D, Conv2D, Dense, FixedProbability
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, PoissonInput
from ml_genn.synapses import Exponential


def test_layers_chain_and_infer_shapes():
    net = SequentialNetwork()
    with net:
        inp = InputLayer(PoissonInput(), (8, 8, 2), record_spikes=True, name="input")
        conv = Layer(Conv2D(0.1, filters=3, conv_size=3), "integrate_fire")
        pool = Layer(AvgPool2D(2, flatten=True), LeakyIntegrateFire(), synapse="exponential")
        out = Layer(Dense(np.ones((27, 5))), LeakyIntegrate(readout="sum_var"),
                    synapse=Exponential(tau=2.0), name="output")
    assert net.layers == [inp, conv, pool, out]
    # Independent: a 3x3 'valid' kernel leaves 8 - 3 + 1 = 6; 2x2 pooling of 6 leaves 3
    assert conv.population.shape == (6, 6, 3)
    assert pool.population.shape == (3 * 3 * 3,)
    assert out.population.shape == (5,)
    assert [p for p in net.populations] == [l.population for l in net.layers]
    assert net.connections == [conv.connection, pool.connection, out.connection]
    assert conv.connection.source() is inp.population and conv.connection.target is conv.population
    assert inp.population() is inp.population and inp.population.record_spikes
    assert out.name == "output" and out.connection.synapse.tau == 2.0
    assert isinstance(pool.connection.synapse, Exponential)


def test_first_layer_without_input_layer_has_no_connection():
    with SequentialNetwork() as net:
        first = Layer(Dense(1.0), "integrate_fire", shape=4)
        second = Layer(FixedProbability(0.1, 1.0), "integrate_fire", shape=2,
                       max_delay_steps=5)
    assert first.connection is None
    assert second.connection.max_delay_steps == 5
    assert len(net.connections) == 1


def test_layers_need_a_sequential_network():
    with pytest.raises(RuntimeError, match="InputLayer must be created inside a "
                                           "'with sequential_network:' block"):
        InputLayer("poisson_input", 3)
    with pytest.raises(RuntimeError, match="Layer must be created inside.*enclosing network "
                                           "is a Network"):
        with Network():
            Layer(Dense(1.0), "integrate_fire", 3)


def test_sequential_network_also_takes_populations():
    with SequentialNetwork() as net:
        inp = InputLayer("spike_input", 3)
        extra = Population("integrate_fire", 2)
    assert net.populations == [inp.population, extra]
    assert net.layers == [inp]


def test_layer_shape_error_names_the_connection_and_population():
    with pytest.raises(ValueError, match=r"Conv2D output shape is \(2, 2, 1\), but target "
                                         r"Population 'bad' has shape \(3, 3, 1\)"):
        with SequentialNetwork():
            InputLayer("poisson_input", (4, 4, 1))
            Layer(Conv2D(1.0, 1, 3), "integrate_fire", shape=(3, 3, 1), name="bad")
