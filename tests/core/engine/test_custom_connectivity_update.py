"""Custom connectivity updates (GeNN 5's row_update_code with add_synapse / remove_synapse,
and host_update_code run before the rows), checked against NumPy bookkeeping of (pre, post) ->
per-synapse values."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, build
from ml_genn.engine import (CodeCompileError, ModelSpec, ModelSpecError, VarAccess, VarAccessMode,
                            create_custom_connectivity_update_model, create_custom_update_model,
                            create_neuron_model, create_var_ref, create_weight_update_model,
                            create_wu_var_ref, init_postsynaptic, init_weight_update)

PRE = create_neuron_model("Pre", vars=[("s", "scalar"), ("thr", "scalar")],
                          threshold_condition_code="s > 0.5", reset_code="s = 0.0;")
WU = create_weight_update_model("Plastic", vars=[("g", "scalar"), ("d", "scalar")],
                                pre_spike_syn_code="addToPost(g);")
# A custom update's per-synapse variable on the group (like an optimiser moment)
MOMENT = create_custom_update_model("Moment", vars=[("m", "scalar")], var_refs=[("g", "scalar")],
                                    update_code="m = 3.0 * g + 1.0;")
PRUNE = create_custom_connectivity_update_model(
    "Prune", vars=[("h", "scalar")], var_refs=[("g", "scalar", VarAccessMode.READ_ONLY)],
    row_update_code="for_each_synapse { if (g < 0.0) { remove_synapse(); } }")

# Row 0 is full (max_row_length 4 comes from it); rows 1-3 have room
PRE_INDS = np.array([0, 0, 0, 0, 1, 1, 2, 3, 3, 3])
POST_INDS = np.array([0, 1, 2, 3, 4, 0, 5, 1, 3, 5])
N_PRE, N_POST = 4, 6


def _model(name, ccu_model=None, ccu_kwargs=None, g=None, d=None, seed=0):
    m = ModelSpec("double", name)
    m.seed = seed
    a = m.add_neuron_population("a", N_PRE, PRE, {}, {"s": 0.0, "thr": np.arange(N_PRE) * 1.0})
    b = m.add_neuron_population("b", N_POST, INPUT_PROBE, {}, {"x": np.arange(N_POST) * 0.5})
    n = len(PRE_INDS)
    g = np.linspace(-1.0, 1.0, n) if g is None else g
    d = np.arange(n) * 10.0 if d is None else d
    sg = m.add_synapse_population("syn", "SPARSE", a, b, init_weight_update(WU, vars={"g": g, "d": d}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(PRE_INDS, POST_INDS)
    m.add_custom_update("moment", "Moments", MOMENT, {}, {"m": 0.0}, {"g": create_wu_var_ref(sg, "g")})
    if ccu_model is not None:
        kw = dict(ccu_kwargs(a, b) if callable(ccu_kwargs) else (ccu_kwargs or {}))
        kw.setdefault("var_refs", {"g": create_wu_var_ref(sg, "g")} if ccu_model.var_refs else {})
        m.add_custom_connectivity_update("ccu", "Rewire", sg, ccu_model, **kw)
    return m, a, b, sg


def _synapses(rt):
    """(pre, post) -> (g, d, m, h) of every synapse, read through the public views."""
    s = rt.synapse_populations["syn"]
    pre, post = s.get_sparse_pre_inds(), s.get_sparse_post_inds()
    cols = [s.vars["g"].values, s.vars["d"].values, rt.custom_update_populations["moment"].vars["m"].values]
    if "ccu" in getattr(rt, "custom_connectivity_update_populations", {}):
        ccu = rt.custom_connectivity_update_populations["ccu"]
        cols += [v.values for v in ccu.vars.values()]
    out = {}
    for k, key in enumerate(zip(pre.tolist(), post.tolist())):
        assert key not in out, f"duplicate synapse {key}"
        out[key] = tuple(float(c.reshape(-1)[k]) for c in cols)
    return out


def test_removal_keeps_every_per_synapse_variable_with_its_synapse():
    n = len(PRE_INDS)
    h = np.arange(n) * 0.25 + 100.0
    m, *_ = _model("ccu_remove", PRUNE, {"vars": {"h": h}})
    rt = build(m)
    rt.custom_update("Moments")   # m = 3 g + 1 on every synapse
    before = _synapses(rt)
    g = np.linspace(-1.0, 1.0, n)
    assert before == {(int(p), int(q)): (g[k], 10.0 * k, 3.0 * g[k] + 1.0, h[k])
                      for k, (p, q) in enumerate(zip(PRE_INDS, POST_INDS))}
    rt.custom_update("Rewire")
    after = _synapses(rt)
    assert after == {key: vals for key, vals in before.items() if vals[0] >= 0.0}
    assert len(after) < len(before)
    # Spikes now travel through the remaining synapses only
    rt.neuron_populations["a"].vars["s"].view[:] = 1.0
    rt.step_time()
    rt.step_time()
    expected = np.zeros(N_POST)
    for (p, q), vals in after.items():
        expected[q] += vals[0]
    np.testing.assert_allclose(rt.neuron_populations["b"].vars["x"].view.reshape(-1), expected, rtol=1e-12)


GROW = create_custom_connectivity_update_model(
    "Grow", vars=[("h", "scalar")], var_refs=[("g", "scalar")],
    row_update_code="""
    if (id_pre == 1) { add_synapse(2, 7.5, -2.0); }  // h and g given
    if (id_pre == 2) { add_synapse(0, 4.0); }        // h given, g gets its initial value
    if (id_pre == 3) { add_synapse(4); }             // nothing given
    if (id_pre == 0) { add_synapse(4, 1.0, 1.0); }   // row 0 is full: refused and counted
    """)


def test_added_synapses_get_given_or_initial_values_and_full_rows_are_counted():
    n = len(PRE_INDS)
    m, *_ = _model("ccu_grow", GROW, {"vars": {"h": -1.0}})
    # Constant initial values are what the update's own vars and var refs start with when
    # add_synapse leaves them out; every other per-synapse variable of the group ('d', the
    # custom update's 'm') is zeroed, as GeNN 5 does
    m.synapse_populations["syn"].vars["d"].set_init_values(0.25)
    m.synapse_populations["syn"].vars["g"].set_init_values(0.5)
    m.custom_updates["moment"].vars["m"].set_init_values(1.5)
    rt = build(m)
    ccu = rt.custom_connectivity_update_populations["ccu"]
    s = rt.synapse_populations["syn"]
    s.vars["g"].values = np.arange(n) + 1.0
    before = _synapses(rt)
    assert ccu.num_failed_additions == 0
    rt.custom_update("Rewire")
    after = _synapses(rt)
    added = {key: vals for key, vals in after.items() if key not in before}
    assert {key: vals for key, vals in after.items() if key in before} == before
    assert added == {(1, 2): (-2.0, 0.0, 0.0, 7.5), (2, 0): (0.5, 0.0, 0.0, 4.0),
                     (3, 4): (0.5, 0.0, 0.0, -1.0)}
    assert ccu.num_failed_additions == 1
    assert sorted(k for k in after if k[0] == 0) == sorted(k for k in before if k[0] == 0)
    # Rows keep their capacity: row 3 (3 synapses + 1) is now full too
    rt.custom_update("Rewire")
    assert ccu.num_failed_additions == 3   # rows 0 and 3 refused this time
    np.testing.assert_array_equal(np.bincount(s.get_sparse_pre_inds(), minlength=N_PRE), [4, 4, 3, 4])


REFS = create_custom_connectivity_update_model(
    "ReadRefs", pre_vars=[("count", "unsigned int")], post_vars=[("seen", "scalar")],
    pre_var_refs=[("thr", "scalar", VarAccessMode.READ_ONLY)],
    post_var_refs=[("x", "scalar", VarAccessMode.READ_ONLY)],
    row_update_code="""
    count = 0;
    for_each_synapse {
        if (x + seen > thr) { remove_synapse(); }
        else { count++; }
    }
    """)


def test_pre_and_post_refs_and_vars_readable_in_row_code():
    m, *_ = _model("ccu_refs", REFS, lambda a, b: {
        "pre_vars": {"count": 99}, "post_vars": {"seen": 0.25},
        "pre_var_refs": {"thr": create_var_ref(a, "thr")}, "post_var_refs": {"x": create_var_ref(b, "x")}})
    rt = build(m)
    thr, x = np.arange(N_PRE) * 1.0, np.arange(N_POST) * 0.5
    keep = [(int(p), int(q)) for p, q in zip(PRE_INDS, POST_INDS) if not x[q] + 0.25 > thr[p]]
    rt.custom_update("Rewire")
    s = rt.synapse_populations["syn"]
    assert sorted(zip(s.get_sparse_pre_inds().tolist(), s.get_sparse_post_inds().tolist())) == sorted(keep)
    ccu = rt.custom_connectivity_update_populations["ccu"]
    np.testing.assert_array_equal(ccu.pre_vars["count"].view,
                                  np.bincount([p for p, _ in keep], minlength=N_PRE))


RANDOM = create_custom_connectivity_update_model(
    "RandomRewire", var_refs=[("g", "scalar")],
    row_update_code="""
    for_each_synapse { if (gennrand_uniform() < 0.4) { remove_synapse(); } }
    // Only into the last 3 columns, which start empty: a removed synapse is never re-added
    for (int tries = 0; tries < 50; tries++) {
        const uint32_t j = num_post - 1 - gennrand() % 3;
        bool taken = false;
        for_each_synapse { if (id_post == j) { taken = true; } }
        if (!taken) { add_synapse(j, gennrand_normal()); break; }
    }
    """)


def _big_random_model(name):
    rng = np.random.default_rng(3)
    m = ModelSpec("double", name)
    m.seed = 1234
    a = m.add_neuron_population("a", 40, PRE, {}, {"s": 0.0, "thr": 0.0})
    b = m.add_neuron_population("b", 30, INPUT_PROBE, {}, {"x": 0.0})
    mask = rng.random((40, 30)) < 0.3
    mask[:, :3] = True   # some room left in every row, rows of different lengths
    mask[:, -3:] = False
    pre, post = np.nonzero(mask)
    sg = m.add_synapse_population("syn", "SPARSE", a, b,
                                  init_weight_update(WU, vars={"g": rng.normal(size=len(pre)),
                                                               "d": np.arange(len(pre)) * 1.0}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre, post)
    m.add_custom_update("moment", "Moments", MOMENT, {}, {"m": 0.0}, {"g": create_wu_var_ref(sg, "g")})
    m.add_custom_connectivity_update("ccu", "Rewire", sg, RANDOM, var_refs={"g": create_wu_var_ref(sg, "g")})
    return m


def test_random_rewiring_is_identical_at_one_and_two_threads():
    results = []
    for threads in (1, 2):
        rt = build(_big_random_model("ccu_random"))
        rt.set_num_threads(threads)
        rt.custom_update("Moments")
        before = _synapses(rt)
        rt.custom_update("Rewire")
        after = _synapses(rt)
        # Surviving synapses kept their values; new ones have d = 0 (array-initialised) and m = 0
        kept = {k: v for k, v in after.items() if k in before}
        assert all(before[k] == v for k, v in kept.items())
        new = {k: v for k, v in after.items() if k not in before}
        assert new and all(v[1] == 0.0 and v[2] == 0.0 for v in new.values())
        assert len(kept) < len(before)
        for _ in range(2):
            rt.custom_update("Rewire")
        results.append(_synapses(rt))
    assert results[0] == results[1]


def test_update_runs_only_when_its_group_is_triggered():
    m, *_ = _model("ccu_on_demand", PRUNE, {"vars": {"h": 0.0}})
    rt = build(m)
    before = _synapses(rt)
    rt.run_timesteps(5)
    rt.custom_update("Moments")
    after_other = _synapses(rt)
    assert set(after_other) == set(before)
    rt.custom_update("Rewire")
    assert set(_synapses(rt)) < set(before)


def test_clear_errors_name_the_update():
    m = ModelSpec("double", "ccu_errors")
    a = m.add_neuron_population("a", 3, PRE, {}, {"s": 0.0, "thr": 0.0})
    b = m.add_neuron_population("b", 3, INPUT_PROBE, {}, {"x": 0.0})
    dense = m.add_synapse_population("dense", "DENSE", a, b, init_weight_update(WU, vars={"g": 0.0, "d": 0.0}),
                                     init_postsynaptic(DELTA))
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'cc'.*'dense' is DENSE.*SPARSE"):
        m.add_custom_connectivity_update("cc", "G", dense, PRUNE, vars={"h": 0.0},
                                         var_refs={"g": create_wu_var_ref(dense, "g")})
    sparse = m.add_synapse_population("sparse", "SPARSE", a, b, init_weight_update(WU, vars={"g": 0.0, "d": 0.0}),
                                      init_postsynaptic(DELTA))
    sparse.set_sparse_connections(np.array([0, 1]), np.array([1, 2]))
    m.add_custom_connectivity_update("cc", "G", sparse, PRUNE, vars={"h": 0.0},
                                     var_refs={"g": create_wu_var_ref(dense, "g")})
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'cc'.*var ref 'g'.*'sparse'"):
        m.finalize()
    typo = create_custom_connectivity_update_model(
        "Typo", row_update_code="for_each_synapse { if (gg < 0.0) { remove_synapse(); } }")
    m2 = ModelSpec("double", "ccu_typo")
    a2 = m2.add_neuron_population("a", 3, PRE, {}, {"s": 0.0, "thr": 0.0})
    b2 = m2.add_neuron_population("b", 3, INPUT_PROBE, {}, {"x": 0.0})
    s2 = m2.add_synapse_population("s", "SPARSE", a2, b2, init_weight_update(WU, vars={"g": 0.0, "d": 0.0}),
                                   init_postsynaptic(DELTA))
    s2.set_sparse_connections(np.array([0]), np.array([1]))
    m2.add_custom_connectivity_update("t", "G", s2, typo)
    with pytest.raises(CodeCompileError, match=r"Typo\.row_update_code"):
        build(m2)


def test_post_refs_are_read_only_in_row_code():
    bad = create_custom_connectivity_update_model(
        "WritesPost", post_var_refs=[("x", "scalar")], row_update_code="for_each_synapse { x = 1.0; }")
    m = ModelSpec("double", "ccu_post_write")
    a = m.add_neuron_population("a", 3, PRE, {}, {"s": 0.0, "thr": 0.0})
    b = m.add_neuron_population("b", 3, INPUT_PROBE, {}, {"x": 0.0})
    s = m.add_synapse_population("s", "SPARSE", a, b, init_weight_update(WU, vars={"g": 0.0, "d": 0.0}),
                                 init_postsynaptic(DELTA))
    s.set_sparse_connections(np.array([0]), np.array([1]))
    m.add_custom_connectivity_update("w", "G", s, bad, post_var_refs={"x": create_var_ref(b, "x")})
    with pytest.raises(CodeCompileError, match=r"WritesPost\.row_update_code"):
        build(m)


def test_compiler_adds_mlgenn_custom_connectivity_update_model():
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.utils.model import CustomConnectivityUpdateModel
    m, a, b, sg = _model("ccu_compiler")
    model = CustomConnectivityUpdateModel(
        {"params": [("limit", "scalar")], "pre_vars": [("removed", "unsigned int")],
         "extra_global_params": [("Scale", "scalar*")],
         "var_refs": [("g", "scalar", VarAccessMode.READ_ONLY)],
         "pre_var_refs": [("thr", "scalar", VarAccessMode.READ_ONLY)],
         "row_update_code": """
         removed = 0;
         for_each_synapse { if (g * Scale[0] < limit + thr) { removed++; remove_synapse(); } }
         """},
        param_vals={"limit": 0.0}, pre_var_vals={"removed": 0}, egp_vals={"Scale": np.array([2.0])},
        var_refs={"g": create_wu_var_ref(sg, "g")}, pre_var_refs={"thr": create_var_ref(a, "thr")})
    model.set_param_dynamic("limit")
    ccu = InferenceCompiler(evaluate_timesteps=10).add_custom_connectivity_update(m, model, sg, "Rewire", "deep_r_like")
    assert m.custom_connectivity_updates["deep_r_like"] is ccu
    rt = build(m)
    before = _synapses(rt)
    r = rt.custom_connectivity_update_populations["deep_r_like"]
    r.set_dynamic_param_value("limit", -1.0)
    rt.custom_update("Rewire")
    thr = np.arange(N_PRE) * 1.0
    keep = {k: v for k, v in before.items() if not v[0] * 2.0 < -1.0 + thr[k[0]]}
    assert _synapses(rt) == keep
    np.testing.assert_array_equal(
        r.pre_vars["removed"].view, np.bincount([k[0] for k in before if k not in keep], minlength=N_PRE))


def test_batched_variables_move_in_every_batch_and_batched_refs_are_refused():
    even = create_custom_connectivity_update_model(
        "DropEven", row_update_code="for_each_synapse { if (id_post % 2 == 0) { remove_synapse(); } }")
    m, a, b, sg = _model("ccu_batched", even)
    m.batch_size = 2
    rt = build(m)
    s = rt.synapse_populations["syn"]
    n = len(PRE_INDS)
    g = np.stack([np.arange(n) * 1.0, np.arange(n) * -1.0 - 0.5])
    s.vars["g"].values = g
    assert s.vars["g"].view.ndim == 2
    rt.custom_update("Rewire")
    keep = [k for k, q in enumerate(POST_INDS) if q % 2 == 1]
    got = dict(zip(zip(s.get_sparse_pre_inds().tolist(), s.get_sparse_post_inds().tolist()),
                   s.vars["g"].values.T.tolist()))
    assert got == {(int(PRE_INDS[k]), int(POST_INDS[k])): g[:, k].tolist() for k in keep}
    m2, *_ = _model("ccu_batched_ref", PRUNE, {"vars": {"h": 0.0}})
    m2.batch_size = 2
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'ccu'.*var ref 'g'.*batch"):
        m2.finalize()


def test_postsynaptic_spike_code_follows_rewired_columns():
    learn = create_weight_update_model("PostLearn", vars=[("g", "scalar")], post_spike_syn_code="g += 1.0;")
    m = ModelSpec("double", "ccu_columns")
    a = m.add_neuron_population("a", N_PRE, PRE, {}, {"s": 0.0, "thr": 0.0})
    c = m.add_neuron_population("c", N_POST, PRE, {}, {"s": 0.0, "thr": 0.0})
    g = np.linspace(-1.0, 1.0, len(PRE_INDS))
    sg = m.add_synapse_population("syn", "SPARSE", a, c, init_weight_update(learn, vars={"g": g}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(PRE_INDS, POST_INDS)
    m.add_custom_connectivity_update("ccu", "Rewire", sg, PRUNE, vars={"h": 0.0},
                                     var_refs={"g": create_wu_var_ref(sg, "g")})
    rt = build(m)
    rt.custom_update("Rewire")
    s = rt.synapse_populations["syn"]
    before = s.vars["g"].values
    assert np.all(before >= 0.0) and before.size == np.sum(g >= 0.0)
    spiking = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])   # postsynaptic 0 and 3 spike once
    rt.neuron_populations["c"].vars["s"].view[:] = spiking
    rt.step_time()
    rt.step_time()
    post = s.get_sparse_post_inds()
    np.testing.assert_allclose(s.vars["g"].values.reshape(-1), before.reshape(-1) + spiking[post], rtol=1e-12)


# ---------------------------------------------------------------- host_update_code (GeNN 5)
# Deep-R's second stage in the style of mlGeNN 2.4: the host counts dormant synapses over all
# rows and hands each row the activations that fit (row_length, row_stride); rows then add them
DEEP_R_LIKE = {
    "pre_vars": [("NumDormant", "unsigned int"), ("NumActivations", "unsigned int")],
    "extra_global_params": [("Total", "uint64_t*"), ("Failed", "uint64_t*")],
    "var_refs": [("g", "scalar")],
    "host_update_code": """
    pullNumDormantFromDevice();
    pullRowLengthFromDevice();
    uint64_t remaining = 0;
    for (unsigned int i = 0; i < num_pre; i++) {
        remaining += NumDormant[i];
        NumActivations[i] = 0;
    }
    Total[0] = remaining;
    // Fill rows in order up to their capacity; what does not fit is counted
    for (unsigned int i = 0; i < num_pre; i++) {
        const uint64_t room = row_stride - row_length[i];
        NumActivations[i] = (unsigned int)((remaining < room) ? remaining : room);
        remaining -= NumActivations[i];
    }
    Failed[0] = remaining;
    pushNumActivationsToDevice();
    pushTotalToDevice(1);
    pushFailedToDevice(1);
    """,
    "row_update_code": """
    // Activate the lowest free columns
    for (uint32_t j = 0, added = 0; j < num_post && added < NumActivations; j++) {
        bool taken = false;
        for_each_synapse { if (id_post == j) { taken = true; } }
        if (!taken) { add_synapse(j, 0.125); added++; }
    }
    """}


def _host_distribution(row_lengths, dormant, max_row_length):
    """NumPy of DEEP_R_LIKE's host stage: (total, activations per row, failed)."""
    total, remaining, act = int(np.sum(dormant)), int(np.sum(dormant)), []
    for rl in row_lengths:
        act.append(min(remaining, max_row_length - int(rl)))
        remaining -= act[-1]
    return total, np.array(act), remaining


