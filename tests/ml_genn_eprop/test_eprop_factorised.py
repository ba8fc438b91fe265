"""The factorised form of e-prop (``ml_genn_eprop.factorised``) equals the straightforward
per-timestep, per-synapse recursions it restructures: on random series in NumPy (every
restructuring: backward-filtered learning signal, the adaptation trace's weights, the
presynaptic trace as spike sums, the terms of the starting state), and in the engine, where the
two implementations of EPropCompiler train the same network to the same weights and traces.
"""
from __future__ import annotations

import numpy as np
import pytest

from ml_genn_eprop import factorised as F


def _straightforward(psi, signal, reg, raster, z0, ef0, eps0, alpha, beta, rho, adaptive):
    """Per step, per synapse: the rule as the engine's per-synapse form runs it."""
    B, K, _ = psi.shape
    z, ef, eps = z0.copy(), ef0.copy(), (eps0.copy() if adaptive else None)
    delta_g = np.zeros_like(ef0)
    for u in range(K):
        p = psi[:, u][:, None, :]
        zz = z[:, :, None]
        if adaptive:
            e = p * zz - p * beta * eps
            eps = p * zz + (rho - p * beta) * eps
        else:
            e = p * zz
        ef = alpha * ef + e
        delta_g += ef * signal[:, u][:, None, :] + reg[:, u][:, None, :] * e
        # The presynaptic trace the next step reads: decay, then this step's spikes
        z = alpha * z + raster[:, u]
    return delta_g, ef, eps


@pytest.mark.parametrize("adaptive", [False, True])
def test_hidden_updates_equal_the_per_step_recursions(adaptive):
    rng = np.random.default_rng(4 + adaptive)
    B, K, n_pre, n_post = 3, 60, 5, 4
    alpha, beta, rho = np.exp(-1 / 20), (0.3 if adaptive else 0.0), np.exp(-1 / 40)
    psi = rng.random((B, K, n_post)) * 0.5 * (rng.random((B, K, n_post)) < 0.7)
    signal = rng.normal(size=(B, K, n_post))
    reg = rng.normal(scale=0.1, size=(B, K, n_post))
    raster = (rng.random((B, K, n_pre)) < 0.15).astype(float)
    z0 = rng.random((B, n_pre))
    ef0 = rng.normal(size=(B, n_pre, n_post))
    eps0 = rng.normal(size=(B, n_pre, n_post))
    expected = _straightforward(psi, signal, reg, raster, z0, ef0, eps0, alpha, beta, rho,
                                adaptive)
    extended = F.SpikeRaster.from_dense(np.concatenate([z0[:, None, :], raster], axis=1))
    columns = F.HiddenColumns(F.HiddenSeries(psi, signal, reg), alpha, beta, rho, adaptive,
                              gradient=True)
    ef, eps, delta_g = ef0.copy(), (eps0.copy() if adaptive else None), np.empty_like(ef0)
    columns.updates(extended, ef, eps, delta_g)
    got = (delta_g, ef, eps)
    for name, g, e in zip(("DeltaG", "eFiltered", "epsilonA"), got, expected):
        if e is None:
            assert g is None
            continue
        assert np.abs(e).max() > 1e-3, name
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10 * np.abs(e).max(), err_msg=name)
    # Traces only (evaluation): the same traces, no gradient
    ef_only = ef0.copy()
    F.HiddenColumns(F.HiddenSeries(psi, signal, reg), alpha, beta, rho, adaptive,
                    gradient=False).updates(extended, ef_only,
                                            eps0.copy() if adaptive else None, None)
    np.testing.assert_allclose(ef_only, expected[1], rtol=1e-10, atol=1e-12)


def test_output_gradient_equals_the_per_step_sum():
    rng = np.random.default_rng(9)
    B, K, n_pre, n_post = 2, 50, 6, 3
    alpha = np.exp(-1 / 20)
    error = rng.normal(size=(B, K, n_post))
    raster = (rng.random((B, K, n_pre)) < 0.2).astype(float)
    z0 = rng.random((B, n_pre))
    expected = np.zeros((B, n_pre, n_post))
    z = z0.copy()
    for u in range(K):
        expected += z[:, :, None] * error[:, u][:, None, :]
        z = alpha * z + raster[:, u]
    got = np.empty_like(expected)
    F.output_gradient(error, alpha,
                      F.SpikeRaster.from_dense(np.concatenate([z0[:, None, :], raster], axis=1)),
                      got)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_spike_sums_equal_the_dense_product_at_any_thread_count(dtype):
    """The native kernel against the product it stands for, ``raster^T columns`` per batch
    element (row 0 the trace, then 0/1 spikes, some neurons silent, one element without
    spikes), identical on 1, 2 and 3 threads."""
    rng = np.random.default_rng(12)
    B, K, n_pre, width = 5, 40, 9, 7
    dense = (rng.random((B, K + 1, n_pre)) < 0.1).astype(dtype)
    dense[:, 0] = rng.random((B, n_pre))
    dense[:, 1:, 3] = 0.0                   # a silent neuron
    dense[2, 1:] = 0.0                      # an element without spikes
    columns = rng.normal(size=(B, K + 1, width)).astype(dtype)
    expected = np.einsum("bri,brc->bic", dense.astype(np.float64), columns.astype(np.float64))
    raster = F.SpikeRaster.from_dense(dense)
    assert raster.offsets[3] == raster.offsets[2]
    results = [F.spike_sums(raster, columns, threads) for threads in (1, 2, 3)]
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for got in results:
        assert got.dtype == dtype and got.shape == (B, n_pre, width)
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
        np.testing.assert_array_equal(got, results[0])


