"""Custom connectivity updates and Deep-R on every installed backend: the same rewiring, the
same per-synapse values, the same spikes through the rewired synapses as the cpu backend, and
both checked against NumPy bookkeeping of (pre, post) -> values.

GeNN's single-threaded CPU backend shares host and device memory, so the GPU transfer protocol
around Deep-R's host step is checked on it by watching the transfers the adapter asks for
(:func:`test_deep_r_host_step_pulls_what_it_reads_and_pushes_what_it_writes`)."""
import numpy as np
import pytest

from backends_harness import (SEPARATE_HOST, backend_params, genn_skip_reason, is_genn,
                              load_engine_model)

BACKENDS = backend_params()
GENN_REASON = genn_skip_reason("single_threaded_cpu")
needs_genn = pytest.mark.skipif(GENN_REASON is not None, reason=f"GeNN backend: {GENN_REASON}")

# Rows 0 and 3 are full (max_row_length 4 comes from them); column 5 starts empty everywhere
PRE_INDS = np.array([0, 0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4])
POST_INDS = np.array([0, 1, 2, 3, 4, 0, 3, 1, 3, 0, 2, 4])
G = np.array([0.5, -0.4, 0.9, 0.1, -0.2, 0.3, 0.8, 0.6, 0.7, 0.2, 0.45, -0.9])
N_PRE, N_POST, THRESHOLD = 5, 6, 0.15
H_INIT = -1.0


PRUNE_AND_GROW = """
    Removed = 0;
    for_each_synapse {
        if (g < Threshold) { Removed++; remove_synapse(); }
    }
    if (id_pre == 0) { add_synapse(num_post - 1, 2.5, 0.75); }   // h and g given
    else if (id_pre == 1) { add_synapse(num_post - 1, 4.0); }   // g: its initial value
    else { add_synapse(num_post - 1); }                          // neither
    """


def _rewire_model(row_update_code=PRUNE_AND_GROW):
    from ml_genn.engine import VarAccessMode, create_custom_connectivity_update_model
    return create_custom_connectivity_update_model(
        "PruneAndGrow", params=[("Threshold", "scalar")], vars=[("h", "scalar")],
        pre_vars=[("Removed", "unsigned int")], var_refs=[("g", "scalar", VarAccessMode.READ_WRITE)],
        row_update_code=row_update_code)