def test_host_update_code_distributes_work_to_rows_like_deep_r():
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.utils.model import CustomConnectivityUpdateModel
    m, a, b, sg = _model("ccu_host_deep_r")
    model = CustomConnectivityUpdateModel(
        DEEP_R_LIKE, pre_var_vals={"NumDormant": 0, "NumActivations": 0},
        egp_vals={"Total": np.zeros(1, dtype=np.uint64), "Failed": np.zeros(1, dtype=np.uint64)},
        var_refs={"g": create_wu_var_ref(sg, "g")})
    InferenceCompiler(evaluate_timesteps=10).add_custom_connectivity_update(m, model, sg, "DeepR2", "deep_r_2")
    rt = build(m)
    r = rt.custom_connectivity_update_populations["deep_r_2"]
    s = rt.synapse_populations["syn"]
    M = 4   # row 0's length
    for dormant in ([1, 3, 1, 2], [0, 1, 0, 0]):
        before = _synapses(rt)
        rows = np.bincount([p for p, _ in before], minlength=N_PRE)
        r.pre_vars["NumDormant"].view[:] = dormant
        rt.custom_update("DeepR2")
        total, act, failed = _host_distribution(rows, dormant, M)
        assert int(r.extra_global_params["Total"].view[0]) == total
        assert int(r.extra_global_params["Failed"].view[0]) == failed
        np.testing.assert_array_equal(r.pre_vars["NumActivations"].view, act)
        after = _synapses(rt)
        expected = dict(before)
        for i in range(N_PRE):
            free = [j for j in range(N_POST) if (i, j) not in before][:act[i]]
            expected.update({(i, j): (0.125, 0.0, 0.0) for j in free})
        assert after == expected
        rows_after = np.bincount(s.get_sparse_pre_inds(), minlength=N_PRE)
        np.testing.assert_array_equal(rows_after, rows + act)
        assert rows_after.max() <= M
    # The second call saw the row lengths the first call's rows left (all full but row 0's
    # neighbours): its one dormant synapse found no room
    assert failed == 1 and act.sum() == 0


