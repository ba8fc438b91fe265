"""Neurons, dense/sparse/toeplitz propagation, delays and recording against NumPy."""
import numpy as np
import pytest

from engine_models import DELTA, INPUT_PROBE, SPIKE_DRIVER, STATIC_PULSE, build
from ml_genn.engine.errors import RuntimeStateError
from ml_genn.engine import (ModelSpec, VarAccess, create_neuron_model, create_weight_update_model,
                            init_postsynaptic, init_sparse_connectivity, init_toeplitz_connectivity,
                            init_weight_update)

LIF_DRIVEN = create_neuron_model(
    "LIFDriven", params=["tau_m", "v_thresh", "i_offset"], vars=[("V", "scalar")],
    derived_params=[("alpha", lambda p, dt: float(np.exp(-dt / p["tau_m"])))],
    sim_code="V = (alpha * V) + ((1.0 - alpha) * (Isyn + i_offset));",
    threshold_condition_code="V >= v_thresh", reset_code="V = 0.0;")


@pytest.mark.parametrize("precision", ["float", "double"])
def test_lif_membrane_matches_closed_form_and_dynamic_param(precision):
    m = ModelSpec(precision, f"lif_{precision}")
    m.dt = 0.5
    m.batch_size = 2
    p = m.add_neuron_population("p", 3, LIF_DRIVEN, {"tau_m": 10.0, "v_thresh": 1e9, "i_offset": 2.0}, {"V": 0.0})
    p.set_param_dynamic("i_offset")
    rt = build(m)
    view = rt.neuron_populations["p"].vars["V"].view
    assert view.shape == (2, 3)
    assert view.dtype == (np.float32 if precision == "float" else np.float64)
    alpha = np.exp(-0.5 / 10.0)
    for n in range(1, 21):
        rt.step_time()
        expected = 2.0 * (1.0 - alpha ** n)
        np.testing.assert_allclose(view, expected, rtol=1e-5 if precision == "float" else 1e-12)
    # Changing the dynamic param changes the fixed point the trace relaxes to.
    rt.neuron_populations["p"].set_dynamic_param_value("i_offset", -1.0)
    v20 = 2.0 * (1.0 - alpha ** 20)
    rt.run_timesteps(5)
    expected = -1.0 + (v20 + 1.0) * alpha ** 5
    np.testing.assert_allclose(view, expected, rtol=1e-5 if precision == "float" else 1e-12)
    assert rt.timestep == 25 and rt.t == pytest.approx(12.5)


def test_lif_spike_times_match_closed_form_and_recording():
    m = ModelSpec("double", "lif_spikes")
    m.dt = 1.0
    i_off, tau, vth = 1.5, 20.0, 1.0
    p = m.add_neuron_population("p", 2, LIF_DRIVEN, {"tau_m": tau, "v_thresh": vth, "i_offset": i_off}, {"V": 0.0})
    p.spike_recording_enabled = True
    rt = build(m, num_recording_timesteps=100)
    rt.run_timesteps(100)
    # Closed form: from V=0 the first n with 1.5 (1 - alpha^n) >= 1, then periodic after each reset.
    alpha = np.exp(-1.0 / tau)
    n_first = int(np.ceil(np.log(1 - vth / i_off) / np.log(alpha)))
    expected_steps = np.arange(n_first - 1, 100, n_first)
    times, ids = rt.neuron_populations["p"].spike_recording_data[0]
    np.testing.assert_array_equal(times[ids == 0], expected_steps * 1.0)
    np.testing.assert_array_equal(times[ids == 1], expected_steps * 1.0)


def _driver_to_probe(name, matrix_type, n_pre, n_post, batch, wu_vars, conn=None, precision="float", **sg_props):
    m = ModelSpec(precision, name)
    m.batch_size = batch
    pre = m.add_neuron_population("pre", n_pre, SPIKE_DRIVER, {}, {"s": 0.0})
    post = m.add_neuron_population("post", n_post, INPUT_PROBE, {}, {"x": 0.0})
    sg = m.add_synapse_population("syn", matrix_type, pre, post, init_weight_update(STATIC_PULSE, vars=wu_vars),
                                  init_postsynaptic(DELTA), conn)
    for k, v in sg_props.items():
        setattr(sg, k, v)
    return m, sg


