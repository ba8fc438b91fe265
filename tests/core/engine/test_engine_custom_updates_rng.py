"""Custom updates (reductions, transposes), RNG statistics and reproducibility."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, build
from ml_genn.engine import (CustomUpdateVarAccess, ModelSpec, VarAccess, VarAccessMode,
                            create_custom_update_model, create_neuron_model, create_var_ref,
                            create_weight_update_model, create_wu_var_ref, init_postsynaptic, init_var,
                            init_weight_update)

HOLDER = create_neuron_model("Holder", vars=[("V", "scalar"), ("c", "scalar", VarAccess.READ_ONLY)])


def test_batch_and_neuron_reductions_equal_numpy():
    rng = np.random.default_rng(7)
    V = rng.normal(size=(4, 6))
    m = ModelSpec("double", "reductions")
    m.batch_size = 4
    p = m.add_neuron_population("p", 6, HOLDER, {}, {"V": V, "c": 0.0})
    batch_red = create_custom_update_model(
        "BatchRed", vars=[("s", "scalar", CustomUpdateVarAccess.REDUCE_BATCH_SUM),
                          ("mx", "scalar", CustomUpdateVarAccess.REDUCE_BATCH_MAX)],
        var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)], update_code="s = V; mx = V;")
    neuron_red = create_custom_update_model(
        "NeuronRed", vars=[("s", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_SUM),
                           ("mx", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_MAX)],
        var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)], update_code="s = V * V; mx = V;")
    ref_red = create_custom_update_model(
        "RefRed", var_refs=[("V", "scalar", VarAccessMode.READ_ONLY), ("c", "scalar", VarAccessMode.REDUCE_SUM)],
        update_code="c = 2.0 * V;")
    m.add_custom_update("br", "Reduce", batch_red, {}, {"s": 0.0, "mx": 0.0}, {"V": create_var_ref(p, "V")})
    m.add_custom_update("nr", "Reduce", neuron_red, {}, {"s": 0.0, "mx": 0.0}, {"V": create_var_ref(p, "V")})
    m.add_custom_update("rr", "RefReduce", ref_red, {}, {}, {"V": create_var_ref(p, "V"), "c": create_var_ref(p, "c")})
    rt = build(m)
    rt.custom_update("Reduce")
    br, nr = rt.custom_update_populations["br"], rt.custom_update_populations["nr"]
    assert br.vars["s"].view.shape == (6,) and nr.vars["s"].view.shape == (4,)
    np.testing.assert_allclose(br.vars["s"].view, V.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(br.vars["mx"].view, V.max(axis=0), rtol=1e-12)
    np.testing.assert_allclose(nr.vars["s"].view, (V * V).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(nr.vars["mx"].view, V.max(axis=1), rtol=1e-12)
    rt.custom_update("RefReduce")
    np.testing.assert_allclose(rt.neuron_populations["p"].vars["c"].view, 2.0 * V.sum(axis=0), rtol=1e-12)
    with pytest.raises(Exception, match=r"no custom update group 'Nope'.*Reduce"):
        rt.custom_update("Nope")


def test_transposed_weight_ref_writes_transpose():
    rng = np.random.default_rng(8)
    W = rng.normal(size=(3, 4))
    wu = create_weight_update_model("Plastic", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);")
    m = ModelSpec("double", "transpose")
    a = m.add_neuron_population("a", 3, INPUT_PROBE, {}, {"x": 0.0})
    b = m.add_neuron_population("b", 4, INPUT_PROBE, {}, {"x": 0.0})
    fwd = m.add_synapse_population("fwd", "DENSE", a, b, init_weight_update(wu, vars={"g": W.reshape(-1)}),
                                   init_postsynaptic(DELTA))
    bwd = m.add_synapse_population("bwd", "DENSE", b, a, init_weight_update(wu, vars={"g": 0.0}),
                                   init_postsynaptic(DELTA))
    upd = create_custom_update_model("Scale", params=["k"], var_refs=[("g", "scalar")], update_code="g = g * k;")
    m.add_custom_update("scale", "Learn", upd, {"k": 3.0}, {}, {"g": create_wu_var_ref(fwd, "g", bwd, "g")})
    rt = build(m)
    rt.custom_update("Learn")
    g_fwd = rt.synapse_populations["fwd"].vars["g"].view.reshape(3, 4)
    g_bwd = rt.synapse_populations["bwd"].vars["g"].view.reshape(4, 3)
    np.testing.assert_allclose(g_fwd, 3.0 * W, rtol=1e-12)
    np.testing.assert_allclose(g_bwd, (3.0 * W).T, rtol=1e-12)


RANDOM = create_neuron_model("Random", vars=[("u", "scalar"), ("n", "scalar"), ("e", "scalar")],
                             sim_code="u = gennrand_uniform(); n = gennrand_normal(); e = gennrand_exponential();")


def _random_model(seed, name="rng"):
    m = ModelSpec("double", name)
    m.batch_size = 2
    m.seed = seed
    m.add_neuron_population("r", 5000, RANDOM, {}, {"u": 0.0, "n": 0.0, "e": 0.0})
    return m


def test_rng_mean_and_variance():
    rt = build(_random_model(21))
    rt.step_time()
    v = rt.neuron_populations["r"].vars
    u, n, e = v["u"].view, v["n"].view, v["e"].view
    # 10000 samples: standard errors are ~0.003 (uniform), 0.01 (normal, exponential)
    assert abs(u.mean() - 0.5) < 0.015 and abs(u.var() - 1 / 12) < 0.005
    assert u.min() > 0.0 and u.max() < 1.0
    assert abs(n.mean()) < 0.05 and abs(n.var() - 1.0) < 0.06
    assert abs(e.mean() - 1.0) < 0.05 and abs(e.var() - 1.0) < 0.1
    # Successive steps draw new numbers
    before = u.copy()
    rt.step_time()
    assert not np.array_equal(before, u)


def test_rng_reproducible_across_seeds_thread_counts_and_state_restore():
    built = None
    runs = {}
    for threads in (1, 2):
        rt = build(_random_model(33))
        rt.set_num_threads(threads)
        rt.run_timesteps(3)
        runs[threads] = rt.neuron_populations["r"].vars["n"].view.copy()
    np.testing.assert_array_equal(runs[1], runs[2])
    other = build(_random_model(34))
    other.run_timesteps(3)
    assert not np.array_equal(other.neuron_populations["r"].vars["n"].view, runs[1])
    # Checkpoint/restore of the RNG state resumes the exact stream
    rt = build(_random_model(33))
    rt.run_timesteps(2)
    state = rt.get_rng_state()
    rt.run_timesteps(1)
    np.testing.assert_array_equal(rt.neuron_populations["r"].vars["n"].view, runs[1])
    rt.set_rng_state(state)
    rt.step_time()
    np.testing.assert_array_equal(rt.neuron_populations["r"].vars["n"].view, runs[1])


def test_var_init_snippets_statistics_and_seed():
    m = ModelSpec("double", "init_stats")
    m.seed = 9
    m.add_neuron_population("p", 20000, HOLDER, {}, {"V": init_var("Normal", {"mean": 2.0, "sd": 0.5}),
                                                    "c": init_var("Uniform", {"min": -1.0, "max": 3.0})})
    rt = build(m)
    V, c = rt.neuron_populations["p"].vars["V"].view, rt.neuron_populations["p"].vars["c"].view
    assert abs(V.mean() - 2.0) < 0.02 and abs(V.std() - 0.5) < 0.02
    assert c.min() >= -1.0 and c.max() <= 3.0 and abs(c.mean() - 1.0) < 0.04
    again = build(m)
    np.testing.assert_array_equal(again.neuron_populations["p"].vars["V"].view, V)
