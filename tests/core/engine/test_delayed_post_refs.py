"""Delayed reads of postsynaptic neuron variables (GeNN 5's ``X_post[d]``) against NumPy.

``X_post[d]`` in synapse code is the value ``X_post`` had ``d`` steps earlier: at engine step
``s`` synapses run before neurons, so ``X_post`` is X after the neuron update of step ``s - 1``
and ``X_post[d]`` X after step ``s - 1 - d`` (the initial value before step 0).
"""
import numpy as np
import pytest

from engine_models import DELTA, build
from ml_genn.engine import (ModelSpec, ModelSpecError, VarAccess, VarAccessMode,
                            create_neuron_model, create_var_ref, create_weight_update_model,
                            init_postsynaptic, init_weight_update)

# X changes every step in a way that differs per neuron and batch element (never spikes)
WOBBLE = create_neuron_model(
    "Wobble", vars=[("X", "scalar")],
    sim_code="X = sin(0.7 * t + (scalar)id) + (10.0 * (scalar)batch) + (0.01 * X);")
# Spikes every step
ALWAYS = create_neuron_model("Always", vars=[("c", "scalar")], threshold_condition_code="true")
# Spike-like event every step
ALWAYS_EVENT = create_neuron_model("AlwaysEvent", vars=[("c", "scalar")])


def _history(rt, steps, name="post", var="X"):
    """X before step 0 and after each step: history[k + 1] = X after step k."""
    view = rt.neuron_populations[name].vars[var].view
    hist = [np.array(view, dtype=float).copy()]
    for _ in range(steps):
        rt.step_time()
        hist.append(np.array(view, dtype=float).copy())
    return np.stack(hist)          # (steps + 1, batch, post)


def _expected(hist, step, d, max_delay):
    """What ``X_post[d]`` reads at engine step ``step`` (d clamped to [0, max_delay - 1])."""
    d = np.clip(d, 0, max_delay - 1)
    back = np.maximum(step - 1 - d, -1)       # -1: the initial value
    return hist[back + 1]


@pytest.mark.parametrize("threads", [1, 2])
def test_heterogeneous_delayed_reads_dense_spikes(threads):
    """Batch elements may run on different threads, each with its own history pointer copy."""
    wu = create_weight_update_model(
        "DelayedProbe", vars=[("d", "int", VarAccess.READ_ONLY), ("Seen", "scalar"), ("Now", "scalar")],
        post_neuron_var_refs=[("X_post", "scalar", VarAccessMode.READ_ONLY)],
        pre_spike_syn_code="Seen = X_post[d];\nNow = X_post;")
    m = ModelSpec("double", "delayed_dense")
    m.batch_size = 2
    pre = m.add_neuron_population("pre", 2, ALWAYS, {}, {"c": 0.0})
    post = m.add_neuron_population("post", 3, WOBBLE, {}, {"X": np.array([0.5, -1.0, 2.0])})
    # Delays include 0, the largest kept (4), one beyond it (9: clamped) and a negative one
    D = np.array([[0, 1, 2], [3, 4, 9]])
    D[0, 0] = -1
    sg = m.add_synapse_population(
        "s", "DENSE", pre, post,
        init_weight_update(wu, vars={"d": D.reshape(-1), "Seen": 0.0, "Now": 0.0},
                           post_var_refs={"X_post": create_var_ref(post, "X")}),
        init_postsynaptic(DELTA))
    sg.max_dendritic_delay_timesteps = 5
    rt = build(m)
    rt.set_num_threads(threads)
    view = rt.neuron_populations["post"].vars["X"].view
    seen = rt.synapse_populations["s"].vars["Seen"].view
    now = rt.synapse_populations["s"].vars["Now"].view
    hist = [np.array(view, dtype=float).copy()]
    for step in range(12):
        rt.step_time()
        hist.append(np.array(view, dtype=float).copy())
        if step == 0:
            continue   # spikes of step s propagate in step s + 1
        H = np.stack(hist)
        got = np.asarray(seen, dtype=float).reshape(2, 2, 3)      # (batch, pre, post)
        for i in range(2):
            for j in range(3):
                np.testing.assert_allclose(got[:, i, j], _expected(H, step, D[i, j], 5)[:, j],
                                           rtol=0, atol=1e-12, err_msg=f"step {step} syn {i},{j}")
        np.testing.assert_allclose(np.asarray(now, dtype=float).reshape(2, 2, 3),
                                   np.broadcast_to(H[step][:, None, :], (2, 2, 3)), atol=1e-12)


