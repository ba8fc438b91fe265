"""EventPropCompiler with synaptic delays, end to end with ml_genn's API.

With plain SGD one training batch moves each weight by ``-alpha`` times its EventProp gradient
and each learned delay by ``-beta`` times its delay gradient (then clipped to
``[0, max_delay_steps]``); both must equal the NumPy time-stepped scheme
(``reference_discrete``) on the same spikes, to double precision. Delays are in timesteps on
``Connection`` (``Dense(w, delay=...)``) and in ms in the reference (``steps * dt``); the delay
gradient applied to ``d`` is per timestep (``dt`` times the reference's per-ms one).
"""
import numpy as np
import pytest

import reference as R
import reference_discrete as D
from ml_genn import Connection, Network, Population
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.synapses import Exponential
from test_eventprop_training import DT, STEPS, _spike_data

from ml_genn_eventprop.errors import UnsupportedNetworkError

ALPHA, BETA = 0.5, 2.0


def _weights_and_delays(seed=6):
    rng = np.random.default_rng(seed)
    w = [rng.normal(1.5, 0.8, (4, 5)), rng.normal(0.0, 0.3, (5, 5)), rng.normal(0.5, 1.0, (5, 3))]
    # Delays in steps: per synapse into the hidden layer and on the recurrent connection,
    # one for every synapse into the output
    d = [rng.integers(0, 25, (4, 5)), rng.integers(1, 12, (5, 5)), 7]
    return rng, w, d


def _network(w, d, max_delay_steps=(None, None, None)):
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=1000), 4, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 5, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), 3, name="output")
        conns = [Connection(inp, hid, Dense(w[0].copy(), delay=d[0]), Exponential(5.0),
                            name="in_hid", max_delay_steps=max_delay_steps[0]),
                 Connection(hid, hid, Dense(w[1].copy(), delay=d[1]), Exponential(5.0),
                            name="hid_hid", max_delay_steps=max_delay_steps[1]),
                 Connection(hid, out, Dense(w[2].copy(), delay=d[2]), Exponential(5.0),
                            name="hid_out", max_delay_steps=max_delay_steps[2])]
    return net, inp, out, conns


def _reference(w, d):
    return R.Net([R.Pop(4, "input"), R.Pop(5, "lif", 10.0, 5.0), R.Pop(3, "li", 10.0, 5.0)],
                 [R.Conn(0, 1, w[0], np.asarray(d[0]) * DT),
                  R.Conn(1, 1, w[1], np.asarray(d[1]) * DT),
                  R.Conn(1, 2, w[2], np.full(w[2].shape, d[2] * DT))], STEPS * DT, DT)


def _compile(net, **kwargs):
    compiler = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=3,
                                 losses="sparse_categorical_crossentropy", optimiser=SGD(ALPHA),
                                 precision="double", max_spikes=64, **kwargs)
    return compiler.compile(net, "eventprop_delays")


def _values(compiled, conns, var):
    return {c.name: np.array(compiled.connection_populations[c].vars[var].view, dtype=float)
            .reshape(c.connectivity.weight.shape) for c in conns
            if var in compiled.connection_populations[c].vars}


def test_fixed_delays_one_batch_of_sgd_applies_the_eventprop_gradient():
    rng, w, d = _weights_and_delays()
    trains, data = _spike_data(rng, 3, 4)
    labels = np.array([0, 2, 1])
    net, inp, out, conns = _network(w, d)
    compiled = _compile(net)
    with compiled:
        compiled.genn_model.set_num_threads(1)
        before = _values(compiled, conns, "g")
        compiled.train({inp: data}, {out: labels}, num_epochs=1, shuffle=False, callbacks=[])
        after = _values(compiled, conns, "g")
    ref = _reference(w, d)
    expected, _ = D.batch_gradient(ref, trains, list(labels), loss="sce", out_pop=2,
                                   readout="avg_var")
    expected = [g * D.mlgenn_scale(ref, 2, "sce") for g in expected]
    for c, want in zip(conns, expected):
        assert np.max(np.abs(want)) > 1e-6, f"{c.name}: inert gradient"
        np.testing.assert_allclose((before[c.name] - after[c.name]) / ALPHA, want, rtol=0,
                                   atol=1e-9 * np.max(np.abs(want)), err_msg=c.name)


