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

import numpy as np

from ml_genn.engine import VarAccess, VarAccessMode
from ml_genn.utils.model_builder import NeuronModelBuilder, SynapseModelBuilder, WeightUpdateModelBuilder
from ml_genn.errors import InvalidValueError

# Shared code: backward step indices and the spike buffer of this neuron and batch
_INDICES = """
const int ringBase = ((int)batch * (int)num_neurons + (int)id) * MaxSpikes;
const int stepNow = (int)round(t / dt);
"""

# Forward: store the spike (step, current and the voltage that crossed) if it fits, count it anyway
_STORE_SPIKE = """
if (SpikeCount < MaxSpikes) {
    RingStep[ringBase + SpikeCount] = stepNow;
    RingI[ringBase + SpikeCount] = Isyn;
    RingV[ringBase + SpikeCount] = V;
}
else {
    Dropped++;
}
SpikeCount++;
"""

# Backward: start reading the buffer at the last stored spike. NextBackStep caches the step of
# the spike at ReadPos - 1 (NO_SPIKE when none is left), so that each step compares one
# contiguous per-neuron value instead of gathering from every neuron's buffer
_NO_SPIKE = "(-1000000000)"
_START_READ = f"""
if (stepNow == 0) {{
    ReadPos = (SpikeCount < MaxSpikes) ? SpikeCount : MaxSpikes;
    NextBackStep = (ReadPos > 0) ? RingStep[ringBase + ReadPos - 1] : {_NO_SPIKE};
}}
const int m = NumSteps - 1 - stepNow;
"""

# Backward: the spike at ReadPos - 1 has been replayed; move to the one before it
_CONSUME_SPIKE = f"""
ReadPos--;
NextBackStep = (ReadPos > 0) ? RingStep[ringBase + ReadPos - 1] : {_NO_SPIKE};
"""

# Backward: closed-form costate step from t = (m+1) dt back to m dt (uses the old LambdaV)
_COSTATE_STEP = """
LambdaI = (Beta * LambdaI) + (CouplingK * (Alpha - Beta) * LambdaV);
LambdaV *= Alpha;
"""

# Backward, LI outputs: the same step with the drive of sample m spread evenly over the step that
# produced it (a constant source dL/dV_m / dt) rather than as an impulse at the sample. Hidden
# spikes land exactly on sample times, where an impulse would make the costates they read jump;
# spread, they read what a spike at any time within the step would (DERIVATION.md section 6)
_DRIVEN_COSTATE_STEP = """
const scalar vStar = VStarScale * drive;
const scalar iStar = IStarScale * drive;
LambdaI = iStar + (Beta * (LambdaI - iStar)) + (CouplingK * (Alpha - Beta) * (LambdaV - vStar));
LambdaV = vStar + (Alpha * (LambdaV - vStar));
"""

# Backward: flag the spike of step m - 1 so its arrivals (at time m dt) are read next step
_FLAG_NEXT = """
BackSpike = (NextBackStep == m - 1) ? 1 : 0;
"""


def _add_buffer(model: NeuronModelBuilder, max_spikes: int, example_timesteps: int, batch_size: int,
                num_neurons: int, with_current: bool) -> None:
    """Parameters, variables and buffers every replaying neuron needs. ``with_current``: a LIF
    neuron, which also stores ``I`` and ``V`` per spike and flags its replayed spikes as
    spike-like events (``BackSpike``); an input re-emits them as spikes instead."""
    model.add_param("MaxSpikes", int(max_spikes), "int")
    model.add_param("NumSteps", int(example_timesteps), "int")
    model.add_param("Backward", 0, "int", dynamic=True)
    for name, type_ in _BUFFER_VARS:
        model.add_var(name, 0, type_)
    size = int(batch_size) * int(num_neurons) * int(max_spikes)
    model.add_egp("RingStep", "int*", np.zeros(size, dtype=np.int32))
    if with_current:
        model.add_var("BackSpike", 0, "uint8_t")
        model.add_egp("RingI", "scalar*", np.zeros(size))
        model.add_egp("RingV", "scalar*", np.zeros(size))


_BUFFER_VARS = [("SpikeCount", "int"), ("Dropped", "int"), ("ReadPos", "int"),
                ("NextBackStep", "int")]


