"""Names from Python never reach generated C unchecked.

Group, custom update, update group and model class names may be any text, non-ASCII
included; the cpu backend escapes them in comments and replaces them in ``#line`` directives
(``ml_genn.backends.cpu.c_text``), so that hostile names compile to the same program as plain
ones, the generated C stays ASCII, and compile errors still name the user's model and field.
"""
import re

import numpy as np
import pytest

from ml_genn.backends.cpu import CPUBackend
from ml_genn.backends.cpu.c_text import c_comment, comment_text, line_file_name
from ml_genn.engine import (CodeCompileError, ModelSpec, ModelSpecError, VarAccess, VarAccessMode,
                            create_custom_update_model, create_neuron_model,
                            create_postsynaptic_model, create_sparse_connect_init_snippet,
                            create_var_init_snippet, create_var_ref, create_weight_update_model,
                            init_postsynaptic, init_sparse_connectivity, init_var,
                            init_weight_update)

# Each closes or opens a comment, breaks a string literal or a line, continues a '//'
# comment (a backslash at the end), spells a trigraph, or is not ASCII
HOSTILE = {
    "pre": "pre */ int broken; /* h\u00e4user",
    "post": 'post "quoted" back\\slash ??/ trigraph \\',
    "syn": "syn\nnew line\r\ncarriage // comment \\",
    "cu": "cu \u795e\u7d4c */ \ud800",
    "update_group": "Update */ group\n// h\u00e4user \\",
    "neuron": 'Neuron */ "class" \\',
    "post_neuron": "Post\nNeuron \u795e\u7d4c:1:",
    "psm": 'Delta\r"curr"??/',
    "wu": "Weight */ update/ \\",
    "cu_model": "Custom\\\nupdate h\u00e4user",
    "init": 'Init "ramp" /* ',
    "conn": "Conn: a/b\\c ??/",
}
PLAIN = {key: f"plain_{key}" for key in HOSTILE}


def _spec(names):
    """A network using every place a name reaches C: struct field comments, neuron and
    synapse kernels, a history reader (delayed post read), a custom update and its update
    group, and the #line labels of neuron, postsynaptic, weight update, custom update, var
    init and sparse connectivity code. Nothing random, so names cannot change results."""
    ramp = create_var_init_snippet(names["init"], params=["step"],
                                   var_init_code="value = step * (scalar)id;")
    driver = create_neuron_model(names["neuron"], params=["drive"], vars=[("V", "scalar")],
                                 sim_code="V += drive;", threshold_condition_code="V >= 1.0",
                                 reset_code="V -= 1.0;")
    reader = create_neuron_model(names["post_neuron"], vars=[("U", "scalar")],
                                 sim_code="U = (0.5 * U) + Isyn;")
    delta = create_postsynaptic_model(names["psm"], sim_code="injectCurrent(inSyn); inSyn = 0.0;")
    wu = create_weight_update_model(
        names["wu"], vars=[("g", "scalar", VarAccess.READ_ONLY), ("Seen", "scalar")],
        post_neuron_var_refs=[("U_post", "scalar", VarAccessMode.READ_ONLY)],
        pre_spike_syn_code="addToPost(g); Seen += U_post[2];")
    conn = create_sparse_connect_init_snippet(
        names["conn"], row_build_code="for (unsigned int j = 0; j < num_post; j++) { "
                                      "if ((id_pre + j) % 2 == 0) { addSynapse(j); } }",
        calc_max_row_len_func=lambda num_pre, num_post, params: num_post)
    total = create_custom_update_model(names["cu_model"], vars=[("Total", "scalar")],
                                       var_refs=[("U", "scalar", VarAccessMode.READ_ONLY)],
                                       update_code="Total += U;")
    m = ModelSpec("double", "hostile_names")
    m.batch_size = 2
    pre = m.add_neuron_population(names["pre"], 4, driver, {"drive": 0.3},
                                  {"V": init_var(ramp, {"step": 0.2})})
    post = m.add_neuron_population(names["post"], 3, reader, {}, {"U": 0.0})
    sg = m.add_synapse_population(
        names["syn"], "SPARSE", pre, post,
        init_weight_update(wu, vars={"g": 0.5, "Seen": 0.0},
                           post_var_refs={"U_post": create_var_ref(post, "U")}),
        init_postsynaptic(delta), init_sparse_connectivity(conn))
    sg.max_dendritic_delay_timesteps = 3
    m.add_custom_update(names["cu"], names["update_group"], total, vars={"Total": 0.0},
                        var_refs={"U": create_var_ref(post, "U")})
    return m