def test_spike_rasters_with_events_out_of_range_are_refused():
    trace = np.zeros((2, 4))
    with pytest.raises(ValueError, match="ids in \\[0, 4\\)"):
        F.SpikeRaster(trace, [0, 1, 2], [1, 2], [0, 4], 10)
    with pytest.raises(ValueError, match="rows must lie in \\[1, 10\\)"):
        F.SpikeRaster(trace, [0, 1, 2], [0, 2], [0, 1], 10)
    with pytest.raises(ValueError, match="offsets must ascend"):
        F.SpikeRaster(trace, [0, 2, 1], [1, 2], [0, 1], 10)
    with pytest.raises(ValueError, match="0/1 spikes"):
        F.SpikeRaster.from_dense(np.full((1, 3, 2), 0.5))


def test_helpers_against_their_definitions():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 30, 3))
    out = F.backward_filter(x, 0.9)
    for u in range(30):
        np.testing.assert_allclose(out[:, u], sum(0.9 ** (v - u) * x[:, v] for v in range(u, 30)))
    assert np.all(out[:, 30] == 0.0)
    a = rng.random((2, 10, 3))
    prods, everything = F.reverse_products(a)
    for r in range(10):
        np.testing.assert_allclose(prods[:, r], np.prod(a[:, r + 1:], axis=1))
    np.testing.assert_allclose(everything, np.prod(a, axis=1))


def _network(seed: int):
    """Recurrent sparse ALIF -> LIF -> output, mlGeNN-like initialisation."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.eprop_compiler import default_params
    from ml_genn.connectivity import Dense, FixedProbability
    from ml_genn.initializers import Normal
    from ml_genn.neurons import AdaptiveLeakyIntegrateFire, LeakyIntegrate, SpikeInput
    from ml_genn.neurons import LeakyIntegrateFire
    rng = np.random.default_rng(seed)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=20000), 20, name="inp")
        alif = Population(AdaptiveLeakyIntegrateFire(v_thresh=0.6, tau_refrac=5.0, beta=0.05,
                                                     tau_adapt=200.0), 16, name="alif")
        lif = Population(LeakyIntegrateFire(v_thresh=0.6, tau_refrac=2.0), 8, name="lif")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 4, name="out")
        Connection(inp, alif, Dense(rng.normal(0.1, 0.3, (20, 16))), name="inp_alif")
        Connection(alif, alif, FixedProbability(0.3, Normal(sd=0.3)), name="alif_alif")
        Connection(alif, lif, FixedProbability(0.5, Normal(mean=0.1, sd=0.3)), name="alif_lif")
        Connection(alif, out, Dense(rng.normal(0.0, 0.3, (16, 4))), name="alif_out")
        Connection(lif, out, Dense(rng.normal(0.0, 0.3, (8, 4))), name="lif_out")
    return net, inp, out


@pytest.mark.parametrize("lane_group", [32, 3])
def test_both_implementations_train_the_same_network(lane_group, monkeypatch):
    """Float precision, SPARSE and DENSE connections, two hidden layers, a partial batch,
    evaluation between epochs: weights, biases and traces agree to float rounding (also when
    the factorised form works through the batch in groups of elements)."""
    from eprop_harness import random_raster, spike_trains
    from ml_genn.compilers import EPropCompiler
    from ml_genn_eprop import compiled_network
    monkeypatch.setattr(compiled_network, "LANE_GROUP", lane_group)
    rng = np.random.default_rng(3)
    K = 80
    x = spike_trains(random_raster(rng, 10, K, 20, 0.05))
    y = rng.integers(0, 4, 10)
    results = {}
    for implementation in ("per_synapse", "factorised"):
        net, inp, out = _network(5)
        compiled = EPropCompiler(K, "sparse_categorical_crossentropy", optimiser="adam",
                                 batch_size=4, rng_seed=7, implementation=implementation,
                                 c_reg=0.01).compile(net)
        with compiled:
            for epoch in range(2):
                compiled.train({inp: x}, {out: y}, num_epochs=1, start_epoch=epoch,
                               callbacks=[])
                compiled.evaluate({inp: x}, {out: y})
            results[implementation] = {
                (c.name, v): np.array(g.vars[v].view, dtype=float)
                for c, g in compiled.connection_populations.items()
                for v in ("g", "eFiltered", "epsilonA") if v in g.vars}
            results[implementation]["bias"] = np.array(
                compiled.neuron_populations[out].vars["Bias"].view, dtype=float)
    for key, expected in results["per_synapse"].items():
        got = results["factorised"][key]
        scale = np.abs(expected).max()
        assert scale > 0.0, key
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-4 * scale, err_msg=str(key))