def test_learned_delays_one_batch_of_sgd_and_clipping():
    rng, w, d = _weights_and_delays()
    trains, data = _spike_data(rng, 3, 4)
    labels = np.array([0, 2, 1])
    # in_hid's largest delay sits at its bound and the gradient lengthens it: clipped there
    max_steps = (24, 14, None)
    net, inp, out, conns = _network(w, d, max_steps)
    compiled = _compile(net, delay_learn_conns=conns[:2], delay_optimiser=SGD(BETA))
    with compiled:
        compiled.genn_model.set_num_threads(1)
        d_before = _values(compiled, conns, "d")
        g_before = _values(compiled, conns, "g")
        compiled.train({inp: data}, {out: labels}, num_epochs=1, shuffle=False, callbacks=[])
        d_after = _values(compiled, conns, "d")
        g_after = _values(compiled, conns, "g")
    assert sorted(d_after) == ["hid_hid", "in_hid"]
    ref = _reference(w, d)
    want_w, want_d = D.batch_gradient(ref, trains, list(labels), loss="sce", out_pop=2,
                                      readout="avg_var")
    want_w = [g * D.mlgenn_scale(ref, 2, "sce") for g in want_w]
    want_d = [g * D.mlgenn_scale(ref, 2, "sce") for g in want_d]
    for c, want in zip(conns, want_w):
        np.testing.assert_allclose((g_before[c.name] - g_after[c.name]) / ALPHA, want, rtol=0,
                                   atol=1e-9 * np.max(np.abs(want)), err_msg=c.name)
    for c, want, top in zip(conns[:2], want_d[:2], max_steps):
        step = -BETA * want * DT
        assert np.count_nonzero(step) > step.size // 2, f"{c.name}: inert delay gradient"
        expected = np.clip(d_before[c.name] + step, 0.0, top)
        np.testing.assert_allclose(d_after[c.name], expected, rtol=0, atol=1e-9, err_msg=c.name)
        assert np.array_equal(d_before[c.name], np.asarray(d[conns.index(c)], dtype=float))
    # Clipping was exercised
    clipped = [np.any((d_before[c.name] + -BETA * want * DT < 0.0)
                      | (d_before[c.name] + -BETA * want * DT > top))
               for c, want, top in zip(conns[:2], want_d[:2], max_steps)]
    assert any(clipped)


def _train(net, inp, out, data, labels, epochs, start_epoch=0, save_to=None):
    from ml_genn.optimisers import Adam
    conns = list(net.connections)
    compiled = _compile(net, delay_learn_conns=conns[:2], delay_optimiser=Adam(0.3))
    with compiled:
        compiled.genn_model.set_num_threads(1)
        # Epochs start_epoch .. epochs - 1 (num_epochs counts epochs, as in mlGeNN)
        compiled.train({inp: data}, {out: labels}, num_epochs=epochs - start_epoch,
                       start_epoch=start_epoch,
                       shuffle=False, callbacks=[])
        if save_to is not None:
            compiled.save((epochs - 1,), save_to)
        return _values(compiled, conns, "d"), _values(compiled, conns, "g")


