"""With a batch, ``run_timesteps(n)`` runs each thread's batch elements through all ``n`` steps in
one parallel region, from per-thread copies of the step counters (timestep, RNG step, spike queue
and dendritic delay pointers, recording row). Checked against a NumPy simulation that re-derives
every random draw from the documented counter-based RNG, at 1 and 2 threads, with the run split
into uneven chunks."""
import zlib

import numpy as np
import pytest

from engine_models import DELTA, LIF, build
from ml_genn.engine import ModelSpec, VarAccess, create_neuron_model, create_weight_update_model
from ml_genn.engine import init_postsynaptic, init_weight_update
from ml_genn.engine.errors import RuntimeStateError

BERNOULLI = create_neuron_model("BernoulliSource", params=["p"], vars=[("fired", "scalar")],
                                sim_code="fired = (gennrand_uniform() < p) ? 1.0 : 0.0;",
                                threshold_condition_code="fired > 0.5")
STATIC = create_weight_update_model("Static", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                    pre_spike_syn_code="addToPost(g);")
DENDRITIC = create_weight_update_model(
    "Dendritic", vars=[("g", "scalar", VarAccess.READ_ONLY), ("d", "uint8_t", VarAccess.READ_ONLY)],
    pre_spike_syn_code="addToPostDelay(g, d);")
BATCH, STEPS = 5, 40


def _model(name):
    rng = np.random.default_rng(4)
    m = ModelSpec("double", name)
    m.batch_size = BATCH
    m.seed = 21
    src = m.add_neuron_population("src", 60, BERNOULLI, {"p": 0.1}, {"fired": 0.0})
    lif = m.add_neuron_population("lif", 30, LIF, {"tau_m": 10.0, "v_thresh": 1.0}, {"V": 0.0})
    den = m.add_neuron_population("den", 20, LIF, {"tau_m": 5.0, "v_thresh": 0.8}, {"V": 0.0})
    axonal = m.add_synapse_population(
        "axonal", "DENSE", src, lif,
        init_weight_update(STATIC, vars={"g": rng.uniform(0.0, 0.6, 60 * 30)}), init_postsynaptic(DELTA))
    axonal.axonal_delay_steps = 3
    dendritic = m.add_synapse_population(
        "dendritic", "DENSE", lif, den,
        init_weight_update(DENDRITIC, vars={"g": rng.uniform(0.0, 1.0, 30 * 20),
                                            "d": rng.integers(0, 6, 30 * 20).astype(np.uint8)}),
        init_postsynaptic(DELTA))
    dendritic.max_dendritic_delay_timesteps = 6
    for pop in (src, lif, den):
        pop.spike_recording_enabled = True
    return m


