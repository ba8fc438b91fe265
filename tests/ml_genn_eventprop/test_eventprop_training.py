"""EventPropCompiler end to end: networks built with ml_genn's API, trained with ``train``.

With plain SGD (``alpha``) one training batch changes each weight by exactly ``-alpha`` times
the EventProp gradient, which must equal the NumPy time-stepped scheme (``reference_discrete``)
on the same spikes. Plus: spike-buffer overflow reporting, regulariser terms in ``cb_data``,
learning on a small task, and reproducibility.
"""
import warnings

import numpy as np
import pytest

import reference as R
import reference_discrete as D
from half_step_spikes import half_step_spike_data
from ml_genn import Connection, Network, Population
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.readouts import FirstSpikeTime
from ml_genn.synapses import Exponential

from ml_genn_eventprop.errors import SpikeBufferOverflowError

DT, STEPS = 0.1, 200


def _spike_data(rng, num_examples, num_inputs, per_input=3, t_max=15.0):
    """Spike trains for SpikeInput and the same spikes for the reference."""
    return half_step_spike_data(rng, num_examples, num_inputs, DT, per_input, t_max)


def _network(weights, output, recurrent=None, max_spikes=64):
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=1000), weights[0].shape[0], name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), weights[0].shape[1],
                         name="hidden")
        # Created inside the network so its default_params apply
        out = Population(output(), weights[1].shape[1], name="output")
        Connection(inp, hid, Dense(weights[0].copy()), Exponential(5.0), name="in_hid")
        if recurrent is not None:
            Connection(hid, hid, Dense(recurrent.copy()), Exponential(5.0), name="hid_hid")
        Connection(hid, out, Dense(weights[1].copy()), Exponential(5.0), name="hid_out")
    return net, inp, hid, out


def _train_one_batch(net, inp, out, data, labels, **compiler_kwargs):
    alpha = 0.5
    compiler = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=len(data),
                                 optimiser=SGD(alpha), precision="double", max_spikes=64,
                                 **compiler_kwargs)
    compiled = compiler.compile(net, "eventprop_e2e")
    with compiled:
        compiled.genn_model.set_num_threads(1)   # tiny network: avoid OpenMP spin-waiting
        # The batch shares one weight copy (the optimiser writes it once per batch)
        before = {c: compiled.connection_populations[c].vars["g"].view.copy()
                  for c in net.connections}
        metrics, cb_data = compiled.train({inp: data}, {out: np.asarray(labels)}, num_epochs=1,
                                          shuffle=False, callbacks=[])
        after = {c: compiled.connection_populations[c].vars["g"].view.copy()
                 for c in net.connections}
    grads = {c.name: (before[c] - after[c]).reshape(c.connectivity.weight.shape) / alpha
             for c in net.connections}
    return grads, metrics, cb_data


@pytest.mark.parametrize("readout", ["avg_var", "max_var"])
def test_one_batch_of_sgd_applies_the_eventprop_gradient(readout):
    rng = np.random.default_rng(5)
    w = [rng.normal(1.5, 0.8, (4, 5)), rng.normal(0.5, 1.0, (5, 3))]
    rec = rng.normal(0.0, 0.3, (5, 5))
    trains, data = _spike_data(rng, 3, 4)
    labels = [0, 2, 1]
    net, inp, _, out = _network(w, lambda: LeakyIntegrate(tau_mem=10.0, readout=readout), rec)
    grads, _, cb_data = _train_one_batch(net, inp, out, data, labels,
                                         losses="sparse_categorical_crossentropy")
    ref = R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(3, "li", 10.0, 5.0)],
                [R.Conn(0, 1, w[0]), R.Conn(1, 1, rec), R.Conn(1, 2, w[1])], STEPS * DT, DT)
    expected = D.batch_gradient(ref, trains, labels, loss="sce", out_pop=2, readout=readout)[0]
    expected = [g * D.mlgenn_scale(ref, 2, "sce", readout) for g in expected]
    for name, want in zip(["in_hid", "hid_hid", "hid_out"], expected):
        assert np.max(np.abs(want)) > 1e-6
        # SGD in double precision: w - alpha * g, then (w_before - w_after) / alpha
        np.testing.assert_allclose(grads[name], want, rtol=0, atol=1e-9 * np.max(np.abs(want)),
                                   err_msg=name)
    loss = D.batch_loss(ref, trains, labels, loss="sce", out_pop=2, readout=readout)
    assert cb_data["eventprop"]["loss"]["output"] == [pytest.approx(loss, rel=1e-9)]


