"""A small training compiler that lives in the tests: online least-mean-squares on LI outputs.

It proves the generic training loop, the optimisers and checkpoint/resume. Network: inputs
of BinarySpikeInput (``x`` in {0, 1}, spiking every timestep where ``x = 1``), dense delta
connections to LeakyIntegrate outputs. With ``a_0 = 0`` and ``a_k = alpha a_{k-1} + 1``, the
output voltage is ``V_k = a_k (x @ W)``. The loss of one example is
``L = 1/(2T) sum_{k=0}^{T-2} |V_k - y|^2`` (the error of step k is applied by the synapses in
step k + 1, so the last step's error is not learned from); its gradient
``dL/dW_ij = 1/T sum_k x_i a_k (V_kj - y_j)`` is accumulated online by ``synapse_dynamics_code``,
averaged over the batch by a custom update and applied by the optimiser.
"""
from __future__ import annotations

import numpy as np

from ml_genn.callbacks import CustomUpdateOnBatchEnd
from ml_genn.compilers import Compiler, CompiledTrainingNetwork
from ml_genn.engine import CustomUpdateVarAccess, VarAccessMode, create_var_ref, create_wu_var_ref
from ml_genn.losses import MeanSquareError
from ml_genn.optimisers import Adam
from ml_genn.utils.model_builder import CustomUpdateModelBuilder
from ml_genn.utils.module import get_object
from ml_genn.optimisers import Optimiser
from ml_genn.compilers.data_checks import get_input_populations, get_output_populations


def lms_reference(x, y, w, alpha, timesteps, batch_size, optimiser, epochs, order_fn):
    """NumPy reference of the same training (float64)."""
    a = np.zeros(timesteps)
    for k in range(1, timesteps):
        a[k] = alpha * a[k - 1] + 1.0
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    step, losses = 0, []
    for epoch in range(epochs):
        order = order_fn(epoch)
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            out = xb @ w                                   # (batch, out)
            err = a[:timesteps - 1, None, None] * out[None] - yb[None]       # (T-1, batch, out)
            losses.append(np.mean(0.5 * np.sum(err ** 2, axis=(0, 2)) / timesteps))
            grad = np.einsum("bi,kbj,k->ij", xb, err, a[:timesteps - 1]) / timesteps / batch_size
            if isinstance(optimiser, Adam):
                m = optimiser.beta1 * m + (1 - optimiser.beta1) * grad
                v = optimiser.beta2 * v + (1 - optimiser.beta2) * grad ** 2
                mh = m / (1 - optimiser.beta1 ** (step + 1))
                vh = v / (1 - optimiser.beta2 ** (step + 1))
                w = w - optimiser.alpha * mh / (np.sqrt(vh) + optimiser.epsilon)
            else:
                w = w - optimiser.alpha * grad
            step += 1
    return w, losses


class LMSCompiler(Compiler):
    """Trains dense connections into LeakyIntegrate outputs by online LMS.

    Parameters
    ----------
    example_timesteps
        Timesteps of each example.
    optimiser
        Optimiser object or name ("adam", "sgd").
    """

    def __init__(self, example_timesteps, optimiser="adam", dt=1.0, batch_size=1, rng_seed=0,
                 backend="cpu"):
        super().__init__(dt=dt, batch_size=batch_size, rng_seed=rng_seed, backend=backend)
        self.example_timesteps = example_timesteps
        self.optimiser = get_object(optimiser, Optimiser, "LMSCompiler optimiser", "optimiser")

    def pre_compile(self, network, model_spec, **kwargs):
        outputs = get_output_populations(network)
        return {"inputs": get_input_populations(network), "outputs": outputs,
                "losses": {p: MeanSquareError() for p in outputs}, "trained": []}

    def build_neuron_model(self, pop, model, state):
        if pop in state["outputs"]:
            pop.neuron.readout.add_readout_logic(model, self.example_timesteps, self.dt)
            state["losses"][pop].add_to_neuron(model, pop.shape, self.batch_size,
                                               self.example_timesteps)
            model.add_var("Elig", 0.0)
            model.add_var("Error", 0.0)
            model.append_code("sim_code",
                              "if (t > (0.5 * dt)) { Elig = (Alpha * Elig) + 1.0; }\n"
                              f"Error = (V - YTrue) * Elig / {float(self.example_timesteps)};")
        return model

    def build_weight_update_model(self, conn, snippet, state):
        model = super().build_weight_update_model(conn, snippet, state)
        model.add_var("Gradient", 0.0)
        model.pre_neuron_var_refs["XPre"] = ("scalar", VarAccessMode.READ_ONLY, None)
        model.post_neuron_var_refs["ErrPost"] = ("scalar", VarAccessMode.READ_ONLY, None)
        model.code["synapse_dynamics_code"] = "Gradient += XPre * ErrPost;"
        state["trained"].append(conn)
        return model

    def add_custom_updates(self, model_spec, state, neuron_groups, synapse_groups):
        names = []
        for conn in state["trained"]:
            sg = synapse_groups[conn]
            # The weight update's neuron refs can only be bound once the groups exist
            sg.wu_init.pre_var_refs["XPre"] = create_var_ref(neuron_groups[conn.source], "Input")
            sg.wu_init.post_var_refs["ErrPost"] = create_var_ref(neuron_groups[conn.target], "Error")
            reduce = CustomUpdateModelBuilder("GradientBatchReduce")
            reduce.add_var_ref("Gradient", create_wu_var_ref(sg, "Gradient"))
            reduce.add_var("ReducedGradient", 0.0, "scalar", CustomUpdateVarAccess.REDUCE_BATCH_SUM)
            reduce.add_param("BatchSize", float(self.batch_size))
            reduce.code["update_code"] = "ReducedGradient = Gradient / BatchSize;\nGradient = 0.0;"
            reduce_group = reduce.add_to_model(model_spec, f"{sg.name}_reduce", "GradientBatchReduce")
            learn = self.optimiser.get_model(create_var_ref(reduce_group, "ReducedGradient"),
                                             create_wu_var_ref(sg, "g"), False)
            learn.add_to_model(model_spec, f"{sg.name}_learn", "GradientLearn")
            names.append(f"{sg.name}_learn")
        state["optimiser_cus"] = names

    def create_compiled_network(self, built, neuron_populations, connection_populations, state):
        return CompiledTrainingNetwork(
            built, neuron_populations, connection_populations, self.connect_snippets,
            self.example_timesteps, losses=state["losses"],
            optimisers=[(self.optimiser, state["optimiser_cus"])],
            inputs=state["inputs"], outputs=state["outputs"],
            base_train_callbacks=[CustomUpdateOnBatchEnd("GradientBatchReduce"),
                                  CustomUpdateOnBatchEnd("GradientLearn")])