def lif_model(tau_mem: float, tau_syn: float, v_thresh: float, v_reset: float, v_init,
              relative_reset: bool, first_spike_output: bool, regularised: bool,
              max_spikes: int, example_timesteps: int, dt: float, batch_size: int,
              num_neurons: int) -> NeuronModelBuilder:
    """LIF neuron (hidden, or output with a first-spike-time loss) with its adjoint.

    Parameters
    ----------
    tau_mem, tau_syn, v_thresh, v_reset
        Membrane and synapse time constants [ms], threshold and reset voltage.
    v_init
        Initial ``V`` (engine value: number, array or ``init_var``).
    relative_reset
        Subtract ``Vthresh - Vreset`` on a spike instead of setting ``Vreset`` (the slope after
        the spike is taken from the voltage the reset leaves).
    first_spike_output
        Add ``FirstStep`` (forward step of the first spike, -1: none) and ``DLdtFirst`` (the
        loss's sensitivity to the first spike time, written by the host between the phases).
    regularised
        Add the per-neuron surrogate regularisation jump ``RegJump`` (shared across the batch,
        written by the host between the phases).
    max_spikes, example_timesteps, dt, batch_size, num_neurons
        Buffer size per neuron, steps per example, timestep, batch and population sizes.
    """
    name = "EventPropLIF" + ("FirstSpike" if first_spike_output else "") + \
        ("Reg" if regularised else "") + ("Relative" if relative_reset else "")
    model = NeuronModelBuilder(name, output_var_name="V")
    model.add_param("Alpha", float(np.exp(-dt / tau_mem)))
    model.add_param("Beta", float(np.exp(-dt / tau_syn)))
    # The slope of V is (I - V) times (1 - Alpha) / (Alpha dt) on the time grid (~1 / tau_mem):
    # the secant of the step in which V crossed, written with the voltage it reached
    alpha = float(np.exp(-dt / tau_mem))
    model.add_param("SlopeScale", (1.0 - alpha) / (alpha * dt))
    model.add_param("Vthresh", float(v_thresh))
    model.add_param("Vreset", float(v_reset))
    model.add_param("CouplingK", float(tau_syn / (tau_mem - tau_syn)))
    model.add_var("V", v_init)
    model.add_var("LambdaV", 0.0)
    model.add_var("LambdaI", 0.0)
    _add_buffer(model, max_spikes, example_timesteps, batch_size, num_neurons, True)
    model.additional_input_vars.append(("RevISyn", "scalar", 0.0))
    first_code = ""
    jump_extra = ""
    if first_spike_output:
        model.add_var("FirstStep", -1, "int")
        model.add_var("DLdtFirst", 0.0)
        first_code = "if (FirstStep < 0) { FirstStep = stepNow; }\n"
        jump_extra += "if (m == FirstStep) { dLdt += DLdtFirst; }\n"
    reg_code = ""
    if regularised:
        model.add_var("RegJump", 0.0, "scalar", VarAccess.READ_ONLY)
        reg_code = "LambdaV += RegJump;\n"
    # V just after the reset, as a function of the stored V that crossed
    v_post = "(vSpike - (Vthresh - Vreset))" if relative_reset else "Vreset"
    # A relative reset passes a perturbation of V straight through; an absolute one absorbs it
    no_crossing = "" if relative_reset else "LambdaV = 0.0;"
    model.code["sim_code"] = _INDICES + f"""
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
    if (NextBackStep == m) {{
        const scalar iSpike = RingI[ringBase + ReadPos - 1];
        const scalar vSpike = RingV[ringBase + ReadPos - 1];
        const scalar iMinusV = iSpike - vSpike;
        if (iMinusV > 0.0) {{
            // dL/dt* = arrivals' terms - LambdaV+ dV+/dt (+ the loss's own term)
            scalar dLdt = RevISyn - (LambdaV * SlopeScale * (iSpike - {v_post}));
            {jump_extra}
            // Only the spike-time shift carries LambdaV across the spike
            LambdaV = -dLdt / (SlopeScale * iMinusV);
        }}
        else {{
            // V did not rise through the threshold (it started above it): no spike time to move
            {no_crossing}
        }}
        {reg_code}
        {_CONSUME_SPIKE}
    }}
    {_COSTATE_STEP}
    {_FLAG_NEXT}
}}
"""
    model.code["threshold_condition_code"] = "Backward == 0 && V >= Vthresh"
    model.code["reset_code"] = "V -= (Vthresh - Vreset);" if relative_reset else "V = Vreset;"
    return model


