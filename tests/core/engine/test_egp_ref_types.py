"""An extra global parameter reference's declared type must be its target's type (as GeNN 5
checks), for custom updates and custom connectivity updates alike; spellings of one C type
('unsigned int' and 'uint32_t', 'scalar' and the model's precision) are one type."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, build
from ml_genn.engine import (ModelSpec, ModelSpecError, create_custom_connectivity_update_model,
                            create_custom_update_model, create_egp_ref, create_neuron_model,
                            create_var_ref, create_weight_update_model, init_postsynaptic,
                            init_weight_update)

TABLED = create_neuron_model("Tabled", vars=[("V", "scalar")],
                             extra_global_params=[("Table", "scalar*"), ("Flags", "uint32_t*")])
WU = create_weight_update_model("W", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);")


def _reader(ref_type, egp="Table"):
    return create_custom_update_model(
        "Reader", var_refs=[("V", "scalar")], extra_global_param_refs=[(egp, ref_type)],
        update_code=f"V = (scalar){egp}[id];")


def _model(name, precision="double"):
    m = ModelSpec(precision, name)
    p = m.add_neuron_population("p", 3, TABLED, {}, {"V": 0.0})
    p.extra_global_params["Table"].set_init_values(np.array([1.5, -2.0, 4.0]))
    p.extra_global_params["Flags"].set_init_values(np.array([3, 5, 9], dtype=np.uint32))
    return m, p


@pytest.mark.parametrize("ref_type, target", [("uint32_t*", "scalar*"), ("scalar", "scalar*"),
                                              ("float*", "scalar*")])
def test_custom_update_egp_ref_of_another_type_is_refused(ref_type, target):
    # The model is double precision: 'float*' is not its 'scalar*'
    m, p = _model("egp_type_cu")
    m.add_custom_update("read", "R", _reader(ref_type), var_refs={"V": create_var_ref(p, "V")},
                        egp_refs={"Table": create_egp_ref(p, "Table")})
    with pytest.raises(ModelSpecError, match=(
            rf"Custom update 'read' \(model 'Reader'\): extra global param ref 'Table' is "
            rf"declared '{ref_type.replace('*', '[*]')}' but the extra global param 'Table' of "
            rf"Population 'p' it refers to is '{target.replace('*', '[*]')}'")):
        m.finalize()


def test_custom_connectivity_update_egp_ref_of_another_type_is_refused():
    m, p = _model("egp_type_ccu")
    b = m.add_neuron_population("b", 3, INPUT_PROBE, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", "SPARSE", p, b, init_weight_update(WU, vars={"g": 1.0}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(np.arange(3), np.arange(3))
    ccu = create_custom_connectivity_update_model(
        "Pruner", extra_global_param_refs=[("Flags", "int*")], row_update_code="for_each_synapse { }")
    m.add_custom_connectivity_update("prune", "P", sg, ccu, egp_refs={"Flags": create_egp_ref(p, "Flags")})
    with pytest.raises(ModelSpecError, match=r"Custom connectivity update 'prune' \(model 'Pruner'\): "
                                             r"extra global param ref 'Flags' is declared 'int[*]' but "
                                             r"the extra global param 'Flags' of Population 'p' it "
                                             r"refers to is 'uint32_t[*]'"):
        m.finalize()


@pytest.mark.parametrize("precision, ref_type, egp, expected", [
    ("double", "double*", "Table", [1.5, -2.0, 4.0]),
    ("float", "float*", "Table", [1.5, -2.0, 4.0]),
    ("double", "unsigned int*", "Flags", [3.0, 5.0, 9.0])])
def test_spellings_of_the_target_type_are_accepted(precision, ref_type, egp, expected):
    m, p = _model(f"egp_type_ok_{precision}", precision)
    m.add_custom_update("read", "R", _reader(ref_type, egp), var_refs={"V": create_var_ref(p, "V")},
                        egp_refs={egp: create_egp_ref(p, egp)})
    rt = build(m)
    rt.custom_update("R")
    np.testing.assert_allclose(rt.neuron_populations["p"].vars["V"].values.reshape(-1), expected)


def test_variable_references_compare_types_by_meaning_too():
    """The same rule for variable references: 'unsigned int' refers to a 'uint32_t' variable,
    'scalar' to the model's precision; another type is refused naming both."""
    counter = create_neuron_model("Counter", vars=[("N", "uint32_t"), ("V", "scalar")])
    m = ModelSpec("double", "var_ref_types")
    p = m.add_neuron_population("p", 3, counter, {}, {"N": np.array([1, 2, 3]), "V": 0.0})
    bump = create_custom_update_model("Bump", var_refs=[("N", "unsigned int"), ("V", "double")],
                                      update_code="N += 1; V = (double)N;")
    m.add_custom_update("bump", "B", bump, var_refs={"N": create_var_ref(p, "N"),
                                                     "V": create_var_ref(p, "V")})
    rt = build(m)
    rt.custom_update("B")
    np.testing.assert_array_equal(rt.neuron_populations["p"].vars["V"].view.reshape(-1),
                                  [2.0, 3.0, 4.0])
    wrong = create_custom_update_model("Wrong", var_refs=[("N", "float")], update_code="N = 1;")
    m2 = ModelSpec("double", "var_ref_wrong")
    p2 = m2.add_neuron_population("p", 3, counter, {}, {"N": 0, "V": 0.0})
    with pytest.raises(ModelSpecError, match="reference 'N' has type 'float' but .*'uint32_t'"):
        m2.add_custom_update("w", "W", wrong, var_refs={"N": create_var_ref(p2, "N")})
        build(m2)