def _spec(name, d_init=None, row_update_code=PRUNE_AND_GROW):
    """Drivers -> probes through a SPARSE group (weights ``G``, per-synapse ``d``), a custom
    update with a per-synapse variable on it and the ``PruneAndGrow`` update."""
    from ml_genn.engine import (ModelSpec, create_custom_update_model, create_neuron_model,
                                create_postsynaptic_model, create_weight_update_model,
                                create_wu_var_ref, init_postsynaptic, init_weight_update)
    driver = create_neuron_model("Driver", vars=[("s", "scalar")],
                                 threshold_condition_code="s > 0.5", reset_code="s = 0.0;")
    probe = create_neuron_model("Probe", vars=[("x", "scalar")], sim_code="x = Isyn;")
    wu = create_weight_update_model("Pulse", vars=[("g", "scalar"), ("d", "scalar")],
                                    pre_spike_syn_code="addToPost(g);")
    delta = create_postsynaptic_model("Delta", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
    moment = create_custom_update_model("Moment", vars=[("m", "scalar")],
                                        var_refs=[("g", "scalar")], update_code="m = 3.0 * g + 1.0;")
    spec = ModelSpec("double", name)
    a = spec.add_neuron_population("a", N_PRE, driver, {}, {"s": 0.0})
    b = spec.add_neuron_population("b", N_POST, probe, {}, {"x": 0.0})
    d = np.arange(len(PRE_INDS)) * 10.0 if d_init is None else d_init
    sg = spec.add_synapse_population("syn", "SPARSE", a, b,
                                     init_weight_update(wu, vars={"g": G.copy(), "d": d}),
                                     init_postsynaptic(delta))
    sg.set_sparse_connections(PRE_INDS, POST_INDS)
    spec.add_custom_update("moment", "Moments", moment, {}, {"m": 0.0},
                           {"g": create_wu_var_ref(sg, "g")})
    spec.add_custom_connectivity_update("rewire", "Rewire", sg, _rewire_model(row_update_code),
                                        params={"Threshold": THRESHOLD}, vars={"h": H_INIT},
                                        pre_vars={"Removed": 7},
                                        var_refs={"g": create_wu_var_ref(sg, "g")})
    return spec


def _state(rt):
    """Row order, per-synapse values (g, d, m, h) and the update's counts, read through the
    public views."""
    s = rt.synapse_populations["syn"]
    ccu = rt.custom_connectivity_update_populations["rewire"]
    return dict(pre=s.get_sparse_pre_inds(), post=s.get_sparse_post_inds(),
                g=s.vars["g"].values.reshape(-1), d=s.vars["d"].values.reshape(-1),
                m=rt.custom_update_populations["moment"].vars["m"].values.reshape(-1),
                h=ccu.vars["h"].values.reshape(-1),
                removed=ccu.pre_vars["Removed"].view.reshape(-1).copy(),
                failed=ccu.num_failed_additions)


def _rewire(backend):
    rt = load_engine_model(backend, _spec("ccu_conformance"))
    try:
        rt.custom_update("Moments")                 # m = 3 g + 1, moves with its synapse
        # Read before the rewiring too: what the host holds then must not be taken for the
        # connectivity the update leaves on the device
        syn = rt.synapse_populations["syn"]
        before = (syn.get_sparse_pre_inds(), syn.get_sparse_post_inds())
        rt.custom_update("Rewire")
        state = _state(rt)
        state["before"] = before
        # Spikes travel through the rewired synapses only
        rt.neuron_populations["a"].vars["s"].view[...] = 1.0
        rt.step_time()
        rt.step_time()
        state["x"] = rt.neuron_populations["b"].vars["x"].view.reshape(-1).copy()
        state["runtime"] = type(rt).__name__
    finally:
        if is_genn(backend):
            rt.unload()
    return state


@pytest.fixture(scope="module")
def cpu_rewiring():
    return _rewire("cpu")


@pytest.mark.parametrize("backend", BACKENDS)
def test_prune_and_grow_matches_numpy_and_the_cpu_backend(backend, cpu_rewiring):
    got = _rewire(backend)
    assert got["runtime"] == ("GeNNRuntime" if is_genn(backend) else "Runtime")
    # Before: the synapses as set, rows ascending, each row's in the order given
    order = np.argsort(PRE_INDS, kind="stable")
    np.testing.assert_array_equal(got["before"][0], np.asarray(PRE_INDS)[order])
    np.testing.assert_array_equal(got["before"][1], np.asarray(POST_INDS)[order])
    # NumPy bookkeeping: synapses at or above the threshold stay with all their values; each
    # row with room afterwards gets (row, 5) with the values add_synapse gave or the initial
    # ones (g's is an array, so 0; m's constant 0; h's constant H_INIT); a full row refuses
    d = np.arange(len(PRE_INDS)) * 10.0
    kept = {(int(p), int(q)): (G[k], d[k], 3.0 * G[k] + 1.0, H_INIT)
            for k, (p, q) in enumerate(zip(PRE_INDS, POST_INDS)) if G[k] >= THRESHOLD}
    added_values = {0: (0.75, 0.0, 0.0, 2.5), 1: (0.0, 0.0, 0.0, 4.0)}
    rows = np.bincount([p for p, _ in kept], minlength=N_PRE)
    max_row_length = np.bincount(PRE_INDS).max()
    added = {(i, N_POST - 1): added_values.get(i, (0.0, 0.0, 0.0, H_INIT))
             for i in range(N_PRE) if rows[i] < max_row_length}
    expected = {**kept, **added}
    synapses = {(int(p), int(q)): tuple(got[k][i] for k in "gdmh")
                for i, (p, q) in enumerate(zip(got["pre"], got["post"]))}
    assert len(synapses) == len(got["pre"]), "no synapse may appear twice"
    assert synapses == expected
    assert got["failed"] == N_PRE - len(added) == 1     # row 3 stays full
    np.testing.assert_array_equal(
        got["removed"], np.bincount(PRE_INDS[G < THRESHOLD], minlength=N_PRE))
    want_x = np.zeros(N_POST)
    for (p, q), values in expected.items():
        want_x[q] += values[0]
    np.testing.assert_allclose(got["x"], want_x, rtol=1e-12)
    if is_genn(backend):
        # The same row order and values as the cpu backend, bit for bit
        for key in ("pre", "post", "g", "d", "m", "h", "removed", "x"):
            np.testing.assert_array_equal(got[key], cpu_rewiring[key], err_msg=key)
        assert got["failed"] == cpu_rewiring["failed"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_added_synapses_zero_the_variables_the_update_does_not_name(backend):
    """As GeNN 5 (its generated add_synapse zeroes every 'dependent' variable): 'd', which the
    update neither owns nor refers to, is 0 in an added synapse on every backend, whatever
    constant it started at; the synapses that stayed keep theirs."""
    rt = load_engine_model(backend, _spec(f"ccu_dependent_constant_{backend}", d_init=0.25))
    rt.custom_update("Rewire")
    s = rt.synapse_populations["syn"]
    d = np.asarray(s.vars["d"].values).reshape(-1)
    new = s.get_sparse_post_inds() == N_POST - 1
    assert new.any() and np.all(d[new] == 0.0) and np.all(d[~new] == 0.25)


@needs_genn
def test_add_synapse_with_more_values_than_vars_and_refs_is_refused_on_genn():
    from ml_genn_pygenn.errors import UnsupportedOnGeNNError
    # h and g take two values; the cpu backend would ignore the third
    spec = _spec("ccu_extra_value", row_update_code="add_synapse(num_post - 1, 1.0, 2.0, 3.0);")
    with pytest.raises(UnsupportedOnGeNNError,
                       match=r"(?s)Custom connectivity update 'rewire'.*add_synapse\(num_post - 1, "
                             r"1\.0, 2\.0, 3\.0\) passes 3 values.*2 per-synapse vars and var refs"
                             r".*'single_threaded_cpu'"):
        load_engine_model("single_threaded_cpu", spec)


# ---------------------------------------------------------------------------- Deep-R
NUM_IN, NUM_HID, NUM_OUT, STEPS, EXAMPLES = 10, 8, 3, 20, 4


def _deep_r_data():
    from ml_genn.utils.data import preprocess_spikes
    rng = np.random.default_rng(3)
    labels = rng.integers(0, NUM_OUT, EXAMPLES)
    spikes = [preprocess_spikes(np.sort(rng.uniform(0, STEPS - 1, 12)),
                                rng.integers(0, NUM_IN, 12), NUM_IN) for _ in labels]
    return spikes, labels


def _deep_r_network(kind):
    """input -> hidden through a FixedProbability connection whose synapses and weights are
    given (so that every backend starts from the same ones), hidden -> output dense."""
    from ml_genn import Connection, Network, Population
    from ml_genn.connectivity import Dense, FixedProbability
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
    from ml_genn.synapses import Exponential
    eventprop = kind == "eventprop"
    if eventprop:
        from ml_genn.compilers.event_prop_compiler import default_params
    else:
        from ml_genn.compilers.eprop_compiler import default_params
    rng = np.random.default_rng(1)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=40), NUM_IN, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=0.5, tau_mem=20.0,
                                            tau_refrac=None if eventprop else 5.0),
                         NUM_HID, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var" if eventprop
                                        else "sum_var"), NUM_OUT, name="output")
        sparse = FixedProbability(0.4, 0.0)
        pre, post = np.nonzero(rng.random((NUM_IN, NUM_HID)) < 0.4)
        sparse.pre_ind, sparse.post_ind = pre, post
        sparse.weight = rng.normal(0.0, 1.0, len(pre))
        kw = (lambda: {"synapse": Exponential(5.0)}) if eventprop else (lambda: {})
        conn = Connection(inp, hid, sparse, name="in_hid", **kw())
        Connection(hid, out, Dense(rng.normal(0.0, 0.4, (NUM_HID, NUM_OUT))), name="hid_out",
                   **kw())
    return net, inp, out, conn


