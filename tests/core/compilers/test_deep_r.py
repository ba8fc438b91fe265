"""Deep-R rewiring (ml_genn.compilers.deep_r) on tiny engine models, checked against NumPy
bookkeeping of (pre, post) -> weight and the per-position signs."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine"))
from engine_models import DELTA, build  # noqa: E402

from ml_genn.compilers import deep_r  # noqa: E402
from ml_genn.engine import (ModelSpec, create_custom_update_model, create_neuron_model,  # noqa: E402
                            create_weight_update_model, create_wu_var_ref, init_postsynaptic,
                            init_weight_update)
from ml_genn.errors import InvalidValueError  # noqa: E402

SEED = 1234
ETA, C = 0.5, 0.05
PRE = create_neuron_model("Pre", vars=[("s", "scalar")])
POST = create_neuron_model("Post", vars=[("x", "scalar")], sim_code="x = Isyn;")
WU = create_weight_update_model("Learnable", vars=[("g", "scalar"), ("Gradient", "scalar")],
                                pre_spike_syn_code="addToPost(g);")
# A deterministic stand-in for a learning gradient that changes every batch (Phase)
GRAD = create_custom_update_model(
    "Grad", params=[("Phase", "unsigned int")], var_refs=[("Gradient", "scalar")],
    update_code="Gradient = 0.2 * ((scalar)((id_pre * 7 + id_post * 3 + Phase) % 11) - 5.0);")
LEARN = create_custom_update_model(
    "Learn", params=[("Eta", "scalar")], var_refs=[("g", "scalar"), ("Gradient", "scalar")],
    update_code="g -= Eta * Gradient; Gradient = 0.0;")


def _grad(pre, post, phase):
    return 0.2 * (((pre * 7 + post * 3 + phase) % 11).astype(float) - 5.0)


def _connectivity(num_pre=5, num_post=8, per_row=3, seed=0):
    rng = np.random.default_rng(seed)
    pre = np.repeat(np.arange(num_pre), per_row)
    post = np.concatenate([rng.choice(num_post, per_row, replace=False) for _ in range(num_pre)])
    g = rng.uniform(-1.0, 1.0, len(pre))
    return num_pre, num_post, pre, post, g


def _model(name, conn, l1=C):
    num_pre, num_post, pre, post, g = conn
    m = ModelSpec("double", name)
    m.seed = SEED
    a = m.add_neuron_population("a", num_pre, PRE, {}, {"s": 0.0})
    b = m.add_neuron_population("b", num_post, POST, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", "SPARSE", a, b,
                                  init_weight_update(WU, vars={"g": g, "Gradient": 0.0}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre, post)
    grad = m.add_custom_update("grad", "Grad", GRAD, {"Phase": 0}, {},
                               {"Gradient": create_wu_var_ref(sg, "Gradient")})
    grad.set_param_dynamic("Phase")
    m.add_custom_update("learn", "Learn", LEARN, {"Eta": ETA}, {},
                        {"g": create_wu_var_ref(sg, "g"), "Gradient": create_wu_var_ref(sg, "Gradient")})
    conns = deep_r.add_deep_r(m, [(sg, create_wu_var_ref(sg, "g"), create_wu_var_ref(sg, "Gradient"))], l1)
    return m, conns


def _synapses(rt):
    s = rt.synapse_populations["syn"]
    pre, post = s.get_sparse_pre_inds(), s.get_sparse_post_inds()
    g = s.vars["g"].values.reshape(-1)
    return {(int(p), int(q)): float(w) for p, q, w in zip(pre, post, g)}


def _signs(rt, conns):
    return conns[0].get_state(rt).astype(bool).reshape(conns[0].num_pre, conns[0].num_post)


def _batch(rt, conns, step):
    """One training batch: gradient, L1, optimiser step, rewiring."""
    rt.custom_update_populations["grad"].set_dynamic_param_value("Phase", step)
    rt.custom_update("Grad")
    if step > 0:   # mlGeNN applies L1 from the second batch on
        deep_r.apply_l1(rt, conns)
    rt.custom_update("Learn")
    return deep_r.rewire(rt, conns, SEED, step)


def test_l1_then_learning_step_matches_numpy():
    conn = _connectivity()
    m, conns = _model("deep_r_l1", conn)
    rt = build(m)
    deep_r.initialise(rt, conns, SEED, 0)
    before = _synapses(rt)
    inhibitory = _signs(rt, conns)
    # Every existing synapse's position took its weight's sign
    assert all(inhibitory[k] == (w < 0.0) for k, w in before.items())
    rt.custom_update_populations["grad"].set_dynamic_param_value("Phase", 3)
    rt.custom_update("Grad")
    deep_r.apply_l1(rt, conns)
    rt.custom_update("Learn")
    after = _synapses(rt)
    assert after.keys() == before.keys()
    for (p, q), w in before.items():
        grad = _grad(np.array(p), np.array(q), 3) + (-C if inhibitory[p, q] else C)
        assert after[p, q] == pytest.approx(w - ETA * grad, abs=1e-12)


def test_rewiring_keeps_count_and_signs_and_counts_the_sign_changes():
    conn = _connectivity()
    m, conns = _model("deep_r_rewire", conn)
    rt = build(m)
    deep_r.initialise(rt, conns, SEED, 0)
    n = len(conn[2])
    total = 0
    for step in range(8):
        rt.custom_update_populations["grad"].set_dynamic_param_value("Phase", step)
        rt.custom_update("Grad")
        if step > 0:
            deep_r.apply_l1(rt, conns)
        rt.custom_update("Learn")
        learnt = _synapses(rt)
        inhibitory = _signs(rt, conns)
        crossed = {k for k, w in learnt.items() if (w < 0.0) != inhibitory[k]}
        counts = deep_r.rewire(rt, conns, SEED, step)
        after = _synapses(rt)
        assert counts["syn"][0] == len(crossed)
        assert len(after) == n
        # Survivors keep their weights; new synapses start at 0 on positions free before
        assert set(learnt) - crossed <= set(after)
        for k, w in after.items():
            assert w == (learnt[k] if k in learnt and k not in crossed else 0.0)
        # No weight has the opposite sign of its position
        signs = _signs(rt, conns)
        assert all((w <= 0.0) if signs[k] else (w >= 0.0) for k, w in after.items())
        total += len(crossed)
    assert total > 0, "the stand-in gradient should make some weights change sign"
    assert rt.custom_connectivity_update_populations["DeepR2syn"].num_failed_additions == 0


def test_full_rows_give_failed_rewirings(monkeypatch):
    # Rows 1..4 are full; only row 0 loses synapses, so every draw of another row fails
    num_pre, num_post = 5, 4
    pre = np.repeat(np.arange(num_pre), num_post)
    post = np.tile(np.arange(num_post), num_pre)
    g = np.where(pre == 0, 0.01, 1.0) * np.where(post % 2 == 0, 1.0, -1.0)
    conn = (num_pre, num_post, pre, post, g)
    m, conns = _model("deep_r_full", conn, l1=0.0)
    rt = build(m)
    deep_r.initialise(rt, conns, SEED, 0)
    # Flip every weight of row 0 (its synapses become dormant); others keep their sign
    s = rt.synapse_populations["syn"]
    flipped = np.where(s.get_sparse_pre_inds() == 0, -1.0, 1.0) * s.vars["g"].values.reshape(-1)
    s.vars["g"].values = flipped
    draws = []
    real_rng = deep_r.DeepRConnection._rng

    class Recording:
        def __init__(self, rng):
            self.rng = rng

        def integers(self, *args, **kwargs):
            out = self.rng.integers(*args, **kwargs)
            draws.extend(int(x) for x in np.atleast_1d(out))
            return out

        def random(self, *args, **kwargs):
            return self.rng.random(*args, **kwargs)

    monkeypatch.setattr(deep_r.DeepRConnection, "_rng",
                        staticmethod(lambda *a: Recording(real_rng(*a))))
    num_rewirings, num_failed = deep_r.rewire(rt, conns, SEED, 0)["syn"]
    assert num_rewirings == num_post
    # Independent count: of the draws up to the num_post-th draw of row 0 (the only row with
    # room), every one that picked another row failed
    hits, k = 0, 0
    while hits < num_post:
        hits += draws[k] == 0
        k += 1
    used = draws[:k]
    assert num_failed == sum(d != 0 for d in used) > 0
    assert len(_synapses(rt)) == num_pre * num_post
    assert rt.custom_connectivity_update_populations["DeepR2syn"].num_failed_additions == 0


def _run(name, steps, threads, conn, state=None, start=0):
    m, conns = _model(name, conn)
    rt = build(m)
    rt.set_num_threads(threads)
    if state is None:
        deep_r.initialise(rt, conns, SEED, 0)
    else:
        conns[0].set_state(rt, state)
    record = [_batch(rt, conns, step) for step in range(start, steps)]
    return rt, conns, record


def test_identical_at_one_and_two_threads():
    conn = _connectivity(num_pre=9, num_post=12, per_row=5, seed=3)
    rt1, c1, r1 = _run("deep_r_t1", 6, 1, conn)
    rt2, c2, r2 = _run("deep_r_t2", 6, 2, conn)
    assert r1 == r2 and sum(r[0] for rec in r1 for r in rec.values()) > 0
    assert _synapses(rt1) == _synapses(rt2)
    np.testing.assert_array_equal(c1[0].get_state(rt1), c2[0].get_state(rt2))


def test_resume_from_weights_connectivity_and_signs_is_bit_exact():
    conn = _connectivity(num_pre=6, num_post=10, per_row=4, seed=5)
    rt_full, c_full, rec_full = _run("deep_r_full_run", 6, 1, conn)
    rt_half, c_half, rec_half = _run("deep_r_half_run", 3, 1, conn)
    # The "checkpoint": sparse connectivity and weights in their stored order, plus the signs
    s = rt_half.synapse_populations["syn"]
    saved = (conn[0], conn[1], s.get_sparse_pre_inds(), s.get_sparse_post_inds(),
             s.vars["g"].values.reshape(-1))
    rt_res, c_res, rec_res = _run("deep_r_resumed", 6, 1, saved, c_half[0].get_state(rt_half), 3)
    assert rec_half + rec_res == rec_full
    assert list(_synapses(rt_res).items()) == list(_synapses(rt_full).items())
    np.testing.assert_array_equal(c_res[0].get_state(rt_res), c_full[0].get_state(rt_full))


def test_refuses_dense_groups_and_negative_l1():
    conn = _connectivity()
    m = ModelSpec("double", "deep_r_bad")
    a = m.add_neuron_population("a", 2, PRE, {}, {"s": 0.0})
    b = m.add_neuron_population("b", 2, POST, {}, {"x": 0.0})
    dense = m.add_synapse_population("d", "DENSE", a, b, init_weight_update(WU, vars={"g": 0.0, "Gradient": 0.0}),
                                     init_postsynaptic(DELTA))
    with pytest.raises(InvalidValueError, match="'d' must be SPARSE"):
        deep_r.add_deep_r(m, [(dense, create_wu_var_ref(dense, "g"), None)], 0.0)
    with pytest.raises(InvalidValueError, match="deep_r_l1_strength"):
        _model("deep_r_neg", conn, l1=-1.0)


def _sequential_spread(rng, row_length, capacity, count):
    """mlGeNN's host loop, one draw at a time (blocks of max(remaining, 16) draws, the rest of
    a block unused once every synapse is placed)."""
    activations = np.zeros(len(row_length), dtype=np.int64)
    failed, remaining = 0, count
    while remaining > 0:
        for i in rng.integers(0, len(row_length), max(remaining, 16)):
            if row_length[i] + activations[i] < capacity:
                activations[i] += 1
                remaining -= 1
                if remaining == 0:
                    break
            else:
                failed += 1
    return activations, failed


@pytest.mark.parametrize("case", range(40))
def test_block_spread_equals_drawing_rows_one_by_one(case):
    rng = np.random.default_rng(case)
    rows = int(rng.integers(1, 30))
    capacity = int(rng.integers(1, 12))
    row_length = rng.integers(0, capacity + 1, rows)
    room = int(np.sum(capacity - row_length))
    count = int(rng.integers(0, room + 1))
    got = deep_r.spread_over_rows(np.random.default_rng([case, 1]), row_length, capacity, count)
    want = _sequential_spread(np.random.default_rng([case, 1]), row_length, capacity, count)
    assert np.array_equal(got[0], want[0]) and got[1] == want[1]
    assert got[0].sum() == count and np.all(row_length + got[0] <= capacity)


def test_spread_counts_failures_on_nearly_full_rows():
    # 3 rows, two of them full: draws landing on them fail
    activations, failed = deep_r.spread_over_rows(np.random.default_rng(0),
                                                  np.array([4, 4, 1]), 4, 3)
    assert activations.tolist() == [0, 0, 3] and failed > 0


def test_free_targets_are_distinct_free_and_uniform():
    rng = np.random.default_rng(5)
    taken = np.zeros((3, 6), dtype=bool)
    taken[0, [0, 2]] = True
    taken[1, :5] = True
    counts = np.zeros(6)
    for _ in range(4000):
        t = deep_r.free_targets(rng, taken, np.array([2, 1, 0]))
        first = t[0, :2]
        assert first[0] != first[1] and not taken[0, first].any()
        assert t[1, 0] == 5 and not t[2].any()
        counts[first] += 1
    # Row 0: 2 of its 4 free positions each time, each free position equally likely (1/2)
    free = [1, 3, 4, 5]
    assert counts[[0, 2]].sum() == 0
    np.testing.assert_allclose(counts[free] / 4000, 0.5, atol=4 * np.sqrt(0.25 / 4000))