def test_first_spike_time_output_with_relative_mse():
    from ml_genn.losses import RelativeMeanSquareError
    rng = np.random.default_rng(7)
    w = [rng.normal(2.0, 0.8, (4, 5)), rng.normal(2.0, 0.5, (5, 3))]
    trains, data = _spike_data(rng, 2, 4)
    labels = [0, 2]
    net, inp, _, out = _network(
        w, lambda: LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0, readout=FirstSpikeTime()))
    grads, _, _ = _train_one_batch(net, inp, out, data, labels,
                                   losses=RelativeMeanSquareError(tau_0=0.5, tau_1=6.4,
                                                                  alpha=3e-3))
    ref = R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(3, "lif", 10.0, 5.0)],
                [R.Conn(0, 1, w[0]), R.Conn(1, 2, w[1])], STEPS * DT, DT)
    for x in trains:
        assert np.all(D.simulate(ref, x).first_step[2] >= 0), "every output must spike"
    expected = D.batch_gradient(ref, trains, labels, loss="relative_mse_goeltz", out_pop=2,
                                goeltz=(0.5, 6.4, 3e-3))[0]
    for name, want in zip(["in_hid", "hid_out"], expected):
        np.testing.assert_allclose(grads[name], want, rtol=0, atol=1e-9 * np.max(np.abs(want)),
                                   err_msg=name)


def _busy_network(max_spikes, strict):
    rng = np.random.default_rng(1)
    w = [np.full((4, 5), 3.0), rng.normal(0.0, 1.0, (5, 2))]
    trains, data = _spike_data(rng, 2, 4, per_input=6)
    net, inp, hid, out = _network(w, lambda: LeakyIntegrate(tau_mem=10.0, readout="avg_var"))
    compiler = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=2,
                                 losses="sparse_categorical_crossentropy", max_spikes=max_spikes,
                                 strict_buffer_checking=strict, precision="double")
    ref = R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(2, "li", 10.0, 5.0)],
                [R.Conn(0, 1, w[0]), R.Conn(1, 2, w[1])], STEPS * DT, DT)
    counts = np.array([D.simulate(ref, x).spikes[1].sum(axis=0) for x in trains])
    return compiler.compile(net, "eventprop_busy"), inp, out, data, counts


def test_buffer_overflow_is_counted_and_reported():
    compiled, inp, out, data, counts = _busy_network(max_spikes=3, strict=False)
    assert counts.max() > 3
    with compiled:
        compiled.genn_model.set_num_threads(1)
        with pytest.warns(RuntimeWarning) as record:
            compiled.train({inp: data}, {out: np.array([0, 1])}, num_epochs=1, shuffle=False,
                           callbacks=[])
        dropped = {p.name: v for p, v in compiled.last_dropped.items()}
    text = " ".join(str(r.message) for r in record)
    assert "Population 'hidden'" in text and "max_spikes=3" in text
    assert f"max_spikes >= {counts.max()}" in text
    assert dropped["hidden"] == int(np.sum(np.maximum(counts - 3, 0)))
    assert dropped["input"] == int(np.sum(np.maximum(6 - 3, 0)) * 4 * 2)


def test_strict_buffer_checking_raises():
    compiled, inp, out, data, _ = _busy_network(max_spikes=3, strict=True)
    with compiled:
        compiled.genn_model.set_num_threads(1)
        with pytest.raises(SpikeBufferOverflowError, match="Population '(input|hidden)'"):
            compiled.train({inp: data}, {out: np.array([0, 1])}, num_epochs=1, callbacks=[])


def test_no_warning_when_buffers_suffice():
    compiled, inp, out, data, counts = _busy_network(max_spikes=64, strict=True)
    with compiled, warnings.catch_warnings():
        compiled.genn_model.set_num_threads(1)
        warnings.simplefilter("error")
        compiled.train({inp: data}, {out: np.array([0, 1])}, num_epochs=1, callbacks=[])