def li_model(readout: str, tau_mem: float, tau_syn: float, v_init, example_timesteps: int,
             dt: float, batch_size: int, num_neurons: int) -> NeuronModelBuilder:
    """Leaky-integrator output with its adjoint and the readout's drive.

    ``readout`` is ``"avg_var"``, ``"sum_var"``, ``"avg_var_exp_weight"``, ``"max_var"`` (the
    host writes ``Drive`` = dL/dz per neuron and batch between the phases; the readout value is
    ``model.output_var_name``) or ``"var"`` (the host writes
    ``DriveRing[(batch * K + m) * N + id]`` = dL/dV after step m; the forward pass writes
    ``RingV`` with the same layout).
    """
    K = int(example_timesteps)
    model = NeuronModelBuilder(f"EventPropLI_{readout}")
    model.add_param("Alpha", float(np.exp(-dt / tau_mem)))
    model.add_param("Beta", float(np.exp(-dt / tau_syn)))
    model.add_param("CouplingK", float(tau_syn / (tau_mem - tau_syn)))
    # A sample's drive, spread evenly over the step that produced it, moves the costates'
    # fixed point to (TauM, TauS) / dt times the drive (DERIVATION.md section 6)
    model.add_param("VStarScale", float(tau_mem / dt))
    model.add_param("IStarScale", float(tau_syn / dt))
    model.add_param("NumSteps", K, "int")
    model.add_param("Backward", 0, "int", dynamic=True)
    model.add_var("V", v_init)
    model.add_var("LambdaV", 0.0)
    model.add_var("LambdaI", 0.0)
    ring_index = "((int)batch * NumSteps + STEP) * (int)num_neurons + (int)id"
    if readout == "var":
        size = int(batch_size) * K * int(num_neurons)
        model.add_egp("RingV", "scalar*", np.zeros(size))
        model.add_egp("DriveRing", "scalar*", np.zeros(size))
        forward = f"RingV[{ring_index.replace('STEP', 'stepNow')}] = V;"
        drive = f"const scalar drive = DriveRing[{ring_index.replace('STEP', 'm')}];"
        model.output_var_name = "V"
    else:
        model.add_var("Drive", 0.0)
        if readout == "max_var":
            model.add_var("VMax", -1e30)
            model.add_var("VMaxStep", -1, "int")
            forward = "if (V > VMax) { VMax = V; VMaxStep = stepNow; }"
            drive = "const scalar drive = (m == VMaxStep) ? Drive : 0.0;"
            model.output_var_name = "VMax"
        else:
            model.add_var("VReadout", 0.0)
            if readout == "sum_var":
                weight = "1.0"
            elif readout == "avg_var":
                weight = f"{1.0 / K!r}"
            elif readout == "avg_var_exp_weight":
                # mlGeNN weighs step m's V by exp(-t / T), t = m dt the step's start time
                weight = f"(exp(-(scalar)STEP * {1.0 / K!r}) * {1.0 / K!r})"
            else:
                raise InvalidValueError(f"unknown readout {readout!r}")
            forward = f"VReadout += {weight.replace('STEP', 'stepNow')} * V;"
            drive = f"const scalar drive = {weight.replace('STEP', 'm')} * Drive;"
            model.output_var_name = "VReadout"
    model.code["sim_code"] = f"""
const int stepNow = (int)round(t / dt);
if (Backward == 0) {{
    V = (Alpha * V) + ((1.0 - Alpha) * Isyn);
    {forward}
}}
else {{
    const int m = NumSteps - 1 - stepNow;
    {drive}
    {_DRIVEN_COSTATE_STEP}
}}
"""
    return model


