"""mlGeNN's model-authoring methods (``ml_genn.utils.model``), checked against what mlGeNN 2.4
documents them to do to the model dictionary and its values."""
import numpy as np
import pytest

from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrateFire
from ml_genn.utils.model import CustomUpdateModel, NeuronModel, VarAccess, WeightUpdateModel
from ml_genn.utils.module import get_object
from ml_genn.utils.snippet import ConstantValueDescriptor
from ml_genn.utils.value import get_values, set_values


def test_declarations_and_code_amendments():
    model = NeuronModel({"vars": [("V", "scalar")], "sim_code": "V += Isyn;"}, "V",
                        var_vals={"V": 0.0})
    model.add_param("Tau", "scalar", 20.0)
    model.add_var("Count", "unsigned int", 0, VarAccess.READ_WRITE)
    model.add_egp("Table", "scalar*", np.zeros(3))
    assert model.has_param("Tau") and model.has_var("Count") and model.has_egp("Table")
    assert not model.has_param("V")
    with pytest.raises(ValueError, match="already declares 'Tau'"):
        model.add_param("Tau", "scalar", 1.0)
    model.append_sim_code("Count++;")
    model.prepend_sim_code("const scalar a = 1.0;")
    assert model.model["sim_code"].splitlines() == ["const scalar a = 1.0;", "V += Isyn;",
                                                    "Count++;"]
    model.replace_sim_code("Isyn", "(Isyn * a)")
    assert "V += (Isyn * a);" in model.model["sim_code"]
    model.append_reset_code("V = 0.0;")
    assert model.model["reset_code"].strip() == "V = 0.0;"
    assert model.output_var == ("V", "scalar")


def test_make_param_var_dynamic_params_and_process():
    model = NeuronModel({"params": [("A", "scalar"), ("B", "scalar"), ("C", "scalar")],
                         "vars": [("V", "scalar")]}, "V",
                        {"A": 1.0, "B": np.arange(3.0), "C": 2.0}, {"V": Normal()})
    model.set_param_dynamic("C")
    model.make_param_var("A")
    assert model.model["params"] == [("B", "scalar"), ("C", "scalar")]
    assert ("A", "scalar", VarAccess.READ_ONLY) in model.model["vars"]
    assert model.var_vals["A"] == 1.0 and "A" not in model.param_vals
    processed, constant, dynamic, var_vals, egps, var_egps = model.process()
    # An array-valued param becomes a read-only variable; constants stay params
    assert processed["params"] == [("C", "scalar")] and constant == {"C": 2.0}
    assert ("B", "scalar", VarAccess.READ_ONLY) in processed["vars"]
    np.testing.assert_array_equal(var_vals["B"], np.arange(3.0))
    assert dynamic == {"C"} and var_egps == {"V": {}}
    # The model itself is left as it was
    assert model.model["params"] == [("B", "scalar"), ("C", "scalar")]
    with pytest.raises(ValueError, match="dynamic parameter 'C'"):
        model.make_param_var("C")


def test_reset_vars_are_the_writable_ones():
    model = NeuronModel({"vars": [("V", "scalar"), ("Bias", "scalar", VarAccess.READ_ONLY),
                                  ("R", "scalar", VarAccess.READ_WRITE)]}, "V",
                        var_vals={"V": 0.5, "Bias": 1.0, "R": 2.0})
    assert model.reset_vars == [("V", "scalar", 0.5), ("R", "scalar", 2.0)]
    wu = WeightUpdateModel({"pre_vars": [("Trace", "scalar")]}, pre_var_vals={"Trace": 0.0})
    assert wu.reset_pre_vars == [("Trace", "scalar", 0.0)] and wu.reset_post_vars == []


def test_custom_update_refs_and_values_are_not_shared():
    a = CustomUpdateModel({"update_code": "X = 0;"})
    a.add_var_ref("X", "scalar", "ref")
    b = CustomUpdateModel({"update_code": ""})
    # mlGeNN's mutable default dicts are shared between models; here each has its own
    assert a.has_var_ref("X") and not b.has_var_ref("X") and b.var_refs == {}


def test_value_helpers_in_mlgenns_forms():
    lif = LeakyIntegrateFire(v_thresh=0.8, tau_mem=10.0)
    vals = get_values(lif, [("Vthresh", "scalar"), ("Alpha", "scalar")], 1.0, {"Extra": 3})
    assert vals["Vthresh"] == 0.8 and vals["Extra"] == 3
    assert vals["Alpha"] == pytest.approx(np.exp(-1.0 / 10.0))
    set_values(lif, {"Vthresh": 1.5})
    assert lif.v_thresh == 1.5
    # get_object with a dictionary of classes, as mlGeNN passes default_* dicts
    from ml_genn.readouts import AvgVar, Readout
    assert isinstance(get_object("avg_var", Readout, "Readout", {"avg_var": AvgVar}), AvgVar)
    with pytest.raises(RuntimeError, match="'sum_varr' unknown"):
        get_object("sum_varr", Readout, "Readout", {"avg_var": AvgVar})


def test_constant_value_descriptor():
    class FewSpikeLike:
        k = ConstantValueDescriptor()

        def __init__(self, k):
            self.k = k
    assert FewSpikeLike(8).k == 8
    with pytest.raises(TypeError, match="FewSpikeLike k must be a number"):
        FewSpikeLike("eight")
