"""Deep-R (deep_r_conns) trained with EventProp and e-prop: what Bellec et al.'s rewiring
promises, checked step by step against the network's own state read through public views."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback, Checkpoint
from ml_genn.compilers import EPropCompiler, EventPropCompiler
from ml_genn.connectivity import Dense, FixedProbability
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD, Adam
from ml_genn.serialisers import Numpy
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes

NUM_IN, NUM_HID, NUM_OUT, STEPS, BATCH, EXAMPLES = 20, 12, 3, 20, 4, 16


def _data(seed=3):
    """Three classes, each firing its own third of the inputs early (plus noise)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_OUT, EXAMPLES)
    spikes = []
    for label in labels:
        ids = np.concatenate([np.arange(label * 6, label * 6 + 6), rng.integers(0, NUM_IN, 4)])
        times = np.concatenate([rng.uniform(0, 8, 6), rng.uniform(0, STEPS - 1, 4)])
        order = np.argsort(times)
        spikes.append(preprocess_spikes(times[order], ids[order], NUM_IN))
    return spikes, labels


def _network(kind, p=0.4):
    eventprop = kind == "eventprop"
    params = {}
    if eventprop:
        from ml_genn.compilers.event_prop_compiler import default_params as params
    else:
        from ml_genn.compilers.eprop_compiler import default_params as params
    net = Network(params)
    with net:
        inp = Population(SpikeInput(max_spikes=BATCH * 10), NUM_IN, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=0.5 if eventprop else 0.61, tau_mem=20.0,
                                            tau_refrac=None if eventprop else 5.0),
                         NUM_HID, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var" if eventprop
                                        else "sum_var"), NUM_OUT, name="output")
        syn = (lambda: Exponential(5.0)) if eventprop else (lambda: None)
        kw = {"synapse": syn()} if eventprop else {}
        in_hid = Connection(inp, hid, FixedProbability(p, Normal(mean=0.0, sd=1.0)), **kw,
                            name="in_hid")
        kw = {"synapse": syn()} if eventprop else {}
        Connection(hid, out, Dense(Normal(sd=1.0 / np.sqrt(NUM_HID))), **kw, name="hid_out")
    return net, inp, out, in_hid


def _compiler(kind, conn, l1=0.02, optimiser=None, record=True, seed=7):
    optimiser = optimiser or Adam(0.05)
    kw = dict(losses="sparse_categorical_crossentropy", optimiser=optimiser, batch_size=BATCH,
              rng_seed=seed, deep_r_conns=[conn], deep_r_l1_strength=l1,
              deep_r_record_rewirings={conn: "rewirings"} if record else {})
    if kind == "eventprop":
        return EventPropCompiler(example_timesteps=STEPS, **kw)
    return EPropCompiler(example_timesteps=STEPS, **kw)


def _synapses(compiled, conn):
    group = compiled.connection_populations[conn]
    return (group.get_sparse_pre_inds(), group.get_sparse_post_inds(),
            np.asarray(group.vars["g"].values).reshape(-1))


def _signs(compiled, conn):
    deep_r = next(c for c in compiled.deep_r
                  if c.name == compiled.connection_populations[conn].name)
    return deep_r.get_state(compiled.genn_model).reshape(conn.source.num_neurons,
                                                         conn.target.num_neurons)


