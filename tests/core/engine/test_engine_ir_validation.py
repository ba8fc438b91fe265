"""Building a ModelSpec validates names, values, shapes and references with clear errors."""
import numpy as np
import pytest

from engine_models import DELTA, LIF, STATIC_PULSE
from ml_genn.engine import (ModelSpec, ModelSpecError, VarAccess, create_custom_update_model,
                            create_neuron_model, create_var_ref, init_postsynaptic, init_var, init_weight_update)

LIF_PARAMS = {"tau_m": 20.0, "v_thresh": 1.0}


def test_missing_param_names_population_and_param():
    m = ModelSpec()
    m.add_neuron_population("hidden", 3, LIF, {"tau_m": 20.0}, {"V": 0.0})
    with pytest.raises(ModelSpecError, match=r"Population 'hidden'.*v_thresh"):
        m.finalize()


def test_unknown_var_lists_declared_vars():
    with pytest.raises(ModelSpecError, match=r"unknown var.*\['U'\].*\['V'\]"):
        ModelSpec().add_neuron_population("p", 3, LIF, LIF_PARAMS, {"V": 0.0, "U": 1.0})


def test_wrong_initial_array_shape_names_var_and_shapes():
    m = ModelSpec()
    m.add_neuron_population("p", 3, LIF, LIF_PARAMS, {"V": np.zeros(4)})
    with pytest.raises(ModelSpecError, match=r"variable 'V' of Population 'p'.*\(4,\).*\(3,\)"):
        m.finalize()


def test_dense_weight_shape_checked():
    m = ModelSpec()
    a = m.add_neuron_population("a", 2, LIF, LIF_PARAMS, {"V": 0.0})
    b = m.add_neuron_population("b", 3, LIF, LIF_PARAMS, {"V": 0.0})
    m.add_synapse_population("s", "DENSE", a, b, init_weight_update(STATIC_PULSE, vars={"g": np.ones(5)}),
                             init_postsynaptic(DELTA))
    with pytest.raises(ModelSpecError, match=r"variable 'g' of Synapse group 's'.*\(6,\)"):
        m.finalize()


def test_unknown_source_population():
    m = ModelSpec()
    b = m.add_neuron_population("b", 3, LIF, LIF_PARAMS, {"V": 0.0})
    with pytest.raises(ModelSpecError, match=r"source population 'nope' does not exist"):
        m.add_synapse_population("s", "DENSE", "nope", b, init_weight_update(STATIC_PULSE, vars={"g": 1.0}),
                                 init_postsynaptic(DELTA))


def test_var_ref_to_missing_var_and_type_mismatch_and_read_only():
    m = ModelSpec()
    p = m.add_neuron_population("p", 3, LIF, LIF_PARAMS, {"V": 0.0})
    cu = create_custom_update_model("Reset", var_refs=[("V", "scalar")], update_code="V = 0.0;")
    m.add_custom_update("r", "Reset", cu, var_refs={"V": create_var_ref(p, "W")})
    with pytest.raises(ModelSpecError, match=r"names variable 'W'.*Population 'p'.*\['V'\]"):
        m.finalize()
    m2 = ModelSpec()
    p2 = m2.add_neuron_population("p", 3, LIF, LIF_PARAMS, {"V": 0.0})
    cu_int = create_custom_update_model("R", var_refs=[("V", "int")], update_code="V = 0;")
    m2.add_custom_update("r", "R", cu_int, var_refs={"V": create_var_ref(p2, "V")})
    with pytest.raises(ModelSpecError, match=r"type 'int'.*type 'scalar'"):
        m2.finalize()
    ro = create_neuron_model("RO", vars=[("c", "scalar", VarAccess.READ_ONLY)])
    m3 = ModelSpec()
    p3 = m3.add_neuron_population("p", 3, ro, {}, {"c": 1.0})
    # GeNN 5: READ_ONLY binds the model's own code, not custom updates (which is how weights
    # shared across the batch are trained); test_engine_custom_update_access.py runs it
    m3.add_custom_update("r", "R", cu, var_refs={"V": create_var_ref(p3, "c")})
    m3.finalize()


def test_reserved_and_invalid_names_rejected():
    with pytest.raises(ModelSpecError, match=r"'t' is reserved"):
        create_neuron_model("Bad", vars=[("t", "scalar")])
    with pytest.raises(ModelSpecError, match=r"unknown type 'real'"):
        create_neuron_model("Bad", vars=[("x", "real")])
    with pytest.raises(ModelSpecError, match=r"already used"):
        m = ModelSpec()
        m.add_neuron_population("p", 1, LIF, LIF_PARAMS, {"V": 0.0})
        m.add_neuron_population("p", 1, LIF, LIF_PARAMS, {"V": 0.0})


def test_unknown_builtin_snippet_lists_choices():
    with pytest.raises(ModelSpecError, match=r"Unknown built-in var init snippet 'Gauss'.*Normal"):
        init_var("Gauss", {})


def test_dynamic_param_must_exist():
    m = ModelSpec()
    p = m.add_neuron_population("p", 3, LIF, LIF_PARAMS, {"V": 0.0})
    with pytest.raises(ModelSpecError, match=r"cannot make 'tau' dynamic.*tau_m"):
        p.set_param_dynamic("tau")


def test_sparse_needs_connectivity():
    m = ModelSpec()
    a = m.add_neuron_population("a", 2, LIF, LIF_PARAMS, {"V": 0.0})
    m.add_synapse_population("s", "SPARSE", a, a, init_weight_update(STATIC_PULSE, vars={"g": 1.0}),
                             init_postsynaptic(DELTA))
    with pytest.raises(ModelSpecError, match=r"Synapse group 's'.*set_sparse_connections"):
        m.finalize()


@pytest.mark.parametrize("name", ["gennrand_log_normal", "gennrand_gamma", "gennrand_binomial"])
def test_random_distribution_functions_are_reserved_names(name):
    # The cpu backend defines these as macros: a var so named would be rewritten in code
    with pytest.raises(ModelSpecError, match=rf"var name '{name}' is reserved"):
        create_neuron_model("Bad", vars=[(name, "scalar")])
