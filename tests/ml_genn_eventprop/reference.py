"""An independent NumPy reference for EventProp (see ml_genn_eventprop/DERIVATION.md).

It simulates small networks of current-based LIF neurons with exponential synapses *exactly*
(event by event: between events the dynamics are linear and solved in closed form, threshold
crossings are located by root finding), samples non-spiking outputs on a fixed grid of
``num_samples`` points of spacing ``dt`` (like a time-stepped engine that reads ``V`` at the end
of every step), and computes gradients with the adjoint (EventProp) backward pass.

Because the forward simulation is exact, the loss is a smooth function of weights and delays as
long as no spike appears or disappears, so the adjoint gradients can be checked against central
finite differences of :func:`simulate` + :func:`loss_and_output_gradients` to many digits. That
is what proves the derivation independently of any engine code.

Model (per neuron, ``scale_i`` convention of mlGeNN's EventProp defaults)::

    tau_mem dV/dt = -V + I        (LIF: V >= v_thresh -> spike, V = v_reset)
    tau_syn dI/dt = -I            (I += w when a presynaptic spike arrives, after its delay)

Costates are lambda = dL/dx(t) (sensitivity of the loss to a perturbation of the state at t).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.optimize import brentq


# --------------------------------------------------------------------------------------------
# Network description
# --------------------------------------------------------------------------------------------
@dataclass
class Pop:
    """A population: ``kind`` is "input", "lif" (spiking) or "li" (leaky integrator output)."""
    n: int
    kind: str
    tau_mem: float = 10.0
    tau_syn: float = 5.0
    v_thresh: float = 1.0
    v_reset: float = 0.0


@dataclass
class Conn:
    """Connection ``src -> tgt`` with weights ``w[pre, post]`` and delays ``d[pre, post]`` (ms)."""
    src: int
    tgt: int
    w: np.ndarray
    d: Optional[np.ndarray] = None

    def delays(self) -> np.ndarray:
        return np.zeros_like(self.w) if self.d is None else np.broadcast_to(self.d, self.w.shape)


@dataclass
class Net:
    pops: List[Pop]
    conns: List[Conn]
    duration: float          # T, ms
    dt: float                # readout sampling interval (the engine's timestep)

    @property
    def num_samples(self) -> int:
        return int(round(self.duration / self.dt))

    def copy_with(self, ws: Sequence[np.ndarray], ds: Sequence[Optional[np.ndarray]]) -> "Net":
        conns = [Conn(c.src, c.tgt, np.array(w, float), None if d is None else np.array(d, float))
                 for c, w, d in zip(self.conns, ws, ds)]
        return Net(self.pops, conns, self.duration, self.dt)


@dataclass
class Spike:
    pop: int
    idx: int
    t: float
    v_dot_minus: float       # dV/dt just before the spike
    v_dot_plus: float        # dV/dt just after the reset
    pending: float = 0.0     # dL/dt* collected from this spike's arrivals (backward pass)


@dataclass
class Trace:
    """Everything the backward pass needs: the spikes, and the output samples."""
    spikes: List[Spike]
    first_spike: Dict[int, np.ndarray]                 # pop -> first spike time (inf: none)
    first_spike_ref: Dict[int, List[Optional[int]]]    # pop -> index into ``spikes``
    samples: Dict[int, np.ndarray] = field(default_factory=dict)   # LI pop -> V[q, n]
    input_spikes: List[np.ndarray] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Closed-form dynamics
# --------------------------------------------------------------------------------------------
def _coupling(tau_mem: float, tau_syn: float) -> float:
    # Amplitude of the synaptic kernel: V(s) = V0 e^{-s/tm} + I0 * k * (e^{-s/ts} - e^{-s/tm})
    return tau_syn / (tau_syn - tau_mem)


def _advance(v, i, s, pop: Pop):
    em, es = np.exp(-s / pop.tau_mem), np.exp(-s / pop.tau_syn)
    return v * em + i * _coupling(pop.tau_mem, pop.tau_syn) * (es - em), i * es


def _next_crossing(v0: float, i0: float, t0: float, t_end: float, pop: Pop,
                   grid: float) -> float:
    """First time in (t0, t_end] at which V reaches threshold, or inf."""
    if t_end <= t0:
        return np.inf
    s = np.arange(1, int(np.ceil((t_end - t0) / grid)) + 1) * grid
    s[-1] = t_end - t0
    v, _ = _advance(v0, i0, s, pop)
    above = np.flatnonzero(v >= pop.v_thresh)
    if above.size == 0:
        return np.inf
    k = above[0]
    lo = 0.0 if k == 0 else s[k - 1]
    f = lambda x: _advance(v0, i0, x, pop)[0] - pop.v_thresh   # noqa: E731
    return t0 + brentq(f, lo, s[k], xtol=1e-15, rtol=1e-15, maxiter=200)


# --------------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------------
def simulate(net: Net, input_spikes: Sequence[np.ndarray], grid: float = 0.05) -> Trace:
    """Exact event-driven forward simulation of one example.

    ``input_spikes[i]`` holds the spike times of input neuron ``i`` of population 0.
    """
    T = net.duration
    n_pop = len(net.pops)
    v = [np.zeros(p.n) for p in net.pops]
    i_syn = [np.zeros(p.n) for p in net.pops]
    t_last = [np.zeros(p.n) for p in net.pops]
    crossing = [np.full(p.n, np.inf) for p in net.pops]
    out_conns = [[c for c in net.conns if c.src == p] for p in range(n_pop)]
    spikes: List[Spike] = []
    first = {p: np.full(net.pops[p].n, np.inf) for p in range(n_pop) if net.pops[p].kind == "lif"}
    first_ref = {p: [None] * net.pops[p].n for p in first}
    # History of LI outputs for sampling: per pop a list of (t, v, i) snapshots per neuron
    history = {p: [[(0.0, 0.0, 0.0)] for _ in range(net.pops[p].n)]
               for p in range(n_pop) if net.pops[p].kind == "li"}

    arrivals: list = []      # heap of (time, seq, tgt pop, tgt idx, weight)
    seq = 0

    def emit(pop, idx, t):
        nonlocal seq
        for c in out_conns[pop]:
            d = c.delays()
            for j in range(net.pops[c.tgt].n):
                t_arr = t + d[idx, j]
                if t_arr <= T:
                    heapq.heappush(arrivals, (t_arr, seq, c.tgt, j, c.w[idx, j]))
                    seq += 1

    for i, times in enumerate(input_spikes):
        for t in np.sort(np.asarray(times, float)):
            if t <= T:
                emit(0, i, t)

    def bring_to(p, j, t):
        s = t - t_last[p][j]
        v[p][j], i_syn[p][j] = _advance(v[p][j], i_syn[p][j], s, net.pops[p])
        t_last[p][j] = t

    def predict(p, j):
        pop = net.pops[p]
        if pop.kind == "lif":
            crossing[p][j] = _next_crossing(v[p][j], i_syn[p][j], t_last[p][j], T, pop, grid)

    while True:
        t_arr = arrivals[0][0] if arrivals else np.inf
        best_p, best_j, t_cross = None, None, np.inf
        for p in range(n_pop):
            if net.pops[p].kind == "lif" and net.pops[p].n:
                j = int(np.argmin(crossing[p]))
                if crossing[p][j] < t_cross:
                    best_p, best_j, t_cross = p, j, crossing[p][j]
        if min(t_arr, t_cross) > T:
            break
        if t_arr <= t_cross:
            t, _, p, j, w = heapq.heappop(arrivals)
            bring_to(p, j, t)
            i_syn[p][j] += w
            if net.pops[p].kind == "li":
                history[p][j].append((t, v[p][j], i_syn[p][j]))
            predict(p, j)
        else:
            p, j, t = best_p, best_j, t_cross
            pop = net.pops[p]
            bring_to(p, j, t)
            current = i_syn[p][j]
            spikes.append(Spike(p, j, t, (current - pop.v_thresh) / pop.tau_mem,
                                (current - pop.v_reset) / pop.tau_mem))
            if first[p][j] == np.inf:
                first[p][j] = t
                first_ref[p][j] = len(spikes) - 1
            v[p][j] = pop.v_reset
            predict(p, j)
            emit(p, j, t)

    trace = Trace(spikes, first, first_ref, input_spikes=list(input_spikes))
    t_q = np.arange(1, net.num_samples + 1) * net.dt
    for p, hist in history.items():
        pop = net.pops[p]
        out = np.empty((len(t_q), pop.n))
        for j, h in enumerate(hist):
            times = np.array([e[0] for e in h])
            k = np.searchsorted(times, t_q, side="right") - 1
            v0 = np.array([h[m][1] for m in k])
            i0 = np.array([h[m][2] for m in k])
            out[:, j] = _advance(v0, i0, t_q - times[k], pop)[0]
        trace.samples[p] = out
    return trace


# --------------------------------------------------------------------------------------------
# Losses (one example); each returns the loss and its sensitivities to the outputs
# --------------------------------------------------------------------------------------------
def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def readout_weights(readout: str, num_samples: int, dt: float) -> np.ndarray:
    """Weight of sample q (V at the end of step q) in the linear readouts."""
    q = np.arange(num_samples)
    if readout == "sum_var":
        return np.ones(num_samples)
    if readout == "avg_var":
        return np.full(num_samples, 1.0 / num_samples)
    if readout == "avg_var_exp_weight":
        # mlGeNN weighs the value written in step q by exp(-t/T), t the step's start time
        return np.exp(-(q * dt) / (num_samples * dt)) / num_samples
    raise ValueError(readout)


def loss_and_output_gradients(net: Net, trace: Trace, loss: str, label, out_pop: int,
                              readout: str = "avg_var", softmax_temperature: float = 1.0,
                              ttfs_alpha: float = 0.0, delta: float = 1.0,
                              goeltz=(0.5, 6.4, 3e-3)):
    """Loss of one example and (dL/dV_samples[q, n] or None, dL/dt_first[n] or None)."""
    K = net.num_samples
    if net.pops[out_pop].kind == "li":
        V = trace.samples[out_pop]
        if loss == "sce" and readout in ("sum_var", "avg_var", "avg_var_exp_weight"):
            wq = readout_weights(readout, K, net.dt)
            z = wq @ V
            p = _softmax(z)
            dz = p.copy()
            dz[label] -= 1.0
            return -np.log(p[label]), np.outer(wq, dz), None
        if loss == "sce" and readout == "max_var":
            q_max = np.argmax(V, axis=0)
            z = V[q_max, np.arange(V.shape[1])]
            p = _softmax(z)
            dz = p.copy()
            dz[label] -= 1.0
            dV = np.zeros_like(V)
            dV[q_max, np.arange(V.shape[1])] = dz
            return -np.log(p[label]), dV, None
        if loss == "sce" and readout == "var":       # per-timestep loss
            total, dV = 0.0, np.zeros_like(V)
            for q in range(K):
                p = _softmax(V[q])
                total -= np.log(p[label])
                dV[q] = p
                dV[q, label] -= 1.0
            return total / K, dV / K, None
        if loss == "mse" and readout == "var":
            err = V - label                                   # label: target[q, n]
            return 0.5 * np.sum(err ** 2) / K, err / K, None
        raise ValueError(f"unsupported LI loss {loss}/{readout}")

    t = trace.first_spike[out_pop]
    if not np.all(np.isfinite(t)):
        raise ValueError("reference TTFS losses need every output neuron to spike")
    if loss == "sce":
        z = -t / softmax_temperature
        p = _softmax(z)
        dt_ = -(p - np.eye(len(t))[label]) / softmax_temperature
        horizon = 1.01 * net.duration
        # ttfs_alpha term: alpha / (1.01 T - t_label) pushes the correct neuron to fire early
        value = -np.log(p[label]) + ttfs_alpha / (horizon - t[label])
        dt_[label] += ttfs_alpha / (horizon - t[label]) ** 2
        return value, None, dt_
    if loss == "relative_mse_goeltz":
        # Goeltz et al. 2021 form (core's RelativeMeanSquareError(tau_0, tau_1, alpha)):
        # L = t_y / tau_0 + log sum_j exp(-t_j / tau_1) + alpha (exp(t_y / tau_1) - 1)
        tau_0, tau_1, alpha = goeltz
        p = _softmax(-t / tau_1)
        value = t[label] / tau_0 + np.log(np.sum(np.exp(-t / tau_1))) \
            + alpha * (np.exp(t[label] / tau_1) - 1.0)
        dt_ = -p / tau_1
        dt_[label] += 1.0 / tau_0 + alpha * np.exp(t[label] / tau_1) / tau_1
        return value, None, dt_
    if loss == "relative_mse":
        others = np.arange(len(t)) != label
        r = t[others] - t[label] - delta
        dt_ = np.zeros_like(t)
        dt_[others] = r
        dt_[label] = -r.sum()
        return 0.5 * np.sum(r ** 2), None, dt_
    raise ValueError(f"unsupported LIF loss {loss}")


# --------------------------------------------------------------------------------------------
# Backward pass
# --------------------------------------------------------------------------------------------
def backward(net: Net, trace: Trace, dL_dV: Optional[np.ndarray],
             dL_dtfirst: Optional[np.ndarray], out_pop: int,
             reg_jump: Optional[Dict[int, np.ndarray]] = None):
    """EventProp adjoint pass for one example.

    Returns (dL/dw per connection, dL/dd per connection). ``reg_jump[pop][n]`` is an optional
    surrogate regularisation term added to lambda_V of neuron n at each of its spikes.
    """
    pops, conns = net.pops, net.conns
    lam_v = [np.zeros(p.n) for p in pops]
    lam_i = [np.zeros(p.n) for p in pops]
    grad_w = [np.zeros_like(c.w) for c in conns]
    grad_d = [np.zeros_like(c.w) for c in conns]

    # Build the event list: (time, order, kind, payload). Reverse order processes, at equal
    # times, sample impulses first, then arrivals, then the spikes that caused them.
    events = []
    if dL_dV is not None:
        for q in range(net.num_samples):
            events.append(((q + 1) * net.dt, 2, "sample", q))
    for s_idx, s in enumerate(trace.spikes):
        events.append((s.t, 0, "spike", s_idx))
    sources = [(0, i, t, None) for i, ts in enumerate(trace.input_spikes) for t in ts]
    sources += [(s.pop, s.idx, s.t, k) for k, s in enumerate(trace.spikes)]
    for (p, i, t, k) in sources:
        for c_idx, c in enumerate(conns):
            if c.src != p:
                continue
            d = c.delays()
            for j in range(pops[c.tgt].n):
                if t + d[i, j] <= net.duration:
                    events.append((t + d[i, j], 1, "arrival", (c_idx, i, j, k)))
    events.sort(key=lambda e: (e[0], e[1]), reverse=True)

    spikes = [Spike(s.pop, s.idx, s.t, s.v_dot_minus, s.v_dot_plus) for s in trace.spikes]
    dl_dt_spike = np.zeros(len(spikes))
    if dL_dtfirst is not None:
        for n, ref in enumerate(trace.first_spike_ref[out_pop]):
            if ref is not None:
                dl_dt_spike[ref] += dL_dtfirst[n]

    t_cur = net.duration
    for t, _, kind, payload in events:
        # Propagate every costate from t_cur back to t (exact, linear)
        s = t_cur - t
        if s > 0:
            for p, pop in enumerate(pops):
                if pop.kind == "input":
                    continue
                em, es = np.exp(-s / pop.tau_mem), np.exp(-s / pop.tau_syn)
                lam_i[p] = lam_i[p] * es + lam_v[p] * (pop.tau_syn / (pop.tau_mem - pop.tau_syn)) * (em - es)
                lam_v[p] = lam_v[p] * em
            t_cur = t
        if kind == "sample":
            lam_v[out_pop] += dL_dV[payload]
        elif kind == "arrival":
            c_idx, i, j, k = payload
            c = conns[c_idx]
            post = pops[c.tgt]
            grad_w[c_idx][i, j] += lam_i[c.tgt][j]
            # dL/d(arrival time): the jump of I moves, changing dI/dt and dV/dt after it
            term = c.w[i, j] * (lam_i[c.tgt][j] / post.tau_syn - lam_v[c.tgt][j] / post.tau_mem)
            grad_d[c_idx][i, j] += term
            if k is not None:
                spikes[k].pending += term
        else:
            sp = spikes[payload]
            # dL/dt* = -lambda_V+ dV+/dt (later reset) + arrivals' terms + direct loss term
            dl_dt = -lam_v[sp.pop][sp.idx] * sp.v_dot_plus + sp.pending + dl_dt_spike[payload]
            # Absolute reset: V+ does not depend on V-, so only the spike-time shift remains
            lam_v[sp.pop][sp.idx] = -dl_dt / sp.v_dot_minus
            if reg_jump is not None and sp.pop in reg_jump:
                lam_v[sp.pop][sp.idx] += reg_jump[sp.pop][sp.idx]
    return grad_w, grad_d


# --------------------------------------------------------------------------------------------
# Convenience: loss and gradient of a batch
# --------------------------------------------------------------------------------------------
def batch_loss(net: Net, inputs, labels, **loss_kwargs) -> float:
    total = 0.0
    for x, y in zip(inputs, labels):
        tr = simulate(net, x)
        total += loss_and_output_gradients(net, tr, label=y, **loss_kwargs)[0]
    return total / len(inputs)


def batch_gradient(net: Net, inputs, labels, **loss_kwargs):
    gw = [np.zeros_like(c.w) for c in net.conns]
    gd = [np.zeros_like(c.w) for c in net.conns]
    for x, y in zip(inputs, labels):
        tr = simulate(net, x)
        _, dv, dt_ = loss_and_output_gradients(net, tr, label=y, **loss_kwargs)
        w, d = backward(net, tr, dv, dt_, loss_kwargs["out_pop"])
        for a, b in zip(gw, w):
            a += b / len(inputs)
        for a, b in zip(gd, d):
            a += b / len(inputs)
    return gw, gd


def finite_difference(net: Net, inputs, labels, which: str, c_idx: int, index, eps: float,
                      **loss_kwargs) -> float:
    """Central difference of the batch loss w.r.t. one weight (``which="w"``) or delay."""
    vals = []
    for sign in (+1, -1):
        ws = [c.w.copy() for c in net.conns]
        ds = [c.delays().copy() for c in net.conns]
        (ws if which == "w" else ds)[c_idx][index] += sign * eps
        vals.append(batch_loss(net.copy_with(ws, ds), inputs, labels, **loss_kwargs))
    return (vals[0] - vals[1]) / (2 * eps)