RANDOM_HOST = create_custom_connectivity_update_model(
    "RandomHost", pre_vars=[("Pick", "unsigned int"), ("U", "scalar")],
    extra_global_params=[("Failed", "uint64_t*")], var_refs=[("g", "scalar")],
    host_update_code="""
    Failed[0] = 0;
    for (unsigned int i = 0; i < num_pre; i++) { Pick[i] = 0; U[i] = gennrand_uniform(); }
    // Deep-R style: random rows for 20 activations, skipping full ones
    for (unsigned int remaining = 20; remaining > 0;) {
        const unsigned int i = gennrand() % num_pre;
        if (row_length[i] + Pick[i] < row_stride) { Pick[i]++; remaining--; }
        else { Failed[0]++; }
    }
    """,
    row_update_code="""
    for (unsigned int n = 0; n < Pick; n++) {
        while (true) {
            const uint32_t j = gennrand() % num_post;
            bool taken = false;
            for_each_synapse { if (id_post == j) { taken = true; } }
            if (!taken) { add_synapse(j, gennrand_normal()); break; }
        }
    }
    """)


def _host_random_model(name, seed):
    rng = np.random.default_rng(5)
    m = ModelSpec("double", name)
    m.seed = seed
    a = m.add_neuron_population("a", 40, PRE, {}, {"s": 0.0, "thr": 0.0})
    b = m.add_neuron_population("b", 30, INPUT_PROBE, {}, {"x": 0.0})
    mask = rng.random((40, 30)) < 0.3
    mask[:, -4:] = False   # room in every row
    pre, post = np.nonzero(mask)
    sg = m.add_synapse_population("syn", "SPARSE", a, b,
                                  init_weight_update(WU, vars={"g": 0.0, "d": 0.0}), init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre, post)
    m.add_custom_update("moment", "Moments", MOMENT, {}, {"m": 0.0}, {"g": create_wu_var_ref(sg, "g")})
    ccu = m.add_custom_connectivity_update("ccu", "Rewire", sg, RANDOM_HOST, pre_vars={"Pick": 0, "U": 0.0},
                                           var_refs={"g": create_wu_var_ref(sg, "g")})
    ccu.extra_global_params["Failed"].set_init_values(np.zeros(1, dtype=np.uint64))
    return m