def _run(names):
    built = CPUBackend().build(_spec(names))
    rt = built.load()
    for step in range(12):
        rt.step_time()
        if step % 4 == 3:
            rt.custom_update(names["update_group"])
    state = {"V": rt.neuron_populations[names["pre"]].vars["V"].view,
             "U": rt.neuron_populations[names["post"]].vars["U"].view,
             "Seen": rt.synapse_populations[names["syn"]].vars["Seen"].view,
             "Total": rt.custom_update_populations[names["cu"]].vars["Total"].view}
    return built.source, {k: np.array(v, dtype=float) for k, v in state.items()}


def test_hostile_names_compile_to_the_program_plain_names_give():
    plain_source, plain = _run(PLAIN)
    source, hostile = _run(HOSTILE)
    # The run did something: spikes reached the target, were read back with a delay, and
    # the custom update summed them
    assert np.all(plain["Total"] > 0) and np.any(plain["Seen"] > 0)
    for key in plain:
        np.testing.assert_array_equal(hostile[key], plain[key], err_msg=key)
    # One policy for non-ASCII and control characters: the C is ASCII whatever the names,
    # and names stay readable in comments (escaped, not dropped)
    assert source.isascii()
    assert c_comment(HOSTILE["pre"]) in source and c_comment(HOSTILE["update_group"]) in source
    # The same program: only comments, #line file names and RNG stream ids (hashes of the
    # group names, unused here) differ
    def code_only(s):
        s = re.sub(r"/\*.*?\*/", "", s)
        s = re.sub(r"_rng_make\(_seed, \d+u", "_rng_make(_seed, STREAM", s)
        return re.sub(r'^#line 1 ".*"$', "#line 1", s, flags=re.M)
    assert code_only(source) == code_only(plain_source)


def _build_single(*models):
    m = ModelSpec("float", "hostile_errors")
    for k, model in enumerate(models):
        m.add_neuron_population(f"p{k}", 2, model, {}, {"V": 0.0})
    return CPUBackend().build(m)


@pytest.mark.parametrize("class_name", [HOSTILE["neuron"], HOSTILE["post_neuron"],
                                        "Conn: a/b\\c ??/ \u795e\u7d4c\r"])
def test_compile_error_in_hostile_model_names_the_model_and_field(class_name):
    bad = create_neuron_model(class_name, vars=[("V", "scalar")],
                              sim_code="V += 1.0;\nV = V +* ;\n")
    with pytest.raises(CodeCompileError) as info:
        _build_single(bad)
    msg = str(info.value)
    assert f"{class_name}.sim_code:2:" in msg and "V = V +* ;" in msg
    assert "generated code" not in msg


def test_unfinished_expression_in_hostile_model_is_blamed_on_its_last_line():
    class_name = 'Thresh "*/" \\\nh\u00e4user'
    bad = create_neuron_model(class_name, vars=[("V", "scalar")], threshold_condition_code="V >= ")
    with pytest.raises(CodeCompileError) as info:
        _build_single(bad)
    assert f"{class_name}.threshold_condition_code:1:" in str(info.value)
    # The name made valid directives: the compiler saw the one mistake and nothing else
    diagnostics = info.value.diagnostics
    assert diagnostics.count("error:") == 1 and "warning" not in diagnostics, diagnostics


