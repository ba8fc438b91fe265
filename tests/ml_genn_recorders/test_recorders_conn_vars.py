"""ConnVarRecorder: weights and delays of known matrices, filters, sparse and batched vars."""
from types import SimpleNamespace

import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import CallbackList, ConnVarRecorder
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Conv2D, Dense, OneToOne
from ml_genn.engine import SynapseMatrixType
from ml_genn.neurons import IntegrateFire, IntegrateFireInput
from recorders_reference import IFNetwork, TIMESTEPS, random_inputs, random_weights

NUM_EXAMPLES = 10


@pytest.fixture(scope="module", params=[1, 5], ids=["batch1", "batch5"])
def net_2d(request):
    net = IFNetwork((3, 4), (2, 3), random_weights(12, 6, seed=21), batch_size=request.param)
    with net.compiled:
        yield net


def _mask(f, shape):
    mask = np.zeros(shape, dtype=bool)
    if f is None:
        mask[...] = True
    else:
        mask[tuple(f) if isinstance(f, list) else f] = True
    return mask.reshape(-1)


def test_dense_weights_of_a_known_matrix_with_filters(net_2d):
    W = net_2d.weights
    # (recorder arguments, examples they record)
    cases = {
        "all": (dict(), range(NUM_EXAMPLES)),
        "src_index_exp": (dict(src_neuron_filter=np.index_exp[0:2, 1]), range(NUM_EXAMPLES)),
        "both": (dict(src_neuron_filter=[[0, 2], [3, 1]],
                      trg_neuron_filter=np.array([[0, 1, 1], [1, 0, 0]], dtype=bool),
                      example_filter=[2, 3, 9]), [2, 3, 9]),
        "trg_int": (dict(trg_neuron_filter=1, example_filter=np.array([0, 1], dtype=bool)), [1]),
    }
    recorders = [ConnVarRecorder(net_2d.conn, "g", key=k, **kw) for k, (kw, _) in cases.items()]
    cb_data = net_2d.evaluate(random_inputs(NUM_EXAMPLES, 12, seed=1).reshape(-1, 3, 4),
                              recorders)
    for key, (kw, examples) in cases.items():
        src = _mask(kw.get("src_neuron_filter"), (3, 4))
        trg = _mask(kw.get("trg_neuron_filter"), (2, 3))
        assert len(cb_data[key]) == len(examples), key
        expected = np.broadcast_to(W[np.ix_(src, trg)], (TIMESTEPS, src.sum(), trg.sum()))
        for record in cb_data[key]:
            np.testing.assert_array_equal(record, expected, err_msg=key)


def _compile(build, batch_size=1):
    network = Network()
    with network:
        parts = build()
    compiled = InferenceCompiler(evaluate_timesteps=3, batch_size=batch_size,
                                 reset_in_syn_between_batches=True,
                                 rng_seed=1).compile(network, name="conn_var_test")
    return compiled, parts


def test_delays_and_sparse_weights_and_nan_where_no_synapse():
    W = random_weights(4, 5, seed=22)
    D = np.arange(20, dtype=np.float32).reshape(4, 5) % 3
    w_diag = np.array([0.5, 0.25, 0.75, 0.125], dtype=np.float32)

    def build():
        inp = Population(IntegrateFireInput(), 4, name="inp")
        hid = Population(IntegrateFire(readout="var"), 5, name="hid")
        same = Population(IntegrateFire(), 4, name="same")
        delayed = Connection(inp, hid, Dense(W, delay=D), name="delayed", max_delay_steps=2)
        diag = Connection(inp, same, OneToOne(w_diag), name="diag")
        return inp, hid, delayed, diag

    compiled, (inp, hid, delayed, diag) = _compile(build, batch_size=2)
    with compiled:
        assert compiled.connection_populations[diag].matrix_type is SynapseMatrixType.SPARSE
        _, cb_data = compiled.predict({inp: random_inputs(3, 4, seed=2)}, hid, callbacks=[
            ConnVarRecorder(delayed, "d", key="d", trg_neuron_filter=[0, 4]),
            ConnVarRecorder(delayed, "g", key="g", example_filter=1),
            ConnVarRecorder(diag, "g", key="diag"),
            ConnVarRecorder(diag, "g", key="diag_part", src_neuron_filter=[1, 2],
                            trg_neuron_filter=[0, 2])])
    assert len(cb_data["d"]) == 3  # two batches of two; the padding slot is not recorded
    for record in cb_data["d"]:
        np.testing.assert_array_equal(record, np.broadcast_to(D[:, [0, 4]], (3, 4, 2)))
    assert len(cb_data["g"]) == 1
    np.testing.assert_array_equal(cb_data["g"][0], np.broadcast_to(W, (3, 4, 5)))
    expected = np.full((4, 4), np.nan, dtype=np.float32)
    np.fill_diagonal(expected, w_diag)
    for record in cb_data["diag"]:
        np.testing.assert_array_equal(record, np.broadcast_to(expected, (3, 4, 4)))
    for record in cb_data["diag_part"]:
        np.testing.assert_array_equal(record, np.broadcast_to(expected[np.ix_([1, 2], [0, 2])],
                                                              (3, 2, 2)))


