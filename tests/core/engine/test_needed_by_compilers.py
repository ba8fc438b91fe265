"""What the compilers need from the engine and it does not (yet) do.

The built-in "AvgPoolConv2D" TOEPLITZ kernel is documented (engine/builtins.py) as *average*
pooling followed by a convolution, but it sums each pool: a constant input of 1 through a
2x2 pool and a 1x1 kernel of weight 1 must give 1, not 4. (The compilers avoid it and build
AvgPoolConv2D as SPARSE connectivity meanwhile.)
"""
import numpy as np

from ml_genn.backends.cpu import CPUBackend
from ml_genn.engine import (ModelSpec, SynapseMatrixType, create_neuron_model,
                            create_postsynaptic_model, create_weight_update_model,
                            init_postsynaptic, init_toeplitz_connectivity, init_weight_update)


def test_avg_pool_conv2d_toeplitz_averages_its_pools():
    spec = ModelSpec(model_name="avg_pool_conv_needed")
    src_model = create_neuron_model("Always", threshold_condition_code="true")
    trg_model = create_neuron_model("Acc", vars=[("V", "scalar")], sim_code="V += Isyn;")
    src = spec.add_neuron_population("src", 4 * 4, src_model)
    trg = spec.add_neuron_population("trg", 2 * 2, trg_model, vars={"V": 0.0})
    wu = create_weight_update_model("Pulse", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);")
    ps = create_postsynaptic_model("Delta", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
    params = {"conv_kh": 1, "conv_kw": 1, "pool_kh": 2, "pool_kw": 2, "pool_sh": 2, "pool_sw": 2,
              "pool_ih": 4, "pool_iw": 4, "pool_ic": 1, "conv_oh": 2, "conv_ow": 2, "conv_oc": 1}
    spec.add_synapse_population("pool", SynapseMatrixType.TOEPLITZ, src, trg,
                                init_weight_update(wu, vars={"g": 1.0}), init_postsynaptic(ps),
                                init_toeplitz_connectivity("AvgPoolConv2D", params))
    runtime = CPUBackend().build(spec).load()
    runtime.run_timesteps(2)  # spikes of step 0 arrive in step 1
    np.testing.assert_allclose(runtime.neuron_populations["trg"].vars["V"].view, 1.0)


def test_custom_update_may_write_read_only_variable():
    """GeNN 5 lets custom updates write variables that are READ_ONLY for their model (weights
    shared across the batch are trained that way, one copy for all examples). The engine
    refuses a READ_WRITE reference to them, so training compilers must keep one weight copy
    per batch element instead (and initializers then draw each copy differently)."""
    from ml_genn.engine import (CustomUpdateVarAccess, VarAccess, VarAccessMode,
                                create_custom_update_model, create_wu_var_ref)
    spec = ModelSpec(model_name="write_read_only_needed")
    spec.batch_size = 2
    model = create_neuron_model("Silent", vars=[("V", "scalar")])
    a = spec.add_neuron_population("a", 2, model, vars={"V": 0.0})
    b = spec.add_neuron_population("b", 2, model, vars={"V": 0.0})
    wu = create_weight_update_model("Pulse", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                    pre_spike_syn_code="addToPost(g);")
    ps = create_postsynaptic_model("Delta", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
    sg = spec.add_synapse_population("s", SynapseMatrixType.DENSE, a, b,
                                     init_weight_update(wu, vars={"g": 1.0}), init_postsynaptic(ps))
    cu = create_custom_update_model("Decay", var_refs=[("Variable", "scalar", VarAccessMode.READ_WRITE)],
                                    update_code="Variable *= 0.5;")
    spec.add_custom_update("decay", "Decay", cu, var_refs={"Variable": create_wu_var_ref(sg, "g")})
    runtime = CPUBackend().build(spec).load()
    runtime.custom_update("Decay")
    np.testing.assert_allclose(runtime.synapse_populations["s"].vars["g"].view, 0.5)