def _deep_r_compiler(kind, backend, conn):
    from ml_genn.compilers import EPropCompiler, EventPropCompiler
    from ml_genn.optimisers import SGD
    kw = dict(losses="sparse_categorical_crossentropy", optimiser=SGD(0.5), batch_size=1,
              rng_seed=7, precision="double", backend=backend, deep_r_conns=[conn],
              deep_r_l1_strength=0.05, deep_r_record_rewirings={conn: "rewirings"})
    if kind == "eventprop":
        return EventPropCompiler(example_timesteps=STEPS, max_spikes=40, **kw)
    return EPropCompiler(example_timesteps=STEPS, implementation="per_synapse", **kw)


def _deep_r_state(compiled, conn):
    group = compiled.connection_populations[conn]
    deep_r = compiled.deep_r[0]
    return dict(pre=group.get_sparse_pre_inds(), post=group.get_sparse_post_inds(),
                g=np.asarray(group.vars["g"].values).reshape(-1),
                signs=deep_r.get_state(compiled.genn_model).copy())


def _train_deep_r(kind, backend, epochs=2):
    spikes, labels = _deep_r_data()
    net, inp, out, conn = _deep_r_network(kind)
    with _deep_r_compiler(kind, backend, conn).compile(net, f"deep_r_{kind}") as compiled:
        start = _deep_r_state(compiled, conn)
        _, cb = compiled.train({inp: spikes}, {out: labels}, num_epochs=epochs, shuffle=False,
                               callbacks=[])
        state = _deep_r_state(compiled, conn)
        state.update(runtime=type(compiled.genn_model).__name__, start=start,
                     rewirings=list(cb["rewirings"]))
    return state


