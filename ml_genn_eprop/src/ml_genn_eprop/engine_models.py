"""Engine models of e-prop (Bellec et al. 2020) as mlGeNN defines it.

Per synapse ``i -> j`` and batch element, every timestep (``Alpha = exp(-dt / tau_mem)`` of the
hidden neurons, ``Rho = exp(-dt / tau_adapt)``, ``AlphaFAv = exp(-dt / tau_reg)``):

* presynaptic trace ``ZFilter_i``: decays by ``Alpha`` each step, ``+1`` per spike;
* pseudo-derivative ``Psi_j = 0.3 / Vthresh * max(0, 1 - |V_j - A_thr| / Vthresh)`` (0 while
  refractory; ``A_thr = Vthresh + Beta * A_j`` for ALIF, ``Vthresh`` for LIF);
* firing-rate average ``FAvg_j``: decays by ``AlphaFAv``, ``+ (1 - AlphaFAv)`` per spike;
* eligibility ``e = Psi (ZFilter - Beta epsilonA)`` with the adaptation trace
  ``epsilonA' = Psi ZFilter + (Rho - Psi Beta) epsilonA`` (LIF: ``e = Psi ZFilter``);
* low-pass filtered eligibility ``eFiltered' = Alpha eFiltered + e``;
* gradient ``DeltaG += eFiltered E_j + CReg (FAvg_j - FTarget) e`` with the learning signal
  ``E_j`` (the output error fed back through the output weights, mlGeNN's symmetric feedback).

Output connections learn ``DeltaG += ZFilter_i E_k`` and send ``g E_k`` back to their hidden
source (``addToPre`` into its ``ISynFeedback``).

Two forms of the same rule:

* ``per_synapse``: the equations above in ``synapse_dynamics_code``, every synapse every step
  (mlGeNN's form; every trace can be recorded at every timestep);
* ``factorised``: the synapses keep ``eFiltered``, ``epsilonA`` and ``DeltaG`` but run no
  per-step code; :mod:`ml_genn_eprop.factorised` computes the same values at the end of the
  batch from the presynaptic spikes and per-neuron time series.
"""
from __future__ import annotations

from typing import Any

from ml_genn.engine import CustomUpdateVarAccess, VarAccess, VarAccessMode
from ml_genn.utils.model_builder import CustomUpdateModelBuilder, WeightUpdateModelBuilder

def pseudo_derivative_code(target: str, v: str, a: Any, refrac: Any, v_thresh: Any,
                           beta: Any) -> str:
    """Code assigning the pseudo-derivative of the spike with respect to the voltage (mlGeNN's,
    Bellec et al.'s gamma = 0.3) to ``target``: the synapses' post dynamics compute it in the
    per-synapse form, the hidden neurons in the factorised form.

    Parameters
    ----------
    target
        Variable to assign.
    v, a, refrac
        Names of the voltage, the adaptation (None for LIF) and the remaining refractory time
        (None without a refractory period).
    v_thresh, beta
        Threshold and adaptation strength: parameter names, or numbers.
    """
    def term(x: Any) -> str:
        return x if isinstance(x, str) else repr(float(x))
    threshold = f"({term(v_thresh)} + ({term(beta)} * {a}))" if a else term(v_thresh)
    psi = (f"{target} = (1.0 / {term(v_thresh)}) * 0.3 * fmax(0.0, 1.0 - fabs(({v} - "
           f"({threshold})) / {term(v_thresh)}));")
    return f"if ({refrac} > 0.0) {{ {target} = 0.0; }}\nelse {{ {psi} }}" if refrac else psi

_LIF_DYNAMICS = """
const scalar e = ZFilter * Psi;
eFiltered = (Alpha * eFiltered) + e;
DeltaG += (eFiltered * E_post) + ((FAvg - FTarget) * CReg * e);
"""

