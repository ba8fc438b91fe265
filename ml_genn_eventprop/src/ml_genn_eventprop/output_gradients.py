"""Losses of one batch and their sensitivities to the outputs (DERIVATION.md §3), on the host.

The forward pass leaves each output's readout (or its per-step samples, or first spike steps)
in engine variables; these functions turn them into the loss value and the drives the backward
pass injects. All take the ``n`` real examples of a (possibly partial) batch and divide by ``n``
so the gradients are those of the batch-mean loss.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - np.max(z, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def crossentropy(z: np.ndarray, labels: np.ndarray) -> Tuple[float, np.ndarray]:
    """Sparse categorical crossentropy of logits ``z[n, classes]``: (mean loss, dL/dz)."""
    n = z.shape[0]
    log_p = _log_softmax(z)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(-np.mean(log_p[np.arange(n), labels])), grad / n


def per_timestep_crossentropy(v: np.ndarray, labels: np.ndarray) -> Tuple[float, np.ndarray]:
    """Crossentropy of ``v[n, K, classes]`` at every step, averaged over steps and examples."""
    n, k = v.shape[:2]
    log_p = _log_softmax(v)
    grad = np.exp(log_p)
    grad[np.arange(n), :, labels] -= 1.0
    loss = -np.mean(log_p[np.arange(n), :, labels])
    return float(loss), grad / (n * k)


def mean_square_error(v: np.ndarray, target: np.ndarray) -> Tuple[float, np.ndarray]:
    """``1/(2K) sum_q sum_i (V - Y)^2`` per example, averaged: (loss, dL/dV)."""
    n, k = v.shape[:2]
    err = v - target
    return float(0.5 * np.sum(err ** 2) / (n * k)), err / (n * k)


def first_spike_crossentropy(t: np.ndarray, labels: np.ndarray, temperature: float,
                             alpha: float, duration: float) -> Tuple[float, np.ndarray]:
    """Crossentropy of ``-t / temperature`` plus ``alpha / (1.01 T - t_label)``.

    ``t[n, classes]`` are first spike times (inf: no spike). A silent neuron counts as firing at
    the end of the trial ``T`` in the loss (so silence is never rewarded) but has no spike to
    carry a gradient.
    """
    n, c = t.shape
    rows = np.arange(n)
    spiked = np.isfinite(t)
    tt = np.where(spiked, t, duration)
    log_p = _log_softmax(-tt / temperature)
    t_label = tt[rows, labels]
    horizon = 1.01 * duration
    loss = -log_p[rows, labels] + alpha / (horizon - t_label)
    grad = -(np.exp(log_p) - np.eye(c)[labels]) / temperature
    grad[rows, labels] += alpha / (horizon - t_label) ** 2
    grad = np.where(spiked, grad, 0.0)
    return float(np.mean(loss)), grad / n


def first_spike_relative_mse(t: np.ndarray, labels: np.ndarray,
                             delta: float, duration: float) -> Tuple[float, np.ndarray]:
    """mlGeNN's ``RelativeMeanSquareError(delta)``: ``1/2 sum_{k != y} r_k^2``, ``r_k = t_k - t_y
    - delta`` for an incorrect neuron ``k`` that fired.

    A silent correct neuron counts as firing at ``T``. A silent incorrect neuron fires at some
    unknown time after ``T``; it counts as firing at ``T`` but only where that breaks the margin,
    ``r_k = min(0, T - t_y - delta)``: nothing while the correct neuron fires by ``T - delta``
    (counting it at ``T`` regardless would pull the correct neuron *later*), and a pull to fire
    earlier when the correct neuron is late or silent too (otherwise an all-silent output
    would have zero loss and no gradient, and silence would be a trap). Silent neurons have no
    spike to carry their own gradient (the caller gives a silent correct neuron a phantom
    spike at ``T``, so its entry is used).
    """
    n, c = t.shape
    rows = np.arange(n)
    spiked = np.isfinite(t)
    tt = np.where(spiked, t, duration)
    r = tt - tt[rows, labels][:, None] - delta
    r = np.where(spiked, r, np.minimum(r, 0.0))
    r[rows, labels] = 0.0
    grad = r.copy()
    grad[rows, labels] = -np.sum(r, axis=1)
    grad = np.where(spiked, grad, 0.0)
    return float(np.mean(0.5 * np.sum(r ** 2, axis=1))), grad / n


def first_spike_goeltz(t: np.ndarray, labels: np.ndarray, tau_0: float, tau_1: float,
                       alpha: float, duration: float) -> Tuple[float, np.ndarray]:
    """Goeltz et al. (2021) loss, core's ``RelativeMeanSquareError(tau_0, tau_1, alpha)``:
    ``t_y / tau_0 + log sum_j exp(-t_j / tau_1) + alpha (exp(t_y / tau_1) - 1)``.
    Silent neurons count as spiking at ``T`` in the value and get no gradient."""
    n = t.shape[0]
    rows = np.arange(n)
    spiked = np.isfinite(t)
    tt = np.where(spiked, t, duration)
    logits = -tt / tau_1
    log_p = _log_softmax(logits)
    t_y = tt[rows, labels]
    log_sum = logits[rows, labels] - log_p[rows, labels]     # log sum_j exp(-t_j / tau_1)
    loss = t_y / tau_0 + log_sum + alpha * (np.exp(t_y / tau_1) - 1.0)
    grad = -np.exp(log_p) / tau_1
    grad[rows, labels] += 1.0 / tau_0 + alpha * np.exp(t_y / tau_1) / tau_1
    grad = np.where(spiked, grad, 0.0)
    return float(np.mean(loss)), grad / n