def _assert_same_deep_r(got, want):
    """Rewiring is decided by weight signs: the same counts, the same synapses in the same
    order and signs; weights equal up to double rounding (the order of operations differs)."""
    assert got["rewirings"] == want["rewirings"]
    for key in ("pre", "post", "signs"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    np.testing.assert_allclose(got["g"], want["g"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_deep_r_rewires_as_on_the_cpu_backend(backend, kind):
    got = _train_deep_r(kind, backend)
    assert got["runtime"] == ("GeNNRuntime" if is_genn(backend) else "Runtime")
    # Deep-R's promises: one count per batch, synapses removed and as many added
    assert len(got["rewirings"]) == 2 * EXAMPLES
    assert sum(n for n, _ in got["rewirings"]) > 0, "some weights must cross zero"
    assert len(got["pre"]) == len(got["start"]["pre"])
    moved = set(zip(got["pre"], got["post"])) ^ set(zip(got["start"]["pre"],
                                                        got["start"]["post"]))
    assert moved, "the connectivity must change"
    if is_genn(backend):
        _assert_same_deep_r(got, _train_deep_r(kind, "cpu"))


@needs_genn
@pytest.mark.parametrize("backend", ["single_threaded_cpu", SEPARATE_HOST])
@pytest.mark.parametrize("kind", ["eventprop", "eprop"])
def test_deep_r_resumes_in_place_from_a_checkpoint_on_genn(kind, backend, tmp_path):
    """Epoch 0's checkpoint restored into a network compiled afresh on GeNN (its rewired
    synapses written from the host with ``set_sparse_connections``), then epoch 1: the cpu
    backend's uninterrupted two epochs."""
    from ml_genn.callbacks import Checkpoint
    from ml_genn.serialisers import Numpy
    folder = str(tmp_path / "run")
    spikes, labels = _deep_r_data()
    net, inp, out, conn = _deep_r_network(kind)
    with _deep_r_compiler(kind, backend, conn).compile(net, f"deep_r_{kind}") as compiled:
        compiled.train({inp: spikes}, {out: labels}, num_epochs=1, shuffle=False,
                       callbacks=[Checkpoint(Numpy(folder))])
        saved = _deep_r_state(compiled, conn)
    net, inp, out, conn = _deep_r_network(kind)
    with _deep_r_compiler(kind, backend, conn).compile(net, f"deep_r_{kind}") as compiled:
        fresh = _deep_r_state(compiled, conn)
        compiled.restore_checkpoint((0,), Numpy(folder))
        restored = _deep_r_state(compiled, conn)
        _, cb = compiled.train({inp: spikes}, {out: labels}, num_epochs=1, start_epoch=1,
                               shuffle=False, callbacks=[])
        resumed = _deep_r_state(compiled, conn)
        resumed["rewirings"] = list(cb["rewirings"])
    assert not np.array_equal(fresh["post"], saved["post"]), "epoch 0 must have rewired"
    for key in ("pre", "post", "g", "signs"):
        np.testing.assert_array_equal(restored[key], saved[key], err_msg=key)
    want = _train_deep_r(kind, "cpu")
    want["rewirings"] = want["rewirings"][EXAMPLES:]
    _assert_same_deep_r(resumed, want)


@needs_genn
def test_deep_r_host_step_pulls_what_it_reads_and_pushes_what_it_writes(monkeypatch):
    """The GPU protocol around Deep-R's host step, on the CPU backend with the adapter told
    that the device's memory is separate: after stage 1 the host pulls the row lengths,
    targets and dormant counts it reads; it pushes the planned targets and counts before
    stage 2 runs; after stage 2 the new connectivity is pulled again when read."""
    from ml_genn.compilers.deep_r import rewire
    spikes, labels = _deep_r_data()
    net, inp, out, conn = _deep_r_network("eventprop")
    with _deep_r_compiler("eventprop", "single_threaded_cpu",
                          conn).compile(net, "deep_r_eventprop") as compiled:
        compiled.train({inp: spikes[:1]}, {out: labels[:1]}, num_epochs=1, callbacks=[])
        rt, deep_r = compiled.genn_model, compiled.deep_r[0]
        rt._separate_device = True
        ccus = rt.custom_connectivity_update_populations
        group = rt.synapse_populations[deep_r.name]
        watched = {"rowLength": group._pg._row_lengths, "ind": group._pg._ind,
                   "NumDormant": ccus[deep_r.stage_1_name].pre_vars["NumDormant"]._pg,
                   "NumActivations": ccus[deep_r.stage_2_name].pre_vars["NumActivations"]._pg,
                   "NewPost": ccus[deep_r.stage_2_name].extra_global_params["NewPost"]._pg}
        log = []
        for name, array in watched.items():
            for what in ("pull", "push"):
                real = getattr(array, f"{what}_{'from' if what == 'pull' else 'to'}_device")
                monkeypatch.setattr(array, real.__name__,
                                    lambda real=real, tag=f"{what} {name}": (log.append(tag),
                                                                            real()))
        real_update = rt._genn.custom_update
        monkeypatch.setattr(rt._genn, "custom_update",
                            lambda group_name: (log.append(f"run {group_name}"),
                                                real_update(group_name)))
        rt._after_device()                      # as if the device had just trained
        rewire(rt, compiled.deep_r, 7, 1)
        group.get_sparse_post_inds()
    stage_1, stage_2 = log.index("run DeepR1"), log.index("run DeepR2")
    for tag in ("pull rowLength", "pull ind", "pull NumDormant", "push NewPost",
                "push NumActivations"):
        assert tag in log[stage_1:stage_2], f"{tag} must happen between the stages: {log}"
    for tag in ("pull rowLength", "pull ind"):
        assert tag in log[stage_2:], f"{tag} again after stage 2: {log}"


@needs_genn
def test_host_written_synapses_drive_synapse_dynamics_but_postsynaptic_code_is_refused():
    """Synapse dynamics code walks the rows, so synapses written from the host drive it on
    GeNN as on the cpu backend; postsynaptic code runs over column structures GeNN builds on
    the device, so writing a group that has it is refused, naming the group and backend."""
    from ml_genn.engine import (ModelSpec, RuntimeStateError, create_neuron_model,
                                create_postsynaptic_model, create_weight_update_model,
                                init_postsynaptic, init_weight_update)
    probe = create_neuron_model("Probe", vars=[("x", "scalar")], sim_code="x = Isyn;")
    delta = create_postsynaptic_model("Delta", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
    models = {"dynamics": create_weight_update_model("Drive", vars=[("g", "scalar")],
                                                     synapse_dynamics_code="addToPost(g);"),
              "post": create_weight_update_model("PostLearn", vars=[("g", "scalar")],
                                                 post_spike_syn_code="g += 1.0;")}
    pre, post, g = np.array([2, 0, 2, 1]), np.array([1, 3, 0, 1]), np.array([0.5, 2.0, 4.0, 8.0])
    results = {}
    for backend in ("cpu", "single_threaded_cpu"):
        spec = ModelSpec("double", "ccu_host_writes")
        a = spec.add_neuron_population("a", 3, probe, {}, {"x": 0.0})
        b = spec.add_neuron_population("b", 4, probe, {}, {"x": 0.0})
        for name, wu in models.items():
            sg = spec.add_synapse_population(name, "SPARSE", a, b,
                                             init_weight_update(wu, vars={"g": 0.0}),
                                             init_postsynaptic(delta))
            sg.set_sparse_connections(np.array([0, 1, 2]), np.array([0, 1, 2]))
            sg.max_connections = 2          # room for the synapses written later
        rt = load_engine_model(backend, spec)
        try:
            if is_genn(backend):
                with pytest.raises(RuntimeStateError,
                                   match=r"(?s)Synapse group 'post'.*set_sparse_connections "
                                         r"cannot rewire.*'single_threaded_cpu'.*postsynaptic"):
                    rt.synapse_populations["post"].set_sparse_connections(pre, post)
            group = rt.synapse_populations["dynamics"]
            group.set_sparse_connections(pre, post)
            # Values follow the stored order: rows ascending, each row's in the order given
            group.vars["g"].values = g[np.argsort(pre, kind="stable")]
            rt.step_time()
            rt.step_time()
            results[backend] = rt.neuron_populations["b"].vars["x"].view.reshape(-1).copy()
        finally:
            if is_genn(backend):
                rt.unload()
    want = np.bincount(post, weights=g, minlength=4)       # each synapse drives its target
    for backend, x in results.items():
        np.testing.assert_array_equal(x, want, err_msg=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_host_update_code_runs_as_on_the_cpu_backend(backend):
    """A host stage in mlGeNN's Deep-R style (GeNN 5's names: row_length, row_stride, pulls and
    pushes) passes to GeNN as written and gives the cpu backend's results over two calls."""
    import sys
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "core", "engine"))
    import test_custom_connectivity_update as engine_tests
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.engine import create_wu_var_ref
    from ml_genn.utils.model import CustomConnectivityUpdateModel

    def run(on):
        m, a, b, sg = engine_tests._model(f"ccu_host_stage_{on}")
        model = CustomConnectivityUpdateModel(
            engine_tests.DEEP_R_LIKE, pre_var_vals={"NumDormant": 0, "NumActivations": 0},
            egp_vals={"Total": np.zeros(1, dtype=np.uint64),
                      "Failed": np.zeros(1, dtype=np.uint64)},
            var_refs={"g": create_wu_var_ref(sg, "g")})
        InferenceCompiler(evaluate_timesteps=10).add_custom_connectivity_update(
            m, model, sg, "DeepR2", "deep_r_2")
        rt = load_engine_model(on, m)
        r = rt.custom_connectivity_update_populations["deep_r_2"]
        results = []
        for dormant in ([1, 3, 1, 2], [0, 1, 0, 0]):
            r.pre_vars["NumDormant"].view[:] = dormant
            r.pre_vars["NumDormant"].push_to_device()
            rt.custom_update("DeepR2")
            for egp in ("Total", "Failed"):
                r.extra_global_params[egp].pull_from_device()
            r.pre_vars["NumActivations"].pull_from_device()
            results.append((int(r.extra_global_params["Total"].view[0]),
                            int(r.extra_global_params["Failed"].view[0]),
                            np.array(r.pre_vars["NumActivations"].view).tolist(),
                            sorted(engine_tests._synapses(rt).items())))
        return results

    got = run(backend)
    # The host stage ran: 7 dormant, row 0 full, one that did not fit
    assert got[0][:3] == (7, 1, [0, 2, 3, 1])
    if is_genn(backend):
        assert got == run("cpu")
