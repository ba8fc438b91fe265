"""e-prop's per-synapse rule, computed per batch from spikes and per-neuron time series.

The per-synapse form (:mod:`ml_genn_eprop.engine_models`) updates ``eFiltered``, ``epsilonA``
and ``DeltaG`` of every synapse every timestep: memory-bound work that grows with synapses x
steps. Within a batch the weights do not change, so the forward simulation does not depend on
those traces and their whole batch can be computed afterwards. Every one of them is linear in the
presynaptic trace, a filtered spike train, so every per-synapse quantity becomes

    sum over presynaptic spikes (step q) of a postsynaptic series at q + 1
    + per-synapse terms of the state the batch started from,

and each postsynaptic series comes from a backward recursion over the batch's steps on
per-neuron values only. The spike sums of a batch element are the product of its spike
raster with its postsynaptic series, made event by event by a native kernel
(:mod:`ml_genn_eprop.native_spike_sums`): each spike adds one row of the series.

Notation (one batch of ``K`` steps; step ``u`` of the synapses reads the state after step
``u - 1``; index -1 is the state the batch started from): ``Z[u]`` presynaptic trace read at
step ``u``, ``P[u]`` pseudo-derivative, ``Ehat[u]`` learning signal,
``R[u] = CReg (FAvg - FTarget)``, ``a[u] = Rho - P[u] Beta``. Then
``e[u] = P[u] (Z[u] - Beta epsA[u - 1])``, ``epsA[u] = a[u] epsA[u - 1] + P[u] Z[u]``,
``eF[u] = Alpha eF[u - 1] + e[u]`` and ``DeltaG = sum_u eF[u] Ehat[u] + R[u] e[u]``. With
``Ebar[u] = sum_{v >= u} Alpha^(v - u) Ehat[v]`` this is
``DeltaG = Alpha Ebar[0] eF[-1] + sum_u c[u] e[u]`` for ``c = Ebar + R``, and for any weights ``c``

    sum_u c[u] e[u] = sum_r Z[r] P[r] (c[r] - Beta D[r]) - Beta D[-1] epsA[-1],
    D[r] = c[r + 1] P[r + 1] + a[r + 1] D[r + 1],   D[K - 1] = 0,

while ``sum_r Z[r] Q[r] = Z[0] Qbar[0] + sum over spikes q of Qbar[q + 1]`` with
``Qbar[r] = Q[r] + Alpha Qbar[r + 1]``. The traces at the end of the batch are the same sums
with ``c[u] = Alpha^(K - 1 - u)`` (``eFiltered``) and ``Q[r] = P[r] prod_{v > r} a[v]``
(``epsilonA``). ``tests/ml_genn_eprop`` checks every one of these against the per-synapse form
and against an independent reference.

Every series here is ``(B, K, N)``: batch element, step, neuron (the engine's recording layout).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np


def shifted(initial: np.ndarray, series: np.ndarray) -> np.ndarray:
    """What step ``u`` reads: ``initial`` at ``u = 0``, then ``series[:, u - 1]``.

    Parameters
    ----------
    initial
        Value before the batch, ``(B, N)``.
    series
        Value after each step, ``(B, K, N)``.
    """
    out = np.empty_like(series)
    out[:, 0] = initial
    out[:, 1:] = series[:, :-1]
    return out


def filtered_average(initial: np.ndarray, spikes: np.ndarray, decay: float) -> np.ndarray:
    """``F[m] = decay F[m - 1] + (1 - decay) z[m]`` after each step ``m`` (``(B, K, N)``)."""
    out = np.empty(spikes.shape, dtype=initial.dtype)
    value = initial.copy()
    for m in range(spikes.shape[1]):
        value *= decay
        value += (1.0 - decay) * spikes[:, m]
        out[:, m] = value
    return out


def backward_filter(series: np.ndarray, decay: float) -> np.ndarray:
    """``out[:, u] = series[:, u] + decay out[:, u + 1]`` with a last row ``out[:, K] = 0``, so
    that ``out[:, q + 1]`` exists for every step ``q`` (``(B, K + 1, N)``)."""
    out = np.empty((series.shape[0], series.shape[1] + 1) + series.shape[2:], dtype=series.dtype)
    out[:, :-1] = series
    out[:, -1] = 0.0
    return backward_filter_in_place(out, decay)


def backward_filter_in_place(out: np.ndarray, decay: float) -> np.ndarray:
    """:func:`backward_filter` of ``out[:, :-1]`` into ``out`` itself (its last row zero)."""
    for u in range(out.shape[1] - 2, -1, -1):
        out[:, u] += decay * out[:, u + 1]
    return out


def adaptation_weights(c: np.ndarray, p: np.ndarray, a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``D[:, r]`` for ``r = 0 .. K - 1`` and ``D[-1]``: the weights with which the adaptation
    trace carries ``P Z`` of step ``r`` into the later eligibilities weighted by ``c``."""
    d = np.zeros(c.shape, dtype=c.dtype)
    cp = c * p
    for r in range(c.shape[1] - 2, -1, -1):
        np.multiply(a[:, r + 1], d[:, r + 1], out=d[:, r])
        d[:, r] += cp[:, r + 1]
    return d, cp[:, 0] + a[:, 0] * d[:, 0]


