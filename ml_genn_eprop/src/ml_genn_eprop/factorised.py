"""e-prop's per-synapse rule, computed per batch from spikes and per-neuron time series.

The per-synapse form (:mod:`ml_genn_eprop.engine_models`) updates ``eFiltered``, ``epsilonA``
and ``DeltaG`` of every synapse every timestep: memory-bound work that grows with synapses x
steps. Within a batch the weights do not change, so the forward simulation does not depend on
those traces and their whole batch can be computed afterwards. Every one of them is linear in the
presynaptic trace, which is a filtered spike train, so every per-synapse quantity becomes

    sum over presynaptic spikes (step q) of a postsynaptic series at q + 1
    + per-synapse terms of the state the batch started from,

and each postsynaptic series comes from a backward recursion over the batch's steps on
per-neuron values only. The work is one row of adds per presynaptic spike, instead of every
synapse every step.

Notation (one batch of ``K`` steps; step ``u`` of the synapses reads the state after step
``u - 1``; index -1 is the state the batch started from): ``Z[u]`` presynaptic trace read at
step ``u``, ``P[u]`` pseudo-derivative, ``Ehat[u]`` learning signal, ``R[u] = CReg (FAvg - FTarget)``,
``a[u] = Rho - P[u] Beta``. Then ``e[u] = P[u] (Z[u] - Beta epsA[u - 1])``,
``epsA[u] = a[u] epsA[u - 1] + P[u] Z[u]``, ``eF[u] = Alpha eF[u - 1] + e[u]`` and
``DeltaG = sum_u eF[u] Ehat[u] + R[u] e[u]``. With ``Ebar[u] = sum_{v >= u} Alpha^(v - u) Ehat[v]``
this is ``DeltaG = Alpha Ebar[0] eF[-1] + sum_u c[u] e[u]`` for ``c = Ebar + R``, and for any
weights ``c``

    sum_u c[u] e[u] = sum_r Z[r] P[r] (c[r] - Beta D[r]) - Beta D[-1] epsA[-1],
    D[r] = c[r + 1] P[r + 1] + a[r + 1] D[r + 1],   D[K - 1] = 0,

while ``sum_r Z[r] Q[r] = Z0 Qbar[0] + sum over spikes q of Qbar[q + 1]`` with
``Qbar[r] = Q[r] + Alpha Qbar[r + 1]``. The traces at the end of the batch are the same sums
with ``c[u] = Alpha^(K - 1 - u)`` (``eFiltered``) and ``Q[r] = P[r] prod_{v > r} a[v]``
(``epsilonA``). ``tests/ml_genn_eprop`` checks every one of these against the per-synapse form.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np


def pseudo_derivative(v: np.ndarray, v_thresh: float, threshold: np.ndarray,
                      refrac: Optional[np.ndarray]) -> np.ndarray:
    """``Psi = 0.3 / Vthresh * max(0, 1 - |V - threshold| / Vthresh)``, 0 while refractory.

    Parameters
    ----------
    v
        Membrane voltages.
    v_thresh
        The baseline threshold (the pseudo-derivative's width).
    threshold
        The threshold in force (``Vthresh + Beta A`` for ALIF).
    refrac
        Remaining refractory time, or None without a refractory period.
    """
    psi = (0.3 / v_thresh) * np.maximum(0.0, 1.0 - np.abs((v - threshold) / v_thresh))
    if refrac is not None:
        psi = np.where(refrac > 0.0, 0.0, psi)
    return psi


def shifted(initial: np.ndarray, series: np.ndarray) -> np.ndarray:
    """What step ``u`` reads: ``initial`` at ``u = 0``, then ``series[u - 1]``.

    Parameters
    ----------
    initial
        Value before the batch, ``(B, N)``.
    series
        Value after each step, ``(K, B, N)``.
    """
    return np.concatenate([initial[None], series[:-1]], axis=0)


def filtered_average(initial: np.ndarray, spikes: np.ndarray, decay: float) -> np.ndarray:
    """``F[m] = decay F[m - 1] + (1 - decay) z[m]`` after each step ``m`` (``(K, B, N)``)."""
    out = np.empty(spikes.shape, dtype=np.float64)
    value = initial.astype(np.float64)
    for m in range(spikes.shape[0]):
        value = decay * value + (1.0 - decay) * spikes[m]
        out[m] = value
    return out


def backward_filter(series: np.ndarray, decay: float) -> np.ndarray:
    """``out[u] = series[u] + decay out[u + 1]`` with ``out[K] = 0``, plus ``out[K] = 0`` as a
    last row, so that ``out[q + 1]`` exists for every step ``q`` (``(K + 1, ...)``)."""
    out = np.zeros((series.shape[0] + 1,) + series.shape[1:], dtype=np.float64)
    for u in range(series.shape[0] - 1, -1, -1):
        np.multiply(out[u + 1], decay, out=out[u])
        out[u] += series[u]
    return out


def adaptation_weights(c: np.ndarray, p: np.ndarray, a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``D[r]`` for ``r = 0 .. K - 1`` and ``D[-1]`` (the weights with which the adaptation trace
    carries ``P Z`` at step ``r`` into later eligibilities weighted by ``c``)."""
    d = np.zeros(c.shape, dtype=np.float64)
    for r in range(c.shape[0] - 2, -1, -1):
        d[r] = c[r + 1] * p[r + 1] + a[r + 1] * d[r + 1]
    return d, c[0] * p[0] + a[0] * d[0]


def reverse_products(a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``prod_{v = r + 1}^{K - 1} a[v]`` for each ``r`` and the product of all of ``a``."""
    out = np.ones(a.shape, dtype=np.float64)
    for r in range(a.shape[0] - 2, -1, -1):
        out[r] = out[r + 1] * a[r + 1]
    return out, out[0] * a[0]


def accumulate_spikes(columns: np.ndarray, spike_steps: Sequence[np.ndarray],
                      spike_ids: Sequence[np.ndarray], num_pre: int) -> np.ndarray:
    """``out[b, i] = sum over spikes (q, i) of lane b of columns[q + 1, b]``.

    Parameters
    ----------
    columns
        ``(K + 1, B, C)`` postsynaptic series (row ``K`` zero).
    spike_steps, spike_ids
        Per lane, the step and source of every presynaptic spike.
    num_pre
        Presynaptic neurons.

    Returns
    -------
    ``(B, num_pre, C)``
    """
    num_lanes, width = columns.shape[1], columns.shape[2]
    out = np.zeros((num_lanes, num_pre, width), dtype=np.float64)
    for b in range(num_lanes):
        steps, ids = spike_steps[b], spike_ids[b]
        if steps.size == 0:
            continue
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        rows = columns[steps[order] + 1, b]
        out[b, ids[starts]] = np.add.reduceat(rows, starts, axis=0)
    return out


class HiddenSeries:
    """Per-neuron series of one hidden population over one batch, as its incoming synapses read
    them (all ``(K, B, N)``, float64).

    Parameters
    ----------
    psi
        ``P[u]``.
    learning_signal
        ``Ehat[u]``.
    regulariser
        ``R[u] = CReg (FAvg - FTarget)``.
    """

    def __init__(self, psi: np.ndarray, learning_signal: np.ndarray, regulariser: np.ndarray):
        self.psi = psi
        self.learning_signal = learning_signal
        self.regulariser = regulariser


def hidden_updates(series: HiddenSeries, alpha: float, beta: float, rho: float, adaptive: bool,
                   spike_steps: Sequence[np.ndarray], spike_ids: Sequence[np.ndarray],
                   z0: np.ndarray, ef0: np.ndarray, eps0: Optional[np.ndarray],
                   gradient: bool) -> Tuple[Optional[np.ndarray], np.ndarray, Optional[np.ndarray]]:
    """One batch of a connection into a hidden population.

    Parameters
    ----------
    series
        The target population's series.
    alpha, beta, rho
        Trace decay, adaptation strength and adaptation decay (``beta`` 0 for LIF).
    adaptive
        Whether the target is ALIF (an adaptation trace ``epsilonA`` exists).
    spike_steps, spike_ids
        Presynaptic spikes per lane.
    z0
        Presynaptic trace before the batch, ``(B, num_pre)``.
    ef0, eps0
        ``eFiltered`` and ``epsilonA`` before the batch, ``(B, num_pre, num_post)``.
    gradient
        Whether to compute ``DeltaG`` (training) or only the traces.

    Returns
    -------
    ``(DeltaG, eFiltered, epsilonA)`` after the batch, each ``(B, num_pre, num_post)``
    (``DeltaG`` None without ``gradient``, ``epsilonA`` None for LIF).
    """
    p = series.psi
    K = p.shape[0]
    a = rho - beta * p
    # Weights of e[u] in each wanted sum: the gradient, then eFiltered at the end of the batch
    weights: List[np.ndarray] = []
    if gradient:
        e_bar = backward_filter(series.learning_signal, alpha)
        weights.append(e_bar[:-1] + series.regulariser)
    decay = alpha ** np.arange(K - 1, -1, -1, dtype=np.float64)
    weights.append(np.broadcast_to(decay[:, None, None], p.shape))
    q_list, d_last = [], []
    for c in weights:
        if adaptive:
            d, d_m1 = adaptation_weights(c, p, a)
            q_list.append(p * (c - beta * d))
            d_last.append(d_m1)
        else:
            q_list.append(p * c)
            d_last.append(None)
    if adaptive:
        phi, phi_all = reverse_products(a)
        q_list.append(p * phi)
    q_bar = backward_filter(np.concatenate(q_list, axis=2), alpha)
    acc = accumulate_spikes(q_bar, spike_steps, spike_ids, z0.shape[1])
    n = p.shape[2]
    parts = [acc[:, :, k * n:(k + 1) * n] + z0[:, :, None] * q_bar[0, :, None, k * n:(k + 1) * n]
             for k in range(len(q_list))]
    k = 0
    delta_g = None
    if gradient:
        delta_g = parts[0] + alpha * e_bar[0][:, None, :] * ef0
        if adaptive:
            delta_g -= beta * d_last[0][:, None, :] * eps0
        k = 1
    ef_end = (alpha ** K) * ef0 + parts[k]
    if adaptive:
        ef_end -= beta * d_last[k][:, None, :] * eps0
        eps_end = phi_all[:, None, :] * eps0 + parts[k + 1]
    else:
        eps_end = None
    return delta_g, ef_end, eps_end


def output_gradient(error: np.ndarray, alpha: float, spike_steps: Sequence[np.ndarray],
                    spike_ids: Sequence[np.ndarray], z0: np.ndarray) -> np.ndarray:
    """``DeltaG`` of a connection into an output population: ``sum_u Z[u] E[u]``.

    Parameters
    ----------
    error
        Output error as the synapses read it at each step, ``(K, B, num_post)``.
    alpha
        Presynaptic trace decay.
    spike_steps, spike_ids
        Presynaptic spikes per lane.
    z0
        Presynaptic trace before the batch, ``(B, num_pre)``.

    Returns
    -------
    ``(B, num_pre, num_post)``
    """
    q_bar = backward_filter(error, alpha)
    return accumulate_spikes(q_bar, spike_steps, spike_ids, z0.shape[1]) \
        + z0[:, :, None] * q_bar[0][:, None, :]