def test_regulariser_terms_reach_callback_data_and_the_gradient():
    rng = np.random.default_rng(5)
    w = [rng.normal(1.5, 0.8, (4, 5)), rng.normal(0.5, 1.0, (5, 3))]
    trains, data = _spike_data(rng, 2, 4)
    labels = [0, 2]
    net, inp, hid, out = _network(w, lambda: LeakyIntegrate(tau_mem=10.0, readout="avg_var"))
    lam, nu = 1e-2, 1.0
    grads, _, cb_data = _train_one_batch(net, inp, out, data, labels,
                                         losses="sparse_categorical_crossentropy",
                                         reg_lambda_upper=lam, reg_lambda_lower=lam,
                                         reg_nu_upper=nu)
    ref = R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(3, "li", 10.0, 5.0)],
                [R.Conn(0, 1, w[0]), R.Conn(1, 2, w[1])], STEPS * DT, DT)
    counts = np.array([D.simulate(ref, x).spikes[1].sum(axis=0) for x in trains])
    mean = counts.mean(axis=0)
    assert cb_data["eventprop"]["mean_spikes"]["hidden"] == [pytest.approx(mean.mean())]
    assert cb_data["eventprop"]["spike_reg"]["hidden"] == \
        [pytest.approx(0.5 * lam * np.sum((mean - nu) ** 2))]
    # The surrogate term enters each hidden spike's jump (DERIVATION §7)
    gw = [np.zeros_like(c.w) for c in ref.conns]
    for x, y in zip(trains, labels):
        tr = D.simulate(ref, x)
        _, dv, _ = D.loss_and_output_gradients(ref, tr, "sce", y, 2, "avg_var")
        # mlGeNN's scale: output drive / tau_mem, the regulariser's jump of -LambdaV / tau_mem
        g, _ = D.backward(ref, tr, dv / 2 * D.mlgenn_scale(ref, 2, "sce", "avg_var"), None, 2,
                          reg_jump={1: 10.0 * lam * (mean - nu) / 2})
        for a, b in zip(gw, g):
            a += b
    np.testing.assert_allclose(grads["in_hid"], gw[0], rtol=0, atol=1e-9 * np.abs(gw[0]).max())


def _recorded_network(seed, num_examples, learning_rate, name):
    """Spike data for ``num_examples`` examples and a 4-5-3 network, hidden spikes recorded,
    compiled for EventProp training in batches of 3: ``(data, (inp, hid, out), compiled)``."""
    rng = np.random.default_rng(seed)
    _, data = _spike_data(rng, num_examples, 4)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=1000), 4, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 5, name="hidden",
                         record_spikes=True)
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), 3, name="output")
        Connection(inp, hid, Dense(rng.normal(1.5, 0.8, (4, 5))), Exponential(5.0))
        Connection(hid, out, Dense(rng.normal(0.5, 1.0, (5, 3))), Exponential(5.0))
    compiler = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=3,
                                 losses="sparse_categorical_crossentropy", max_spikes=64,
                                 optimiser=SGD(learning_rate))
    return data, (inp, hid, out), compiler.compile(net, name)


def test_spike_recorder_sees_the_forward_pass_of_a_training_batch():
    # The backward phase runs the same populations again; it must not overwrite what the
    # SpikeRecorder reads at the end of the batch
    from ml_genn.callbacks import SpikeRecorder
    data, (inp, hid, out), compiled = _recorded_network(8, 3, 0.1, "eventprop_recorded")
    with compiled:
        compiled.genn_model.set_num_threads(1)
        _, cb_data = compiled.train({inp: data}, {out: np.array([0, 1, 2])}, num_epochs=1,
                                    shuffle=False, callbacks=[SpikeRecorder(hid, key="h")])
        group = compiled.neuron_populations[hid]
        counts = group.vars["SpikeCount"].view.copy()
        ring = group.extra_global_params["RingStep"].view.reshape(3, 5, 64)
    times, ids = cb_data["h"]
    assert counts.sum() > 5
    for e in range(3):
        # The forward pass stored each spike's step in its neuron's buffer
        expected = sorted((int(ring[e, i, k]), i) for i in range(5) for k in range(counts[e, i]))
        recorded = sorted(zip(np.round(times[e] / DT).astype(int).tolist(), ids[e].tolist()))
        assert recorded == expected