# The adaptation trace is advanced with its old value (both lines read epsilonA before it changes)
_ALIF_DYNAMICS = """
const scalar epsA = epsilonA;
const scalar psiZ = Psi * ZFilter;
const scalar psiBetaEpsA = Psi * Beta_post * epsA;
const scalar e = psiZ - psiBetaEpsA;
epsilonA = psiZ + ((Rho * epsA) - psiBetaEpsA);
eFiltered = (Alpha * eFiltered) + e;
DeltaG += (eFiltered * E_post) + ((FAvg - FTarget) * CReg * e);
"""


def _scalar_var(model: WeightUpdateModelBuilder, name: str) -> None:
    model.add_var(name, 0.0, "scalar", VarAccess.READ_WRITE)


def _presynaptic_trace(model: WeightUpdateModelBuilder) -> None:
    model.pre_vars["ZFilter"] = ("scalar", VarAccess.READ_WRITE, 0.0)
    model.code["pre_dynamics_code"] = "ZFilter *= Alpha;"
    model.code["pre_spike_code"] = "ZFilter += 1.0;"


def hidden_synapse_model(weight: Any, alpha: float, c_reg: float, f_target: float,
                         alpha_f_av: float, v_thresh: float, refractory: bool,
                         adaptive: bool, rho: float = 0.0, beta: float = 0.0,
                         per_synapse: bool = True) -> WeightUpdateModelBuilder:
    """Weight update model of a connection into a hidden (A)LIF population.

    The neuron var refs ``V_post``, ``RefracTime_post`` (when ``refractory``), ``A_post``
    (when ``adaptive``) and ``E_post`` (when ``per_synapse``) are bound once the groups exist.

    Parameters
    ----------
    weight
        Initial weights (engine value).
    alpha, rho, alpha_f_av
        Per-step decays of the traces, the adaptation and the firing-rate average.
    c_reg, f_target
        Regularisation strength and target spikes per step.
    v_thresh, beta
        Threshold and adaptation strength of the target population.
    refractory, adaptive
        Whether the target has a refractory period / adaptation.
    per_synapse
        Run the rule in every synapse every step (``False``: the factorised form).
    """
    model = WeightUpdateModelBuilder(("EPropALIF" if adaptive else "EPropLIF")
                                     + ("" if per_synapse else "Factorised"))
    model.add_var("g", weight, "scalar", VarAccess.READ_ONLY)
    _scalar_var(model, "eFiltered")
    if adaptive:
        _scalar_var(model, "epsilonA")
    _scalar_var(model, "DeltaG")
    for name, value in (("CReg", c_reg), ("Alpha", alpha), ("FTarget", f_target),
                        ("AlphaFAv", alpha_f_av), ("Vthresh_post", v_thresh)):
        model.add_param(name, float(value))
    if adaptive:
        model.add_param("Rho", float(rho))
        model.add_param("Beta_post", float(beta))
    _presynaptic_trace(model)
    model.post_vars["Psi"] = ("scalar", VarAccess.READ_WRITE, 0.0)
    model.post_vars["FAvg"] = ("scalar", VarAccess.READ_WRITE, 0.0)
    refs = ["V_post"] + (["RefracTime_post"] if refractory else []) \
        + (["A_post"] if adaptive else []) + (["E_post"] if per_synapse else [])
    for name in refs:
        model.post_neuron_var_refs[name] = ("scalar", VarAccessMode.READ_ONLY, None)
    psi = pseudo_derivative_code("Psi", "V_post", "A_post" if adaptive else None,
                                 "RefracTime_post" if refractory else None, "Vthresh_post",
                                 "Beta_post")
    model.code["post_dynamics_code"] = "FAvg *= AlphaFAv;\n" + psi
    model.code["post_spike_code"] = "FAvg += (1.0 - AlphaFAv);"
    model.code["pre_spike_syn_code"] = "addToPost(g);"
    if per_synapse:
        model.code["synapse_dynamics_code"] = _ALIF_DYNAMICS if adaptive else _LIF_DYNAMICS
    return model


