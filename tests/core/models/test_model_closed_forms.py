"""Every core neuron, synapse and readout simulated at dt != 1 against its closed form.

The references (``closed_forms.py``) are functions of elapsed time in ms, written from each
model's continuous equations and the documented per-step scheme; the simulations use
``InferenceCompiler`` at dt = 0.1 and 0.5 ms (and 1 ms where it shows that the same closed form
holds on that grid too). A transform that forgets ``dt`` (a decay ``exp(-1 / tau)``, an
``Exponential`` synapse's ``scale_i`` without its ``tau / dt``, a refractory count in steps, a
readout weight or a frame index in steps) agrees with these only at dt = 1, so each of those
mutants fails here. Spike inputs are placed half a step before a step's start so that which
step emits them is never a rounding tie.
"""
import numpy as np
import pytest

from closed_forms import (continuous_exponential_response, exponential_charge,
                          held_exponential_response, lif_reference, state_times)
from ml_genn import Connection, Network, Population
from ml_genn.callbacks import SpikeRecorder, VarRecorder
from ml_genn.compilers import FewSpikeCompiler, InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, BinarySpikeInput, FewSpikeRelu,
                             FewSpikeReluInput, IntegrateFire, IntegrateFireInput, LeakyIntegrate,
                             LeakyIntegrateFire, LeakyIntegrateFireInput, PoissonInput,
                             SpikeInput)
from ml_genn.synapses import Delta, Exponential
from ml_genn.utils.data import preprocess_spikes

DTS = [0.1, 0.5]
DTS_AND_ONE = [0.1, 0.5, 1.0]


def arriving_at(jumps, dt):
    """A one-neuron spike train whose spikes reach a delta-synapse target as jumps at the
    state times ``jumps`` (ms): emitted in the step two before (half a step early, so the
    emitting step is unambiguous), propagated in the next."""
    times = np.sort(np.asarray(jumps, dtype=float)) - 2.5 * dt
    assert times.min() > 0.0
    return preprocess_spikes(times, np.zeros(len(times), dtype=int), 1)


def simulate(build, dt, steps, x, record=(), spikes=(), outputs=(), **compiler_kwargs):
    """Run one example at ``dt`` for ``steps`` of the network ``build() -> {name: population}``
    fed ``x`` (``{name: data}``); returns ``(readouts, traces, spike_times)`` keyed by the names
    in ``outputs``, ``record`` (``(name, var)``) and ``spikes``. Variants of a model share one
    network, so each test compiles once per dt."""
    net = Network()
    with net:
        pops = build()
    recorders = [VarRecorder(pops[p], v, key=(p, v)) for p, v in record]
    recorders += [SpikeRecorder(pops[p], key=("spikes", p)) for p in spikes]
    compiled = InferenceCompiler(evaluate_timesteps=steps, dt=dt, batch_size=1,
                                 reset_in_syn_between_batches=True, **compiler_kwargs).compile(net)
    with compiled:
        y, cb = compiled.predict({pops[p]: data for p, data in x.items()},
                                 [pops[p] for p in outputs] or None, callbacks=recorders)
    readouts = {p: y[pops[p]][0] for p in outputs}
    traces = {key: cb[key][0][:, 0] for key in record}
    spike_times = {p: cb[("spikes", p)][0][0] for p in spikes}
    return readouts, traces, spike_times


def silent():
    """An example of one input neuron that never spikes."""
    return [preprocess_spikes([], [], 1)]


# ------------------------------------------------------------------ leaky membranes, delta input
JUMPS = [(3.0, 0.7), (5.0, -0.3), (12.0, 0.5)]


