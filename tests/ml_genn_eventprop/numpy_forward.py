"""A float64 NumPy forward pass of small EventProp networks, written from the model's documented
equations (DERIVATION.md section 1: GeNN 5's update order, mlGeNN's readouts and losses). It
shares no code with the engine, the compiler or ``reference_discrete`` (which copies the engine's
backward scheme); only forward quantities are computed here, so it can serve as the loss whose
finite differences check the engine's gradients.

Networks: an input raster -> one LIF hidden population (optionally recurrent) -> one output
population, leaky integrators (LI) or LIF (first spike times); exponential synapses with
``scale_i``. In timestep ``m`` (time ``m dt`` at its start):

1. every spike emitted in step ``m - 1`` adds its weight to the target's ``inSyn``;
2. ``I = IScale inSyn``, then ``inSyn *= Beta``; ``V = Alpha V + (1 - Alpha) I``; a LIF neuron
   with ``V >= theta`` spikes and is reset (``V = V_r``, or ``V -= theta - V_r`` if relative);
3. the output's sample of step ``m`` is its ``V`` after the update.

``Alpha = exp(-dt / tau_mem)``, ``Beta = exp(-dt / tau_syn)``, ``IScale = (tau_syn / dt)
(1 - Beta)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np


@dataclass
class Neurons:
    """A population's parameters; ``spiking``: LIF (else a leaky integrator, no threshold)."""
    n: int
    tau_mem: float = 20.0
    tau_syn: float = 5.0
    spiking: bool = True
    v_thresh: float = 1.0
    v_reset: float = 0.0
    relative_reset: bool = False


def _constants(pop: Neurons, dt: float) -> Tuple[float, float, float]:
    alpha = np.exp(-dt / pop.tau_mem)
    beta = np.exp(-dt / pop.tau_syn)
    return alpha, beta, (pop.tau_syn / dt) * (1.0 - beta)


def _reset(pop: Neurons, v: np.ndarray, spiked: np.ndarray) -> np.ndarray:
    if pop.relative_reset:
        return np.where(spiked, v - (pop.v_thresh - pop.v_reset), v)
    return np.where(spiked, pop.v_reset, v)


@dataclass
class HiddenTrace:
    """``spikes``: ``(B, K, n)`` bool; ``margin``: ``I - V`` in the step of each spike (the
    step's current minus the voltage that crossed: small when ``V`` barely rose through the
    threshold), NaN where the neuron did not spike."""
    spikes: np.ndarray
    margin: np.ndarray


def hidden_forward(pop: Neurons, raster: np.ndarray, w_in: np.ndarray,
                   w_rec: Optional[np.ndarray], dt: float) -> HiddenTrace:
    """The hidden population driven by ``raster`` ``(B, K, n_in)`` (1: the input neuron spikes
    in step ``m``) through ``w_in`` ``(n_in, n)`` and, if given, recurrent ``w_rec``."""
    raster = np.asarray(raster, dtype=np.float64)
    B, K, _ = raster.shape
    alpha, beta, scale = _constants(pop, dt)
    v = np.zeros((B, pop.n))
    syn = np.zeros((B, pop.n))
    spikes = np.zeros((B, K, pop.n), dtype=bool)
    margin = np.full((B, K, pop.n), np.nan)
    prev_in = np.zeros_like(raster[:, 0])
    prev = np.zeros((B, pop.n))
    for m in range(K):
        syn += prev_in @ w_in
        if w_rec is not None:
            syn += prev @ w_rec
        current = scale * syn
        syn *= beta
        v = alpha * v + (1.0 - alpha) * current
        spiked = v >= pop.v_thresh
        margin[:, m][spiked] = (current - v)[spiked]
        v = _reset(pop, v, spiked)
        spikes[:, m] = spiked
        prev = spiked.astype(np.float64)
        prev_in = raster[:, m]
    return HiddenTrace(spikes, margin)


