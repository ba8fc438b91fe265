"""An independent NumPy implementation of e-prop (Bellec et al. 2020) as mlGeNN defines it: the
oracle of the engine's weight updates.

Written from the equations, not from the engine's code: float64, one array per quantity, every
synapse updated every timestep (the straightforward form). The discretisation is GeNN's
timestep: first the synapses (spikes of the previous step arrive; every synapse updates its
eligibility from the state the previous step left; output errors are sent back to the hidden
neurons), then the neurons (the membrane update; then, as GeNN 5 runs weight-update dynamics
after a neuron's sim code and before its threshold test, the traces decay and the
pseudo-derivative is taken from the updated, not yet reset state; then threshold and reset), then
the outputs' softmax.

Per synapse ``i -> j`` (Bellec et al. 2020, eqs. 3-6 and 25-29 with mlGeNN's constants):
``e = psi_j (zbar_i - beta eps_a)``, ``eps_a' = psi_j zbar_i + (rho - psi_j beta) eps_a``,
``ebar' = alpha ebar + e``, ``dW += ebar L_j + c_reg (f_j - f_target) e``; the learning signal
``L_j = sum_k W_jk err_k`` of the output error, ``err_k = softmax_k - onehot_k`` (classification)
or ``y_k - y*_k`` (regression); ``psi_j = 0.3 / v_th max(0, 1 - |v_j - A_j| / v_th)`` (0 while
refractory), ``A_j = v_th + beta a_j``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np


@dataclass
class Hidden:
    n: int
    v_thresh: float = 1.0
    v_reset: float = 0.0
    tau_mem: float = 20.0
    tau_refrac: Optional[float] = None
    adaptive: bool = False
    beta: float = 0.0
    tau_adapt: float = 2000.0
    relative_reset: bool = True
    integrate_during_refrac: bool = True


@dataclass
class Output:
    n: int
    tau_mem: float = 20.0
    bias: float = 0.0
    readout: str = "avg_var"        # avg_var, sum_var, max_var (classification) or var (MSE)


@dataclass
class Conn:
    source: str
    target: str
    weight: np.ndarray


@dataclass
class Net:
    inputs: Dict[str, int]
    hidden: Dict[str, Hidden]
    outputs: Dict[str, Output]
    conns: List[Conn]
    dt: float = 1.0
    tau_reg: float = 500.0
    c_reg: float = 0.001
    f_target: float = 10.0
    train_bias: bool = True
    state: dict = field(default_factory=dict)


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class EPropReference:
    """Simulates ``net`` with ``batch`` lanes; state runs on between batches (mlGeNN).

    Parameters
    ----------
    net
        The network.
    batch
        Batch size (lanes).
    adaptation_trace
        Whether ALIF eligibilities include the adaptation trace (always, but for one test).
    """

    def __init__(self, net: Net, batch: int, adaptation_trace: bool = True):
        self.net, self.B = net, batch
        # Only to show the tests would notice: without it, ALIF's eligibility lacks eps_a
        self.adaptation_trace = adaptation_trace
        #: When a list, every step appends the filtered eligibilities and learning signals
        self.history: Optional[list] = None
        B = batch
        tau_mem = {h.tau_mem for h in net.hidden.values()}
        assert len(tau_mem) == 1
        self.alpha = np.exp(-net.dt / tau_mem.pop())
        self.alpha_fav = np.exp(-net.dt / net.tau_reg)
        self.f_target = net.f_target * net.dt / 1000.0
        self.W = {k: c.weight.astype(np.float64).copy() for k, c in enumerate(net.conns)}
        self.bias = {name: np.full(o.n, o.bias, dtype=np.float64) for name, o in net.outputs.items()}
        self.V = {name: np.zeros((B, p.n)) for name, p in {**net.hidden, **net.outputs}.items()}
        self.A = {name: np.zeros((B, h.n)) for name, h in net.hidden.items()}
        self.refrac = {name: np.zeros((B, h.n)) for name, h in net.hidden.items()}
        self.E = {name: np.zeros((B, p.n)) for name, p in {**net.hidden, **net.outputs}.items()}
        self.softmax = {name: np.zeros((B, o.n)) for name, o in net.outputs.items()}
        self.z = {name: np.zeros((B, n)) for name, n in
                  {**net.inputs, **{k: h.n for k, h in net.hidden.items()}}.items()}
        self.zbar, self.psi, self.favg, self.ebar, self.eps_a, self.dW = {}, {}, {}, {}, {}, {}
        for k, c in enumerate(net.conns):
            npre, npost = c.weight.shape
            self.zbar[k] = np.zeros((B, npre))
            self.psi[k] = np.zeros((B, npost))
            self.favg[k] = np.zeros((B, npost))
            self.ebar[k] = np.zeros((B, npre, npost))
            self.eps_a[k] = np.zeros((B, npre, npost))
            self.dW[k] = np.zeros((B, npre, npost))
        self.d_bias = {name: np.zeros((B, o.n)) for name, o in net.outputs.items()}

    def _psi(self, name: str) -> np.ndarray:
        h = self.net.hidden[name]
        threshold = h.v_thresh + h.beta * self.A[name]
        psi = (0.3 / h.v_thresh) * np.maximum(0.0, 1.0 - np.abs(self.V[name] - threshold) / h.v_thresh)
        if h.tau_refrac is not None:
            psi[self.refrac[name] > 0.0] = 0.0
        return psi

    def step(self, step: int, raster: Dict[str, np.ndarray], y: Dict[str, np.ndarray]) -> None:
        net, B = self.net, self.B
        # ---- synapses: eligibility from the previous step's state, arrivals, feedback
        current = {name: np.zeros((B, p.n)) for name, p in {**net.hidden, **net.outputs}.items()}
        feedback = {name: np.zeros((B, h.n)) for name, h in net.hidden.items()}
        for k, c in enumerate(net.conns):
            zbar = self.zbar[k][:, :, None]
            if c.target in net.hidden:
                h = net.hidden[c.target]
                psi = self.psi[k][:, None, :]
                if h.adaptive and self.adaptation_trace:
                    rho = np.exp(-net.dt / h.tau_adapt)
                    e = psi * zbar - psi * h.beta * self.eps_a[k]
                    self.eps_a[k] = psi * zbar + (rho - psi * h.beta) * self.eps_a[k]
                else:
                    e = psi * zbar
                self.ebar[k] = self.alpha * self.ebar[k] + e
                reg = net.c_reg * (self.favg[k] - self.f_target)[:, None, :]
                self.dW[k] += self.ebar[k] * self.E[c.target][:, None, :] + reg * e
            else:
                err = self.E[c.target]
                self.dW[k] += zbar * err[:, None, :]
                if c.source in net.hidden:
                    feedback[c.source] += err @ self.W[k].T
            current[c.target] += self.z[c.source] @ self.W[k]
        # ---- neurons
        for k, c in enumerate(net.conns):
            self.zbar[k] *= self.alpha
            if c.target in net.hidden:
                self.favg[k] *= self.alpha_fav
        spikes = {name: raster[name][step].astype(np.float64) for name in net.inputs}
        for name, h in net.hidden.items():
            if h.adaptive:
                self.A[name] *= np.exp(-net.dt / h.tau_adapt)
            alpha = np.exp(-net.dt / h.tau_mem)
            integrate = np.ones((B, h.n), dtype=bool)
            if h.tau_refrac is not None:
                self.refrac[name] = np.where(self.refrac[name] > 0.0, self.refrac[name] - net.dt,
                                             self.refrac[name])
                if not h.integrate_during_refrac:
                    integrate = self.refrac[name] <= 0.0
            self.V[name] = np.where(integrate, alpha * self.V[name] + current[name], self.V[name])
            self.E[name] = feedback[name]
            # Pseudo-derivative of this step: from the updated state, before the reset
            for k, c in enumerate(net.conns):
                if c.target == name:
                    self.psi[k] = self._psi(name)
            threshold = h.v_thresh + h.beta * self.A[name]
            spike = self.V[name] >= threshold
            if h.tau_refrac is not None:
                spike &= self.refrac[name] <= 0.0
            if h.relative_reset:
                self.V[name] = np.where(spike, self.V[name] - (threshold - h.v_reset), self.V[name])
            else:
                self.V[name] = np.where(spike, h.v_reset, self.V[name])
            if h.tau_refrac is not None:
                self.refrac[name] = np.where(spike, h.tau_refrac, self.refrac[name])
            if h.adaptive:
                self.A[name] += spike
            spikes[name] = spike.astype(np.float64)
        for k, c in enumerate(net.conns):
            self.zbar[k] += spikes[c.source]
            if c.target in net.hidden:
                self.favg[k] += (1.0 - self.alpha_fav) * spikes[c.target]
        for name, o in net.outputs.items():
            alpha = np.exp(-net.dt / o.tau_mem)
            self.V[name] = alpha * self.V[name] + current[name] + self.bias[name]
            if o.readout == "var":
                self.E[name] = self.V[name] - y[name][:, step]
            else:
                value = self.softmax[name]
                if o.readout == "max_var":
                    self.readout[name] = np.maximum(self.readout[name], value)
                else:
                    self.readout[name] += value
                self.E[name] = value - np.eye(o.n)[y[name]]
            self.d_bias[name] += self.E[name]
        self.z = spikes
        if self.history is not None:
            self.history.append({"ebar": {k: v.copy() for k, v in self.ebar.items()},
                                 "E": {k: v.copy() for k, v in self.E.items()}})
        # ---- end of the timestep: the softmax the next step reads
        for name, o in net.outputs.items():
            if o.readout != "var":
                self.softmax[name] = _softmax(self.V[name])

    def run_batch(self, raster: Dict[str, np.ndarray], y: Dict[str, np.ndarray], n: int,
                  train: bool, lr: float) -> Dict[str, np.ndarray]:
        """One batch: ``raster[input]`` is ``(K, B, N)`` spikes, ``y`` labels ``(B,)`` or targets
        ``(B, K, N)``; the first ``n`` lanes are real examples. Returns the readouts."""
        net, B = self.net, self.B
        K = next(iter(raster.values())).shape[0]
        if train:
            for k in self.dW:
                self.dW[k][...] = 0.0
            for name in self.d_bias:
                self.d_bias[name][...] = 0.0
        self.readout = {name: (np.full((B, o.n), -np.inf) if o.readout == "max_var"
                               else np.zeros((B, o.n))) for name, o in net.outputs.items()}
        # Nothing emitted in one batch arrives in the next
        self.z = {name: np.zeros_like(z) for name, z in self.z.items()}
        for step in range(K):
            self.step(step, raster, y)
        if train:
            for k in self.W:
                self.W[k] -= lr * self.dW[k][:n].sum(axis=0)
            if net.train_bias:
                for name in self.bias:
                    self.bias[name] -= lr * self.d_bias[name][:n].sum(axis=0)
        out = {}
        for name, o in net.outputs.items():
            if o.readout == "avg_var":
                out[name] = self.readout[name] / K
            elif o.readout in ("sum_var", "max_var"):
                out[name] = self.readout[name]
        return out
