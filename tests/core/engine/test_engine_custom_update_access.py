"""Which variables a custom update may write (GeNN 5's rules)."""
import numpy as np
import pytest

from ml_genn.backends.cpu import CPUBackend
from ml_genn.engine import (ModelSpec, ModelSpecError, SynapseMatrixType, VarAccess, VarAccessMode,
                            create_custom_update_model, create_neuron_model,
                            create_postsynaptic_model, create_var_ref, create_wu_var_ref,
                            init_postsynaptic, init_weight_update, create_weight_update_model)

SILENT = create_neuron_model("Silent", vars=[("V", "scalar")])
DELTA = create_postsynaptic_model("Delta", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
SHARED_PULSE = create_weight_update_model("Pulse", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                          pre_spike_syn_code="addToPost(g);")
HALVE = create_custom_update_model("Halve", var_refs=[("Variable", "scalar", VarAccessMode.READ_WRITE)],
                                   update_code="Variable *= 0.5;")


def _spec(batch_size):
    spec = ModelSpec(model_name=f"cu_access_{batch_size}")
    spec.batch_size = batch_size
    a = spec.add_neuron_population("a", 2, SILENT, vars={"V": 0.0})
    b = spec.add_neuron_population("b", 3, SILENT, vars={"V": 0.0})
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    sg = spec.add_synapse_population("s", SynapseMatrixType.DENSE, a, b,
                                     init_weight_update(SHARED_PULSE, vars={"g": weights.ravel()}),
                                     init_postsynaptic(DELTA))
    return spec, a, sg, weights


def test_custom_update_writes_weights_that_are_read_only_to_the_model():
    # Weights shared across the batch (READ_ONLY to the weight update model) are trained by
    # custom updates writing them: one copy for every example of the batch
    spec, _, sg, weights = _spec(batch_size=4)
    spec.add_custom_update("halve", "Learn", HALVE, var_refs={"Variable": create_wu_var_ref(sg, "g")})
    runtime = CPUBackend().build(spec).load()
    runtime.custom_update("Learn")
    runtime.custom_update("Learn")
    np.testing.assert_allclose(runtime.synapse_populations["s"].vars["g"].view.reshape(2, 3),
                               weights * 0.25)


def test_batched_update_may_not_write_a_variable_shared_across_the_batch():
    spec, a, sg, _ = _spec(batch_size=4)
    mixed = create_custom_update_model(
        "Mixed", var_refs=[("V", "scalar", VarAccessMode.READ_ONLY),
                           ("Shared", "scalar", VarAccessMode.READ_WRITE)],
        update_code="Shared = V;")
    shared_pop_model = create_neuron_model("Shared", vars=[("S", "scalar", VarAccess.READ_ONLY)])
    shared = spec.add_neuron_population("shared", 2, shared_pop_model, vars={"S": 0.0})
    spec.add_custom_update("race", "Race", mixed, var_refs={"V": create_var_ref(a, "V"),
                                                            "Shared": create_var_ref(shared, "S")})
    with pytest.raises(ModelSpecError, match="'Shared' is READ_WRITE but .* shared across the batch"):
        CPUBackend().build(spec)


def test_model_code_still_may_not_write_read_only_neuron_variables():
    spec = ModelSpec(model_name="wu_ref_read_only")
    ro_model = create_neuron_model("RO", vars=[("V", "scalar", VarAccess.READ_ONLY)])
    a = spec.add_neuron_population("a", 2, ro_model, vars={"V": 0.0})
    b = spec.add_neuron_population("b", 2, ro_model, vars={"V": 0.0})
    writer = create_weight_update_model(
        "Writer", post_neuron_var_refs=[("VPost", "scalar", VarAccessMode.READ_WRITE)],
        pre_spike_syn_code="VPost += 1.0;")
    spec.add_synapse_population("s", SynapseMatrixType.DENSE, a, b,
                                init_weight_update(writer, post_var_refs={"VPost": create_var_ref(b, "V")}),
                                init_postsynaptic(DELTA))
    with pytest.raises(ModelSpecError, match="'VPost' is READ_WRITE but .* read-only"):
        CPUBackend().build(spec)
