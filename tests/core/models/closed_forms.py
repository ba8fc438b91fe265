"""Closed-form solutions of the core models, written from their equations in continuous time.

Time convention (GeNN's, which mlGeNN documents and the engine follows): step ``n`` starts at
``t = n dt``; in it, spikes emitted in step ``n - 1`` arrive, then every neuron integrates over
the step. The state a recorder reads after step ``n`` is therefore the model's state at the
step's end, ``(n + 1) dt``, which is what :func:`state_times` returns. A delta-synapse input
arriving in step ``n`` is a jump of the membrane at ``(n + 1) dt``.

The integration scheme is the documented one, exact for inputs that are constant over a step
(zero-order hold): ``V <- Alpha V + (1 - Alpha) I`` with ``Alpha = exp(-dt / tau)`` and
``scale_i``, the exact solution of ``tau dV/dt = -V + I``; unscaled, ``V <- Alpha V + I``,
the same with ``I / (1 - Alpha)``. Rather than repeat that recursion, the references below
evaluate ``exp(-elapsed / tau)`` for the time elapsed since the last event (reset, change of
input, refractory release), so a decay per step of ``exp(-1 / tau)`` instead of
``exp(-dt / tau)`` shows up as a different value.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np


def state_times(dt: float, steps: int) -> np.ndarray:
    """Time [ms] of the state recorded after each of ``steps`` steps: ``(n + 1) dt``."""
    return (np.arange(steps) + 1) * dt


def lif_reference(dt: float, steps: int, tau_mem: float, v_thresh: float = np.inf,
                  v_reset: float = 0.0, relative_reset: bool = True,
                  tau_refrac: Optional[float] = None, integrate_during_refrac: bool = True,
                  arrivals: Sequence[Tuple[float, float]] = (),
                  level: Callable[[int], float] = lambda n: 0.0,
                  beta: float = 0.0, tau_adapt: Optional[float] = None) -> Dict[str, np.ndarray]:
    """Leaky integrate-and-fire membrane (optionally adaptive) sampled at the step ends.

    Between events ``V(t) = L + (V0 - L) exp(-(t - t0) / tau_mem) + sum_j w_j exp(-(t - J_j) /
    tau_mem)`` for the anchor ``(t0, V0)``, the held input's steady state ``L`` and the jumps
    ``(J_j, w_j)`` after ``t0``; adaptation ``A(t) = A0 exp(-(t - tA) / tau_adapt)``. A spike
    happens at the first state time where ``V >= v_thresh + beta A`` and the neuron is not
    refractory (``t - t_spike < tau_refrac``); while refractory without
    ``integrate_during_refrac`` the membrane is held and arriving input is lost.

    Parameters
    ----------
    dt
        Timestep [ms].
    steps
        Number of steps.
    tau_mem
        Membrane time constant [ms].
    v_thresh, v_reset, relative_reset, tau_refrac, integrate_during_refrac, beta, tau_adapt
        As the neuron models define them.
    arrivals
        ``(J, w)``: a jump of ``w`` at time ``J`` (a multiple of ``dt``).
    level
        Steady state ``L`` of the input held over step ``n`` (constant current ``I`` with
        ``scale_i``; ``I / (1 - exp(-dt / tau_mem))`` without).

    Returns
    -------
    dict
        ``V`` and ``A`` per step, ``spikes`` (bool per step) and ``margin``, the smallest
        distance of ``V`` from the threshold at a step where the neuron could spike (so a
        caller can check that no spike decision is a rounding tie).
    """
    times = state_times(dt, steps)
    arrivals = sorted(arrivals)
    t0, v0, current = 0.0, 0.0, level(0)
    ta, a0 = 0.0, 0.0
    last_spike = -np.inf
    vs, as_, spikes, margins = [], [], [], []
    for n, t in enumerate(times):
        if level(n) != current:
            # The held input changes at this step's start: re-anchor there
            start = t - dt
            v0 = current + (v0 - current) * np.exp(-(start - t0) / tau_mem) + sum(
                w * np.exp(-(start - j) / tau_mem) for j, w in arrivals if t0 < j <= start + 1e-9)
            arrivals = [(j, w) for j, w in arrivals if j > start + 1e-9]
            t0, current = start, level(n)
        a = a0 * np.exp(-(t - ta) / tau_adapt) if tau_adapt is not None else 0.0
        refractory = tau_refrac is not None and (t - last_spike) < tau_refrac
        if refractory and not integrate_during_refrac:
            # Held at the last value: the anchor moves with time, and input arriving now is lost
            v0 = vs[-1]
            t0 = t
            arrivals = [(j, w) for j, w in arrivals if j > t + 1e-9]
            vs.append(v0)
            as_.append(a)
            spikes.append(False)
            continue
        v = current + (v0 - current) * np.exp(-(t - t0) / tau_mem) + sum(
            w * np.exp(-(t - j) / tau_mem) for j, w in arrivals if t0 < j <= t + 1e-9)
        threshold = v_thresh + beta * a
        spike = not refractory and v >= threshold
        if not refractory:
            margins.append(abs(v - threshold))
        if spike:
            v = v - (threshold - v_reset) if relative_reset else v_reset
            a0, ta = a + 1.0, t
            last_spike = t
            # Re-anchor at the reset: the jumps so far are in v
            arrivals = [(j, w) for j, w in arrivals if j > t + 1e-9]
            t0, v0 = t, v
        vs.append(v)
        as_.append(a0 * np.exp(-(t - ta) / tau_adapt) if tau_adapt is not None else 0.0)
        spikes.append(spike)
    return {"V": np.array(vs), "A": np.array(as_), "spikes": np.array(spikes),
            "margin": min(margins) if margins else np.inf}


def exponential_charge(t: np.ndarray, onset: float, weight: float, tau: float) -> np.ndarray:
    """Charge ``int_onset^t weight exp(-(s - onset) / tau) ds`` of an exponential current."""
    elapsed = np.maximum(t - onset, 0.0)
    return weight * tau * (1.0 - np.exp(-elapsed / tau))


def held_exponential_response(t: np.ndarray, onset: float, weight: float, tau_mem: float,
                              tau_syn: float, dt: float) -> np.ndarray:
    """``V`` of ``tau_mem dV/dt = -V + I`` where ``I`` is, over each step from ``onset``, the
    step's average of ``weight exp(-(s - onset) / tau_syn)`` (what an ``Exponential`` synapse
    with ``scale_i`` injects), evaluated at step ends ``t``: ``V = weight c (1 - a) / (a - b)
    (exp(-e / tau_mem) - exp(-e / tau_syn))`` with ``e = t - onset``, ``a, b`` the per-step
    decays and ``c = (tau_syn / dt)(1 - b)`` the step average of a unit current."""
    a, b = np.exp(-dt / tau_mem), np.exp(-dt / tau_syn)
    c = (tau_syn / dt) * (1.0 - b)
    elapsed = np.maximum(t - onset, 0.0)
    return weight * c * (1.0 - a) / (a - b) * (np.exp(-elapsed / tau_mem)
                                               - np.exp(-elapsed / tau_syn))


def continuous_exponential_response(t: np.ndarray, onset: float, weight: float, tau_mem: float,
                                    tau_syn: float) -> np.ndarray:
    """``V`` of ``tau_mem dV/dt = -V + weight exp(-(t - onset) / tau_syn)`` from ``V = 0``:
    ``weight tau_syn / (tau_mem - tau_syn) (exp(-e / tau_mem) - exp(-e / tau_syn))``."""
    elapsed = np.maximum(t - onset, 0.0)
    return weight * tau_syn / (tau_mem - tau_syn) * (np.exp(-elapsed / tau_mem)
                                                     - np.exp(-elapsed / tau_syn))