@pytest.mark.parametrize("dt", DTS_AND_ONE)
def test_leaky_membranes_decay_by_elapsed_ms_after_delta_jumps(dt):
    """Below threshold the membrane of LeakyIntegrate, LeakyIntegrateFire and
    AdaptiveLeakyIntegrateFire is ``sum_j w_j exp(-(t - J_j) / tau)``: the same function of
    time on every grid (only the samples differ)."""
    tau, steps = 6.0, int(round(20.0 / dt))
    models = {"li": lambda: LeakyIntegrate(tau_mem=tau),
              "lif": lambda: LeakyIntegrateFire(v_thresh=100.0, tau_mem=tau),
              "alif": lambda: AdaptiveLeakyIntegrateFire(v_thresh=100.0, tau_mem=tau,
                                                         tau_adapt=30.0)}

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=10), 3, record_spikes=True)}
        for name, model in models.items():
            pops[name] = Population(model(), 1)
            Connection(pops["in"], pops[name], Dense(np.array([[w] for _, w in JUMPS])), Delta())
        return pops

    times = np.array([j for j, _ in JUMPS]) - 2.5 * dt
    x = {"in": [preprocess_spikes(times, [0, 1, 2], 3)]}
    _, traces, spikes = simulate(build, dt, steps, x, record=[(m, "v") for m in models],
                                 spikes=["in"])
    t = state_times(dt, steps)
    expected = sum(np.where(t >= j - 1e-9, w * np.exp(-(t - j) / tau), 0.0) for j, w in JUMPS)
    for name in models:
        np.testing.assert_allclose(traces[(name, "v")], expected, rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    # SpikeInput emits a spike at the start of the first step whose time reaches it
    np.testing.assert_allclose(spikes["in"], np.ceil(times / dt - 1e-9) * dt, atol=1e-9)


# 0.3 every ms from 3 ms: about one spike every 4-5 ms at tau = 10 ms, threshold 1
TRAIN = [(3.0 + k, 0.3) for k in range(35)]
# (relative_reset, tau_refrac, integrate_during_refrac); 2.25 ms is no whole number of steps
LIF_VARIANTS = [(relative, refrac, during) for relative in (True, False)
                for refrac, during in ((None, True), (2.25, True), (2.25, False))]


@pytest.mark.parametrize("dt", DTS)
def test_lif_spikes_resets_and_refractoriness_in_ms(dt):
    """Spiking LIF under delta input, for relative and absolute resets, without and with a
    refractory period of ``tau_refrac`` ms (integrating through it or held): the membrane
    between events, the reset, the spike times."""
    tau, steps = 10.0, int(round(40.0 / dt))

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=100), 1)}
        for i, (relative, refrac, during) in enumerate(LIF_VARIANTS):
            pops[i] = Population(LeakyIntegrateFire(v_thresh=1.0, v_reset=0.1, tau_mem=tau,
                                                    tau_refrac=refrac, relative_reset=relative,
                                                    integrate_during_refrac=during), 1,
                                 record_spikes=True)
            Connection(pops["in"], pops[i], Dense(np.array([[0.3]])), Delta())
        return pops

    variants = range(len(LIF_VARIANTS))
    _, traces, spikes = simulate(build, dt, steps, {"in": [arriving_at([j for j, _ in TRAIN], dt)]},
                                 record=[(i, "v") for i in variants], spikes=list(variants))
    for i, (relative, refrac, during) in enumerate(LIF_VARIANTS):
        ref = lif_reference(dt, steps, tau, v_thresh=1.0, v_reset=0.1, relative_reset=relative,
                            tau_refrac=refrac, integrate_during_refrac=during, arrivals=TRAIN)
        variant = f"relative_reset={relative}, tau_refrac={refrac}, during={during}"
        assert ref["spikes"].sum() >= 4 and ref["margin"] > 1e-3, variant
        np.testing.assert_allclose(spikes[i], np.flatnonzero(ref["spikes"]) * dt, atol=1e-9,
                                   err_msg=variant)
        np.testing.assert_allclose(traces[(i, "v")], ref["V"], rtol=1e-4, atol=1e-4,
                                   err_msg=variant)