@pytest.mark.parametrize("precision", ["float", "double"])
def test_dense_propagation_equals_matmul(precision):
    rng = np.random.default_rng(1)
    W = rng.normal(size=(6, 4))
    m, _ = _driver_to_probe(f"dense_{precision}", "DENSE", 6, 4, 3, {"g": W.reshape(-1)}, precision=precision)
    rt = build(m)
    S = (rng.uniform(size=(3, 6)) < 0.5).astype(float)
    rt.neuron_populations["pre"].vars["s"].view[:] = S
    rt.step_time()   # pre spikes
    rt.step_time()   # propagated, probe reads Isyn
    np.testing.assert_allclose(rt.neuron_populations["post"].vars["x"].view, S @ W,
                               rtol=1e-5 if precision == "float" else 1e-12)
    rt.step_time()   # DeltaCurr cleared inSyn and nothing spiked again
    np.testing.assert_array_equal(rt.neuron_populations["post"].vars["x"].view, 0.0)


def test_small_batch_dense_propagation_split_across_targets_equals_serial():
    # Batch 1 with 2 threads: spike propagation is split across target ranges (DENSE, nothing
    # presynaptic written); it must equal x @ W and the 1-thread result bit for bit
    rng = np.random.default_rng(3)
    W = rng.normal(size=(40, 150))
    S = (rng.uniform(size=(1, 40)) < 0.5).astype(float)
    results = []
    for threads in (1, 2):
        m, _ = _driver_to_probe("dense_split", "DENSE", 40, 150, 1, {"g": W.reshape(-1)})
        rt = build(m)
        rt.set_num_threads(threads)
        rt.neuron_populations["pre"].vars["s"].view[:] = S
        rt.run_timesteps(2)
        results.append(rt.neuron_populations["post"].vars["x"].view.copy())
    np.testing.assert_allclose(results[1], S @ W, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(results[0], results[1])


def test_sparse_equals_dense_under_mask():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(7, 5))
    mask = rng.uniform(size=(7, 5)) < 0.4
    pre_i, post_i = np.nonzero(mask)
    perm = rng.permutation(len(pre_i))   # order of the given indices must not matter
    pre_i, post_i = pre_i[perm], post_i[perm]
    m, sg = _driver_to_probe("sparse", "SPARSE", 7, 5, 2, {"g": W[pre_i, post_i]})
    sg.set_sparse_connections(pre_i, post_i)
    rt = build(m)
    S = (rng.uniform(size=(2, 7)) < 0.6).astype(float)
    rt.neuron_populations["pre"].vars["s"].view[:] = S
    rt.run_timesteps(2)
    np.testing.assert_allclose(rt.neuron_populations["post"].vars["x"].view, S @ (W * mask), rtol=1e-5)
    syn = rt.synapse_populations["syn"]
    got = np.zeros((7, 5))
    got[syn.get_sparse_pre_inds(), syn.get_sparse_post_inds()] = syn.vars["g"].values
    np.testing.assert_allclose(got, W * mask, rtol=1e-6)


def test_sparse_snippet_connectivity_matches_its_indices():
    m, sg = _driver_to_probe("sparse_snip", "SPARSE", 30, 20, 1, {"g": 1.0},
                             init_sparse_connectivity("FixedProbability", {"prob": 0.3}))
    m.seed = 5
    rt = build(m)
    syn = rt.synapse_populations["syn"]
    pre_i, post_i = syn.get_sparse_pre_inds(), syn.get_sparse_post_inds()
    assert 0.15 < len(pre_i) / 600 < 0.45
    rt.neuron_populations["pre"].vars["s"].view[:] = 1.0
    rt.run_timesteps(2)
    np.testing.assert_allclose(rt.neuron_populations["post"].vars["x"].view[0],
                               np.bincount(post_i, minlength=20))


def _conv_numpy(x, K, oh, ow):
    ih, iw, ic = x.shape
    kh, kw, _, oc = K.shape
    ph, pw = ((oh - 1) + kh - ih) // 2, ((ow - 1) + kw - iw) // 2
    xp = np.zeros((ih + 2 * kh, iw + 2 * kw, ic))
    xp[kh:kh + ih, kw:kw + iw] = x
    out = np.zeros((oh, ow, oc))
    for oy in range(oh):
        for ox in range(ow):
            patch = xp[kh + oy - ph:kh + oy - ph + kh, kw + ox - pw:kw + ox - pw + kw]
            out[oy, ox] = np.tensordot(patch, K, axes=([0, 1, 2], [0, 1, 2]))
    return out