def output_forward(pop: Neurons, hidden_spikes: np.ndarray, w_out: np.ndarray,
                   dt: float) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """The output population driven by ``hidden_spikes`` ``(B, K, n_h)`` through ``w_out``
    ``(..., n_h, n)``: leading axes of ``w_out`` are independent weight sets (e.g. the points
    of a finite difference), simulated together.

    Returns ``V`` ``(..., B, K, n)`` after each step's update (for LIF: before the reset, the
    voltage compared with the threshold) and, for LIF outputs, the spikes (same shape, bool).
    """
    hidden_spikes = np.asarray(hidden_spikes, dtype=np.float64)
    w_out = np.asarray(w_out, dtype=np.float64)
    lead = w_out.shape[:-2]
    B, K, _ = hidden_spikes.shape
    alpha, beta, scale = _constants(pop, dt)
    # Input to each output neuron from the spikes of step m, for every weight set
    arriving = np.einsum("bkh,...hn->...bkn", hidden_spikes, w_out)
    v = np.zeros(lead + (B, pop.n))
    syn = np.zeros_like(v)
    samples = np.zeros(lead + (B, K, pop.n))
    spikes = np.zeros(samples.shape, dtype=bool) if pop.spiking else None
    for m in range(K):
        if m > 0:
            syn += arriving[..., m - 1, :]
        current = scale * syn
        syn *= beta
        v = alpha * v + (1.0 - alpha) * current
        samples[..., m, :] = v
        if pop.spiking:
            spiked = v >= pop.v_thresh
            spikes[..., m, :] = spiked
            v = _reset(pop, v, spiked)
    return samples, spikes


# ------------------------------------------------------------------------------ losses
def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def readout(samples: np.ndarray, kind: str) -> np.ndarray:
    """mlGeNN's readouts of the samples ``(..., K, n)`` -> ``(..., n)``."""
    K = samples.shape[-2]
    if kind == "avg_var":
        return samples.mean(axis=-2)
    if kind == "sum_var":
        return samples.sum(axis=-2)
    if kind == "max_var":
        return samples.max(axis=-2)
    if kind == "avg_var_exp_weight":
        # The sample of step m weighed by exp(-t / T) / K, t = m dt the step's start
        return np.einsum("...kn,k->...n", samples, np.exp(-np.arange(K) / K) / K)
    if kind == "var":
        return samples[..., -1, :]
    raise ValueError(f"unknown readout {kind!r}")


def readout_crossentropy(samples: np.ndarray, kind: str, labels: np.ndarray) -> np.ndarray:
    """Batch-mean sparse categorical crossentropy of the readout; samples ``(..., B, K, n)``."""
    log_p = _log_softmax(readout(samples, kind))
    index = np.broadcast_to(np.asarray(labels)[:, None], log_p.shape[:-1] + (1,))
    return -np.take_along_axis(log_p, index, axis=-1)[..., 0].mean(axis=-1)


def per_timestep_crossentropy(samples: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Crossentropy of every sample's softmax, averaged over steps and examples."""
    log_p = _log_softmax(samples)
    index = np.broadcast_to(np.asarray(labels)[:, None, None], log_p.shape[:-1] + (1,))
    return -np.take_along_axis(log_p, index, axis=-1)[..., 0].mean(axis=(-1, -2))


def mean_square_error(samples: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``1/(2K) sum_m sum_n (V - Y)^2`` per example, averaged over the batch."""
    K = samples.shape[-2]
    return 0.5 * ((samples - target) ** 2).sum(axis=(-1, -2)).mean(axis=-1) / K


def first_steps(spikes: np.ndarray) -> np.ndarray:
    """Step of each neuron's first spike (``-1``: none) of spikes ``(..., K, n)``."""
    any_spike = spikes.any(axis=-2)
    return np.where(any_spike, np.argmax(spikes, axis=-2), -1)


def first_spike_crossentropy(first: np.ndarray, labels: np.ndarray, dt: float, K: int,
                             temperature: float, ttfs_alpha: float) -> Tuple[float, np.ndarray]:
    """mlGeNN's crossentropy of ``-t / temperature`` plus ``ttfs_alpha / (1.01 T - t_y)``
    (batch mean) and its derivative in each first spike time ``(B, n)``. A spike of step ``m``
    counts at ``(m + 1) dt``, a silent neuron at ``T = K dt``."""
    B, n = first.shape
    T = K * dt
    t = np.where(first >= 0, (first + 1) * dt, T)
    log_p = _log_softmax(-t / temperature)
    rows = np.arange(B)
    t_y = t[rows, labels]
    loss = -log_p[rows, labels] + ttfs_alpha / (1.01 * T - t_y)
    dldt = -(np.exp(log_p) - np.eye(n)[labels]) / temperature
    dldt[rows, labels] += ttfs_alpha / (1.01 * T - t_y) ** 2
    return float(np.mean(loss)), dldt / B
