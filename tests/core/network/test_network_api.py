"""Network, Population and Connection behaviour and their errors."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import Dense, FixedProbability, OneToOne
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.serialisers import Numpy
from ml_genn.synapses import Delta, Exponential


def test_populations_and_connections_are_collected_in_order():
    net = Network()
    with net:
        a = Population(SpikeInput(), 4)
        b = Population(LeakyIntegrateFire(), (3,))
        c = Population("leaky_integrate", 2)
        ab = Connection(a, b, Dense(np.zeros((4, 3))))
        bc = Connection(b, c, Dense(1.0), Exponential())
    assert net.populations == [a, b, c]
    assert net.connections == [ab, bc]
    assert b.incoming_connections == [ab] and b.outgoing_connections == [bc]
    assert a.incoming_connections == [] and c.outgoing_connections == []
    # mlGeNN style (weak-reference calls) and attribute style give the same objects
    assert ab.source is a and ab.source() is a and ab.target() is b
    assert b.incoming_connections[0]() is ab
    assert isinstance(c.neuron, LeakyIntegrate) and isinstance(ab.synapse, Delta)


def test_shapes_as_int_or_tuple():
    with Network():
        p = Population("integrate_fire", 5)
        q = Population("integrate_fire", [2, 3])
    assert p.shape == (5,) and q.shape == (2, 3)
    assert p.num_neurons == 5 and q.num_neurons == 6


@pytest.mark.parametrize("shape", ["10", 2.5, (2, 0), (), (3, True)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises((TypeError, ValueError), match="Population 'x' shape"):
        with Network():
            Population("integrate_fire", shape, name="x")


def test_default_names_are_numbered_per_network_and_connections_named_by_ends():
    for _ in range(2):
        with Network() as net:
            a = Population("spike_input", 2)
            b = Population("integrate_fire", 2, name="Pop1_custom")
            c = Population("integrate_fire", 2)
            Connection(a, b, OneToOne(1.0))
            Connection(a, b, OneToOne(2.0))
        # Rebuilding gives the same names, so checkpoints keyed by name load again
        assert [p.name for p in net.populations] == ["Pop0", "Pop1_custom", "Pop1"]
        assert [c.name for c in net.connections] == ["Conn_Pop0_Pop1_custom",
                                                     "Conn_Pop0_Pop1_custom_1"]
        assert str(c) == "Pop1"


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="Population name 'h' is already used"):
        with Network():
            Population("integrate_fire", 2, name="h")
            Population("integrate_fire", 2, name="h")
    with pytest.raises(ValueError, match="Connection name 'c' is already used"):
        with Network():
            a = Population("integrate_fire", 2)
            Connection(a, a, Dense(1.0), name="c")
            Connection(a, a, Dense(1.0), name="c")


def test_objects_outside_a_network_block_are_refused():
    with pytest.raises(RuntimeError, match="Population must be created inside a 'with network:'"):
        Population("integrate_fire", 2)
    with Network():
        a = Population("integrate_fire", 2)
    with pytest.raises(RuntimeError, match="Connection must be created inside"):
        Connection(a, a, Dense(1.0))


def test_nested_networks_are_refused_and_context_is_released():
    outer = Network()
    with pytest.raises(RuntimeError, match="Nested networks are not supported"):
        with outer:
            with Network():
                pass
    # The failed nesting left no network active
    assert Network._context is None
    with Network() as net:
        Population("integrate_fire", 1)
    assert len(net.populations) == 1


def test_user_exception_inside_block_releases_context():
    with pytest.raises(KeyError):
        with Network():
            raise KeyError("mine")
    assert Network._context is None


def test_record_flags():
    with Network():
        p = Population("integrate_fire", 3, record_spikes=True, record_spike_events=True)
        q = Population("integrate_fire", 3)
        with pytest.raises(TypeError, match="record_spikes must be True or False, got str"):
            Population("integrate_fire", 3, record_spikes="yes")
    assert p.record_spikes and p.record_spike_events
    assert not q.record_spikes and not q.record_spike_events


def test_neuron_and_components_are_copied():
    lif = LeakyIntegrateFire(v_thresh=2.0)
    dense = Dense(Normal(sd=0.5))
    with Network():
        a = Population(lif, 2)
        b = Population(lif, 2)
        conn = Connection(a, b, dense)
    assert a.neuron is not lif and a.neuron is not b.neuron
    assert a.neuron.v_thresh == 2.0
    assert conn.connectivity is not dense and conn.connectivity.weight.sd == 0.5


def test_wrong_component_types_name_the_object():
    with Network():
        with pytest.raises(TypeError, match="Population 'p' neuron must be a "
                                            "ml_genn.neurons.neuron.Neuron object"):
            Population(42, 2, name="p")
        a = Population("integrate_fire", 2, name="a")
        with pytest.raises(TypeError, match="Connection 'c' synapse must be"):
            Connection(a, a, Dense(1.0), synapse=Dense(1.0), name="c")
        with pytest.raises(TypeError, match="Connection source must be a Population"):
            Connection("a", a, Dense(1.0))


def test_dense_weight_shape_mismatch_names_connection_expected_and_received():
    with pytest.raises(ValueError) as info:
        with Network():
            inp = Population("spike_input", 784, name="input")
            hid = Population("leaky_integrate_fire", 100, name="hidden")
            Connection(inp, hid, Dense(np.ones((784, 128))), name="in_hid")
    message = str(info.value)
    assert "Connection 'in_hid'" in message
    assert "(784, 128)" in message and "expected (784, 100)" in message


def test_dense_weights_infer_missing_shapes():
    w = np.arange(12.0).reshape(3, 4)
    with Network():
        a = Population("spike_input")
        b = Population("integrate_fire")
        Connection(a, b, Dense(w))
    assert a.shape == (3,) and b.shape == (4,)


def test_dense_weight_array_checked_against_flattened_sizes():
    with Network():
        a = Population("spike_input", (2, 3))
        b = Population("integrate_fire", 4)
        Connection(a, b, Dense(np.ones((6, 4))))
        with pytest.raises(ValueError, match=r"expected \(6, 4\)"):
            Connection(a, b, Dense(np.ones((6, 5))))


def test_missing_shape_is_reported_when_block_ends():
    with pytest.raises(ValueError, match="Population 'free' has no shape"):
        with Network():
            a = Population("spike_input", 3)
            b = Population("integrate_fire", name="free")
            Connection(a, b, FixedProbability(0.5, 1.0))


def test_shapes_inferred_later_are_revalidated_when_block_ends():
    # b's shape is unknown when 'late' is made, and only set by the connection after it
    with pytest.raises(ValueError, match=r"Connection 'late'.*'tau' is an array of shape "
                                         r"\(3,\), expected \(4,\)"):
        with Network():
            a = Population("spike_input", 2)
            b = Population("integrate_fire")
            Connection(a, b, Dense(1.0), Exponential(tau=np.ones(3)), name="late")
            Connection(a, b, Dense(np.ones((2, 4))), name="setter")


def test_max_delay_steps_validation():
    with Network():
        a = Population("spike_input", 2)
        b = Population("integrate_fire", 2)
        conn = Connection(a, b, Dense(1.0, delay=np.array([[0, 3], [2, 1]])), max_delay_steps=3)
        assert conn.max_delay_steps == 3
        with pytest.raises(ValueError, match="delays reach 4 timesteps but max_delay_steps is 3"):
            Connection(a, b, Dense(1.0, delay=4), max_delay_steps=3)
        with pytest.raises(ValueError, match="max_delay_steps must be None or an integer"):
            Connection(a, b, Dense(1.0), max_delay_steps=-1)
        with pytest.raises(ValueError, match="delays drawn by Uniform need max_delay_steps"):
            Connection(a, b, Dense(1.0, delay="uniform"))
        with pytest.raises(ValueError, match="delay must not be negative"):
            Connection(a, b, Dense(1.0, delay=-1))


def test_synapse_arrays_are_checked_against_target():
    with Network():
        a = Population("spike_input", 2)
        b = Population("integrate_fire", 3, name="b")
        Connection(a, b, Dense(1.0), Exponential(tau=np.array([1.0, 2.0, 3.0])))
        with pytest.raises(ValueError, match=r"Exponential parameter 'tau' is an array of shape "
                                             r"\(2,\), expected \(3,\)"):
            Connection(a, b, Dense(1.0), Exponential(tau=np.array([1.0, 2.0])))


def test_populations_of_another_network_are_refused():
    with Network():
        other = Population("integrate_fire", 2, name="other")
    with pytest.raises(ValueError, match="Population 'other': it belongs to another network"):
        with Network():
            mine = Population("integrate_fire", 2)
            Connection(other, mine, Dense(1.0))


def test_load_assigns_weights_and_neuron_parameters_by_name(tmp_path):
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 2))
    bias = rng.normal(size=2)
    with Network() as net:
        a = Population("spike_input", 3, name="in")
        b = Population(LeakyIntegrate(), 2, name="out")
        conn = Connection(a, b, Dense(0.0), name="in_out")
    serialiser = Numpy(str(tmp_path))
    serialiser.serialise((7, conn, "g"), w)
    serialiser.serialise((7, b, "Bias"), bias)
    net.load((7,), serialiser)
    np.testing.assert_array_equal(conn.connectivity.weight, w)
    np.testing.assert_array_equal(b.neuron.bias, bias)

    # A checkpoint of another shape is refused, naming the connection
    serialiser.serialise((8, conn, "g"), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"Connection 'in_out'.*\(3, 5\), expected \(3, 2\)"):
        net.load((8,), serialiser)


def test_load_by_serialiser_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Network() as net:
        a = Population("spike_input", 2, name="in")
        conn = Connection(a, a, Dense(0.0), name="rec")
    Numpy().serialise((1, conn, "g"), np.eye(2))
    net.load((1,), "numpy")
    np.testing.assert_array_equal(conn.connectivity.weight, np.eye(2))
    with pytest.raises(TypeError, match="Network.load keys must be a tuple"):
        net.load(1, "numpy")
