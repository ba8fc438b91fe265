"""Spike-like events, addToPre, pre/post vars, synapse dynamics, EGPs, PSM refs."""
import numpy as np

from engine_models import DELTA, INPUT_PROBE, SPIKE_DRIVER, build
from ml_genn.engine import (ModelSpec, VarAccess, VarAccessMode, create_neuron_model, create_postsynaptic_model,
                            create_var_ref, create_weight_update_model, init_postsynaptic, init_weight_update)

# Fires every step; its V ramps up by 1 per step so event conditions can test it.
RAMP = create_neuron_model("Ramp", vars=[("V", "scalar")], sim_code="V += 1.0;",
                           threshold_condition_code="V > 1000.0")


def test_spike_like_events_follow_condition_and_are_recorded():
    wu = create_weight_update_model(
        "Graded", params=["theta"], vars=[("g", "scalar", VarAccess.READ_ONLY)],
        pre_neuron_var_refs=[("V_pre", "scalar", VarAccessMode.READ_ONLY)],
        pre_event_threshold_condition_code="V_pre > theta",
        pre_event_syn_code="addToPost(g * V_pre);")
    m = ModelSpec("double", "events")
    pre = m.add_neuron_population("pre", 3, RAMP, {}, {"V": np.array([0.0, 2.0, 4.0])})
    pre.spike_event_recording_enabled = True
    post = m.add_neuron_population("post", 1, INPUT_PROBE, {}, {"x": 0.0})
    m.add_synapse_population("s", "DENSE", pre, post,
                             init_weight_update(wu, {"theta": 4.5}, {"g": 1.0}, pre_var_refs={"V_pre": create_var_ref(pre, "V")}),
                             init_postsynaptic(DELTA))
    rt = build(m, num_recording_timesteps=4)
    xs = []
    for _ in range(4):
        rt.step_time()
        xs.append(rt.neuron_populations["post"].vars["x"].view[0, 0])
    # After step k (0-based) V = V0 + k + 1; events where V > 4.5; they arrive one step later,
    # where the synapse reads the *current* V_pre (V0 + k + 1 at propagation in step k+1).
    V0 = np.array([0.0, 2.0, 4.0])
    expected = [0.0]
    for k in range(3):
        ev = (V0 + k + 1) > 4.5
        expected.append(float(((V0 + k + 1) * ev).sum()))
    np.testing.assert_allclose(xs, expected)
    times, ids = rt.neuron_populations["pre"].spike_event_recording_data[0]
    exp = [(float(k), i) for k in range(4) for i in range(3) if V0[i] + k + 1 > 4.5]
    assert sorted(zip(times.tolist(), ids.tolist())) == exp


def test_add_to_pre_pre_post_vars_and_spike_codes():
    # Post spikes send g back to the pre neuron; pre/post traces count spikes.
    wu = create_weight_update_model(
        "Back", vars=[("g", "scalar", VarAccess.READ_ONLY)],
        pre_vars=[("pre_count", "scalar")], post_vars=[("post_count", "scalar")],
        post_spike_syn_code="addToPre(g);", pre_spike_code="pre_count += 1.0;",
        post_spike_code="post_count += 1.0;")
    m = ModelSpec("double", "addtopre")
    m.batch_size = 2
    pre = m.add_neuron_population("pre", 3, INPUT_PROBE, {}, {"x": 0.0})
    post = m.add_neuron_population("post", 2, SPIKE_DRIVER, {}, {"s": 0.0})
    W = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    m.add_synapse_population("s", "DENSE", pre, post,
                             init_weight_update(wu, vars={"g": W.reshape(-1)}, pre_vars={"pre_count": 0.0},
                                                post_vars={"post_count": 0.0}),
                             init_postsynaptic(DELTA))
    rt = build(m)
    S = np.array([[1.0, 0.0], [1.0, 1.0]])
    rt.neuron_populations["post"].vars["s"].view[:] = S
    rt.run_timesteps(2)
    np.testing.assert_allclose(rt.neuron_populations["pre"].vars["x"].view, S @ W.T)
    np.testing.assert_allclose(rt.synapse_populations["s"].post_vars["post_count"].view, S)
    np.testing.assert_allclose(rt.synapse_populations["s"].pre_vars["pre_count"].view, 0.0)


