"""Engine models of EventProp's forward and backward passes (DERIVATION.md §6, DESIGN_NOTES.md).

Every group runs ``K = example_timesteps`` forward steps (dynamic param ``Backward = 0``) and then
``K`` backward steps (``Backward = 1``); the runtime's time is reset to 0 before each phase, so
backward step ``b = round(t / dt)`` undoes forward step ``m = K - 1 - b``.

Per spike, a neuron stores the forward step and its input current ``I`` in per-neuron buffers
(``RingStep``, ``RingI``: ``max_spikes`` entries per neuron and batch). Backwards, a neuron raises
``BackSpike`` one step before the step of the spike it replays, because the engine propagates a
group's (spike-like) events at the start of the following step: the synapses then read the
target costates at the arrival time and send their terms back with ``addToPre`` into
``RevISyn``, which the neuron consumes in the same step as its jump.

All costates use DERIVATION.md's convention ``LambdaV = dL/dV``, ``LambdaI = dL/dI``.
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from ml_genn.engine import (VarAccess, VarAccessMode, create_neuron_model,
                            create_postsynaptic_model, create_weight_update_model)

# Shared code: backward step indices and the spike buffer of this neuron and batch
_INDICES = """
const int ringBase = ((int)batch * (int)num_neurons + (int)id) * MaxSpikes;
const int stepNow = (int)round(t / dt);
"""

# Forward: store the spike (step and current) if it fits, count it anyway
_STORE_SPIKE = """
if (SpikeCount < MaxSpikes) {
    RingStep[ringBase + SpikeCount] = stepNow;
    RingI[ringBase + SpikeCount] = Isyn;
}
else {
    Dropped++;
}
SpikeCount++;
"""

# Backward: start reading the buffer at the last stored spike
_START_READ = """
if (stepNow == 0) {
    ReadPos = (SpikeCount < MaxSpikes) ? SpikeCount : MaxSpikes;
}
const int m = NumSteps - 1 - stepNow;
"""

# Backward: closed-form costate step from t = (m+1) dt back to m dt (uses the old LambdaV)
_COSTATE_STEP = """
LambdaI = (Beta * LambdaI) + (CouplingK * (Alpha - Beta) * LambdaV);
LambdaV *= Alpha;
"""

# Backward: flag the spike of step m - 1 so its arrivals (at time m dt) are read next step
_FLAG_NEXT = """
BackSpike = (ReadPos > 0 && RingStep[ringBase + ReadPos - 1] == m - 1) ? 1 : 0;
"""


def _lif_params(tau_mem: float, tau_syn: float, v_thresh: float, v_reset: float,
                max_spikes: int, example_timesteps: int, dt: float) -> Dict[str, float]:
    return {"Alpha": float(np.exp(-dt / tau_mem)), "Beta": float(np.exp(-dt / tau_syn)),
            "TauM": float(tau_mem), "Vthresh": float(v_thresh), "Vreset": float(v_reset),
            "CouplingK": float(tau_syn / (tau_mem - tau_syn)), "MaxSpikes": int(max_spikes),
            "NumSteps": int(example_timesteps), "Backward": 0}


_LIF_PARAM_DECLS = [("Alpha", "scalar"), ("Beta", "scalar"), ("TauM", "scalar"),
                    ("Vthresh", "scalar"), ("Vreset", "scalar"), ("CouplingK", "scalar"),
                    ("MaxSpikes", "int"), ("NumSteps", "int"), ("Backward", "int")]
_BUFFER_VARS = [("SpikeCount", "int"), ("Dropped", "int"), ("ReadPos", "int"),
                ("BackSpike", "uint8_t")]
_BUFFER_EGPS = [("RingStep", "int*"), ("RingI", "scalar*")]


def lif_model(relative_reset: bool, first_spike_output: bool, regularised: bool):
    """LIF neuron (hidden, or output with a first-spike-time loss) with its adjoint.

    Parameters
    ----------
    relative_reset
        Subtract ``Vthresh - Vreset`` on a spike instead of setting ``Vreset`` (the gradient is
        the same: in continuous time both resets land on ``Vreset``).
    first_spike_output
        Add ``FirstStep`` (forward step of the first spike, -1: none) and ``DLdtFirst`` (the
        loss's sensitivity to the first spike time, written by the host between the phases).
    regularised
        Add the per-neuron surrogate regularisation jump ``RegJump`` (shared across the batch,
        written by the host between the phases).

    Returns
    -------
    (model, initial var values)
    """
    variables = [("V", "scalar"), ("LambdaV", "scalar"), ("LambdaI", "scalar")] + _BUFFER_VARS
    values = {"V": 0.0, "LambdaV": 0.0, "LambdaI": 0.0, "SpikeCount": 0, "Dropped": 0,
              "ReadPos": 0, "BackSpike": 0}
    first_code = ""
    jump_extra = ""
    if first_spike_output:
        variables += [("FirstStep", "int"), ("DLdtFirst", "scalar")]
        values.update(FirstStep=-1, DLdtFirst=0.0)
        first_code = "if (FirstStep < 0) { FirstStep = stepNow; }\n"
        jump_extra += "if (m == FirstStep) { dLdt += DLdtFirst; }\n"
    reg_code = ""
    if regularised:
        variables.append(("RegJump", "scalar", VarAccess.READ_ONLY))
        values["RegJump"] = 0.0
        reg_code = "LambdaV += RegJump;\n"
    reset = "V -= (Vthresh - Vreset);" if relative_reset else "V = Vreset;"
    sim_code = _INDICES + f"""
if (Backward == 0) {{
    BackSpike = 0;
    V = (Alpha * V) + ((1.0 - Alpha) * Isyn);
    if (V >= Vthresh) {{
        {_STORE_SPIKE}
        {first_code}
    }}
}}
else {{
    {_START_READ}
    if (ReadPos > 0 && RingStep[ringBase + ReadPos - 1] == m) {{
        const scalar iSpike = RingI[ringBase + ReadPos - 1];
        // dL/dt* = arrivals' terms - LambdaV+ dV+/dt (+ the loss's own term)
        scalar dLdt = RevISyn - (LambdaV * (iSpike - Vreset) / TauM);
        {jump_extra}
        // Absolute reset: only the spike-time shift carries LambdaV across the spike
        LambdaV = -dLdt * TauM / (iSpike - Vthresh);
        {reg_code}
        ReadPos--;
    }}
    {_COSTATE_STEP}
    {_FLAG_NEXT}
}}
"""
    name = "EventPropLIF" + ("FirstSpike" if first_spike_output else "") + \
        ("Reg" if regularised else "") + ("Relative" if relative_reset else "")
    model = create_neuron_model(
        name, params=_LIF_PARAM_DECLS, vars=variables, sim_code=sim_code,
        threshold_condition_code="Backward == 0 && V >= Vthresh", reset_code=reset,
        extra_global_params=_BUFFER_EGPS, additional_input_vars=[("RevISyn", "scalar", 0.0)])
    return model, values


def lif_params(tau_mem: float, tau_syn: float, v_thresh: float, v_reset: float,
               max_spikes: int, example_timesteps: int, dt: float) -> Dict[str, float]:
    """Parameter values of :func:`lif_model` (``Backward`` must be made dynamic)."""
    return _lif_params(tau_mem, tau_syn, v_thresh, v_reset, max_spikes, example_timesteps, dt)


def li_model(readout: str, example_timesteps: int, dt: float):
    """Leaky-integrator output with its adjoint and the readout's drive.

    ``readout`` is ``"avg_var"``, ``"sum_var"``, ``"avg_var_exp_weight"``, ``"max_var"`` (host
    writes ``Drive`` = dL/dz per neuron and batch between the phases) or ``"var"`` (host writes
    ``DriveRing[(batch * K + m) * N + id]`` = dL/dV after step m; forward writes ``RingV``
    with the same layout).

    Returns
    -------
    (model, initial var values, readout var name)
    """
    K = int(example_timesteps)
    variables = [("V", "scalar"), ("LambdaV", "scalar"), ("LambdaI", "scalar")]
    values = {"V": 0.0, "LambdaV": 0.0, "LambdaI": 0.0}
    egps = []
    ring_index = "((int)batch * NumSteps + STEP) * (int)num_neurons + (int)id"
    if readout == "var":
        egps = [("RingV", "scalar*"), ("DriveRing", "scalar*")]
        forward = f"RingV[{ring_index.replace('STEP', 'stepNow')}] = V;"
        drive = f"LambdaV += DriveRing[{ring_index.replace('STEP', 'm')}];"
        out_var = "V"
    else:
        variables.append(("Drive", "scalar"))
        values["Drive"] = 0.0
        if readout == "max_var":
            variables += [("VMax", "scalar"), ("VMaxStep", "int")]
            values.update(VMax=-1e30, VMaxStep=-1)
            forward = "if (V > VMax) { VMax = V; VMaxStep = stepNow; }"
            drive = "if (m == VMaxStep) { LambdaV += Drive; }"
            out_var = "VMax"
        else:
            variables.append(("VReadout", "scalar"))
            values["VReadout"] = 0.0
            if readout == "sum_var":
                weight = "1.0"
            elif readout == "avg_var":
                weight = f"{1.0 / K!r}"
            elif readout == "avg_var_exp_weight":
                # mlGeNN weighs step m's V by exp(-t / T), t = m dt the step's start time
                weight = f"(exp(-(scalar)STEP * {dt / (K * dt)!r}) * {1.0 / K!r})"
            else:
                raise ValueError(f"unknown readout {readout!r}")
            forward = f"VReadout += {weight.replace('STEP', 'stepNow')} * V;"
            drive = f"LambdaV += {weight.replace('STEP', 'm')} * Drive;"
            out_var = "VReadout"
    sim_code = f"""
const int stepNow = (int)round(t / dt);
if (Backward == 0) {{
    V = (Alpha * V) + ((1.0 - Alpha) * Isyn);
    {forward}
}}
else {{
    const int m = NumSteps - 1 - stepNow;
    {drive}
    {_COSTATE_STEP}
}}
"""
    model = create_neuron_model(
        f"EventPropLI_{readout}",
        params=[("Alpha", "scalar"), ("Beta", "scalar"), ("CouplingK", "scalar"),
                ("NumSteps", "int"), ("Backward", "int")],
        vars=variables, sim_code=sim_code, extra_global_params=egps)
    return model, values, out_var


def li_params(tau_mem: float, tau_syn: float, example_timesteps: int, dt: float):
    """Parameter values of :func:`li_model`."""
    return {"Alpha": float(np.exp(-dt / tau_mem)), "Beta": float(np.exp(-dt / tau_syn)),
            "CouplingK": float(tau_syn / (tau_mem - tau_syn)), "NumSteps": int(example_timesteps),
            "Backward": 0}


def replay_source_code() -> Tuple[str, str]:
    """(forward, backward) code that gives any spiking source (e.g. an input) a spike buffer.

    Insert the forward part where the neuron spikes (it uses ``stepNow``, ``ringBase``) and the
    backward part as the neuron's whole backward step. Needs :data:`REPLAY_VARS`,
    :data:`REPLAY_EGPS` and params ``MaxSpikes``, ``NumSteps``, ``Backward``.
    """
    backward = _START_READ + """
if (ReadPos > 0 && RingStep[ringBase + ReadPos - 1] == m) {
    ReadPos--;
}
""" + _FLAG_NEXT
    return _STORE_SPIKE.replace("RingI[ringBase + SpikeCount] = Isyn;", ""), backward


REPLAY_VARS = _BUFFER_VARS
REPLAY_EGPS = [("RingStep", "int*")]


def raster_input_model():
    """Input replaying a spike raster EGP ``Raster[(batch * K + step) * N + id]`` (0/1), with
    the spike buffer EventProp needs to replay its spikes backwards."""
    store, backward = replay_source_code()
    sim_code = _INDICES + f"""
if (Backward == 0) {{
    BackSpike = 0;
    if (Raster[((int)batch * NumSteps + stepNow) * (int)num_neurons + (int)id] > 0.5f) {{
        {store}
    }}
}}
else {{
    {backward}
}}
"""
    model = create_neuron_model(
        "EventPropRasterInput",
        params=[("MaxSpikes", "int"), ("NumSteps", "int"), ("Backward", "int")],
        vars=REPLAY_VARS, sim_code=sim_code,
        threshold_condition_code=("Backward == 0 && Raster[((int)batch * NumSteps + "
                                  "(int)round(t / dt)) * (int)num_neurons + (int)id] > 0.5f"),
        extra_global_params=REPLAY_EGPS + [("Raster", "scalar*")])
    values = {"SpikeCount": 0, "Dropped": 0, "ReadPos": 0, "BackSpike": 0}
    return model, values


def exponential_psm():
    """Exponential current with ``scale_i``: inject ``IScale * inSyn``, then decay by ``Beta``."""
    return create_postsynaptic_model(
        "EventPropExpCurr", params=[("IScale", "scalar"), ("Beta", "scalar")],
        sim_code="injectCurrent(IScale * inSyn);\ninSyn *= Beta;")


def exponential_psm_params(tau_syn: float, dt: float) -> Dict[str, float]:
    beta = float(np.exp(-dt / tau_syn))
    return {"IScale": float((tau_syn / dt) * (1.0 - beta)), "Beta": beta}


def weight_update_model(source_spiking_lif: bool):
    """Trainable synapse: forward ``addToPost(g)``; backward, on the source's replayed spikes,
    ``Gradient += LambdaI_post`` and, for LIF sources, the arrival term into the source's
    ``RevISyn`` (DERIVATION §4)."""
    code = "Gradient += LambdaI_post;\n"
    if source_spiking_lif:
        code += "addToPre(g * ((LambdaI_post * InvTauSynPost) - (LambdaV_post * InvTauMemPost)));\n"
    return create_weight_update_model(
        "EventPropSynapse" + ("Feedback" if source_spiking_lif else ""),
        params=[("InvTauSynPost", "scalar"), ("InvTauMemPost", "scalar")],
        vars=[("g", "scalar", VarAccess.READ_ONLY), ("Gradient", "scalar")],
        pre_neuron_var_refs=[("BackSpike_pre", "uint8_t", VarAccessMode.READ_ONLY)],
        post_neuron_var_refs=[("LambdaI_post", "scalar", VarAccessMode.READ_ONLY),
                              ("LambdaV_post", "scalar", VarAccessMode.READ_ONLY)],
        pre_spike_syn_code="addToPost(g);",
        pre_event_threshold_condition_code="BackSpike_pre != 0",
        pre_event_syn_code=code)