def reverse_products(a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``prod_{v = r + 1}^{K - 1} a[:, v]`` for each ``r``, and the product of all of ``a``."""
    out = np.ones(a.shape, dtype=a.dtype)
    for r in range(a.shape[1] - 2, -1, -1):
        np.multiply(out[:, r + 1], a[:, r + 1], out=out[:, r])
    return out, out[:, 0] * a[:, 0]


class SpikeRaster:
    """The presynaptic side of one batch as :func:`spike_sums` reads it: row 0 of the raster
    the sums are defined on is ``trace`` (the presynaptic trace before the batch, ``(B, N)``),
    row ``q + 1`` the 0/1 spikes of step ``q``, kept as events: those of batch element ``b``
    are ``offsets[b]:offsets[b + 1]`` of ``rows`` (``q + 1``) and ``ids``.

    Parameters
    ----------
    trace
        ``(B, N)``.
    offsets
        ``B + 1`` ascending event offsets.
    rows, ids
        Each event's raster row (``1 .. num_rows - 1``) and neuron (``0 .. N - 1``).
    num_rows
        ``K + 1``: the steps of the batch and the trace's row.
    """

    def __init__(self, trace: np.ndarray, offsets: np.ndarray, rows: np.ndarray,
                 ids: np.ndarray, num_rows: int):
        self.trace = trace
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self.rows = np.ascontiguousarray(rows, dtype=np.int64)
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.num_rows = int(num_rows)
        batch, num_pre = trace.shape
        # The kernel trusts these: check them here, where a mistake is an error, not a crash
        if self.offsets.shape != (batch + 1,) or self.offsets[0] != 0 \
                or np.any(np.diff(self.offsets) < 0) or self.offsets[-1] != len(self.rows) \
                or len(self.ids) != len(self.rows):
            raise ValueError(f"SpikeRaster: offsets must ascend from 0 to the {len(self.rows)} "
                             f"events over {batch} batch elements")
        if len(self.rows) and (self.rows.min() < 1 or self.rows.max() >= self.num_rows
                               or self.ids.min() < 0 or self.ids.max() >= num_pre):
            raise ValueError(f"SpikeRaster: event rows must lie in [1, {self.num_rows}) and "
                             f"ids in [0, {num_pre})")

    @classmethod
    def from_dense(cls, raster: np.ndarray) -> "SpikeRaster":
        """From a dense ``(B, K + 1, N)`` raster: row 0 the trace, then 0/1 spikes."""
        spikes = raster[:, 1:]
        if np.any((spikes != 0) & (spikes != 1)):
            raise ValueError("SpikeRaster.from_dense: rows 1.. must hold 0/1 spikes")
        b, q, i = np.nonzero(spikes)
        offsets = np.searchsorted(b, np.arange(raster.shape[0] + 1))
        return cls(np.ascontiguousarray(raster[:, 0]), offsets, q + 1, i, raster.shape[1])


def spike_sums(raster: SpikeRaster, columns: np.ndarray, threads: int = 1) -> np.ndarray:
    """``out[b, i] = sum_r raster[b, r, i] columns[b, r]``: with row 0 of ``raster`` holding
    the presynaptic trace before the batch and row ``q + 1`` the spikes of step ``q``, this is
    ``Z[0] Qbar[0] + sum over spikes q of Qbar[q + 1]`` for every synapse.

    Computed natively, event by event (:mod:`ml_genn_eprop.native_spike_sums`): each spike
    adds one row of ``columns``; batch elements are shared among ``threads`` threads, each
    element summed by one thread in spike order (the same result at any thread count).

    Parameters
    ----------
    raster
        The trace before the batch and the batch's presynaptic spikes.
    columns
        ``(B, K + 1, C)`` postsynaptic series.
    threads
        Threads sharing the batch elements.

    Returns
    -------
    ``(B, num_pre, C)``
    """
    from .native_spike_sums import spike_sums_kernel
    batch, num_pre = raster.trace.shape
    if columns.shape[:2] != (batch, raster.num_rows):
        raise ValueError(f"spike_sums: columns of shape {columns.shape} do not match a raster "
                         f"of {batch} batch elements and {raster.num_rows} rows")
    # The columns set the precision (a wider trace must not widen a copy of every column)
    dtype = columns.dtype
    columns = np.ascontiguousarray(columns)
    trace = np.ascontiguousarray(raster.trace, dtype=dtype)
    out = np.empty((batch, num_pre, columns.shape[2]), dtype=dtype)
    spike_sums_kernel(dtype)(batch, num_pre, columns.shape[2], raster.num_rows, trace, columns,
                             raster.offsets, raster.rows, raster.ids, out, max(1, int(threads)))
    return out


class HiddenSeries:
    """Per-neuron series of one hidden population over one batch, as its incoming synapses read
    them (``(B, K, N)``).

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


class HiddenColumns:
    """What every connection into one hidden population needs from its series in one batch:
    the backward-filtered columns ``Qbar`` (blocks: gradient when wanted, ``eFiltered``, and
    ``epsilonA`` for ALIF) and the per-neuron factors of the terms from the starting state.

    Parameters
    ----------
    series
        The population's series.
    alpha, beta, rho
        Trace decay, adaptation strength and adaptation decay (``beta`` 0 for LIF).
    adaptive
        Whether the population is ALIF (its synapses have an adaptation trace ``epsilonA``).
    gradient
        Whether the gradient is wanted (training) or only the traces.
    """

    def __init__(self, series: HiddenSeries, alpha: float, beta: float, rho: float,
                 adaptive: bool, gradient: bool):
        p = series.psi
        steps = p.shape[1]
        self.alpha, self.beta, self.adaptive, self.gradient = alpha, beta, adaptive, gradient
        self.num_post = p.shape[2]
        a = rho - beta * p
        weights: List[np.ndarray] = []
        if gradient:
            e_bar = backward_filter(series.learning_signal, alpha)
            # The gradient's term of the filtered eligibility the batch started from
            self.initial_ef_factor = alpha * e_bar[:, 0]
            weights.append(e_bar[:, :-1] + series.regulariser)
        decay = (alpha ** np.arange(steps - 1, -1, -1, dtype=np.float64)).astype(p.dtype)
        weights.append(np.broadcast_to(decay[None, :, None], p.shape))
        n = self.num_post
        q_bar = np.empty((p.shape[0], steps + 1, n * (len(weights) + adaptive)), dtype=p.dtype)
        q_bar[:, -1] = 0.0
        #: Per block, ``D[-1]``: how the adaptation trace the batch started from enters it
        self.initial_eps_factor: List[Optional[np.ndarray]] = []
        for k, c in enumerate(weights):
            block = q_bar[:, :-1, k * n:(k + 1) * n]
            if adaptive:
                d, d_m1 = adaptation_weights(c, p, a)
                d *= -beta
                d += c
                np.multiply(p, d, out=block)
                self.initial_eps_factor.append(d_m1)
            else:
                np.multiply(p, c, out=block)
                self.initial_eps_factor.append(None)
        if adaptive:
            phi, self.phi_all = reverse_products(a)
            np.multiply(p, phi, out=q_bar[:, :-1, -n:])
        self.q_bar = backward_filter_in_place(q_bar, alpha)
        self.ef_decay = alpha ** steps

    def block(self, values: np.ndarray, k: int) -> np.ndarray:
        """Block ``k`` of the last axis of ``values``."""
        return values[..., k * self.num_post:(k + 1) * self.num_post]

    def updates(self, raster: SpikeRaster, ef: np.ndarray, eps: Optional[np.ndarray],
                delta_g: Optional[np.ndarray], threads: int = 1) -> None:
        """One batch of one connection into the population, in place: ``ef`` and ``eps``
        (``eFiltered``, ``epsilonA``; the values before the batch) become the values after it,
        and ``delta_g`` (when the gradient is wanted) receives the batch's ``DeltaG``. Each
        ``(B, num_pre, num_post)``; ``eps`` None for LIF.

        Parameters
        ----------
        raster
            The presynaptic trace before the batch and the spikes (see :func:`spike_sums`).
        threads
            Threads for the spike sums (:func:`spike_sums`).
        """
        sums = spike_sums(raster, self.q_bar, threads)
        scratch = np.empty_like(ef)
        k = 0
        if self.gradient:
            np.multiply(ef, self.initial_ef_factor[:, None, :], out=delta_g)
            delta_g += self.block(sums, 0)
            if self.adaptive:
                np.multiply(eps, self.beta * self.initial_eps_factor[0][:, None, :], out=scratch)
                delta_g -= scratch
            k = 1
        ef *= self.ef_decay
        ef += self.block(sums, k)
        if self.adaptive:
            np.multiply(eps, self.beta * self.initial_eps_factor[k][:, None, :], out=scratch)
            ef -= scratch
            eps *= self.phi_all[:, None, :]
            eps += self.block(sums, k + 1)


def output_gradient(error: np.ndarray, alpha: float, raster: SpikeRaster,
                    delta_g: np.ndarray, threads: int = 1) -> None:
    """``DeltaG`` of a connection into an output population, ``sum_u Z[u] E[u]``, written into
    ``delta_g`` (``(B, num_pre, num_post)``).

    Parameters
    ----------
    error
        Output error as the synapses read it at each step, ``(B, K, num_post)``.
    alpha
        Presynaptic trace decay.
    raster
        The presynaptic trace before the batch and the spikes (see :func:`spike_sums`).
    delta_g
        Where the result goes.
    threads
        Threads for the spike sums (:func:`spike_sums`).
    """
    delta_g[...] = spike_sums(raster, backward_filter(error, alpha), threads)