@pytest.mark.parametrize("dt", DTS)
def test_adaptive_lif_threshold_decays_by_elapsed_ms(dt):
    """ALIF: each spike adds 1 to ``A``, which decays as ``exp(-(t - t_spike) / tau_adapt)``
    and lifts the threshold by ``beta A``; the relative reset subtracts that threshold."""
    tau, tau_a, beta, steps = 10.0, 15.0, 0.4, int(round(40.0 / dt))
    train = [(3.0 + k, 0.45) for k in range(35)]
    refracs = (None, 2.25)

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=100), 1)}
        for refrac in refracs:
            pops[refrac] = Population(AdaptiveLeakyIntegrateFire(
                v_thresh=1.0, tau_mem=tau, tau_adapt=tau_a, beta=beta, tau_refrac=refrac), 1,
                record_spikes=True)
            Connection(pops["in"], pops[refrac], Dense(np.array([[0.45]])), Delta())
        return pops

    _, traces, spikes = simulate(build, dt, steps, {"in": [arriving_at([j for j, _ in train], dt)]},
                                 record=[(r, v) for r in refracs for v in ("v", "a")],
                                 spikes=list(refracs))
    for refrac in refracs:
        ref = lif_reference(dt, steps, tau, v_thresh=1.0, tau_refrac=refrac, arrivals=train,
                            beta=beta, tau_adapt=tau_a)
        variant = f"tau_refrac={refrac}"
        assert ref["spikes"].sum() >= 4 and ref["margin"] > 1e-3, variant
        np.testing.assert_allclose(spikes[refrac], np.flatnonzero(ref["spikes"]) * dt,
                                   atol=1e-9, err_msg=variant)
        np.testing.assert_allclose(traces[(refrac, "v")], ref["V"], rtol=1e-4, atol=1e-4,
                                   err_msg=variant)
        np.testing.assert_allclose(traces[(refrac, "a")], ref["A"], rtol=1e-4, atol=1e-5,
                                   err_msg=variant)


# ------------------------------------------------------------------ held (constant) input
@pytest.mark.parametrize("dt", DTS)
def test_lif_input_charges_to_its_held_input(dt):
    """LeakyIntegrateFireInput with constant input ``I`` charges as ``L (1 - exp(-t / tau))``:
    with ``scale_i`` the exact solution of ``tau dV/dt = -V + I`` (``L = I``, the same on every
    grid), without it ``L = I / (1 - exp(-dt / tau))`` (the threshold is scaled alike so that
    both spike), each without and with a held refractory period."""
    tau, current, steps = 8.0, 1.6, int(round(30.0 / dt))
    variants = [(scale_i, refrac) for scale_i in (True, False) for refrac in (None, 2.25)]
    gain = {True: 1.0, False: 1.0 / (1.0 - np.exp(-dt / tau))}

    def build():
        return {(scale_i, refrac): Population(LeakyIntegrateFireInput(
            v_thresh=gain[scale_i], tau_mem=tau, tau_refrac=refrac, scale_i=scale_i,
            integrate_during_refrac=False), 1, record_spikes=True)
            for scale_i, refrac in variants}

    _, traces, spikes = simulate(build, dt, steps, {v: np.array([[current]]) for v in variants},
                                 record=[(v, "v") for v in variants], spikes=variants)
    for scale_i, refrac in variants:
        threshold = gain[scale_i]
        ref = lif_reference(dt, steps, tau, v_thresh=threshold, tau_refrac=refrac,
                            integrate_during_refrac=False,
                            level=lambda n, held=current * gain[scale_i]: held)
        variant = f"scale_i={scale_i}, tau_refrac={refrac}"
        assert ref["spikes"].sum() >= 3 and ref["margin"] > 1e-3 * threshold, variant
        np.testing.assert_allclose(spikes[(scale_i, refrac)], np.flatnonzero(ref["spikes"]) * dt,
                                   atol=1e-9, err_msg=variant)
        np.testing.assert_allclose(traces[((scale_i, refrac), "v")], ref["V"], rtol=1e-4,
                                   atol=1e-4 * threshold, err_msg=variant)