def test_delayed_reads_sparse_events_and_synapse_dynamics_with_float_delay():
    # A scalar delay is truncated to whole steps, like a C cast; two code paths read history
    wu = create_weight_update_model(
        "DelayedSparse", params=["d"], vars=[("Ev", "scalar"), ("Dyn", "scalar")],
        post_neuron_var_refs=[("X_post", "scalar", VarAccessMode.READ_ONLY)],
        pre_event_threshold_condition_code="true",
        pre_event_syn_code="Ev = X_post[d];",
        synapse_dynamics_code="Dyn = X_post[(int)d - 1] + X_post[0];")
    m = ModelSpec("double", "delayed_sparse")
    pre = m.add_neuron_population("pre", 3, ALWAYS_EVENT, {}, {"c": 0.0})
    post = m.add_neuron_population("post", 4, WOBBLE, {}, {"X": 0.25})
    pre_i, post_i = np.array([0, 0, 1, 2]), np.array([1, 3, 0, 2])
    sg = m.add_synapse_population("s", "SPARSE", pre, post,
                                  init_weight_update(wu, {"d": 2.9}, {"Ev": 0.0, "Dyn": 0.0},
                                                     post_var_refs={"X_post": create_var_ref(post, "X")}),
                                  init_postsynaptic(DELTA))
    sg.set_sparse_connections(pre_i, post_i)
    sg.max_dendritic_delay_timesteps = 3
    rt = build(m)
    view = rt.neuron_populations["post"].vars["X"].view
    hist = [np.array(view, dtype=float).reshape(1, -1).copy()]
    ev_view = rt.synapse_populations["s"].vars["Ev"]
    dyn_view = rt.synapse_populations["s"].vars["Dyn"]
    for step in range(8):
        rt.step_time()
        H = np.stack(hist)
        hist.append(np.array(view, dtype=float).reshape(1, -1).copy())
        # Synapse dynamics run every step, before the neurons of the same step
        exp_dyn = _expected(H, step, 1, 3)[0, post_i] + _expected(H, step, 0, 3)[0, post_i]
        np.testing.assert_allclose(dyn_view.values.reshape(-1), exp_dyn, atol=1e-12)
        if step > 0:
            exp_ev = _expected(H, step, 2, 3)[0, post_i]
            np.testing.assert_allclose(ev_view.values.reshape(-1), exp_ev, atol=1e-12)


def test_history_is_in_flight_state_cleared_by_reset():
    m = _model(code="Seen = X_post[2];", x_init=3.0, name="delayed_reset")
    rt = build(m)
    rt.run_timesteps(2)
    # Loaded history holds the initial value: at step 1, two steps back is before step 0
    assert rt.synapse_populations["s"].vars["Seen"].view[0, 0] == pytest.approx(3.0)
    rt.run_timesteps(3)
    rt.reset_in_flight_state()
    rt.run_timesteps(2)
    assert rt.synapse_populations["s"].vars["Seen"].view[0, 0] == 0.0


def _model(code_field="pre_spike_syn_code", code="Seen = X_post[1];", access=VarAccessMode.READ_ONLY,
           max_delay=3, x_init=0.0, name="bad", **extra):
    wu = create_weight_update_model(
        "Bad", vars=[("Seen", "scalar")],
        post_neuron_var_refs=[("X_post", "scalar", access)], **{code_field: code}, **extra)
    m = ModelSpec("double", name)
    pre = m.add_neuron_population("pre", 1, ALWAYS, {}, {"c": 0.0})
    post = m.add_neuron_population("post", 1, WOBBLE, {}, {"X": x_init})
    sg = m.add_synapse_population("s", "DENSE", pre, post,
                                  init_weight_update(wu, vars={"Seen": 0.0},
                                                     post_var_refs={"X_post": create_var_ref(post, "X")}),
                                  init_postsynaptic(DELTA))
    sg.max_dendritic_delay_timesteps = max_delay
    return m


@pytest.mark.parametrize("kwargs, message", [
    (dict(access=VarAccessMode.READ_WRITE), "must be declared VarAccessMode.READ_ONLY"),
    (dict(max_delay=1), "set the synapse group's max_dendritic_delay_timesteps"),
    (dict(code_field="post_dynamics_code", code="scalar x = X_post[1];"), "delayed reads of postsynaptic"),
    (dict(code="Seen[1] = X_post;"), "only postsynaptic neuron var refs can be read with a delay"),
])
def test_bad_delayed_reads_are_refused_before_build(kwargs, message):
    m = _model(**kwargs)
    with pytest.raises(ModelSpecError, match="Synapse group 's'") as info:
        m.finalize()
    assert message in str(info.value)