def _run_host_random(seed, threads):
    rt = build(_host_random_model("ccu_host_random", seed))
    rt.set_num_threads(threads)
    s, r = rt.synapse_populations["syn"], rt.custom_connectivity_update_populations["ccu"]
    out = []
    for _ in range(2):
        rows = np.bincount(s.get_sparse_pre_inds(), minlength=40)
        rt.custom_update("Rewire")
        pick, u = r.pre_vars["Pick"].view.copy(), r.pre_vars["U"].view.copy()
        assert pick.sum() == 20
        np.testing.assert_array_equal(np.bincount(s.get_sparse_pre_inds(), minlength=40), rows + pick)
        assert np.all((u > 0.0) & (u < 1.0)) and len(np.unique(u)) == 40
        out.append((pick, u, int(r.extra_global_params["Failed"].view[0]), _synapses(rt)))
    # Each call draws afresh
    assert not np.array_equal(out[0][1], out[1][1])
    return out


def _same(x, y):
    return all(np.array_equal(p, q) and np.array_equal(u, v) and f == g and sa == sb
               for (p, u, f, sa), (q, v, g, sb) in zip(x, y))


def test_host_random_draws_depend_on_seed_only():
    one, two = _run_host_random(1234, 1), _run_host_random(1234, 2)   # two builds, 1 and 2 threads
    assert _same(one, two)
    other = _run_host_random(99, 2)
    assert not np.array_equal(one[0][1], other[0][1])
    assert not _same(one, other)