@pytest.mark.parametrize("oh", [5, 3])   # "same" and "valid"
def test_toeplitz_conv2d_equals_numpy_convolution(oh):
    rng = np.random.default_rng(3)
    ih, ic, kh, oc = 5, 2, 3, 3
    K = rng.normal(size=(kh, kh, ic, oc))
    params = {"conv_kh": kh, "conv_kw": kh, "conv_ih": ih, "conv_iw": ih, "conv_ic": ic,
              "conv_oh": oh, "conv_ow": oh, "conv_oc": oc}
    m, _ = _driver_to_probe(f"conv_{oh}", "TOEPLITZ", ih * ih * ic, oh * oh * oc, 2, {"g": K.reshape(-1)},
                            init_toeplitz_connectivity("Conv2D", params), precision="double")
    rt = build(m)
    X = (rng.uniform(size=(2, ih, ih, ic)) < 0.5).astype(float)
    rt.neuron_populations["pre"].vars["s"].view[:] = X.reshape(2, -1)
    rt.run_timesteps(2)
    for b in range(2):
        np.testing.assert_allclose(rt.neuron_populations["post"].vars["x"].view[b],
                                   _conv_numpy(X[b], K, oh, oh).reshape(-1), rtol=1e-10, atol=1e-12)


def test_toeplitz_avg_pool_conv2d_equals_pooled_convolution():
    rng = np.random.default_rng(4)
    pih, pic, pk, ps, kh, oc = 6, 2, 2, 2, 3, 2
    K = rng.normal(size=(kh, kh, pic, oc))
    params = {"conv_kh": kh, "conv_kw": kh, "pool_kh": pk, "pool_kw": pk, "pool_sh": ps, "pool_sw": ps,
              "pool_ih": pih, "pool_iw": pih, "pool_ic": pic, "conv_oh": 3, "conv_ow": 3, "conv_oc": oc}
    m, _ = _driver_to_probe("avgpoolconv", "TOEPLITZ", pih * pih * pic, 9 * oc, 1, {"g": K.reshape(-1)},
                            init_toeplitz_connectivity("AvgPoolConv2D", params), precision="double")
    rt = build(m)
    X = (rng.uniform(size=(pih, pih, pic)) < 0.5).astype(float)
    rt.neuron_populations["pre"].vars["s"].view[:] = X.reshape(1, -1)
    rt.run_timesteps(2)
    pooled_sum = X.reshape(3, 2, 3, 2, pic).sum(axis=(1, 3))   # the engine sums each window; callers scale
    np.testing.assert_allclose(rt.neuron_populations["post"].vars["x"].view[0],
                               _conv_numpy(pooled_sum, K, 3, 3).reshape(-1), rtol=1e-10, atol=1e-12)


DELAYED_PULSE = create_weight_update_model(
    "DelayedPulse", vars=[("g", "scalar", VarAccess.READ_ONLY), ("d", "uint8_t", VarAccess.READ_ONLY)],
    pre_spike_syn_code="addToPostDelay(g, d);")


def test_dendritic_delays_shift_input_by_exactly_d_steps():
    m = ModelSpec("double", "dendritic")
    pre = m.add_neuron_population("pre", 1, SPIKE_DRIVER, {}, {"s": 1.0})
    post = m.add_neuron_population("post", 4, INPUT_PROBE, {}, {"x": 0.0})
    delays = np.array([0, 1, 3, 5], dtype=np.uint8)
    sg = m.add_synapse_population("syn", "DENSE", pre, post,
                                  init_weight_update(DELAYED_PULSE, vars={"g": np.arange(1.0, 5.0), "d": delays}),
                                  init_postsynaptic(DELTA))
    sg.max_dendritic_delay_timesteps = 6
    rt = build(m)
    trace = []
    for _ in range(9):
        rt.step_time()
        trace.append(rt.neuron_populations["post"].vars["x"].view[0].copy())
    trace = np.array(trace)
    expected = np.zeros_like(trace)
    for j, d in enumerate(delays):
        expected[1 + d, j] = j + 1.0     # spike at step 0, propagated at step 1, then d more steps
    np.testing.assert_array_equal(trace, expected)


def test_axonal_delay_shifts_input_by_exactly_d_steps():
    m, sg = _driver_to_probe("axonal", "DENSE", 2, 2, 1, {"g": np.array([1.0, 0.0, 0.0, 2.0])}, precision="double",
                             axonal_delay_steps=3)
    rt = build(m)
    rt.neuron_populations["pre"].vars["s"].view[:] = 1.0
    trace = []
    for _ in range(7):
        rt.step_time()
        trace.append(rt.neuron_populations["post"].vars["x"].view[0].copy())
    expected = np.zeros((7, 2))
    expected[4] = [1.0, 2.0]
    np.testing.assert_array_equal(np.array(trace), expected)


POISSON = create_neuron_model("Bernoulli", params=["p"], vars=[("fired", "scalar")],
                              sim_code="fired = (gennrand_uniform() < p) ? 1.0 : 0.0;",
                              threshold_condition_code="fired > 0.5")