def test_unknown_variable_and_convolution_connectivity_are_refused():
    def build():
        inp = Population(IntegrateFireInput(), (4, 4, 1), name="img")
        out = Population(IntegrateFire(readout="var"), (3, 3, 1), name="out")
        conv = Connection(inp, out, Conv2D(filters=1, conv_size=2, weight=0.5), name="conv")
        inp2 = Population(IntegrateFireInput(), 2, name="inp2")
        out2 = Population(IntegrateFire(readout="var"), 2, name="out2")
        dense = Connection(inp2, out2, Dense(np.ones((2, 2), dtype=np.float32)), name="dense")
        return inp, out, conv, dense

    compiled, (inp, out, conv, dense) = _compile(build)
    with compiled:
        for recorder, message in (
                (ConnVarRecorder(dense, "Gradient"), r"Connection 'dense' has no synapse variable "
                                                     r"'Gradient' .*its variables: 'g'"),
                (ConnVarRecorder(conv, "g"), r"'conv' has convolution \(TOEPLITZ\)")):
            callbacks = [recorder]
            with pytest.raises(ValueError, match=message):
                CallbackList(callbacks, compiled_network=compiled, num_batches=1)
    with pytest.raises(TypeError, match="genn_var must be the engine name"):
        ConnVarRecorder(dense, None)


class _FakeVar:
    def __init__(self, array):
        self.view = array

    def pull_from_device(self):
        pass


def test_batched_synapse_variable_keeps_each_examples_own_values():
    # A per-example synapse variable (as a training compiler's Gradient is), driven by hand so
    # the expected values are known exactly
    network = Network()
    with network:
        pre = Population(IntegrateFireInput(), 3, name="pre")
        post = Population(IntegrateFire(), 2, name="post")
        conn = Connection(pre, post, Dense(np.zeros((3, 2), dtype=np.float32)), name="c")
    batch_size, steps, num_batches = 4, 5, 2
    gradient = np.zeros((batch_size, 6), dtype=np.float32)
    group = SimpleNamespace(vars={"Gradient": _FakeVar(gradient)},
                            matrix_type=SynapseMatrixType.DENSE)
    genn_model = SimpleNamespace(batch_size=batch_size, timestep=0, dt=1.0)
    compiled = SimpleNamespace(genn_model=genn_model, connection_populations={conn: group},
                               neuron_populations={}, example_timesteps=steps)
    recorder = ConnVarRecorder(conn, "Gradient", key="grad", example_filter=[1, 2, 6],
                               src_neuron_filter=[0, 2], trg_neuron_filter=[1])
    callbacks = CallbackList([recorder], compiled_network=compiled, num_batches=num_batches)

    def value(batch, slot, step):
        return (1000 * batch + 100 * slot + step + np.arange(6)).reshape(3, 2)

    for batch in range(num_batches):
        callbacks.on_batch_begin(batch)
        for step in range(steps):
            for slot in range(batch_size):
                gradient[slot] = value(batch, slot, step).ravel()
            callbacks.on_timestep_end(step)
        callbacks.on_batch_end(batch, {})
    data = callbacks.get_data()["grad"]
    assert len(data) == 3
    for record, example in zip(data, [1, 2, 6]):
        batch, slot = divmod(example, batch_size)
        expected = np.stack([value(batch, slot, s)[np.ix_([0, 2], [1])] for s in range(steps)])
        np.testing.assert_array_equal(record, expected)