HOST_FIRST = create_custom_connectivity_update_model(
    "HostFirst", params=[("Step", "unsigned int"), ("Scale", "scalar")],
    derived_params=[("Twice", lambda p, dt: 2.0 * p["Scale"])],
    pre_vars=[("Count", "unsigned int"), ("Seen", "unsigned int"), ("PostSum", "scalar")],
    post_vars=[("Mark", "scalar")], extra_global_params=[("Info", "scalar*")],
    host_update_code="""
    for (unsigned int i = 0; i < num_pre; i++) { Count[i] += Step; }
    for (unsigned int j = 0; j < num_post; j++) { Mark[j] = j * Twice; }
    Info[0] = Twice; Info[1] = dt; Info[2] = num_post; Info[3] = row_stride;
    """,
    row_update_code="""
    Seen = Count;
    PostSum = 0.0;
    for_each_synapse { PostSum += Mark; }
    """)


def test_host_update_code_runs_before_rows_and_only_with_its_group():
    m, *_ = _model("ccu_host_first")
    sg = m.synapse_populations["syn"]
    ccu = m.add_custom_connectivity_update("ccu", "Rewire", sg, HOST_FIRST, {"Step": 1, "Scale": 0.75},
                                           pre_vars={"Count": 5, "Seen": 0, "PostSum": 0.0},
                                           post_vars={"Mark": -1.0})
    ccu.extra_global_params["Info"].set_init_values(np.zeros(4))
    ccu.set_param_dynamic("Step")
    rt = build(m)
    r = rt.custom_connectivity_update_populations["ccu"]
    rt.run_timesteps(3)
    rt.custom_update("Moments")
    np.testing.assert_array_equal(r.pre_vars["Count"].view, [5] * N_PRE)
    np.testing.assert_array_equal(r.post_vars["Mark"].view, [-1.0] * N_POST)
    mark = np.arange(N_POST) * 1.5
    for step, count in ((1, 6), (3, 9)):
        r.set_dynamic_param_value("Step", step)
        rt.custom_update("Rewire")
        np.testing.assert_array_equal(r.pre_vars["Count"].view, [count] * N_PRE)
        np.testing.assert_array_equal(r.pre_vars["Seen"].view, [count] * N_PRE)   # rows saw it
        np.testing.assert_array_equal(r.post_vars["Mark"].view, mark)
        np.testing.assert_allclose(r.pre_vars["PostSum"].view,
                                   np.bincount(PRE_INDS, weights=mark[POST_INDS], minlength=N_PRE))
        np.testing.assert_array_equal(r.extra_global_params["Info"].view, [1.5, m.dt, N_POST, 4])


