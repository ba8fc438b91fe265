"""NumPy version of the *time-stepped* EventProp scheme the engine runs (DERIVATION.md §6).

Same networks as :mod:`reference` (``Net``, ``Pop``, ``Conn``; delays in ms are rounded to whole
steps). The forward pass is the engine's update order; the backward pass undoes it step by step.
LIF populations reset absolutely (``V = v_reset``) unless ``relative_reset=True`` is given, which
subtracts ``v_thresh - v_reset`` instead (DERIVATION.md §1) in the forward pass and takes the
slope after the spike from the voltage that reset leaves in the backward pass (§6).
Its gradients converge to :mod:`reference`'s exact ones as ``dt -> 0`` (tested), and the engine's
gradients must equal these to float precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from reference import Net, readout_weights


@dataclass
class DiscreteTrace:
    spikes: Dict[int, np.ndarray]          # pop -> bool[K, n]: spiked in step m
    currents: Dict[int, np.ndarray]        # pop -> I[K, n] during step m
    voltages: Dict[int, np.ndarray]        # LIF pop -> V[K, n] after step m's update, before reset
    samples: Dict[int, np.ndarray]         # LI pop -> V[K, n] after step m
    first_step: Dict[int, np.ndarray]      # LIF pop -> step of first spike (-1: none)
    input_raster: np.ndarray               # bool[K, n_in]: input spike emitted in step m


def _delay_steps(net: Net, c) -> np.ndarray:
    return np.rint(c.delays() / net.dt).astype(int)


def input_raster(net: Net, input_spikes) -> np.ndarray:
    """Input spike at time t is emitted in step floor(t / dt) (it reaches targets one step later)."""
    K = net.num_samples
    raster = np.zeros((K, net.pops[0].n), bool)
    for i, times in enumerate(input_spikes):
        for t in times:
            m = int(np.floor(t / net.dt))
            if 0 <= m < K:
                raster[m, i] = True
    return raster


def simulate(net: Net, input_spikes, relative_reset: bool = False) -> DiscreteTrace:
    """The time-stepped forward pass; ``relative_reset``: LIF neurons subtract
    ``v_thresh - v_reset`` on a spike instead of setting ``v_reset``."""
    K, dt = net.num_samples, net.dt
    pops = net.pops
    raster = input_raster(net, input_spikes)
    spikes = {0: raster}
    currents, voltages, samples, first = {}, {}, {}, {}
    v = {p: np.zeros(pop.n) for p, pop in enumerate(pops) if pop.kind != "input"}
    in_syn = {p: np.zeros(pops[p].n) for p in v}
    for p in v:
        spikes[p] = np.zeros((K, pops[p].n), bool)
        currents[p] = np.zeros((K, pops[p].n))
        voltages[p] = np.zeros((K, pops[p].n))
        if pops[p].kind == "li":
            samples[p] = np.zeros((K, pops[p].n))
    for m in range(K):
        # 1. propagation: spikes emitted in step m - 1 - d reach their targets now
        for c in net.conns:
            d = _delay_steps(net, c)
            for delay in np.unique(d):
                src_step = m - 1 - delay
                if src_step >= 0:
                    s = spikes[c.src][src_step]
                    in_syn[c.tgt] += s @ np.where(d == delay, c.w, 0.0)
        # 2.-4. neuron updates
        for p in v:
            pop = pops[p]
            alpha = np.exp(-dt / pop.tau_mem)
            beta = np.exp(-dt / pop.tau_syn)
            i_scale = (pop.tau_syn / dt) * (1.0 - beta)
            current = i_scale * in_syn[p]
            currents[p][m] = current
            v[p] = alpha * v[p] + (1.0 - alpha) * current
            voltages[p][m] = v[p]
            if pop.kind == "lif":
                spk = v[p] >= pop.v_thresh
                spikes[p][m] = spk
                if relative_reset:
                    v[p][spk] -= pop.v_thresh - pop.v_reset
                else:
                    v[p][spk] = pop.v_reset
            else:
                samples[p][m] = v[p]
            in_syn[p] *= beta
    for p, pop in enumerate(pops):
        if pop.kind == "lif":
            s = spikes[p]
            first[p] = np.where(s.any(axis=0), np.argmax(s, axis=0), -1)
    return DiscreteTrace(spikes, currents, voltages, samples, first, raster)


def first_spike_times(net: Net, trace: DiscreteTrace, pop: int) -> np.ndarray:
    """Event time ``(m + 1) dt`` of each neuron's first spike (inf: none)."""
    m = trace.first_step[pop]
    return np.where(m >= 0, (m + 1) * net.dt, np.inf)


def loss_and_output_gradients(net: Net, trace: DiscreteTrace, loss: str, label, out_pop: int,
                              readout: str = "avg_var", softmax_temperature: float = 1.0,
                              ttfs_alpha: float = 0.0, delta: float = 1.0,
                              goeltz=(0.5, 6.4, 3e-3)):
    """As :func:`reference.loss_and_output_gradients`, on the time-stepped trace."""
    import reference
    shim = reference.Trace([], {out_pop: first_spike_times(net, trace, out_pop)}
                           if out_pop in trace.first_step else {}, {})
    if net.pops[out_pop].kind == "li":
        shim.samples[out_pop] = trace.samples[out_pop]
    return reference.loss_and_output_gradients(net, shim, loss, label, out_pop, readout,
                                               softmax_temperature, ttfs_alpha, delta, goeltz)