class _Watch(Callback):
    """After each optimiser step (before the rewiring) and after each batch (after it): the
    synapses, their weights and the position signs."""

    def __init__(self, conn):
        self.conn = conn
        self.before, self.after, self.gradients = [], [], []

    def set_params(self, compiled_network=None, **kwargs):
        self.net = compiled_network

    def on_after_gradient_update(self, batch):
        # Ragged rows: each row's first row-length entries are its synapses, in order
        rows = self.net.get_gradients()[self.conn]
        pre = self.net.connection_populations[self.conn].get_sparse_pre_inds()
        slot = np.arange(len(pre)) - np.searchsorted(pre, pre)
        self.gradients.append(np.array(rows[pre, slot]))

    def on_after_optimizer_step(self, batch):
        self.before.append(_synapses(self.net, self.conn) + (_signs(self.net, self.conn),))

    def on_batch_end(self, batch, metrics):
        self.after.append(_synapses(self.net, self.conn) + (_signs(self.net, self.conn),))


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_rewiring_keeps_count_and_signs_and_counts_every_zero_crossing(kind):
    spikes, labels = _data()
    net, inp, out, conn = _network(kind)
    compiled = _compiler(kind, conn).compile(net)
    watch = _Watch(conn)
    with compiled:
        pre0, post0, g0 = _synapses(compiled, conn)
        _, cb_data = compiled.train({inp: spikes}, {out: labels}, num_epochs=3,
                                    callbacks=[watch])
        signs0 = None
        total_crossings = 0
        for b, ((pre_b, post_b, g_b, s_b), (pre_a, post_a, g_a, s_a)) in enumerate(
                zip(watch.before, watch.after)):
            if signs0 is None:
                signs0 = s_b.copy()
                # Initialised from the starting weights: every synapse's position has its sign
                assert np.array_equal(signs0[pre0, post0], np.signbit(g0).astype(np.uint8))
            # Signs belong to positions and never change
            assert np.array_equal(s_a, signs0) and np.array_equal(s_b, signs0)
            # Independent count of zero crossings: synapses whose weight's sign no longer
            # matches their position's, after the optimiser step
            crossed = np.signbit(g_b) != signs0[pre_b, post_b].astype(bool)
            num_rewired, num_failed = cb_data["rewirings"][b]
            assert num_rewired == int(crossed.sum())
            total_crossings += num_rewired
            # The survivors keep their weights; the removed are gone; as many new synapses
            # (weight 0, each at a distinct position free after the removals, as in mlGeNN,
            # which may be one just vacated) were made
            before = {(i, j): w for i, j, w in zip(pre_b, post_b, g_b)}
            after = {(i, j): w for i, j, w in zip(pre_a, post_a, g_a)}
            assert len(after) == len(pre_a) == len(pre0)
            kept = {k for k, c in zip(zip(pre_b, post_b), crossed) if not c}
            assert all(after[k] == before[k] for k in kept)
            new = set(after) - kept
            assert len(new) == num_rewired
            assert all(after[k] == 0.0 for k in new)
            # Every surviving non-zero weight has its position's sign
            nz = g_a != 0.0
            assert np.array_equal(np.signbit(g_a[nz]), signs0[pre_a[nz], post_a[nz]].astype(bool))
        assert len(cb_data["rewirings"]) == len(watch.after) == 3 * (EXAMPLES // BATCH)
        # The test means something only if synapses were actually rewired
        assert total_crossings > 0


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_l1_moves_each_gradient_by_batch_times_strength_towards_zero(kind):
    """With plain SGD, one batch's summed gradient with L1 strength C minus the same batch's
    without it is +C per batch element for excitatory synapses, -C for inhibitory ones."""
    spikes, labels = _data()
    grads, signs = {}, {}
    C = 0.125
    for l1 in (0.0, C):
        net, inp, out, conn = _network(kind)
        compiled = _compiler(kind, conn, l1=l1, optimiser=SGD(0.01), record=False).compile(net)
        watch = _Watch(conn)
        with compiled:
            compiled.train({inp: spikes[:BATCH]}, {out: labels[:BATCH]}, num_epochs=1,
                           shuffle=False, callbacks=[watch])
            pre, post, _ = _synapses(compiled, conn)
            grads[l1] = watch.gradients[0]
            signs[l1] = watch.before[0][3][watch.before[0][0], watch.before[0][1]]
    assert np.array_equal(signs[0.0], signs[C])
    expected = np.where(signs[C] == 1, -BATCH * C, BATCH * C)
    np.testing.assert_allclose(grads[C] - grads[0.0], expected, rtol=0, atol=1e-5)


def _final_state(compiled, conn):
    pre, post, g = _synapses(compiled, conn)
    return pre, post, g, _signs(compiled, conn)


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_resume_mid_training_is_bit_exact(kind, tmp_path):
    spikes, labels = _data()
    folder = str(tmp_path / "run")
    # Uninterrupted: 2 epochs with checkpoints after each, then a third (e-prop keeps the
    # synapse traces of the latest checkpoint only, so runs resume from that one)
    net, inp, out, conn = _network(kind)
    with _compiler(kind, conn).compile(net) as compiled:
        _, full = compiled.train({inp: spikes}, {out: labels}, num_epochs=2,
                                 callbacks=[Checkpoint(Numpy(folder))])
        _, last = compiled.train({inp: spikes}, {out: labels}, num_epochs=1, start_epoch=2)
        reference = _final_state(compiled, conn)
    # A fresh process's way: load epoch 1's checkpoint into a fresh network, compile, resume
    net, inp, out, conn = _network(kind)
    net.load((1,), Numpy(folder))
    with _compiler(kind, conn).compile(net) as compiled:
        _, resumed = compiled.train({inp: spikes}, {out: labels}, num_epochs=1, start_epoch=2)
        state = _final_state(compiled, conn)
    for a, b in zip(reference, state):
        assert np.array_equal(a, b)
    assert resumed["rewirings"] == last["rewirings"]
    # In place (ResumeTraining's way): a network that trained elsewhere restores epoch 1
    net, inp, out, conn = _network(kind)
    with _compiler(kind, conn, seed=8).compile(net) as compiled:
        compiled.train({inp: spikes}, {out: labels}, num_epochs=1)
        assert not np.array_equal(_final_state(compiled, conn)[1], reference[1])
        compiled.restore_checkpoint((1,), Numpy(folder))
        _, resumed = compiled.train({inp: spikes}, {out: labels}, num_epochs=1, start_epoch=2)
        state = _final_state(compiled, conn)
    for a, b in zip(reference, state):
        assert np.array_equal(a, b)
    assert resumed["rewirings"] == last["rewirings"]


def test_sparse_weights_and_synapses_round_trip_through_a_checkpoint(tmp_path):
    """Every sparse connection's synapses are saved with its weights, so a FixedProbability
    network (no Deep-R) drawn from another seed loads exactly the saved synapses."""
    from ml_genn.compilers import InferenceCompiler
    net, inp, out, conn = _network("eprop")
    with InferenceCompiler(evaluate_timesteps=STEPS, rng_seed=11).compile(net) as compiled:
        pre, post, g = _synapses(compiled, conn)
        compiled.save((5,), Numpy(str(tmp_path)))
    net2, inp2, out2, conn2 = _network("eprop")
    net2.load((5,), Numpy(str(tmp_path)))
    with InferenceCompiler(evaluate_timesteps=STEPS, rng_seed=99).compile(net2) as compiled:
        pre2, post2, g2 = _synapses(compiled, conn2)
    assert np.array_equal(pre, pre2) and np.array_equal(post, post2) and np.array_equal(g, g2)
    # Another seed draws other synapses: the load is what made them equal
    net3, _, _, conn3 = _network("eprop")
    with InferenceCompiler(evaluate_timesteps=STEPS, rng_seed=99).compile(net3) as compiled:
        assert not np.array_equal(_synapses(compiled, conn3)[1], post)


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_same_seed_same_rewiring_at_any_thread_count(kind):
    spikes, labels = _data()
    results = []
    for threads in (1, 2):
        net, inp, out, conn = _network(kind)
        with _compiler(kind, conn).compile(net) as compiled:
            compiled.genn_model.set_num_threads(threads)
            assert compiled.genn_model.num_threads == threads
            _, cb_data = compiled.train({inp: spikes}, {out: labels}, num_epochs=2)
            results.append((cb_data["rewirings"], _final_state(compiled, conn)))
    assert results[0][0] == results[1][0] and sum(n for n, _ in results[0][0]) > 0
    for a, b in zip(results[0][1], results[1][1]):
        assert np.array_equal(a, b)
