"""The forward pass of EventProp-compiled networks is GeNN 5's (DERIVATION.md section 1).

The NumPy simulation below is written from GeNN's documented update order and mlGeNN's model
code strings: in step m (t = m dt at its start) spikes emitted in step m - 1 arrive in inSyn;
the postsynaptic model injects IScale * inSyn and decays inSyn; V = Alpha V + (1 - Alpha) Isyn;
threshold and reset; readouts accumulate after the update. Input spike times t fire in the first
step whose start is at or after t. Checked in double precision on trials of 600 steps.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import SpikeRecorder, VarRecorder
from ml_genn.compilers import EventPropCompiler, InferenceCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes

STEPS, DT, TAU_M, TAU_S, TAU_OUT = 600, 1.0, 20.0, 5.0, 15.0


def _numpy_forward(times, ids, w_in, w_rec, w_out, v_thresh, v_reset):
    """GeNN's time-stepped LIF/LI network; returns hidden spikes, hidden V and output V."""
    n_in, n_hid = w_in.shape
    alpha, alpha_out = np.exp(-DT / TAU_M), np.exp(-DT / TAU_OUT)
    beta = np.exp(-DT / TAU_S)
    i_scale = (TAU_S / DT) * (1.0 - beta)
    steps_of_input = np.ceil(np.asarray(times) / DT - 1e-9).astype(int)
    raster = np.zeros((STEPS, n_in), bool)
    raster[steps_of_input, ids] = True
    v_hid, v_out = np.zeros(n_hid), np.zeros(w_out.shape[1])
    syn_hid, syn_out = np.zeros(n_hid), np.zeros(w_out.shape[1])
    spiked = np.zeros(n_hid, bool)
    hid_spikes = np.zeros((STEPS, n_hid), bool)
    hid_v, out_v = np.zeros((STEPS, n_hid)), np.zeros((STEPS, w_out.shape[1]))
    for m in range(STEPS):
        if m > 0:
            syn_hid += raster[m - 1] @ w_in + spiked @ w_rec
            syn_out += spiked @ w_out
        v_hid = alpha * v_hid + (1.0 - alpha) * i_scale * syn_hid
        v_out = alpha_out * v_out + (1.0 - alpha_out) * i_scale * syn_out
        syn_hid *= beta
        syn_out *= beta
        spiked = v_hid >= v_thresh
        hid_v[m] = v_hid
        v_hid = np.where(spiked, v_reset, v_hid)
        hid_spikes[m] = spiked
        out_v[m] = v_out
    return hid_spikes, hid_v, out_v


def _network(w_in, w_rec, w_out, v_thresh, v_reset, readout):
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=20000), w_in.shape[0])
        hid = Population(LeakyIntegrateFire(v_thresh=v_thresh, v_reset=v_reset, tau_mem=TAU_M,
                                            tau_refrac=None), w_in.shape[1], record_spikes=True)
        out = Population(LeakyIntegrate(tau_mem=TAU_OUT, readout=readout), w_out.shape[1])
        Connection(inp, hid, Dense(w_in), Exponential(TAU_S))
        Connection(hid, hid, Dense(w_rec), Exponential(TAU_S))
        Connection(hid, out, Dense(w_out), Exponential(TAU_S))
    return net, inp, hid, out


def _data(seed):
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = 30, 12, 4
    # At most one spike per input and step (how a step holding two is split is not this test's
    # subject), at times within their step, including exactly on step starts
    cells = rng.choice(n_in * (STEPS - 2), 1500, replace=False)
    ids, steps = cells % n_in, cells // n_in
    offsets = np.where(rng.random(cells.size) < 0.2, 0.0, rng.uniform(0.01, 0.99, cells.size))
    times = steps + 1.0 - offsets
    order = np.argsort(times, kind="stable")
    times, ids = times[order], ids[order]
    weights = (rng.normal(0.35, 0.15, (n_in, n_hid)), rng.normal(0.0, 0.1, (n_hid, n_hid)),
               rng.normal(0.0, 0.5, (n_hid, n_out)))
    return times, ids, weights


def _readout(out_v, readout):
    if readout == "avg_var":
        return out_v.mean(axis=0)
    if readout == "sum_var":
        return out_v.sum(axis=0)
    if readout == "max_var":
        return out_v.max(axis=0)
    weight = np.exp(-np.arange(STEPS) * DT / (STEPS * DT)) / STEPS
    return weight @ out_v


@pytest.mark.parametrize("compiler", ["eventprop", "inference"])
@pytest.mark.parametrize("readout,v_reset", [("avg_var", 0.0), ("avg_var_exp_weight", -0.2),
                                             ("sum_var", 0.0), ("max_var", 0.1)])
def test_trajectories_equal_genns_update_equations(compiler, readout, v_reset):
    times, ids, (w_in, w_rec, w_out) = _data(7)
    v_thresh = 0.9
    spikes_ref, hid_v_ref, out_v_ref = _numpy_forward(times, ids, w_in, w_rec, w_out, v_thresh,
                                                      v_reset)
    # Near-threshold crossings included: the check covers the regime EventProp is sensitive to
    assert 50 < spikes_ref.sum() < 0.5 * spikes_ref.size
    net, inp, hid, out = _network(w_in, w_rec, w_out, v_thresh, v_reset, readout)
    data = [preprocess_spikes(times, ids, w_in.shape[0])]
    recorders = [VarRecorder(hid, "v", key="hv"), VarRecorder(out, "v", key="ov"),
                 SpikeRecorder(hid, key="hs")]
    if compiler == "eventprop":
        compiled = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=1,
                                     losses="sparse_categorical_crossentropy",
                                     optimiser=SGD(1e-9), max_spikes=STEPS,
                                     precision="double").compile(net)
    else:
        compiled = InferenceCompiler(evaluate_timesteps=STEPS, dt=DT, batch_size=1,
                                     precision="double").compile(net)
    with compiled:
        if compiler == "eventprop":
            _, cb = compiled.train({inp: data}, {out: np.array([1])}, num_epochs=1,
                                   shuffle=False, callbacks=recorders)
        else:
            _, cb = compiled.evaluate({inp: data}, {out: np.array([1])}, callbacks=recorders)
        readout_value = compiled.get_readout(out) if compiler == "eventprop" else None
    out_v = np.asarray(cb["ov"][0], float)
    hid_v = np.asarray(cb["hv"][0], float)
    step_times, spike_ids = cb["hs"][0][0], cb["hs"][1][0]
    got = np.zeros_like(spikes_ref)
    got[np.rint(np.asarray(step_times) / DT).astype(int), np.asarray(spike_ids, int)] = True
    assert np.array_equal(got, spikes_ref)
    # Recorded V is after the reset; the reference keeps the crossing value
    np.testing.assert_allclose(np.where(spikes_ref, v_reset, hid_v_ref), hid_v, rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(out_v, out_v_ref, rtol=0, atol=1e-12)
    if readout_value is not None:
        np.testing.assert_allclose(np.ravel(readout_value), _readout(out_v_ref, readout),
                                   rtol=1e-12, atol=1e-12)
