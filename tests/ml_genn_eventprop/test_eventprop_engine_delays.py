"""EventProp with synaptic delays on the engine: fixed (one per connection or per synapse) and
learned delays.

As in ``test_eventprop_engine_gradients``, two independent checks:

1. the engine's weight and delay gradients equal the NumPy time-stepped scheme
   (``reference_discrete``, whose delay gradients are shown to converge to the
   finite-difference-proven exact ones in ``test_eventprop_discrete_scheme``) to double
   precision;
2. the engine's gradients agree with central finite differences of the engine's own forward
   pass at a fine ``dt`` (directional derivatives, tolerances below).

Delays are given in ms to the references and in timesteps to the engine (``d / dt``); the
engine's ``DelayGradient`` is dL/dd per timestep of delay, i.e. ``dt`` times the reference's
per-ms gradient.
"""
import numpy as np
import pytest

import reference as R
import reference_discrete as D
from engine_harness import EngineNet
from test_eventprop_engine_gradients import EXACT_RTOL, FD_DT, FD_POINTS, FD_RTOL

#: Delay perturbations for the finite differences, ms: +-0.4 ms moves every arrival by up to 40
#: steps at dt = 0.01 ms, so the fit sees the slope, not the one-step staircase of rounded delays
FD_DELAY_HALF_RANGE = 0.4
#: Weight perturbations, as in test_eventprop_engine_gradients
FD_WEIGHT_HALF_RANGE = 0.05


def _delayed(dt, kind, seed=6):
    """Input -> LIF -> LIF -> LI with delays on the first two connections.

    ``kind``: "per_synapse" (different delays), "constant" (one delay per connection).
    Delays are whole multiples of 0.1 ms in [0.6, 2.9] ms, so that they are whole steps at
    dt = 0.1 and 0.01 ms and stay positive under the finite-difference perturbations."""
    rng = np.random.default_rng(seed)
    w0, w1, w2 = rng.normal(1.0, 0.5, (4, 4)), rng.normal(1.0, 0.5, (4, 3)), \
        rng.normal(0.5, 1.0, (3, 2))
    if kind == "constant":
        d0, d1 = np.full((4, 4), 1.2), np.full((4, 3), 2.3)
    else:
        d0, d1 = rng.integers(6, 30, (4, 4)) * 0.1, rng.integers(6, 30, (4, 3)) * 0.1
    net = R.Net([R.Pop(4, "input"), R.Pop(4, "lif"), R.Pop(3, "lif"), R.Pop(2, "li")],
                [R.Conn(0, 1, w0, d0), R.Conn(1, 2, w1, d1), R.Conn(2, 3, w2)], 25.0, dt)
    inputs = [[rng.uniform(0.0, 12.0, 3) for _ in range(4)] for _ in range(2)]
    return net, inputs


LABELS = [0, 1]
KW = dict(loss="sce", readout="avg_var")


@pytest.mark.parametrize("kind, learn", [("constant", ()), ("per_synapse", ()),
                                         ("per_synapse", (0, 1))],
                         ids=["constant", "per_synapse", "learned"])
def test_engine_delays_equal_time_stepped_reference(kind, learn):
    net, inputs = _delayed(0.1, kind)
    engine = EngineNet(net, len(inputs), out_pop=3, learn_delays=learn, **KW)
    result = engine.run(inputs, LABELS)
    want_w, want_d = D.batch_gradient(net, inputs, LABELS, out_pop=3, **KW)
    assert result.loss == pytest.approx(D.batch_loss(net, inputs, LABELS, out_pop=3, **KW),
                                        rel=EXACT_RTOL)
    for c, (got, want) in enumerate(zip(result.grad_w, want_w)):
        assert np.max(np.abs(want)) > 0.0, f"connection {c}: no gradient, the test is inert"
        np.testing.assert_allclose(got, want, rtol=0.0, atol=EXACT_RTOL * np.max(np.abs(want)),
                                   err_msg=f"weights of connection {c}")
    assert sorted(result.grad_d) == sorted(learn)
    for c in learn:
        want = want_d[c] * net.dt
        assert np.count_nonzero(want) > want.size // 2, f"connection {c}: inert delay gradient"
        np.testing.assert_allclose(result.grad_d[c], want, rtol=0.0,
                                   atol=EXACT_RTOL * np.max(np.abs(want)),
                                   err_msg=f"delays of connection {c}")


def _fit_slope(losses_at, half_range, points=FD_POINTS):
    """Slope at 0 of a least-squares quadratic through the loss sampled on [-h, h]."""
    steps = np.linspace(-half_range, half_range, points)
    return np.polyfit(steps, [losses_at(s) for s in steps], 2)[1]


def test_engine_weight_and_delay_gradients_match_finite_differences():
    """Directional finite differences of the engine's own loss at dt = 0.01 ms, along the
    gradient and along a random direction, in weight space and (separately) in delay space.
    Tolerance 15% of |g| as in test_eventprop_engine_gradients: the O(dt) gap between the
    time-stepped and the exact gradient plus the quadratic fit's bias (measured 1-6%)."""
    net, inputs = _delayed(FD_DT, "per_synapse")
    for x in inputs:
        spikes = R.simulate(net, x).spikes
        assert min(s.v_dot_minus * net.pops[s.pop].tau_mem for s in spikes) > 0.5
    learn = (0, 1)
    # Room for delays moved up by the perturbation (in steps)
    largest = {c: int(np.rint((net.conns[c].delays().max() + FD_DELAY_HALF_RANGE) / FD_DT)) + 1
               for c in learn}
    engine = EngineNet(net, len(inputs), out_pop=3, learn_delays=learn, max_delay_steps=largest,
                       **KW)
    result = engine.run(inputs, LABELS)
    weights = [c.w.copy() for c in net.conns]
    base_steps = {c: net.conns[c].delays() / FD_DT for c in learn}
    rng = np.random.default_rng(3)

    def check(g, losses_at, half_range, what):
        norm = np.linalg.norm(g)
        assert norm > 1e-4, f"{what}: EventProp gradient is zero, the test network is inert"
        for k, u in enumerate([g / norm, rng.normal(size=g.size)]):
            u = u / np.linalg.norm(u)
            slope = _fit_slope(lambda h: losses_at(h * u), half_range)
            assert abs(slope - g @ u) <= FD_RTOL * norm, \
                f"{what}, direction {k}: EventProp {g @ u} vs finite differences {slope} (|g| = {norm})"

    def loss_with_weights(offset):
        moved, at = [], 0
        for w in weights:
            moved.append(w + offset[at:at + w.size].reshape(w.shape))
            at += w.size
        engine.set_weights(moved)
        loss = engine.run(inputs, LABELS, backward=False).loss
        engine.set_weights(weights)
        return loss

    def loss_with_delays(offset_ms):
        # offset in ms along the delay gradient per ms; delays enter the engine in steps
        at, moved = 0, {}
        for c in learn:
            size = base_steps[c].size
            moved[c] = base_steps[c] + offset_ms[at:at + size].reshape(base_steps[c].shape) / FD_DT
            at += size
        engine.set_delays(moved)
        loss = engine.run(inputs, LABELS, backward=False).loss
        engine.set_delays(base_steps)
        return loss

    check(np.concatenate([g.ravel() for g in result.grad_w]), loss_with_weights,
          FD_WEIGHT_HALF_RANGE, "weights")
    # Per-ms delay gradient (the engine's is per step)
    check(np.concatenate([result.grad_d[c].ravel() / FD_DT for c in learn]), loss_with_delays,
          FD_DELAY_HALF_RANGE, "delays")