@pytest.mark.parametrize("dt", DTS)
def test_lif_input_frames_switch_every_frame_timesteps(dt):
    """Time-varying input: frame ``f`` is held over steps ``[f s, (f + 1) s)`` (``s =
    input_frame_timesteps``) whatever dt is, the last frame beyond."""
    tau, steps, frame_steps = 5.0, 40, 7
    frames = np.array([0.4, 0.9, 0.2])

    def build():
        return {"in": Population(LeakyIntegrateFireInput(v_thresh=100.0, tau_mem=tau,
                                                         scale_i=True, input_frames=3,
                                                         input_frame_timesteps=frame_steps), 1)}

    _, traces, _ = simulate(build, dt, steps, {"in": frames.reshape(1, 3, 1)},
                            record=[("in", "v")])
    ref = lif_reference(dt, steps, tau, level=lambda n: frames[min(n // frame_steps, 2)])
    np.testing.assert_allclose(traces[("in", "v")], ref["V"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dt", DTS)
def test_leaky_integrator_bias_charges_to_its_steady_state(dt):
    """LeakyIntegrate's bias is a held input: ``V = L (1 - exp(-t / tau))``, ``L = bias`` with
    ``scale_i`` and ``bias / (1 - exp(-dt / tau))`` without."""
    tau, bias, steps = 4.0, 0.6, int(round(12.0 / dt))

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=1), 1)}
        for scale_i in (True, False):
            pops[scale_i] = Population(LeakyIntegrate(tau_mem=tau, bias=bias, scale_i=scale_i), 1)
            Connection(pops["in"], pops[scale_i], Dense(np.zeros((1, 1))))
        return pops

    _, traces, _ = simulate(build, dt, steps, {"in": silent()},
                            record=[(True, "v"), (False, "v")])
    for scale_i in (True, False):
        level = bias if scale_i else bias / (1.0 - np.exp(-dt / tau))
        expected = level * (1.0 - np.exp(-state_times(dt, steps) / tau))
        np.testing.assert_allclose(traces[(scale_i, "v")], expected, rtol=1e-5, atol=1e-6,
                                   err_msg=f"scale_i={scale_i}")


# ------------------------------------------------------------------ integrate-and-fire
@pytest.mark.parametrize("dt", DTS)
def test_integrate_and_fire_neurons_count_steps_not_ms(dt):
    """IntegrateFire(Input) add their input once per step (no time constant): with input 0.3
    and threshold 1 they spike every 4th step at any dt. BinarySpikeInput spikes every step
    its input is non-zero; those spikes reach the IF neuron one step later."""
    steps = 30

    def build():
        pops = {"in": Population(BinarySpikeInput(), 1),
                "direct": Population(IntegrateFireInput(v_thresh=1.0, v_reset=-0.05), 1,
                                     record_spikes=True),
                "out": Population(IntegrateFire(v_thresh=1.0, v_reset=-0.05,
                                                readout="spike_count"), 1, record_spikes=True)}
        Connection(pops["in"], pops["out"], Dense(np.array([[0.3]])))
        return pops

    readouts, _, spikes = simulate(build, dt, steps,
                                   {"in": np.ones((1, 1)), "direct": np.full((1, 1), 0.3)},
                                   spikes=["direct", "out"], outputs=["out"])
    # V after step n: 0.3 (n + 1) until V >= 1 (step 3), then from -0.05 again: every 4th step
    direct_steps = np.arange(3, steps, 4)
    np.testing.assert_allclose(spikes["direct"], direct_steps * dt, atol=1e-9)
    out_steps = direct_steps + 1
    np.testing.assert_allclose(spikes["out"], out_steps[out_steps < steps] * dt, atol=1e-9)
    assert readouts["out"][0] == np.count_nonzero(out_steps < steps)


@pytest.mark.parametrize("dt", DTS)
def test_poisson_input_rate_is_per_ms(dt):
    """PoissonInput spikes in a step with probability ``1 - exp(-rate dt)`` (rate per ms)."""
    rate, neurons, steps = 0.4, 200, int(round(50.0 / dt))

    def build():
        pops = {"in": Population(PoissonInput(), neurons),
                "out": Population(IntegrateFire(v_thresh=1e9, readout="var"), 1)}
        Connection(pops["in"], pops["out"], Dense(1.0))
        return pops

    readouts, _, _ = simulate(build, dt, steps, {"in": np.full((1, neurons), rate)},
                              outputs=["out"], rng_seed=7)
    # The IF neuron counts the spikes that arrived (the last step's are still in flight)
    p = 1.0 - np.exp(-rate * dt)
    n = neurons * (steps - 1)
    assert abs(readouts["out"][0] - p * n) < 4.0 * np.sqrt(n * p * (1.0 - p))


# ------------------------------------------------------------------ exponential synapses
@pytest.mark.parametrize("dt", DTS_AND_ONE)
def test_exponential_synapse_current(dt):
    """An IF target sums the current an Exponential synapse injects each step. With
    ``scale_i`` that is the step's average of the continuous current ``w exp(-(s - s0) /
    tau)`` (``s0``: the arrival step's start), so ``dt V`` is its charge, ``w tau (1 -
    exp(-(t - s0) / tau))``, on every grid: the ``tau / dt`` factor at work. Without it the
    step's current is the continuous one sampled at the step's start."""
    tau, w, jump, steps = 3.0, 0.8, 3.0, int(round(15.0 / dt))

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=1), 1)}
        for scale_i in (True, False):
            pops[scale_i] = Population(IntegrateFire(v_thresh=1e9), 1)
            Connection(pops["in"], pops[scale_i], Dense(np.array([[w]])),
                       Exponential(tau, scale_i=scale_i))
        return pops

    _, traces, _ = simulate(build, dt, steps, {"in": [arriving_at([jump], dt)]},
                            record=[(True, "v"), (False, "v")])
    t, onset = state_times(dt, steps), jump - dt
    np.testing.assert_allclose(dt * traces[(True, "v")], exponential_charge(t, onset, w, tau),
                               rtol=1e-5, atol=1e-6, err_msg="scale_i=True")
    samples = np.where(t > onset + 1e-9, w * np.exp(-(t - jump) / tau), 0.0)
    np.testing.assert_allclose(traces[(False, "v")], np.cumsum(samples), rtol=1e-5, atol=1e-6,
                               err_msg="scale_i=False")


