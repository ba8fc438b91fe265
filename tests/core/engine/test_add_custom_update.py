"""mlGeNN 2.4's ``Compiler.add_custom_update(genn_model, model, group, name)`` with an
``ml_genn.utils.model.CustomUpdateModel`` (params, dynamic params, array-valued params, vars,
var refs, extra global params and references to other groups' extra global params), checked
against NumPy."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, SPIKE_DRIVER, build
from ml_genn.engine import (ModelSpec, VarAccessMode, create_custom_connectivity_update_model,
                            create_custom_update_model, create_egp_ref, create_neuron_model, create_var_ref,
                            create_weight_update_model, create_wu_var_ref, init_postsynaptic,
                            init_weight_update)
from ml_genn.errors import InvalidKeyError, InvalidTypeError

WU = create_weight_update_model("Plastic", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);")
N_PRE, N_POST = 3, 4


def _dense(name, g):
    m = ModelSpec("double", name)
    a = m.add_neuron_population("a", N_PRE, SPIKE_DRIVER, {}, {"s": 0.0})
    b = m.add_neuron_population("b", N_POST, INPUT_PROBE, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", "DENSE", a, b, init_weight_update(WU, vars={"g": g}),
                                  init_postsynaptic(DELTA))
    return m, a, b, sg


def _compiler():
    from ml_genn.compilers import InferenceCompiler
    return InferenceCompiler(evaluate_timesteps=10)


def test_add_custom_update_applies_l1_shrinkage_to_weights():
    from ml_genn.utils.model import CustomUpdateModel
    rng = np.random.default_rng(3)
    g = rng.normal(size=N_PRE * N_POST)
    scale = rng.uniform(0.5, 1.5, size=N_PRE * N_POST)
    m, _, _, sg = _dense("add_cu_l1", g)
    # L1 proximal step per synapse: shrink |g| by Lambda * Scale (Scale an array -> read-only
    # per-synapse var), counting the weights it zeroes; Bias an extra global parameter
    model = CustomUpdateModel(
        {"params": [("Lambda", "scalar"), ("Scale", "scalar")], "vars": [("Zeroed", "scalar")],
         "var_refs": [("g", "scalar")], "extra_global_params": [("Bias", "scalar*")],
         "update_code": """
         const scalar shrink = Lambda * Scale + Bias[0];
         if (fabs(g) <= shrink) { g = 0.0; Zeroed += 1.0; }
         else { g -= (g > 0.0 ? shrink : -shrink); }
         """},
        param_vals={"Lambda": 0.0, "Scale": scale}, var_vals={"Zeroed": 0.0},
        var_refs={"g": create_wu_var_ref(sg, "g")}, egp_vals={"Bias": np.array([0.05])})
    model.set_param_dynamic("Lambda")
    cu = _compiler().add_custom_update(m, model, "Regularise", "l1")
    assert m.custom_updates["l1"] is cu
    rt = build(m)
    r = rt.custom_update_populations["l1"]
    r.set_dynamic_param_value("Lambda", 0.4)
    rt.custom_update("Regularise")
    shrink = 0.4 * scale + 0.05
    expected = np.where(np.abs(g) <= shrink, 0.0, g - np.sign(g) * shrink)
    np.testing.assert_allclose(rt.synapse_populations["syn"].vars["g"].values.reshape(-1), expected)
    np.testing.assert_array_equal(r.vars["Zeroed"].values.reshape(-1), (np.abs(g) <= shrink) * 1.0)


# Holds a per-synapse gradient, as a training compiler's gradient variable does
GRADIENT = create_custom_update_model("Gradient", vars=[("Gradient", "scalar")],
                                      var_refs=[("g", "scalar", VarAccessMode.READ_ONLY)])


def test_add_custom_update_accepts_the_engine_builder_optimisers_return():
    # mlGeNN compilers pass optimiser.get_model(...) straight to add_custom_update
    from ml_genn.optimisers import SGD
    m, _, _, sg = _dense("add_cu_sgd", np.full(N_PRE * N_POST, 1.0))
    grad = m.add_custom_update("grad", "Init", GRADIENT, {},
                               {"Gradient": np.arange(N_PRE * N_POST) * 1.0},
                               {"g": create_wu_var_ref(sg, "g")})
    sgd = SGD(0.5).get_model(create_wu_var_ref(grad, "Gradient"), create_wu_var_ref(sg, "g"), True)
    _compiler().add_custom_update(m, sgd, "GradientLearn", "sgd")
    rt = build(m)
    rt.custom_update_populations["sgd"].set_dynamic_param_value("Alpha", 0.25)
    rt.custom_update("GradientLearn")
    np.testing.assert_allclose(rt.synapse_populations["syn"].vars["g"].values.reshape(-1),
                               1.0 - 0.25 * np.arange(N_PRE * N_POST))
    np.testing.assert_array_equal(rt.custom_update_populations["grad"].vars["Gradient"].values, 0.0)


def test_add_custom_update_refuses_other_models():
    from ml_genn.utils.model import CustomConnectivityUpdateModel
    m, _, _, _ = _dense("add_cu_type", np.zeros(N_PRE * N_POST))
    with pytest.raises(InvalidTypeError, match=r"add_custom_update 'l1': model must be a "
                                               r"CustomUpdateModel, got CustomConnectivityUpdateModel"):
        _compiler().add_custom_update(m, CustomConnectivityUpdateModel({}), "G", "l1")


TABLE_NEURON = create_neuron_model("Tabled", vars=[("V", "scalar")],
                                   extra_global_params=[("Table", "scalar*")])
# Owns a per-row bitmask, as mlGeNN's Deep-R stages do
OWNER = create_custom_connectivity_update_model("Owner", extra_global_params=[("Mask", "uint32_t*")],
                                                row_update_code="for_each_synapse { }")


def test_custom_update_model_egp_refs_reach_neuron_and_connectivity_update_egps():
    # One reference declared GeNN 5's way (model key extra_global_param_refs), one with mlGeNN's
    # add_egp_ref; the update reads the first and writes through the second
    from ml_genn.utils.model import CustomUpdateModel
    m = ModelSpec("double", "cu_egp_refs")
    p = m.add_neuron_population("p", 4, TABLE_NEURON, {}, {"V": 0.0})
    table = np.array([0.5, -1.0, 2.0, 3.5])
    p.extra_global_params["Table"].set_init_values(table)
    b = m.add_neuron_population("b", 4, INPUT_PROBE, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", "SPARSE", p, b, init_weight_update(WU, vars={"g": 1.0}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(np.arange(4), np.arange(4))
    owner = m.add_custom_connectivity_update("owner", "Own", sg, OWNER)
    owner.extra_global_params["Mask"].set_init_values(np.zeros(4, dtype=np.uint32))
    model = CustomUpdateModel(
        {"var_refs": [("V", "scalar")], "extra_global_param_refs": [("Table", "scalar*")],
         "update_code": "V = 2.0 * Table[id]; Mask[id] = (Table[id] > 0.0) ? (1u << id) : 7u;"},
        var_refs={"V": create_var_ref(p, "V")}, egp_refs={"Table": create_egp_ref(p, "Table")})
    model.add_egp_ref("Mask", "uint32_t*", create_egp_ref(owner, "Mask"))
    assert model.has_egp_ref("Table") and model.has_egp_ref("Mask")
    _compiler().add_custom_update(m, model, "Apply", "apply")
    rt = build(m)
    rt.custom_update("Apply")
    np.testing.assert_allclose(rt.neuron_populations["p"].vars["V"].values.reshape(-1), 2.0 * table)
    np.testing.assert_array_equal(
        rt.custom_connectivity_update_populations["owner"].extra_global_params["Mask"].view,
        np.where(table > 0.0, 1 << np.arange(4), 7).astype(np.uint32))


def test_custom_update_model_egp_ref_without_a_reference_is_named():
    from ml_genn.utils.model import CustomUpdateModel
    model = CustomUpdateModel({"extra_global_param_refs": [("Table", "scalar*")], "update_code": ""})
    with pytest.raises(InvalidKeyError, match=r"Reader: extra global param ref 'Table' has no "
                                              r"reference \(egp_refs has \[\]\)"):
        model.to_builder("Reader")