def add_replay(model: NeuronModelBuilder, max_spikes: int, example_timesteps: int, batch_size: int,
               num_neurons: int) -> NeuronModelBuilder:
    """Give a spiking source without costates (an input population) a spike buffer whose
    spikes it re-emits backwards, so its outgoing synapses (built with
    ``source_spiking_lif=False``) accumulate weight gradients.

    Backwards the source *spikes* again, one step before the step of each stored spike (the
    engine propagates spikes at the start of the following step): its synapses run their
    spike code in both phases, telling the phases apart by their own ``Backward`` param. So
    the source keeps no per-step state of its own, and a source that only tests a threshold
    (``SpikeInput``) stays one the engine tests many neurons at a time. Forwards, each stored
    spike also leaves ``ReadPos``/``NextBackStep`` at the last stored spike, where the
    backward pass starts reading; the model's own code runs only in the forward phase."""
    _add_buffer(model, max_spikes, example_timesteps, batch_size, num_neurons, False)
    # No stored spike until the forward pass stores one
    model.add_var("NextBackStep", int(_NO_SPIKE.strip("()")), "int")
    sim = (model.code["sim_code"] or "").strip()
    if sim:
        model.code["sim_code"] = f"if (Backward == 0) {{\n{sim}\n}}\n"
    threshold = model.code["threshold_condition_code"]
    model.code["threshold_condition_code"] = (
        f"(Backward == 0) ? ({threshold}) : "
        f"(NextBackStep == NumSteps - 2 - (int)round(t / dt))")
    model.code["reset_code"] = _INDICES + f"""
if (Backward == 0) {{
    if (SpikeCount < MaxSpikes) {{
        RingStep[ringBase + SpikeCount] = stepNow;
        ReadPos = SpikeCount + 1;
        NextBackStep = stepNow;
    }}
    else {{
        Dropped++;
    }}
    SpikeCount++;
    {{
{model.code["reset_code"] or ""}
    }}
}}
else {{
    {_CONSUME_SPIKE}
}}
"""
    return model


def raster_input_model(max_spikes: int, example_timesteps: int, batch_size: int,
                       num_neurons: int) -> NeuronModelBuilder:
    """Input replaying a spike raster EGP ``Raster[(batch * K + step) * N + id]`` (0/1)."""
    model = NeuronModelBuilder("EventPropRasterInput")
    model.add_egp("Raster", "scalar*", np.zeros(int(batch_size) * int(example_timesteps)
                                                * int(num_neurons)))
    model.code["threshold_condition_code"] = (
        "Raster[((int)batch * NumSteps + (int)round(t / dt)) * (int)num_neurons + (int)id] > 0.5")
    return add_replay(model, max_spikes, example_timesteps, batch_size, num_neurons)


def exponential_psm(tau_syn: float, dt: float) -> SynapseModelBuilder:
    """Exponential current with ``scale_i``: inject ``IScale * inSyn``, then decay by ``Beta``."""
    beta = float(np.exp(-dt / tau_syn))
    model = SynapseModelBuilder("EventPropExpCurr")
    model.add_param("IScale", float((tau_syn / dt) * (1.0 - beta)))
    model.add_param("Beta", beta)
    model.code["sim_code"] = "injectCurrent(IScale * inSyn);\ninSyn *= Beta;"
    return model