def test_sparse_post_spike_learning_and_synapse_dynamics():
    wu = create_weight_update_model(
        "Learn", params=["decay"], vars=[("g", "scalar")],
        post_spike_syn_code="g += 1.0;", synapse_dynamics_code="g *= decay;")
    m = ModelSpec("double", "sparse_learn")
    pre = m.add_neuron_population("pre", 4, INPUT_PROBE, {}, {"x": 0.0})
    post = m.add_neuron_population("post", 3, SPIKE_DRIVER, {}, {"s": 0.0})
    pre_i = np.array([0, 0, 1, 2, 3, 3])
    post_i = np.array([0, 2, 1, 2, 0, 1])
    sg = m.add_synapse_population("s", "SPARSE", pre, post, init_weight_update(wu, {"decay": 0.5}, {"g": 1.0}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre_i, post_i)
    rt = build(m)
    rt.neuron_populations["post"].vars["s"].view[:] = np.array([1.0, 0.0, 1.0])
    rt.run_timesteps(2)
    # step 0: g = 0.5 everywhere; post 0 and 2 spike. step 1: g = 0.25, then +1 on columns 0 and 2.
    syn = rt.synapse_populations["s"]
    expected = np.where(np.isin(syn.get_sparse_post_inds(), [0, 2]), 1.25, 0.25)
    assert syn.vars["g"].values.shape == (1, 6)   # READ_WRITE weights are per batch
    np.testing.assert_allclose(syn.vars["g"].values[0], expected)


def test_extra_global_params_and_exponential_psm_with_neuron_var_ref():
    drive = create_neuron_model("EGPDrive", vars=[("s", "scalar")], extra_global_params=[("pattern", "scalar*")],
                                threshold_condition_code="pattern[id] > 0.5")
    exp_curr = create_postsynaptic_model(
        "ExpCurrScaled", params=["tau"], derived_params=[("decay", lambda p, dt: float(np.exp(-dt / p["tau"])))],
        neuron_var_refs=[("gain", "scalar", VarAccessMode.READ_ONLY)],
        sim_code="injectCurrent(gain * inSyn); inSyn *= decay;")
    probe = create_neuron_model("GainProbe", vars=[("x", "scalar"), ("k", "scalar", VarAccess.READ_ONLY)],
                                sim_code="x = Isyn;")
    wu = create_weight_update_model("P", vars=[("g", "scalar", VarAccess.READ_ONLY)], pre_spike_syn_code="addToPost(g);")
    m = ModelSpec("double", "egp_psm")
    pre = m.add_neuron_population("pre", 3, drive, {}, {"s": 0.0})
    pre.extra_global_params["pattern"].set_init_values(np.array([1.0, 0.0, 1.0]))
    post = m.add_neuron_population("post", 2, probe, {}, {"x": 0.0, "k": np.array([1.0, 2.0])})
    W = np.array([[1.0, 2.0], [4.0, 8.0], [16.0, 32.0]])
    m.add_synapse_population("s", "DENSE", pre, post, init_weight_update(wu, vars={"g": W.reshape(-1)}),
                             init_postsynaptic(exp_curr, {"tau": 5.0}, var_refs={"gain": create_var_ref(post, "k")}))
    rt = build(m)
    xs = []
    for step in range(4):
        if step == 1:
            rt.neuron_populations["pre"].extra_global_params["pattern"].view[:] = 0.0   # stop driving
        rt.step_time()
        xs.append(rt.neuron_populations["post"].vars["x"].view[0].copy())
    decay = np.exp(-1.0 / 5.0)
    inp = np.array([1.0, 0.0, 1.0]) @ W * np.array([1.0, 2.0])
    expected = np.array([np.zeros(2), inp, inp * decay, inp * decay ** 2])
    np.testing.assert_allclose(np.array(xs), expected, rtol=1e-12)
    # Resetting in-flight state clears the exponential synapse's inSyn
    rt.reset_in_flight_state()
    rt.step_time()
    np.testing.assert_array_equal(rt.neuron_populations["post"].vars["x"].view, 0.0)


def test_pre_and_post_dynamics_see_this_steps_state_before_the_reset():
    """As GeNN 5: weight update models' pre and post dynamics run after the neuron's sim_code
    and before its threshold test and reset, so they read the updated, not yet reset voltage."""
    counter = create_neuron_model("Counter", vars=[("V", "scalar")], sim_code="V += 1.0;",
                                  threshold_condition_code="V >= 3.0", reset_code="V = 0.0;")
    wu = create_weight_update_model(
        "Watch", vars=[("g", "scalar", VarAccess.READ_ONLY)],
        pre_vars=[("SeenPre", "scalar")], post_vars=[("SeenPost", "scalar")],
        pre_neuron_var_refs=[("V_pre", "scalar", VarAccessMode.READ_ONLY)],
        post_neuron_var_refs=[("V_post", "scalar", VarAccessMode.READ_ONLY)],
        pre_dynamics_code="SeenPre = V_pre;", post_dynamics_code="SeenPost = V_post;")
    m = ModelSpec("double", "dynamics_order")
    a = m.add_neuron_population("a", 1, counter, {}, {"V": 0.0})
    b = m.add_neuron_population("b", 1, counter, {}, {"V": 1.0})
    m.add_synapse_population(
        "s", "DENSE", a, b,
        init_weight_update(wu, vars={"g": 0.0}, pre_vars={"SeenPre": -1.0},
                           post_vars={"SeenPost": -1.0},
                           pre_var_refs={"V_pre": create_var_ref(a, "V")},
                           post_var_refs={"V_post": create_var_ref(b, "V")}),
        init_postsynaptic(DELTA))
    rt = build(m)
    seen_pre, seen_post = [], []
    for _ in range(6):
        rt.step_time()
        group = rt.synapse_populations["s"]
        seen_pre.append(float(group.pre_vars["SeenPre"].view.reshape(-1)[0]))
        seen_post.append(float(group.post_vars["SeenPost"].view.reshape(-1)[0]))
    # V counts 1, 2, 3 (seen before the reset to 0), 1, 2, 3; b started at 1
    assert seen_pre == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    assert seen_post == [2.0, 3.0, 1.0, 2.0, 3.0, 1.0]