def backward(net: Net, trace: DiscreteTrace, dL_dV: Optional[np.ndarray],
             dL_dtfirst: Optional[np.ndarray], out_pop: int,
             reg_jump: Optional[Dict[int, np.ndarray]] = None, relative_reset: bool = False):
    """The engine's backward pass (DERIVATION.md §6); returns (dL/dw, dL/dd) per connection.
    ``relative_reset``: the trace's LIF neurons reset relatively (:func:`simulate`)."""
    K, dt = net.num_samples, net.dt
    pops = net.pops
    lam_v = {p: np.zeros(pop.n) for p, pop in enumerate(pops) if pop.kind != "input"}
    lam_i = {p: np.zeros(pops[p].n) for p in lam_v}
    pending = {p: np.zeros((K, pops[p].n)) for p in lam_v}
    grad_w = [np.zeros_like(c.w) for c in net.conns]
    grad_d = [np.zeros_like(c.w) for c in net.conns]
    for b in range(K):
        m = K - 1 - b
        # (a) arrivals at t = (m + 1) dt of spikes emitted in step m - d
        for c_idx, c in enumerate(net.conns):
            d = _delay_steps(net, c)
            post = pops[c.tgt]
            for delay in np.unique(d):
                src_step = m - delay
                if src_step < 0:
                    continue
                s = trace.spikes[c.src][src_step].astype(float)
                mask = (d == delay)
                grad_w[c_idx] += np.outer(s, lam_i[c.tgt]) * mask
                term = c.w * (lam_i[c.tgt] / post.tau_syn - lam_v[c.tgt] / post.tau_mem)
                term = np.outer(s, np.ones(post.n)) * term * mask
                grad_d[c_idx] += term
                if c.src in pending:
                    pending[c.src][src_step] += term.sum(axis=1)
        # (b) spikes of step m
        for p, pop in enumerate(pops):
            if pop.kind != "lif":
                continue
            spk = trace.spikes[p][m]
            if not spk.any():
                continue
            current = trace.currents[p][m]
            i_minus_v = current - trace.voltages[p][m]
            alpha = np.exp(-dt / pop.tau_mem)
            slope_scale = (1.0 - alpha) / (alpha * dt)
            # V just after the reset: what the relative reset left of the V that crossed
            v_after = (trace.voltages[p][m] - (pop.v_thresh - pop.v_reset) if relative_reset
                       else pop.v_reset)
            dl_dt = pending[p][m] - lam_v[p] * slope_scale * (current - v_after)
            if p == out_pop and dL_dtfirst is not None:
                dl_dt = dl_dt + np.where(trace.first_step[p] == m, dL_dtfirst, 0.0)
            # A spike whose V did not rise through threshold has no spike time to move: a
            # relative reset passes lambda_V through it, an absolute one absorbs it
            crossed = i_minus_v > 0.0
            jumped = np.where(crossed, -dl_dt / (slope_scale * np.where(crossed, i_minus_v, 1.0)),
                              lam_v[p] if relative_reset else 0.0)
            if reg_jump is not None and p in reg_jump:
                jumped = jumped + reg_jump[p]
            lam_v[p] = np.where(spk, jumped, lam_v[p])
        # (c) closed-form costate step back to t - dt; an output sample's drive is a constant
        # source over the step that produced it, so the costates relax towards its fixed point
        for p in lam_v:
            pop = pops[p]
            alpha, beta = np.exp(-dt / pop.tau_mem), np.exp(-dt / pop.tau_syn)
            drive = dL_dV[m] if (p == out_pop and dL_dV is not None) else np.zeros(pop.n)
            v_star, i_star = drive * pop.tau_mem / dt, drive * pop.tau_syn / dt
            coupling = pop.tau_syn / (pop.tau_mem - pop.tau_syn)
            lam_i[p] = i_star + beta * (lam_i[p] - i_star) \
                + coupling * (alpha - beta) * (lam_v[p] - v_star)
            lam_v[p] = v_star + alpha * (lam_v[p] - v_star)
    return grad_w, grad_d


def mlgenn_scale(net: Net, out_pop: int, loss: str, readout: str = "avg_var",
                 batch_size: int = 1) -> float:
    """Factor from the gradient of the batch-mean loss to mlGeNN's EventProp gradient.

    Read off mlGeNN 2.4's EventProp compiler: a leaky-integrator output's costate is driven by
    ``g / (TauM * num_batch * dt * example_timesteps)`` for every per-trial readout (so a
    ``sum_var`` or ``max_var`` output gets ``1 / K`` of its derivative) and for the per-step
    ``var`` losses; first spike times drive the jump unscaled, and the relative MSE's drive is
    not divided by the batch size."""
    pop = net.pops[out_pop]
    if pop.kind == "lif":
        return float(batch_size) if loss == "relative_mse" else 1.0
    scale = 1.0 / pop.tau_mem
    if readout in ("sum_var", "max_var"):
        scale /= net.num_samples
    return scale


def batch_loss(net: Net, inputs, labels, relative_reset: bool = False, **kw) -> float:
    return float(np.mean([loss_and_output_gradients(net, simulate(net, x, relative_reset),
                                                    label=y, **kw)[0]
                          for x, y in zip(inputs, labels)]))


def batch_gradient(net: Net, inputs, labels, relative_reset: bool = False, **kw):
    gw = [np.zeros_like(c.w) for c in net.conns]
    gd = [np.zeros_like(c.w) for c in net.conns]
    for x, y in zip(inputs, labels):
        tr = simulate(net, x, relative_reset)
        _, dv, dt_ = loss_and_output_gradients(net, tr, label=y, **kw)
        w, d = backward(net, tr, dv, dt_, kw["out_pop"], relative_reset=relative_reset)
        for a, g in zip(gw, w):
            a += g / len(inputs)
        for a, g in zip(gd, d):
            a += g / len(inputs)
    return gw, gd
