"""ml_genn.utils.network: layers to populations and topological order."""
import pytest

from ml_genn import Connection, InputLayer, Layer, Network, Population, SequentialNetwork
from ml_genn.connectivity import Dense
from ml_genn.utils.network import get_network_dag, get_underlying_conn, get_underlying_pop


def test_topological_order_with_recurrence_and_branches():
    with Network():
        inp = Population("spike_input", 2, name="in")
        a = Population("integrate_fire", 2, name="a")
        b = Population("integrate_fire", 2, name="b")
        out = Population("leaky_integrate", 2, name="out")
        island = Population("integrate_fire", 2, name="island")
        Connection(inp, a, Dense(1.0))
        Connection(a, a, Dense(1.0))  # recurrent
        Connection(a, b, Dense(1.0))
        Connection(inp, out, Dense(1.0))
        Connection(b, out, Dense(1.0))
    order = get_network_dag(inp, out)
    assert set(order) == {inp, a, b, out}
    # Every population comes after all the (non-recurrent) populations feeding it
    for pop in order:
        for conn in pop.incoming_connections:
            if conn.source is not pop:
                assert order.index(conn.source) < order.index(pop)
    with pytest.raises(ValueError, match=r"\['island'\] cannot be reached"):
        get_network_dag([inp], [island])


def test_underlying_objects_of_layers():
    with SequentialNetwork():
        first = InputLayer("spike_input", 3)
        second = Layer(Dense(1.0), "integrate_fire", 2)
    assert get_underlying_pop(first) is first.population
    assert get_underlying_conn(second) is second.connection
    with pytest.raises(TypeError, match="Expected a Connection or a Layer with an incoming"):
        get_underlying_conn(first)
    with pytest.raises(TypeError, match="Expected a Population, InputLayer or Layer"):
        get_underlying_pop("first")