def test_recording_equals_spikes_emitted_per_batch():
    m = ModelSpec("float", "recording")
    m.batch_size = 3
    m.seed = 11
    p = m.add_neuron_population("p", 70, POISSON, {"p": 0.2}, {"fired": 0.0})
    p.spike_recording_enabled = True
    rt = build(m, num_recording_timesteps=12)
    emitted = [[] for _ in range(3)]
    for step in range(12):
        rt.step_time()
        fired = rt.neuron_populations["p"].vars["fired"].view
        for b in range(3):
            for i in np.nonzero(fired[b])[0]:
                emitted[b].append((float(step), int(i)))
    data = rt.neuron_populations["p"].spike_recording_data
    assert len(data) == 3
    for b, (times, ids) in enumerate(data):
        assert sorted(zip(times.tolist(), ids.tolist())) == sorted(emitted[b])
        assert len(emitted[b]) > 50
    # Batches draw different random numbers
    assert sorted(emitted[0]) != sorted(emitted[1])
    # The packed buffer holds bit (i % 32) of word (i // 32) for neuron i, row = timestep % 12
    packed = rt.neuron_populations["p"].spike_recording_buffer
    assert packed.shape == (12, 3, 3) and packed.dtype == np.uint32
    for b in range(3):
        from_bits = [(float(step), int(i)) for step in range(12) for i in range(70)
                     if (int(packed[step, b, i // 32]) >> (i % 32)) & 1]
        assert sorted(from_bits) == sorted(emitted[b])
    # Native decoding of a sub-range, chosen slots (in the caller's order) and a neuron mask
    mask = np.zeros(70, dtype=bool)
    mask[[0, 5, 31, 32, 33, 64, 69]] = True
    offsets, times, ids = rt.neuron_populations["p"].unpack_recording("spk", 3, 10, [2, 0], mask)
    assert offsets[0] == 0 and offsets[-1] == len(times) == len(ids)
    for k, b in enumerate([2, 0]):
        expected = [(step * rt.dt, i) for step, i in sorted(emitted[b]) if 3 <= step < 10 and mask[i]]
        got = list(zip(times[offsets[k]:offsets[k + 1]].tolist(), ids[offsets[k]:offsets[k + 1]].tolist()))
        assert got == expected
        assert len(expected) > 2
    with pytest.raises(RuntimeStateError, match="not all in the recording ring"):
        rt.neuron_populations["p"].unpack_recording("spk", 0, 13, [0])


def test_small_batch_sparse_and_conv_propagation_split_across_targets_equals_serial():
    # Batch 1 with 2 threads splits SPARSE rows and convolution kernels across target ranges;
    # results must equal NumPy and the serial run bit for bit
    rng = np.random.default_rng(9)
    W = rng.normal(size=(30, 100))
    mask = rng.uniform(size=W.shape) < 0.3
    pre_i, post_i = np.nonzero(mask)
    S = (rng.uniform(size=(1, 30)) < 0.5).astype(float)
    ih, ic, kh, oc = 8, 2, 3, 4
    K = rng.normal(size=(kh, kh, ic, oc))
    params = {"conv_kh": kh, "conv_kw": kh, "conv_ih": ih, "conv_iw": ih, "conv_ic": ic,
              "conv_oh": ih, "conv_ow": ih, "conv_oc": oc}
    X = (rng.uniform(size=(1, ih, ih, ic)) < 0.5).astype(float)
    sparse_out, conv_out = [], []
    for threads in (1, 2):
        m, sg = _driver_to_probe("sparse_split", "SPARSE", 30, 100, 1, {"g": W[pre_i, post_i]})
        sg.set_sparse_connections(pre_i, post_i)
        rt = build(m)
        rt.set_num_threads(threads)
        rt.neuron_populations["pre"].vars["s"].view[:] = S
        rt.run_timesteps(2)
        sparse_out.append(rt.neuron_populations["post"].vars["x"].view.copy())
        m, _ = _driver_to_probe("conv_split", "TOEPLITZ", ih * ih * ic, ih * ih * oc, 1,
                                {"g": K.reshape(-1)}, init_toeplitz_connectivity("Conv2D", params),
                                precision="double")
        rt = build(m)
        rt.set_num_threads(threads)
        rt.neuron_populations["pre"].vars["s"].view[:] = X.reshape(1, -1)
        rt.run_timesteps(2)
        conv_out.append(rt.neuron_populations["post"].vars["x"].view.copy())
    np.testing.assert_allclose(sparse_out[1], S @ (W * mask), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(sparse_out[0], sparse_out[1])
    np.testing.assert_allclose(conv_out[1][0], _conv_numpy(X[0], K, ih, ih).reshape(-1),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(conv_out[0], conv_out[1])