def test_spike_recorders_follow_a_short_last_batch_and_the_full_ones_after_it():
    # 5 examples in batches of 3: every epoch ends with a batch of 2, and the next begins with
    # a full one again. A recorder of every example (whose slots are only looked at when a
    # batch is short, or the one before was) must record what one given every index records
    # (its slots are looked up each batch). A learning rate far below the weights' float32
    # resolution leaves them unchanged, so both runs and both epochs see the same network
    from ml_genn.callbacks import SpikeRecorder
    data, (inp, hid, out), compiled = _recorded_network(9, 5, 1e-12, "eventprop_recorded_epochs")
    recorded = {}
    with compiled:
        compiled.genn_model.set_num_threads(1)
        for key, example_filter in (("all", None), ("listed", [0, 1, 2, 3, 4])):
            _, cb_data = compiled.train(
                {inp: data}, {out: np.array([0, 1, 2, 0, 1])}, num_epochs=2, shuffle=False,
                callbacks=[SpikeRecorder(hid, key=key, example_filter=example_filter)])
            recorded[key] = cb_data[key]
    all_times, all_ids = recorded["all"]
    listed_times, listed_ids = recorded["listed"]
    assert len(all_times) == len(listed_times) == 10
    assert sum(len(ids) for ids in all_ids) > 10
    for e in range(10):
        np.testing.assert_array_equal(all_times[e], listed_times[e])
        np.testing.assert_array_equal(all_ids[e], listed_ids[e])
        np.testing.assert_array_equal(all_ids[e], all_ids[e % 5])
        np.testing.assert_array_equal(all_times[e], all_times[e % 5])


def test_default_metric_follows_the_loss():
    """mlGeNN's pattern_recognition.py trains MeanSquareError on the var readout with a target
    per timestep and names no metric: the metric must then be the mean squared error of the
    trial's output (not a classification accuracy, which cannot take such targets)."""
    from ml_genn.callbacks import VarRecorder
    from ml_genn.losses import MeanSquareError
    rng = np.random.default_rng(3)
    _, data = _spike_data(rng, 2, 4)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=1000), 4, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 5, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="var"), 3, name="output")
        Connection(inp, hid, Dense(rng.normal(1.5, 0.8, (4, 5))), Exponential(5.0))
        Connection(hid, out, Dense(rng.normal(0.5, 1.0, (5, 3))), Exponential(5.0))
    targets = rng.normal(0.0, 0.3, (2, STEPS, 3))
    compiled = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=2,
                                 losses=MeanSquareError(), max_spikes=64,
                                 optimiser=SGD(1e-9), precision="double").compile(net)
    with compiled:
        metrics, cb = compiled.train({inp: data}, {out: targets}, num_epochs=1, shuffle=False,
                                     callbacks=[VarRecorder(out, "v", key="v")])
        evaluated, _ = compiled.evaluate({inp: data}, {out: targets})
    assert type(metrics[out]).__name__ == "MeanSquareError"
    v = np.stack([np.asarray(x, float) for x in cb["v"]])
    assert metrics[out].result == pytest.approx(np.mean((v - targets) ** 2), rel=1e-9)
    assert evaluated[out].result == pytest.approx(metrics[out].result, rel=1e-6)


def test_gradient_hooks_see_the_eventprop_gradient_the_optimiser_applies():
    """on_after_gradient_update reads, per connection, exactly the gradient SGD then applies
    (in double precision), and can change it; on_after_optimizer_step follows."""
    from ml_genn.callbacks import Callback
    rng = np.random.default_rng(5)
    w = [rng.normal(1.5, 0.8, (4, 5)), rng.normal(0.5, 1.0, (5, 3))]
    trains, data = _spike_data(rng, 3, 4)
    net, inp, _, out = _network(w, lambda: LeakyIntegrate(tau_mem=10.0, readout="avg_var"))
    seen = {}

    class Hooks(Callback):
        def set_params(self, compiled_network, **kwargs):
            self.network = compiled_network

        def on_after_gradient_update(self, batch):
            gradients = self.network.get_gradients()
            seen.update({c.name: g.copy() for c, g in gradients.items()})
            gradients[net.connections[0]][...] *= 2.0

        def on_after_optimizer_step(self, batch):
            seen["stepped"] = batch

    compiler = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=3,
                                 optimiser=SGD(0.5), precision="double", max_spikes=64,
                                 losses="sparse_categorical_crossentropy")
    compiled = compiler.compile(net, "eventprop_hooks")
    with compiled:
        before = {c: compiled.connection_populations[c].vars["g"].view.copy()
                  for c in net.connections}
        compiled.train({inp: data}, {out: np.array([0, 2, 1])}, num_epochs=1, shuffle=False,
                       callbacks=[Hooks()])
        after = {c: compiled.connection_populations[c].vars["g"].view.copy()
                 for c in net.connections}
    assert seen["stepped"] == 0
    for k, c in enumerate(net.connections):
        applied = (before[c] - after[c]).reshape(c.connectivity.weight.shape) / 0.5
        expected = seen[c.name] * (2.0 if k == 0 else 1.0)
        assert np.abs(expected).max() > 1e-6
        np.testing.assert_allclose(applied, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