@pytest.mark.parametrize("dt", [0.5, 0.1])
def test_exponential_synapse_into_leaky_integrator_converges_to_the_ode(dt):
    """LI (``scale_i``) fed by an Exponential synapse (``scale_i``) integrates each step's
    average current exactly: equal to the held-input closed form, and within ``(dt / 5 ms)^2``
    of the peak from the continuous solution of ``tau_m dV/dt = -V + w exp(-t / tau_s)``
    (the scheme is second order: at dt = 0.5 ms the error is 25 times that at 0.1 ms)."""
    tau_m, tau_s, w, jump = 8.0, 3.0, 2.0, 2.0
    steps = int(round(25.0 / dt))

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=1), 1),
                "out": Population(LeakyIntegrate(tau_mem=tau_m, scale_i=True), 1)}
        Connection(pops["in"], pops["out"], Dense(np.array([[w]])),
                   Exponential(tau_s, scale_i=True))
        return pops

    _, traces, _ = simulate(build, dt, steps, {"in": [arriving_at([jump], dt)]},
                            record=[("out", "v")])
    t, v = state_times(dt, steps), traces[("out", "v")]
    np.testing.assert_allclose(v, held_exponential_response(t, jump - dt, w, tau_m, tau_s, dt),
                               rtol=1e-5, atol=1e-6)
    error = np.abs(v - continuous_exponential_response(t, jump - dt, w, tau_m, tau_s)).max()
    peak = continuous_exponential_response(np.linspace(0, 25, 2501), 0.0, w, tau_m, tau_s).max()
    # Measured: 3.6e-4 (dt = 0.5) and 1.4e-5 (0.1) of a 0.42 peak, both about 1/11 of the bound
    assert error < (dt / 5.0) ** 2 * peak


# ------------------------------------------------------------------ readouts
READOUTS = ["var", "avg_var", "sum_var", "max_var", "avg_var_exp_weight"]