def test_checkpoints_hold_learned_delays_and_resume_exactly(tmp_path):
    from ml_genn.serialisers import Numpy
    rng, w, d = _weights_and_delays()
    _, data = _spike_data(rng, 3, 4)
    labels = np.array([0, 2, 1])
    max_steps = (30, 14, None)
    net, inp, out, _ = _network(w, d, max_steps)
    d_straight, g_straight = _train(net, inp, out, data, labels, epochs=2)

    net, inp, out, _ = _network(w, d, max_steps)
    serialiser = Numpy(str(tmp_path))
    d_first, _ = _train(net, inp, out, data, labels, epochs=1, save_to=serialiser)
    for name, values in d_first.items():
        assert not np.array_equal(values, np.asarray(d[0 if name == "in_hid" else 1], float)), \
            f"{name}: delays did not move in the first epoch"
    resumed, inp, out, conns = _network(w, d, max_steps)
    resumed.load((0,), serialiser)
    by_name = {c.name: c for c in conns}
    for name, values in d_first.items():
        np.testing.assert_array_equal(by_name[name].connectivity.delay, values)
    d_resumed, g_resumed = _train(resumed, inp, out, data, labels, epochs=2, start_epoch=1)
    for name in d_straight:
        np.testing.assert_array_equal(d_resumed[name], d_straight[name], err_msg=name)
    for name in g_straight:
        np.testing.assert_array_equal(g_resumed[name], g_straight[name], err_msg=name)


def test_sparse_connectivity_with_learned_delays_drawn_by_an_initializer():
    """FixedProbability connectivity whose weights and (learned) delays are drawn on the
    engine: the reference is given the drawn synapses (absent ones: weight 0) and delays."""
    from ml_genn.connectivity import FixedProbability
    from ml_genn.initializers import Uniform
    rng = np.random.default_rng(2)
    trains, data = _spike_data(rng, 3, 6)
    labels = np.array([0, 2, 1])
    w_out = rng.normal(0.5, 1.0, (7, 3))
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=1000), 6, name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 7, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), 3, name="output")
        sparse = Connection(inp, hid, FixedProbability(0.6, Uniform(0.8, 2.5),
                                                       delay=Uniform(0.0, 20.0)),
                            Exponential(5.0), name="in_hid", max_delay_steps=25)
        Connection(hid, out, Dense(w_out.copy(), delay=4), Exponential(5.0),
                   name="hid_out")
    compiled = _compile(net, delay_learn_conns=[sparse], delay_optimiser=SGD(BETA))
    with compiled:
        compiled.genn_model.set_num_threads(1)
        group = compiled.connection_populations[sparse]
        pre, post = group.get_sparse_pre_inds(), group.get_sparse_post_inds()
        g0, d0 = group.vars["g"].values.copy(), group.vars["d"].values.copy()
        compiled.train({inp: data}, {out: labels}, num_epochs=1, shuffle=False, callbacks=[])
        g1, d1 = group.vars["g"].values.copy(), group.vars["d"].values.copy()
    assert 0 < len(pre) < 6 * 7 and np.ptp(d0) > 5.0
    w_in, d_in = np.zeros((6, 7)), np.zeros((6, 7))
    w_in[pre, post], d_in[pre, post] = g0, np.rint(d0) * DT
    ref = R.Net([R.Pop(6, "input"), R.Pop(7, "lif", 10.0, 5.0), R.Pop(3, "li", 10.0, 5.0)],
                [R.Conn(0, 1, w_in, d_in), R.Conn(1, 2, w_out, np.full((7, 3), 4 * DT))],
                STEPS * DT, DT)
    want_w, want_d = D.batch_gradient(ref, trains, list(labels), loss="sce", out_pop=2,
                                      readout="avg_var")
    want_w = [g * D.mlgenn_scale(ref, 2, "sce") for g in want_w]
    want_d = [g * D.mlgenn_scale(ref, 2, "sce") for g in want_d]
    want = want_w[0][pre, post]
    assert np.max(np.abs(want)) > 1e-6
    np.testing.assert_allclose((g0 - g1) / ALPHA, want, rtol=0, atol=1e-9 * np.max(np.abs(want)))
    step = -BETA * want_d[0][pre, post] * DT
    assert np.count_nonzero(step) > step.size // 2
    np.testing.assert_allclose(d1, np.clip(d0 + step, 0.0, 25.0), rtol=0, atol=1e-9)