def _tiny_host(name, host_code, var_refs=False):
    model = create_custom_connectivity_update_model(
        name, pre_vars=[("Level", "unsigned int")], post_vars=[("Mark", "scalar")],
        extra_global_params=[("Buf", "scalar*")], var_refs=[("g", "scalar")] if var_refs else [],
        host_update_code=host_code, row_update_code="for_each_synapse { }")
    m = ModelSpec("double", "ccu_" + name.lower())
    a = m.add_neuron_population("a", 3, PRE, {}, {"s": 0.0, "thr": 0.0})
    b = m.add_neuron_population("b", 3, INPUT_PROBE, {}, {"x": 0.0})
    s = m.add_synapse_population("s", "SPARSE", a, b, init_weight_update(WU, vars={"g": 0.0, "d": 0.0}),
                                 init_postsynaptic(DELTA))
    s.set_sparse_connections(np.array([0, 1]), np.array([1, 2]))
    c = m.add_custom_connectivity_update("h", "Host", s, model, pre_vars={"Level": 0}, post_vars={"Mark": 0.5},
                                         var_refs={"g": create_wu_var_ref(s, "g")} if var_refs else {})
    c.extra_global_params["Buf"].set_init_values(np.array([2.0, 0.0]))
    return m


def test_host_copy_calls_compile_and_do_nothing():
    m = _tiny_host("Copies", """
    pullLevelFromDevice(); pullMarkFromDevice(); pullRowLengthFromDevice(); pullBufFromDevice(2);
    Level[1] = 7; Buf[1] = Level[1] + Buf[0] + row_length[1];
    pushLevelToDevice(); pushMarkToDevice(); pushBufToDevice(2); pushBufToDevice();  // GeNN 4's form too
    scalar g = 1.0; (void)g;   // a local may share a name host code cannot use
    """, var_refs=True)
    rt = build(m)
    before = rt.synapse_populations["s"].get_sparse_post_inds().copy()
    rt.custom_update("Host")
    r = rt.custom_connectivity_update_populations["h"]
    np.testing.assert_array_equal(r.pre_vars["Level"].view, [0, 7, 0])
    np.testing.assert_array_equal(r.post_vars["Mark"].view, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(r.extra_global_params["Buf"].view, [2.0, 10.0])
    np.testing.assert_array_equal(rt.synapse_populations["s"].get_sparse_post_inds(), before)


def test_host_code_errors_name_the_model_and_field():
    with pytest.raises(CodeCompileError, match=r"HostTypo\.host_update_code:2"):
        build(_tiny_host("HostTypo", "unsigned int ok = 0; (void)ok;\nunsigned int x = ;\n"))
    with pytest.raises(CodeCompileError, match=r"WritesRowLength\.host_update_code:1: .*read-only"):
        build(_tiny_host("WritesRowLength", "row_length[0] = 0;"))
    with pytest.raises(CodeCompileError, match=r"UsesRef\.host_update_code:1: "
                                               r".*g__is_a_var_ref_which_host_update_code_cannot_access"):
        build(_tiny_host("UsesRef", "Buf[0] = g;", var_refs=True))


# ---------------------------------------------------------------- order within an update group
# GeNN 5 runs an update group as: every host stage of its connectivity updates, then its custom
# updates, then the connectivity updates' rows
FIRST = create_custom_connectivity_update_model(
    "FirstHost", pre_vars=[("Quota", "unsigned int"), ("SeenFirst", "unsigned int")],
    host_update_code="for (unsigned int i = 0; i < num_pre; i++) { SeenFirst[i] = row_length[i]; Quota[i] = 1; }",
    row_update_code="""
    for (uint32_t j = 0, n = 0; j < num_post && n < Quota; j++) {
        bool taken = false;
        for_each_synapse { if (id_post == j) { taken = true; } }
        if (!taken) { add_synapse(j); n++; }
    }
    """)
SECOND = create_custom_connectivity_update_model(
    "SecondHost", pre_vars=[("SeenSecond", "unsigned int")],
    host_update_code="for (unsigned int i = 0; i < num_pre; i++) { SeenSecond[i] = row_length[i]; }",
    row_update_code="for_each_synapse { }")
DOUBLE_QUOTA = create_custom_update_model("DoubleQuota", var_refs=[("Quota", "unsigned int")],
                                          update_code="Quota *= 2;")


def test_group_runs_all_host_stages_then_custom_updates_then_rows():
    from ml_genn.engine import create_pre_var_ref
    m, a, b, sg = _model("ccu_group_order")
    sg.max_connections = 6
    first = m.add_custom_connectivity_update("first", "Rewire", sg, FIRST, pre_vars={"Quota": 0, "SeenFirst": 0})
    m.add_custom_connectivity_update("second", "Rewire", sg, SECOND, pre_vars={"SeenSecond": 0})
    m.add_custom_update("double", "Rewire", DOUBLE_QUOTA, var_refs={"Quota": create_pre_var_ref(first, "Quota")})
    rt = build(m)
    s = rt.synapse_populations["syn"]
    r1, r2 = (rt.custom_connectivity_update_populations[n] for n in ("first", "second"))
    for _ in range(2):
        rows = np.bincount(s.get_sparse_pre_inds(), minlength=N_PRE)
        rt.custom_update("Rewire")
        # Both host stages saw the rows before the first update's rows grew them
        np.testing.assert_array_equal(r1.pre_vars["SeenFirst"].view, rows)
        np.testing.assert_array_equal(r2.pre_vars["SeenSecond"].view, rows)
        # The custom update ran between the host stage (Quota = 1) and the rows (2 each)
        np.testing.assert_array_equal(r1.pre_vars["Quota"].view, [2] * N_PRE)
        np.testing.assert_array_equal(np.bincount(s.get_sparse_pre_inds(), minlength=N_PRE),
                                      np.minimum(rows + 2, 6))


# ---------------------------------------------------------------- host stage alone
def test_host_only_update_runs_and_update_with_neither_code_is_refused():
    count = create_custom_connectivity_update_model(
        "CountRows", pre_vars=[("Len", "unsigned int")], extra_global_params=[("Total", "uint64_t*")],
        host_update_code="""
        Total[0] = 0;
        for (unsigned int i = 0; i < num_pre; i++) { Len[i] = row_length[i]; Total[0] += row_length[i]; }
        """)
    m, a, b, sg = _model("ccu_host_only")
    c = m.add_custom_connectivity_update("count", "Count", sg, count, pre_vars={"Len": 0})
    c.extra_global_params["Total"].set_init_values(np.zeros(1, dtype=np.uint64))
    rt = build(m)
    before = _synapses(rt)
    rt.custom_update("Count")
    r = rt.custom_connectivity_update_populations["count"]
    np.testing.assert_array_equal(r.pre_vars["Len"].view, np.bincount(PRE_INDS, minlength=N_PRE))
    assert int(r.extra_global_params["Total"].view[0]) == len(PRE_INDS)
    assert _synapses(rt) == before
    nothing = create_custom_connectivity_update_model("Nothing", pre_vars=[("Len", "unsigned int")])
    m2, a2, b2, sg2 = _model("ccu_nothing")
    m2.add_custom_connectivity_update("none", "Count", sg2, nothing, pre_vars={"Len": 0})
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'none': model 'Nothing' has neither "
                                             r"row_update_code nor host_update_code"):
        m2.finalize()