def test_names_that_sanitise_alike_are_told_apart_in_compile_errors():
    # Both become 'x_y' once their odd character is replaced
    good = create_neuron_model('x"y', vars=[("V", "scalar")], sim_code="V += 1.0;")
    bad = create_neuron_model("x\\y", vars=[("V", "scalar")], sim_code="V += undeclared_w;")
    with pytest.raises(CodeCompileError) as info:
        _build_single(good, bad)
    msg = str(info.value)
    assert "x\\y.sim_code:1:" in msg and "undeclared_w" in msg
    assert 'x"y.sim_code' not in msg


@pytest.mark.parametrize("name", list(HOSTILE.values()) + ["a*/*/b", "//", "??/??/", "end\\"])
def test_comment_text_cannot_leave_its_comment_or_line(name):
    text = comment_text(name)
    assert text.isascii() and "\n" not in text and "\r" not in text
    assert "*/" not in text and "/*" not in text and "??" not in text
    # In a comment, a C compiler ignores everything up to the first */: that is the end
    comment = c_comment(name)
    assert comment.startswith("/* ") and comment.index("*/") == len(comment) - 2


def test_line_file_names_are_plain_labels_or_safe_distinct_tokens():
    assert line_file_name("LIF.sim_code") == "LIF.sim_code"
    labels = [f"{name}.sim_code" for name in HOSTILE.values()] + ['x"y.sim_code', "x\\y.sim_code",
                                                                  "x_y.sim_code"]
    files = [line_file_name(label) for label in labels]
    assert len(set(files)) == len(labels)
    for label, file_name in zip(labels, files):
        # Nothing a C string literal escapes, nothing a diagnostic parser splits on
        assert re.fullmatch(r"[A-Za-z0-9_.~\-]+", file_name), file_name
        assert file_name.endswith(".sim_code") and file_name == line_file_name(label)


def test_user_api_accepts_any_population_and_connection_name():
    # mlGeNN accepts any name; non-ASCII ones used to be refused by the engine
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.connectivity import Dense
    from ml_genn.metrics import MeanSquareError
    from ml_genn.neurons import IntegrateFire, IntegrateFireInput

    rng = np.random.default_rng(1)
    w = rng.normal(size=(5, 3))
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=0.5), 5, name="h\u00e4user */ \"in\"")
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3,
                         name="\u795e\u7d4c\nout \\")
        Connection(inp, out, Dense(w), name="conn ??/ // \u00e9")
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True,
                                 batch_size=2).compile(net)
    x = (rng.random((4, 5)) < 0.5).astype(np.float32)
    target = np.ones((4, 3))
    with compiled:
        metrics, _ = compiled.evaluate({inp: x}, {out: target}, metrics=MeanSquareError(),
                                       callbacks=[])
    assert metrics[out].result == pytest.approx(np.mean((x @ w - target) ** 2), rel=1e-5)


@pytest.mark.parametrize("make", [
    lambda: create_neuron_model(None, vars=[("V", "scalar")]),
    lambda: create_custom_update_model("", update_code=""),
])
def test_model_class_names_must_be_non_empty_strings(make):
    with pytest.raises(ModelSpecError, match="name must be a non-empty string, got"):
        make()


@pytest.mark.parametrize("make,match", [
    # Names code strings use bare become C identifiers: ASCII identifiers, a trailing
    # newline included (it used to slip past the check into a #define)
    (lambda: create_neuron_model("M", vars=[("V\n", "scalar")]), "var name 'V\\\\n' is not a valid"),
    (lambda: create_neuron_model("M", params=["h\u00e4user"]), "ASCII letters, digits and '_'"),
    # The model name names files
    (lambda: ModelSpec("float", "model\n"), "model_name must be letters"),
])
def test_names_used_in_c_or_file_names_are_checked_whole(make, match):
    with pytest.raises(ModelSpecError, match=match):
        make()