def output_synapse_model(weight: Any, alpha: float, feedback: bool,
                         per_synapse: bool = True) -> WeightUpdateModelBuilder:
    """Weight update model of a connection into an output population: ``DeltaG += ZFilter_i
    E_k`` and, from a hidden source, the feedback ``addToPre(g E_k)``. The neuron var ref
    ``E_post`` is bound once the groups exist.

    Parameters
    ----------
    weight
        Initial weights (engine value).
    alpha
        Per-step decay of the presynaptic trace.
    feedback
        Whether the source is hidden and receives the output error.
    per_synapse
        Accumulate ``DeltaG`` in every synapse every step (``False``: the factorised form).
    """
    model = WeightUpdateModelBuilder("EPropOutput" + ("Feedback" if feedback else "")
                                     + ("" if per_synapse else "Factorised"))
    model.add_var("g", weight, "scalar", VarAccess.READ_ONLY)
    _scalar_var(model, "DeltaG")
    model.add_param("Alpha", float(alpha))
    _presynaptic_trace(model)
    model.code["pre_spike_syn_code"] = "addToPost(g);"
    code = (["DeltaG += ZFilter * E_post;"] if per_synapse else []) \
        + (["addToPre(g * E_post);"] if feedback else [])
    if code:
        model.post_neuron_var_refs["E_post"] = ("scalar", VarAccessMode.READ_ONLY, None)
        model.code["synapse_dynamics_code"] = "\n".join(code)
    return model


def softmax_models(val_ref: Any, softmax_ref: Any, name: str, model_spec: Any) -> None:
    """Add the three custom updates (groups ``Softmax1``-``Softmax3``) that write a numerically
    stable softmax over the population of ``Val`` into ``SoftmaxVal``, per batch element.

    Parameters
    ----------
    val_ref, softmax_ref
        Var refs to the input and output variables (same neuron group).
    name
        Stem of the custom update names.
    model_spec
        The model being built.
    """
    from ml_genn.engine import create_var_ref
    first = CustomUpdateModelBuilder("EPropSoftmaxMax")
    first.add_var_ref("Val", val_ref, mode=VarAccessMode.READ_ONLY)
    first.add_var("MaxVal", 0.0, "scalar", CustomUpdateVarAccess.REDUCE_NEURON_MAX)
    first.code["update_code"] = "MaxVal = Val;"
    group_1 = first.add_to_model(model_spec, f"{name}_softmax1", "Softmax1")

    second = CustomUpdateModelBuilder("EPropSoftmaxSum")
    second.add_var_ref("Val", val_ref, mode=VarAccessMode.READ_ONLY)
    second.add_var_ref("MaxVal", create_var_ref(group_1, "MaxVal"), mode=VarAccessMode.READ_ONLY)
    second.add_var("SumExpVal", 0.0, "scalar", CustomUpdateVarAccess.REDUCE_NEURON_SUM)
    second.code["update_code"] = "SumExpVal = exp(Val - MaxVal);"
    group_2 = second.add_to_model(model_spec, f"{name}_softmax2", "Softmax2")

    third = CustomUpdateModelBuilder("EPropSoftmaxDivide")
    third.add_var_ref("Val", val_ref, mode=VarAccessMode.READ_ONLY)
    third.add_var_ref("MaxVal", create_var_ref(group_1, "MaxVal"), mode=VarAccessMode.READ_ONLY)
    third.add_var_ref("SumExpVal", create_var_ref(group_2, "SumExpVal"),
                      mode=VarAccessMode.READ_ONLY)
    third.add_var_ref("SoftmaxVal", softmax_ref)
    third.code["update_code"] = "SoftmaxVal = exp(Val - MaxVal) / SumExpVal;"
    third.add_to_model(model_spec, f"{name}_softmax3", "Softmax3")