@pytest.mark.parametrize("dt", DTS)
def test_variable_readouts_of_a_closed_form_trace(dt):
    """Each readout of an LI neuron whose membrane is the held-exponential closed form:
    ``var`` the last value, ``sum_var`` / ``avg_var`` the sum / mean over the trial's steps,
    ``max_var`` the largest, ``avg_var_exp_weight`` the mean weighted by ``exp(-t / T)`` with
    ``t`` the step's start and ``T`` the trial's duration in ms (mlGeNN's
    ``exp(-t / (dt T_steps)) / T_steps``)."""
    tau_m, tau_s, w, jump, steps = 8.0, 3.0, 2.0, 2.0, int(round(20.0 / dt))

    def build():
        pops = {"in": Population(SpikeInput(max_spikes=1), 1)}
        for readout in READOUTS:
            pops[readout] = Population(LeakyIntegrate(tau_mem=tau_m, scale_i=True,
                                                      readout=readout), 1)
            Connection(pops["in"], pops[readout], Dense(np.array([[w]])),
                       Exponential(tau_s, scale_i=True))
        return pops

    readouts, _, _ = simulate(build, dt, steps, {"in": [arriving_at([jump], dt)]},
                              outputs=READOUTS)
    t = state_times(dt, steps)
    v = held_exponential_response(t, jump - dt, w, tau_m, tau_s, dt)
    duration = steps * dt
    expected = {"var": v[-1], "sum_var": v.sum(), "avg_var": v.mean(), "max_var": v.max(),
                "avg_var_exp_weight": np.mean(np.exp(-(t - dt) / duration) * v)}
    for readout in READOUTS:
        np.testing.assert_allclose(readouts[readout][0], expected[readout], rtol=1e-4,
                                   err_msg=readout)


@pytest.mark.parametrize("dt", DTS)
def test_spike_readouts_of_a_closed_form_lif(dt):
    """``spike_count`` and ``first_spike_time`` (negated, the start time of the step that
    spiked) of a LIF neuron (``scale_i``) held at a constant input by delta spikes every step."""
    tau, current, steps = 10.0, 1.7, int(round(30.0 / dt))

    def build():
        pops = {"in": Population(BinarySpikeInput(), 1)}
        for readout in ("spike_count", "first_spike_time"):
            pops[readout] = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=tau,
                                                          scale_i=True, readout=readout), 1)
            Connection(pops["in"], pops[readout], Dense(np.array([[current]])), Delta())
        return pops

    readouts, _, _ = simulate(build, dt, steps, {"in": np.ones((1, 1))},
                              outputs=["spike_count", "first_spike_time"])
    # Spikes emitted in step 0 arrive from step 1 on: the input is held from then
    ref = lif_reference(dt, steps, tau, v_thresh=1.0, level=lambda n: current if n >= 1 else 0.0)
    assert ref["spikes"].sum() >= 2 and ref["margin"] > 1e-3
    assert readouts["spike_count"][0] == ref["spikes"].sum()
    first_step = np.flatnonzero(ref["spikes"])[0]
    np.testing.assert_allclose(readouts["first_spike_time"][0], -first_step * dt, rtol=1e-6)


# ------------------------------------------------------------------ few-spike neurons
def few_spike_readout(x, weight, alpha, k):
    """What a FewSpikeRelu output reads after one presentation: the weighted digits of its
    FewSpikeReluInput source but the last (which arrives with the next presentation); digit
    ``p`` is ``alpha 2^-(p+1)``, sent when what remains of ``x`` reaches it."""
    remaining, sent = float(x), 0.0
    for p in range(k - 1):
        digit = alpha * 2.0 ** (-(p + 1))
        if remaining >= digit:
            remaining -= digit
            sent += digit
    return sent * weight


@pytest.mark.parametrize("dt", DTS)
def test_few_spike_neurons_count_presentations_in_steps(dt):
    """FewSpikeRelu(Input) code values in the ``k`` steps of a presentation whatever dt is:
    the output reads the same quantised weighted input as at dt = 1."""
    k, alpha = 8, 4.0
    x = np.array([[0.7], [2.9], [3.3]])
    weight = np.array([[1.5, -0.5]])
    net = Network()
    with net:
        inp = Population(FewSpikeReluInput(k=k, alpha=alpha), 1)
        out = Population(FewSpikeRelu(k=k, alpha=alpha, readout="var"), 2)
        Connection(inp, out, Dense(weight), Delta())
    compiled = FewSpikeCompiler(k=k, dt=dt, batch_size=1).compile(net)
    with compiled:
        y, _ = compiled.predict({inp: x}, out, callbacks=[])
    expected = np.array([[few_spike_readout(v, w, alpha, k) for w in weight[0]] for v in x[:, 0]])
    assert np.abs(expected).min() > 0.1
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