def _mix64(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _first_uniform(seed, stream, step, elem):
    """The first double-precision draw of the engine's RNG for (seed, stream, step, element)."""
    with np.errstate(over="ignore"):
        key = _mix64(np.uint64(seed) ^ (np.uint64(stream) * np.uint64(0xA24BAED4963EE407)))
        key = _mix64(_mix64(key ^ np.uint64(step)) ^ elem)
        draw = _mix64(key ^ np.uint64(0xD1B54A32D192ED03))
    return (draw >> np.uint64(12)).astype(np.float64) * 2.0 ** -52 + 2.0 ** -53


def _numpy_reference(spec):
    """Spikes per population as (step, batch, neuron) and final V, simulated in NumPy."""
    syn = spec.synapse_populations
    w_ax = np.asarray(syn["axonal"].vars["g"].init).reshape(60, 30)
    w_den = np.asarray(syn["dendritic"].vars["g"].init).reshape(30, 20)
    d_den = np.asarray(syn["dendritic"].vars["d"].init).reshape(30, 20).astype(int)
    stream = zlib.crc32(b"neuron/src") & 0xFFFFFFFF
    elems = np.arange(BATCH * 60, dtype=np.uint64).reshape(BATCH, 60)
    alpha_lif, alpha_den = np.exp(-1.0 / 10.0), np.exp(-1.0 / 5.0)
    src = np.zeros((STEPS, BATCH, 60), bool)
    lif = np.zeros((STEPS, BATCH, 30), bool)
    den = np.zeros((STEPS, BATCH, 20), bool)
    v_lif, v_den = np.zeros((BATCH, 30)), np.zeros((BATCH, 20))
    for k in range(STEPS):
        src[k] = _first_uniform(21, stream, k, elems) < 0.1
        # Axonal delay 3: emitted at step k, propagated at the start of step k + 1 + 3
        i_lif = src[k - 4].astype(float) @ w_ax if k >= 4 else np.zeros((BATCH, 30))
        v_lif = alpha_lif * v_lif + (1.0 - alpha_lif) * i_lif
        lif[k] = v_lif >= 1.0
        v_lif[lif[k]] = 0.0
        # Dendritic delay d: emitted at step k, arrives at step k + 1 + d
        i_den = np.zeros((BATCH, 20))
        for d in range(6):
            if k - 1 - d >= 0:
                i_den += lif[k - 1 - d].astype(float) @ np.where(d_den == d, w_den, 0.0)
        v_den = alpha_den * v_den + (1.0 - alpha_den) * i_den
        den[k] = v_den >= 0.8
        v_den[den[k]] = 0.0
    return {"src": src, "lif": lif, "den": den}, {"lif": v_lif, "den": v_den}


def test_run_in_batch_slices_equals_numpy_simulation():
    spikes, final_v = _numpy_reference(_model("slices_reference"))
    # The network is active in every batch element, and elements draw different numbers
    for pop, raster in spikes.items():
        assert raster.sum(axis=(0, 2)).min() > 0, pop
    assert not np.array_equal(spikes["src"][:, 0], spikes["src"][:, 1])
    for threads in (1, 2):
        rt = build(_model("slices"), num_recording_timesteps=STEPS)
        rt.set_num_threads(threads)
        # Uneven chunks: the counters must carry over between calls
        for n in (7, 1, 20, 12):
            rt.run_timesteps(n)
        assert rt.timestep == STEPS
        assert np.isclose(rt.t, STEPS * rt.dt)
        for pop, raster in spikes.items():
            recorded = rt.neuron_populations[pop].spike_recording_data
            for b, (times, ids) in enumerate(recorded):
                steps_, ids_ = np.nonzero(raster[:, b])
                np.testing.assert_array_equal(np.round(times / rt.dt).astype(int), steps_,
                                              err_msg=f"{pop} batch {b}, {threads} threads")
                np.testing.assert_array_equal(ids, ids_)
        for pop, v in final_v.items():
            np.testing.assert_allclose(rt.neuron_populations[pop].vars["V"].view, v,
                                       rtol=1e-12, atol=1e-12)


def test_native_variable_recording_equals_the_variable_after_each_step():
    rt = build(_model("var_recording"), num_recording_timesteps=STEPS)
    rt.set_num_threads(2)
    lif = rt.neuron_populations["lif"]
    ring = lif.record_var("V", 8)
    assert ring.shape == (BATCH, 8, 30)
    expected = []
    for _ in range(11):
        rt.step_time()
        expected.append(lif.vars["V"].view.copy())
    # Row [b, timestep % 8] holds element b's value after that step: the last 8 steps
    for step in range(3, 11):
        np.testing.assert_array_equal(ring[:, step % 8], expected[step])
    # Several steps in one native call record the same
    rt.run_timesteps(8)
    lif_again = build(_model("var_recording"), num_recording_timesteps=STEPS)
    lif_again.set_num_threads(1)
    values = []
    for _ in range(19):
        lif_again.step_time()
        values.append(lif_again.neuron_populations["lif"].vars["V"].view.copy())
    for step in range(11, 19):
        np.testing.assert_array_equal(ring[:, step % 8], values[step])
    assert np.abs(np.array(values)).max() > 0.1
    # One ring length for everything recorded at once; stopping frees the slot
    with pytest.raises(RuntimeStateError, match="share one ring length"):
        rt.neuron_populations["den"].record_var("V", 5)
    with pytest.raises(RuntimeStateError, match="no variable 'X'"):
        lif.record_var("X", 8)
    lif.stop_recording_var("V")
    before = ring.copy()
    rt.run_timesteps(3)
    np.testing.assert_array_equal(ring, before)
    assert rt.neuron_populations["den"].record_var("V", 5).shape == (BATCH, 5, 20)
    # Paused recording (e.g. a backward phase) leaves every ring as it was, then resumes
    den_ring = rt.neuron_populations["den"].record_var("V", 5)
    spikes_before = rt.neuron_populations["lif"].spike_recording_buffer.copy()
    vars_before = den_ring.copy()
    with rt.recording_paused():
        rt.run_timesteps(4)
    np.testing.assert_array_equal(den_ring, vars_before)
    np.testing.assert_array_equal(rt.neuron_populations["lif"].spike_recording_buffer, spikes_before)
    rt.run_timesteps(5)
    assert not np.array_equal(den_ring, vars_before)


def test_variable_recording_into_given_memory():
    rt = build(_model("var_recording_into"), num_recording_timesteps=STEPS)
    lif = rt.neuron_populations["lif"]
    ring = lif.record_var("V", 8)
    target = np.full(ring.shape, -1.0)
    assert lif.record_var_into("V", target)
    expected = []
    for _ in range(8):
        rt.step_time()
        expected.append(lif.vars["V"].view.copy())
    # The engine wrote into the target, not the ring
    np.testing.assert_array_equal(target.transpose(1, 0, 2), np.array(expected))
    assert (ring == 0).all()
    # Back to the ring; the target keeps what it got
    assert lif.record_var_into("V", None)
    before = target.copy()
    rt.step_time()
    np.testing.assert_array_equal(target, before)
    np.testing.assert_array_equal(ring[:, 8 % 8], lif.vars["V"].view)
    # A second user of the same recording keeps it in the ring
    lif.record_var("V", 8)
    assert not lif.record_var_into("V", target)
    with pytest.raises(ValueError, match="record_var_into needs a writeable C-contiguous"):
        lif.stop_recording_var("V")
        lif.record_var_into("V", np.zeros((2, 2)))
    with pytest.raises(RuntimeStateError, match="not being recorded"):
        rt.neuron_populations["den"].record_var_into("V", None)