def test_added_synapse_zeroes_variables_the_update_does_not_name_and_extra_values_are_refused():
    """GeNN 5's add_synapse: every per-synapse variable the update neither owns nor refers to
    ('d' here, and the custom update's 'm') is 0 in the new synapse, whatever it started at;
    more values than the update's vars and var refs is a compile error that says so."""
    grow = create_custom_connectivity_update_model(
        "Grow", var_refs=[("g", "scalar")],
        row_update_code="if (id_pre == 1) { add_synapse(2, 0.5); }")
    m, a, b, sg = _model("ccu_zero_dependent", grow, d=np.full(len(PRE_INDS), 7.0))
    rt = build(m)
    rt.custom_update("Moments")
    rt.custom_update("Rewire")
    synapses = _synapses(rt)
    g, d, moment = synapses[(1, 2)][:3]
    assert (g, d, moment) == (0.5, 0.0, 0.0)
    assert all(v[1] == 7.0 for k, v in synapses.items() if k != (1, 2))
    too_many = create_custom_connectivity_update_model(
        "TooMany", var_refs=[("g", "scalar")],
        row_update_code="\nadd_synapse(2, 0.5, 1.0);")
    m, a, b, sg = _model("ccu_too_many_values", too_many)
    with pytest.raises(CodeCompileError, match=r"add_synapse takes id_post and at most 1 "
                                               r"values"):
        build(m)
