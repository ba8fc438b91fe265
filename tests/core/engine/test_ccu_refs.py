"""References to a custom connectivity update's own arrays (GeNN 5's create_pre_var_ref,
create_post_var_ref, create_wu_var_ref and create_egp_ref of a custom connectivity update),
checked on a Deep-R-like arrangement against NumPy bookkeeping of (pre, post) -> values."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, SPIKE_DRIVER, build
from ml_genn.engine import (CodeCompileError, ModelSpec, ModelSpecError, VarAccessMode,
                            create_custom_connectivity_update_model, create_custom_update_model,
                            create_egp_ref, create_post_var_ref, create_pre_var_ref, create_var_ref,
                            create_weight_update_model, create_wu_var_ref, init_postsynaptic,
                            init_weight_update)

WU = create_weight_update_model("SignedWeight", vars=[("g", "scalar"), ("grad", "scalar")],
                                pre_spike_syn_code="addToPost(g);")

# Owns the bookkeeping: a per-row dormant count, the activations its host stage hands out and
# a bitmask of occupied positions (32 columns a word). Rows re-occupy the lowest free columns.
REGROW = create_custom_connectivity_update_model(
    "Regrow", params=[("Words", "unsigned int")],
    pre_vars=[("Dormant", "unsigned int"), ("Grant", "unsigned int")],
    extra_global_params=[("Occupied", "uint32_t*"), ("Granted", "uint64_t*")],
    var_refs=[("g", "scalar")],
    host_update_code="""
    uint64_t pool = 0;
    for (unsigned int i = 0; i < num_pre; i++) { pool += Dormant[i]; }
    Granted[0] = pool;
    // Rows in reverse order, each up to its free capacity
    for (unsigned int k = num_pre; k-- > 0;) {
        const uint64_t room = row_stride - row_length[k];
        Grant[k] = (unsigned int)(pool < room ? pool : room);
        pool -= Grant[k];
    }
    """,
    row_update_code="""
    uint32_t *row = Occupied + Words * id_pre;
    for (unsigned int j = 0, n = 0; j < num_post && n < Grant; j++) {
        if (!(row[j / 32] & (1u << (j % 32)))) {
            row[j / 32] |= (1u << (j % 32));
            add_synapse(j, 0.25 + j);
            n++;
        }
    }
    """)

# Removes the synapses whose weight's sign disagrees with their position's sign bit (its own
# bitmask), counting them in the other update's per-row counter and clearing its bits
PRUNE = create_custom_connectivity_update_model(
    "Prune", params=[("Words", "unsigned int")],
    vars=[("Age", "scalar")],
    var_refs=[("g", "scalar", VarAccessMode.READ_ONLY)],
    pre_var_refs=[("Dormant", "unsigned int")],
    extra_global_params=[("Negative", "uint32_t*")],
    extra_global_param_refs=[("Occupied", "uint32_t*")],
    row_update_code="""
    Dormant = 0;
    uint32_t *row = Occupied + Words * id_pre;
    const uint32_t *sign = Negative + Words * id_pre;
    for_each_synapse {
        const bool negative = (sign[id_post / 32] >> (id_post % 32)) & 1u;
        if ((g < 0.0) != negative) {
            Dormant++;
            row[id_post / 32] &= ~(1u << (id_post % 32));
            remove_synapse();
        }
    }
    """)

# L1-like: pushes each synapse's gradient by +-C by the sign bit of its position
L1 = create_custom_update_model(
    "SignedL1", params=[("C", "scalar"), ("Words", "unsigned int")],
    var_refs=[("grad", "scalar")], extra_global_param_refs=[("Negative", "uint32_t*")],
    update_code="""
    if ((Negative[Words * id_pre + id_post / 32] >> (id_post % 32)) & 1u) { grad -= C; }
    else { grad += C; }
    """)

# Per-synapse variable of a connectivity update, updated by a custom update through a reference
AGEING = create_custom_update_model("Ageing", var_refs=[("Age", "scalar")], update_code="Age += 1.0;")
# A per-neuron custom update reading a connectivity update's pre var
REPORT = create_custom_update_model("Report", vars=[("Twice", "scalar")],
                                    var_refs=[("Dormant", "unsigned int", VarAccessMode.READ_ONLY)],
                                    update_code="Twice = 2.0 * Dormant;")

N_PRE, N_POST, M = 5, 40, 14   # M: row capacity (max_connections)
WORDS = (N_POST + 31) // 32


def _bits(pairs):
    out = np.zeros(N_PRE * WORDS, dtype=np.uint32)
    for p, q in pairs:
        out[WORDS * p + q // 32] |= np.uint32(1 << (q % 32))
    return out


def _deep_r_like():
    rng = np.random.default_rng(11)
    mask = rng.random((N_PRE, N_POST)) < 0.15
    mask[:, 0] = True    # every row has synapses and room
    pre, post = np.nonzero(mask)
    assert np.bincount(pre).max() < M
    g = rng.normal(size=len(pre))
    negative = rng.random((N_PRE, N_POST)) < 0.5
    negative[pre, post] = g < 0.0    # signs agree at first...
    flip = rng.random(len(pre)) < 0.3
    negative[pre[flip], post[flip]] = ~negative[pre[flip], post[flip]]   # ...but not for these
    m = ModelSpec("double", "ccu_deep_r_refs")
    a = m.add_neuron_population("a", N_PRE, SPIKE_DRIVER, {}, {"s": 0.0})
    b = m.add_neuron_population("b", N_POST, INPUT_PROBE, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", "SPARSE", a, b,
                                  init_weight_update(WU, vars={"g": g, "grad": np.zeros(len(pre))}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre, post)
    sg.max_connections = M
    # The owner is added first (as mlGeNN does): the others refer to it
    regrow = m.add_custom_connectivity_update("regrow", "Stage2", sg, REGROW, {"Words": WORDS},
                                              pre_vars={"Dormant": 0, "Grant": 0},
                                              var_refs={"g": create_wu_var_ref(sg, "g")})
    regrow.extra_global_params["Occupied"].set_init_values(_bits(zip(pre, post)))
    regrow.extra_global_params["Granted"].set_init_values(np.zeros(1, dtype=np.uint64))
    prune = m.add_custom_connectivity_update(
        "prune", "Stage1", sg, PRUNE, {"Words": WORDS}, vars={"Age": np.arange(len(pre)) * 10.0},
        var_refs={"g": create_wu_var_ref(sg, "g")},
        pre_var_refs={"Dormant": create_pre_var_ref(regrow, "Dormant")},
        egp_refs={"Occupied": create_egp_ref(regrow, "Occupied")})
    prune.extra_global_params["Negative"].set_init_values(_bits(zip(*np.nonzero(negative))))
    m.add_custom_update("l1", "L1", L1, {"C": 0.5, "Words": WORDS},
                        var_refs={"grad": create_wu_var_ref(sg, "grad")},
                        egp_refs={"Negative": create_egp_ref(prune, "Negative")})
    m.add_custom_update("ageing", "Ageing", AGEING, var_refs={"Age": create_wu_var_ref(prune, "Age")})
    m.add_custom_update("report", "Report", REPORT, vars={"Twice": -1.0},
                        var_refs={"Dormant": create_pre_var_ref(regrow, "Dormant")})
    return m, pre, post, g, negative


def _synapses(rt):
    """(pre, post) -> (g, grad, Age) through the public views."""
    s = rt.synapse_populations["syn"]
    age = rt.custom_connectivity_update_populations["prune"].vars["Age"].values
    cols = [s.vars["g"].values, s.vars["grad"].values, age]
    keys = zip(s.get_sparse_pre_inds().tolist(), s.get_sparse_post_inds().tolist())
    return {key: tuple(float(c.reshape(-1)[k]) for c in cols) for k, key in enumerate(keys)}


def test_deep_r_like_updates_share_pre_vars_and_bitmasks_by_reference():
    m, pre, post, g, negative = _deep_r_like()
    rt = build(m)
    regrow = rt.custom_connectivity_update_populations["regrow"]
    book = {(int(p), int(q)): (g[k], 0.0, 10.0 * k) for k, (p, q) in enumerate(zip(pre, post))}
    assert _synapses(rt) == book

    # A custom update writes a connectivity update's per-synapse variable through a wu var ref
    rt.custom_update("Ageing")
    book = {k: (v[0], v[1], v[2] + 1.0) for k, v in book.items()}
    # ... and one reads the pruning update's sign bitmask through an EGP ref
    rt.custom_update("L1")
    book = {k: (v[0], v[1] + (-0.5 if negative[k] else 0.5), v[2]) for k, v in book.items()}
    assert _synapses(rt) == book

    for _ in range(2):
        # Stage 1 counts into the other update's pre var and clears bits of its bitmask
        rt.custom_update("Stage1")
        dormant = {k for k, v in book.items() if (v[0] < 0.0) != negative[k]}
        assert dormant
        book = {k: v for k, v in book.items() if k not in dormant}
        assert _synapses(rt) == book   # Age moved with its synapse
        counts = np.bincount([p for p, _ in dormant], minlength=N_PRE)
        np.testing.assert_array_equal(regrow.pre_vars["Dormant"].view, counts)
        np.testing.assert_array_equal(regrow.extra_global_params["Occupied"].view, _bits(book))
        rt.custom_update("Report")
        np.testing.assert_array_equal(rt.custom_update_populations["report"].vars["Twice"].view.reshape(-1),
                                      2.0 * counts)

        # Stage 2's host stage hands the dormant count out, rows refill the lowest free columns
        rows = np.bincount([p for p, _ in book], minlength=N_PRE)
        rt.custom_update("Stage2")
        pool, grant = int(counts.sum()), np.zeros(N_PRE, dtype=int)
        assert int(regrow.extra_global_params["Granted"].view[0]) == pool
        for i in reversed(range(N_PRE)):
            grant[i] = min(pool, M - rows[i])
            pool -= grant[i]
        np.testing.assert_array_equal(regrow.pre_vars["Grant"].view, grant)
        for i in range(N_PRE):
            free = [j for j in range(N_POST) if (i, j) not in book][:grant[i]]
            # Given weight; the gradient and Age are array-initialised: new synapses start at 0
            book.update({(i, j): (0.25 + j, 0.0, 0.0) for j in free})
        assert _synapses(rt) == book
        np.testing.assert_array_equal(regrow.extra_global_params["Occupied"].view, _bits(book))


MARKS = create_custom_connectivity_update_model(
    "Marks", post_vars=[("Mark", "scalar")], pre_vars=[("Level", "scalar")],
    row_update_code="for_each_synapse { }")
READ_POST = create_custom_connectivity_update_model(
    "ReadPost", pre_vars=[("Sum", "scalar")],
    pre_var_refs=[("Level", "scalar", VarAccessMode.READ_ONLY)],
    post_var_refs=[("Mark", "scalar", VarAccessMode.READ_ONLY)],
    row_update_code="Sum = Level; for_each_synapse { Sum += Mark; }")
SET_MARK = create_custom_update_model("SetMark", var_refs=[("Mark", "scalar")], update_code="Mark = 0.5 * id;")


def _two_groups(n_pre_other=3):
    m = ModelSpec("double", "ccu_post_refs")
    a = m.add_neuron_population("a", 3, SPIKE_DRIVER, {}, {"s": 0.0})
    b = m.add_neuron_population("b", 4, INPUT_PROBE, {}, {"x": 0.0})
    c = m.add_neuron_population("c", n_pre_other, SPIKE_DRIVER, {}, {"s": 0.0})
    s = m.add_synapse_population("s", "SPARSE", a, b, init_weight_update(WU, vars={"g": 0.0, "grad": 0.0}),
                                 init_postsynaptic(DELTA))
    s.set_sparse_connections(np.array([0, 0, 2]), np.array([1, 3, 2]))
    # Another synapse group onto the same target: its update owns the marks
    o = m.add_synapse_population("o", "SPARSE", c, b, init_weight_update(WU, vars={"g": 0.0, "grad": 0.0}),
                                 init_postsynaptic(DELTA))
    o.set_sparse_connections(np.array([0]), np.array([0]))
    owner = m.add_custom_connectivity_update("owner", "Own", o, MARKS, post_vars={"Mark": 0.0},
                                             pre_vars={"Level": np.arange(n_pre_other) + 100.0})
    return m, s, owner


def test_post_and_pre_var_refs_of_another_update_are_read_in_rows():
    m, s, owner = _two_groups()
    m.add_custom_update("set", "Set", SET_MARK, var_refs={"Mark": create_post_var_ref(owner, "Mark")})
    m.add_custom_connectivity_update("reader", "Read", s, READ_POST, pre_vars={"Sum": 0.0},
                                     pre_var_refs={"Level": create_pre_var_ref(owner, "Level")},
                                     post_var_refs={"Mark": create_post_var_ref(owner, "Mark")})
    rt = build(m)
    rt.custom_update("Set")
    mark = np.arange(4) * 0.5
    np.testing.assert_array_equal(rt.custom_connectivity_update_populations["owner"].post_vars["Mark"].view, mark)
    rt.custom_update("Read")
    np.testing.assert_array_equal(rt.custom_connectivity_update_populations["reader"].pre_vars["Sum"].view,
                                  [100.0 + mark[1] + mark[3], 101.0, 102.0 + mark[2]])


PRUNE_AGE = create_custom_connectivity_update_model("Aged", vars=[("Age", "scalar")],
                                                    row_update_code="for_each_synapse { }")


def test_reference_errors_advise():
    m, s, owner = _two_groups(n_pre_other=2)
    with pytest.raises(ModelSpecError, match=r"create_var_ref: 'owner' is a custom connectivity update; "
                                             r"reference .*create_pre_var_ref.*create_post_var_ref.*create_wu_var_ref"):
        create_var_ref(owner, "Mark")
    with pytest.raises(ModelSpecError, match=r"create_pre_var_ref: needs a custom connectivity update.*"
                                             r"Population 'b'.*create_var_ref"):
        create_pre_var_ref(m.neuron_populations["b"], "x")
    with pytest.raises(ModelSpecError, match=r"create_wu_var_ref: 'owner'.*transpose"):
        create_wu_var_ref(owner, "Mark", s, "g")
    # Source 'a' has 3 neurons, the owner's pre vars 2 values
    m.add_custom_connectivity_update("reader", "Read", s, READ_POST, pre_vars={"Sum": 0.0},
                                     pre_var_refs={"Level": create_pre_var_ref(owner, "Level")},
                                     post_var_refs={"Mark": create_post_var_ref(owner, "Mark")})
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'reader': pre var ref 'Level' "
                                             r"refers to .*'owner' with 2 values, but population 'a' has 3"):
        m.finalize()
    m2, s2, owner2 = _two_groups()
    m2.add_custom_update("set", "Set", SET_MARK, var_refs={"Mark": create_post_var_ref(owner2, "Nope")})
    with pytest.raises(ModelSpecError, match=r"Custom update 'set': reference 'Mark' names variable 'Nope'.*"
                                             r"'owner' does not have"):
        m2.finalize()
    # Per-synapse variables of an update on another synapse group cannot be a var ref here
    m3, s3, owner3 = _two_groups()
    bad = create_custom_connectivity_update_model("Bad", var_refs=[("g", "scalar")],
                                                  row_update_code="for_each_synapse { }")
    other = m3.add_custom_connectivity_update("aged", "A", m3.synapse_populations["o"], PRUNE_AGE,
                                              vars={"Age": 0.0})
    m3.add_custom_connectivity_update("bad", "B", s3, bad, var_refs={"g": create_wu_var_ref(other, "Age")})
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'bad': var ref 'g' must be "
                                             r"create_wu_var_ref\(...\) of synapse group 's'"):
        m3.finalize()


def test_host_code_still_cannot_use_references():
    # GeNN 5's host stage sees its own pre/post vars and EGPs, not references (to another
    # update's arrays neither)
    host = create_custom_connectivity_update_model(
        "HostRef", pre_var_refs=[("Level", "scalar")], host_update_code="scalar x = Level[0]; (void)x;")
    m, s, owner = _two_groups()
    m.add_custom_connectivity_update("h", "H", s, host, pre_var_refs={"Level": create_pre_var_ref(owner, "Level")})
    with pytest.raises(CodeCompileError, match=r"HostRef\.host_update_code:1: "
                                               r".*Level__is_a_pre_var_ref_which_host_update_code_cannot_access"):
        build(m)


def test_mlgenn_layer_passes_pre_var_refs_and_egp_refs_of_an_update():
    # mlGeNN 2.4's Deep-R builds its stages with Compiler.add_custom_connectivity_update and
    # pygenn's create_pre_var_ref / create_egp_ref of the update that call returned
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.utils.model import CustomConnectivityUpdateModel
    compiler = InferenceCompiler(evaluate_timesteps=10)
    m, s, owner = _two_groups()
    owner_model = CustomConnectivityUpdateModel(
        {"pre_vars": [("Count", "unsigned int")], "extra_global_params": [("Flags", "uint32_t*")],
         "host_update_code": "for (unsigned int i = 0; i < num_pre; i++) { Count[i] += 10; }"},
        pre_var_vals={"Count": 0}, egp_vals={"Flags": np.zeros(3, dtype=np.uint32)})
    own = compiler.add_custom_connectivity_update(m, owner_model, s, "Own2", "counts")
    user_model = CustomConnectivityUpdateModel(
        {"pre_var_refs": [("Count", "unsigned int")], "extra_global_param_refs": [("Flags", "uint32_t*")],
         "row_update_code": """
         Count = 0;
         for_each_synapse { Count++; }
         Flags[id_pre] = 7 * Count + 1;
         """},
        pre_var_refs={"Count": create_pre_var_ref(own, "Count")},
        egp_refs={"Flags": create_egp_ref(own, "Flags")})
    compiler.add_custom_connectivity_update(m, user_model, s, "Use", "user")
    rt = build(m)
    rt.custom_update("Use")
    r = rt.custom_connectivity_update_populations["counts"]
    np.testing.assert_array_equal(r.pre_vars["Count"].view, [2, 0, 1])
    np.testing.assert_array_equal(r.extra_global_params["Flags"].view, [15, 1, 8])
    rt.custom_update("Own2")
    np.testing.assert_array_equal(r.pre_vars["Count"].view, [12, 10, 11])