def weight_update_model(source_spiking_lif: bool, tau_syn_post: float, tau_mem_post: float,
                        weight, weight_access=VarAccess.READ_WRITE, delay=None,
                        max_delay_steps: int = 0, learn_delay: bool = False,
                        dt: float = 1.0) -> WeightUpdateModelBuilder:
    """Trainable synapse: forward ``addToPost(g)``; backward, on the source's replayed spikes,
    ``Gradient += LambdaI_post`` and, for LIF sources, the arrival term into the source's
    ``RevISyn`` (DERIVATION §4). The neuron var refs ``BackSpike_pre``, ``LambdaI_post`` and
    ``LambdaV_post`` are bound once the groups exist.

    With delays (in timesteps) the spike reaches the target ``delay`` steps later
    (``addToPostDelay``) and the backward pass reads the target costates at that arrival:
    ``LambdaI_post[delay]`` is the costate ``delay`` engine steps earlier, which in the backward
    phase (engine time forward, model time backward) is model time ``t* + delay dt``. The synapse
    group needs ``max_dendritic_delay_timesteps = max_delay_steps + 1``.

    Parameters
    ----------
    source_spiking_lif
        Whether the source is a LIF population (it then receives the arrival terms).
    tau_syn_post, tau_mem_post
        Time constants of the target [ms].
    weight
        Initial weights (engine value).
    weight_access
        Access mode of ``g``.
    delay
        None or 0 (no delay), one number of timesteps for every synapse (a param ``Delay``),
        or per-synapse delays (engine value: array or ``init_var``; a var ``d``).
    max_delay_steps
        Largest delay; per-synapse delays are rounded and clipped to ``[0, max_delay_steps]``.
    learn_delay
        Learn ``d``: adds ``DelayGradient`` = dL/dd per timestep of delay (per batch element).
    dt
        Timestep [ms] (the delay gradient is per step: ``dt`` times DERIVATION §5's per-ms one).
    """
    from numbers import Number
    constant = delay is None or isinstance(delay, Number)
    delayed = learn_delay or not constant or int(np.rint(delay or 0)) != 0
    model = WeightUpdateModelBuilder("EventPropSynapse" + ("Feedback" if source_spiking_lif else "")
                              + (("LearnDelay" if learn_delay else "Delay") if delayed else ""))
    model.add_param("InvTauSynPost", 1.0 / float(tau_syn_post))
    model.add_param("InvTauMemPost", 1.0 / float(tau_mem_post))
    model.add_var("g", weight, "scalar", weight_access)
    model.add_var("Gradient", 0.0)
    model.post_neuron_var_refs["LambdaI_post"] = ("scalar", VarAccessMode.READ_ONLY, None)
    model.post_neuron_var_refs["LambdaV_post"] = ("scalar", VarAccessMode.READ_ONLY, None)
    if source_spiking_lif:
        model.pre_neuron_var_refs["BackSpike_pre"] = ("uint8_t", VarAccessMode.READ_ONLY, None)
        model.code["pre_event_threshold_condition_code"] = "BackSpike_pre != 0"
    else:
        # The source re-emits its spikes backwards (add_replay): one spike code, two phases
        model.add_param("Backward", 0, "int", dynamic=True)
    if not delayed:
        forward = "addToPost(g);"
        code = "Gradient += LambdaI_post;\n"
        if source_spiking_lif:
            code += ("addToPre(g * ((LambdaI_post * InvTauSynPost) - "
                     "(LambdaV_post * InvTauMemPost)));\n")
        _set_synapse_code(model, source_spiking_lif, "", forward, code)
        return model
    if constant and not learn_delay:
        model.add_param("Delay", int(np.rint(delay)), "int")
        steps = ""
    else:
        # Per-synapse delay used as whole steps, rounded and clipped to what the buffers hold
        model.add_var("d", delay, "scalar", VarAccess.READ_ONLY)
        model.add_param("MaxDelay", int(max_delay_steps), "int")
        steps = ("const int roundedDelay = (int)round(d);\n"
                 "const int Delay = (roundedDelay < 0) ? 0 : "
                 "((roundedDelay > MaxDelay) ? MaxDelay : roundedDelay);\n")
    forward = "addToPostDelay(g, Delay);"
    code = """const scalar lambdaIArrival = LambdaI_post[Delay];
const scalar lambdaVArrival = LambdaV_post[Delay];
Gradient += lambdaIArrival;
"""
    if source_spiking_lif or learn_delay:
        # dL/d(arrival time) of this spike at this synapse (DERIVATION §4-5)
        code += ("const scalar arrivalTerm = g * ((lambdaIArrival * InvTauSynPost) - "
                 "(lambdaVArrival * InvTauMemPost));\n")
    if learn_delay:
        model.add_param("DelayGradientScale", float(dt))
        model.add_var("DelayGradient", 0.0)
        code += "DelayGradient += DelayGradientScale * arrivalTerm;\n"
    if source_spiking_lif:
        code += "addToPre(arrivalTerm);\n"
    _set_synapse_code(model, source_spiking_lif, steps, forward, code)
    return model


def _set_synapse_code(model: WeightUpdateModelBuilder, source_spiking_lif: bool, prologue: str,
                      forward: str, backward: str) -> None:
    """Forward code on spikes; backward code on the LIF source's spike-like events, or, for a
    replaying input source, on its re-emitted spikes in the backward phase."""
    if source_spiking_lif:
        model.code["pre_spike_syn_code"] = prologue + forward
        model.code["pre_event_syn_code"] = prologue + backward
    else:
        model.code["pre_spike_syn_code"] = (prologue + "if (Backward == 0) {\n" + forward
                                            + "\n}\nelse {\n" + backward + "}\n")
