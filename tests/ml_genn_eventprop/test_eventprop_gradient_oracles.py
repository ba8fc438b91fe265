"""EventProp's gradients against oracles that share no code with the engine (issue 22).

Everything runs through the production path (``Network`` -> ``EventPropCompiler`` -> ``train``;
gradients from ``get_gradients()`` in ``on_after_gradient_update``, the loss from
``EventPropStats``), in the regime users train in: dt = 1 ms, trials of 100-1000 steps,
tau_mem / tau_syn = 20 / 5, v_reset != 0, relative and absolute resets, thresholds != 1, batch 1
and > 1, recurrent and feed-forward, float and double precision. The oracles:

* ``numpy_forward``: a float64 NumPy forward pass written from the model's documented equations.
  The engine's forward pass must reproduce it (same loss, same hidden spikes), so its loss is the
  engine's own loss, and its finite differences are an oracle wherever the loss is smooth.
* Output connections at dt = 1 ms: the loss is a smooth function of their weights (no spike
  depends on them), so each connection's gradient must equal central finite differences of that
  loss, weight by weight, within 2% of its own norm. What remains is the drive spread over its
  step (DERIVATION.md section 6): measured 0.06-0.8% on these cases.
* Hidden connections at dt = 1 ms have no finite-difference oracle: perturbing their weights
  leaves the loss exactly constant until some spike moves by a whole step (the time-stepped loss
  is a staircase in them), and EventProp's gradient is the slope of the continuous-time model the
  steps sample (DERIVATION.md sections 4-6). Two oracles instead: (1) at dt = 0.02 ms (3000-step
  trials), each connection's gradient against central finite differences of ``reference``'s
  *exact* event-driven loss (closed-form dynamics, threshold crossings found by root finding;
  a smooth function of the weights), compared with that connection's own gradient norm;
  (2) at dt = 1 ms, descent: a step against the input connection's gradient lowers the float64
  loss of many examples, and training lowers it.
* First spike times at dt = 1 ms: before its first spike an output neuron's voltage is linear
  in its input weights, and the engine moves a spike by ``-dV / slope`` with the secant slope of
  the step in which ``V`` crossed (DERIVATION.md section 6); the phantom spike of a silent
  correct neuron uses the slope ``(1 - Alpha) / (Alpha dt)``. So these gradients equal the chain
  rule through finite differences of the voltage at the crossing step.

Mutants of the engine these tests kill (applied one at a time): ``- Vreset`` dropped from the
slope after an absolute or a relative reset; a relative reset made absolute; ``exp(-1 / tau)``
for ``exp(-dt / tau)``; the synapse's ``tau / dt`` scale dropped; the input connection's gradient
zeroed, negated or doubled; the phantom spike's slope changed; the spike-time slope taken at the
threshold instead of the voltage that crossed. Not killed here: a relative reset treated as
absolute in the backward pass alone (it changes the gradient only by each reset's overshoot beyond
the threshold, which vanishes as dt -> 0 and is invisible under dt = 1 ms's staircase);
``test_eventprop_engine_gradients.py::test_engine_equals_time_stepped_reference_with_a_relative_reset``
kills it (``tools/mutation_check.py``, docs/testing.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, Tuple

import numpy as np
import pytest

import numpy_forward as NF
import eventprop_production as EP
import reference as R
from ml_genn.callbacks import VarRecorder
from ml_genn.optimisers import Adam

TAU_MEM, TAU_SYN = 20.0, 5.0
# A hidden spike counts as near threshold when I - V (dt = 1) or I - theta (exact) < 0.2 theta
NEAR = 0.2


def _hidden(n: int, v_thresh: float, v_reset: float, relative: bool) -> NF.Neurons:
    return NF.Neurons(n, TAU_MEM, TAU_SYN, True, v_thresh, v_reset, relative)


# ------------------------------------------------------------------------------ dt = 1 ms
@dataclass
class Case:
    name: str
    seed: int
    steps: int
    batch: int
    recurrent: bool
    v_thresh: float
    v_reset: float
    relative: bool
    readout: str = "avg_var"
    loss: str = "sparse_categorical_crossentropy"
    precision: str = "double"
    dt: float = 1.0
    compiler_kwargs: Dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("100steps-b1-ff-abs", 3, 100, 1, False, 1.2, -0.2, False),
    Case("300steps-b4-ff-rel-expweight", 1, 300, 4, False, 0.8, 0.3, True,
         readout="avg_var_exp_weight"),
    Case("600steps-b2-rec-rel-sumvar", 2, 600, 2, True, 0.8, -0.3, True, readout="sum_var"),
    Case("1000steps-b4-rec-abs-float", 3, 1000, 4, True, 1.5, 0.2, False, precision="float"),
    Case("200steps-b2-ff-rel-var-mse-float", 4, 200, 2, False, 0.9, 0.25, True, readout="var",
         loss="mean_square_error", precision="float"),
    Case("300steps-b2-rec-abs-var-per-timestep", 5, 300, 2, True, 1.1, -0.5, False,
         readout="var", compiler_kwargs={"per_timestep_loss": True}),
    # dt != 1 ms: decays and synaptic scales that confuse dt with 1 ms only show here
    Case("400steps-dt0.5-b2-ff-rel", 7, 400, 2, False, 0.8, 0.3, True, dt=0.5),
]


def _setup(case: Case, n_in: int = 100, n_hidden: int = 12, n_out: int = 4,
           rate: float = 0.02) -> EP.Setup:
    """Poisson input; hidden neurons driven (on average) from 0.9 to 1.5 times threshold, so
    that many spikes cross with little current to spare."""
    rng = np.random.default_rng(case.seed)
    raster = (rng.random((case.batch, case.steps, n_in)) < rate * case.dt).astype(float)
    raster[:, 0] = 0.0
    hidden = _hidden(n_hidden, case.v_thresh, case.v_reset, case.relative)
    mean_w = np.linspace(0.9, 1.5, n_hidden) * case.v_thresh / (n_in * rate * TAU_SYN)
    weights = [mean_w * rng.normal(1.0, 0.5, (n_in, n_hidden))]
    if case.recurrent:
        weights.append(rng.normal(0.0, 0.1 * case.v_thresh, (n_hidden, n_hidden)))
    weights.append(rng.normal(0.0, 1.0, (n_hidden, n_out)))
    if case.loss == "mean_square_error":
        t = np.arange(case.steps) * case.dt
        targets = 0.3 * np.sin(2 * np.pi * (t[None, :, None] / 50.0
                                            + rng.random((case.batch, 1, n_out))))
    else:
        targets = np.arange(case.batch) % n_out
    return EP.Setup(hidden, NF.Neurons(n_out, TAU_MEM, TAU_SYN, False), case.recurrent, case.dt,
                    raster, weights, targets, case.readout, case.loss, case.precision,
                    dict(case.compiler_kwargs))


def _central_difference_points(w: np.ndarray, eps: float) -> np.ndarray:
    """``(w.size, 2, *w.shape)``: for weight ``j`` (in ``np.ndindex`` order) ``w`` with that
    weight moved by ``+eps`` and by ``-eps``, to be simulated together."""
    points = np.repeat(w[None], 2 * w.size, axis=0).reshape(w.size, 2, *w.shape)
    for j, index in enumerate(np.ndindex(w.shape)):
        points[(j, 0) + index] += eps
        points[(j, 1) + index] -= eps
    return points


def _output_loss(setup: EP.Setup, hidden_spikes: np.ndarray, w_out: np.ndarray) -> np.ndarray:
    """The float64 loss for output weights ``w_out`` ``(..., n_h, n_out)``."""
    samples, _ = NF.output_forward(setup.output, hidden_spikes, w_out, setup.dt)
    if setup.loss == "mean_square_error":
        return NF.mean_square_error(samples, setup.targets)
    if setup.compiler_kwargs.get("per_timestep_loss"):
        return NF.per_timestep_crossentropy(samples, setup.targets)
    return NF.readout_crossentropy(samples, setup.readout, setup.targets)


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def users_case(request):
    setup = _setup(request.param)
    result = EP.train_one_batch(setup)
    trace = NF.hidden_forward(setup.hidden, setup.raster, setup.w_in, setup.w_rec, setup.dt)
    return request.param, setup, result, trace


def test_forward_pass_and_loss_equal_the_numpy_model(users_case):
    case, setup, result, trace = users_case
    # Every hidden neuron fires as the documented model says, in every example
    np.testing.assert_array_equal(result.hidden_counts, trace.spikes.sum(axis=1))
    margin = trace.margin[np.isfinite(trace.margin)]
    assert margin.size >= 25, f"only {margin.size} hidden spikes: the case is too quiet"
    share = np.mean(margin < NEAR * setup.hidden.v_thresh)
    assert share >= 0.05, f"only {share:.1%} of hidden spikes near threshold"
    # The loss users see is the model's (float: rounding of 1000s of float32 steps, ~1e-7)
    expected = float(_output_loss(setup, trace.spikes, setup.w_out))
    rtol = 1e-9 if case.precision == "double" else 1e-5
    assert result.loss == pytest.approx(expected, rel=rtol)


def test_output_connection_gradient_equals_finite_differences(users_case):
    case, setup, result, trace = users_case
    w = setup.w_out
    eps = 1e-3
    # Every weight moved by +eps and -eps, all simulated together
    points = _central_difference_points(w, eps)
    losses = _output_loss(setup, trace.spikes, points)
    fd = ((losses[:, 0] - losses[:, 1]) / (2 * eps)).reshape(w.shape)
    grad = result.gradients[-1]
    assert np.linalg.norm(grad) > 1e-3
    assert np.linalg.norm(grad - fd) <= 0.02 * np.linalg.norm(grad), \
        f"EventProp\n{grad}\nfinite differences\n{fd}"


# ------------------------------------------------------------- hidden connections, exact
@dataclass
class FineCase:
    name: str
    seed: int
    batch: int
    recurrent: bool
    v_thresh: float
    v_reset: float
    relative: bool
    readout: str
    precision: str = "double"


FINE_DT, FINE_DURATION = 0.02, 60.0
FINE_CASES = [
    FineCase("ff-abs-per-timestep-b2", 5, 2, False, 0.8, 0.5, False, "var"),
    FineCase("rec-rel-per-timestep-b1", 1, 1, True, 1.2, 0.7, True, "var"),
    FineCase("rec-rel-per-timestep-b2-float", 1, 2, True, 1.1, 0.4, True, "var", "float"),
]


def _fine_setup(case: FineCase, n_in: int = 40, n_out: int = 3, rate: float = 0.25):
    """Poisson inputs; 8 hidden neurons driven (on average) from just over threshold
    (near-threshold spikes) to 4 times it (bursts, where the slope after the reset matters)."""
    rng = np.random.default_rng(case.seed)
    steps = int(round(FINE_DURATION / FINE_DT))
    raster = np.zeros((case.batch, steps, n_in))
    for b in range(case.batch):
        for i in range(n_in):
            n = rng.poisson(rate * FINE_DURATION)
            raster[b, np.unique(rng.integers(1, steps, n)), i] = 1.0
    drive = np.array([1.02, 1.06, 1.1, 1.15, 1.25, 2.0, 3.0, 4.0])
    hidden = _hidden(drive.size, case.v_thresh, case.v_reset, case.relative)
    mean_w = drive * case.v_thresh / (n_in * rate * TAU_SYN)
    weights = [rng.normal(1.0, 0.3, (n_in, drive.size)) * mean_w]
    if case.recurrent:
        weights.append(rng.normal(0.0, 0.1 * case.v_thresh, (drive.size, drive.size)))
    weights.append(rng.normal(0.3, 1.0, (drive.size, n_out)))
    kwargs = {"per_timestep_loss": True} if case.readout == "var" else {}
    return EP.Setup(hidden, NF.Neurons(n_out, TAU_MEM, TAU_SYN, False), case.recurrent,
                    FINE_DT, raster, weights, np.arange(case.batch) % n_out, case.readout,
                    precision=case.precision, compiler_kwargs=kwargs)


def _exact(setup: EP.Setup, weights) -> Tuple[float, np.ndarray, np.ndarray]:
    """``reference``'s exact loss (batch mean), its hidden spike counts ``(B, n_h)`` and the
    ``I - theta`` of every hidden spike. Input spikes of step ``m`` reach their targets at
    ``(m + 1) dt``, as in the engine; a continuous-time LIF resets to ``v_reset`` at its
    crossing whether the reset is relative or absolute."""
    h, o = setup.hidden, setup.output
    pops = [R.Pop(setup.raster.shape[2], "input"),
            R.Pop(h.n, "lif", h.tau_mem, h.tau_syn, h.v_thresh, h.v_reset),
            R.Pop(o.n, "li", o.tau_mem, o.tau_syn)]
    conns = [R.Conn(0, 1, weights[0])]
    if setup.recurrent:
        conns.append(R.Conn(1, 1, weights[1]))
    conns.append(R.Conn(1, 2, weights[-1]))
    net = R.Net(pops, conns, setup.steps * setup.dt, setup.dt)
    total, counts, margins = 0.0, [], []
    for example, label in zip(setup.raster, setup.targets):
        inputs = [(np.flatnonzero(example[:, i]) + 1) * setup.dt
                  for i in range(example.shape[1])]
        # Crossings are bracketed on a 0.25 ms grid (a shorter excursion above threshold would
        # be missed, and the spike counts compared below would show it)
        trace = R.simulate(net, inputs, grid=0.25)
        total += R.loss_and_output_gradients(net, trace, "sce", label, 2, setup.readout)[0]
        spikes = [s for s in trace.spikes if s.pop == 1]
        counts.append(np.bincount([s.idx for s in spikes], minlength=h.n))
        margins += [s.v_dot_minus * h.tau_mem for s in spikes]
    return total / setup.batch, np.array(counts), np.array(margins)


@pytest.mark.parametrize("case", FINE_CASES, ids=[c.name for c in FINE_CASES])
def test_every_connection_matches_exact_finite_differences(case):
    """At dt = 0.02 ms the engine's gradient approaches the exact model's; each connection's
    directional derivatives (along its gradient and a random direction) must equal central
    finite differences of the exact loss within 10% of that connection's gradient norm.
    Measured here: at most 0.9% (0.1-3% over other seeds), the O(dt) of the time grid, which
    grows for spikes that cross with little current to spare (none here crosses with
    I - theta < 0.05 theta: there the gradient grows like 1 / (I - theta), and so does its
    error). Dropping ``- Vreset`` from the slope after a reset moves it by 20-83%, doubling or
    negating the input connection's gradient by 50% or 200%."""
    setup = _fine_setup(case)
    result = EP.train_one_batch(setup)
    loss, counts, margins = _exact(setup, setup.weights)
    np.testing.assert_array_equal(result.hidden_counts, counts)
    assert result.loss == pytest.approx(loss, rel=2e-3)
    theta = setup.hidden.v_thresh
    assert np.mean(margins < NEAR * theta) >= 0.03, "too few near-threshold spikes"
    assert margins.min() >= 0.05 * theta, "a spike grazes the threshold: ill-conditioned case"
    # Bursts: the post-reset slope (I - v_reset) carries costates between a neuron's spikes
    assert counts.max() >= 5
    eps = 1e-5
    rng = np.random.default_rng(case.seed)
    for k, grad in enumerate(result.gradients):
        norm = np.linalg.norm(grad)
        assert norm > 1e-3, f"connection {k} has no gradient: the case is inert"
        random = rng.normal(size=grad.shape)
        directions = [grad / norm, random / np.linalg.norm(random)]
        for d, u in enumerate(directions):
            values = []
            for sign in (1.0, -1.0):
                moved = [w + sign * eps * u if j == k else w
                         for j, w in enumerate(setup.weights)]
                value, moved_counts, _ = _exact(setup, moved)
                np.testing.assert_array_equal(moved_counts, counts)
                values.append(value)
            fd = (values[0] - values[1]) / (2 * eps)
            assert abs(fd - np.sum(grad * u)) <= 0.1 * norm, \
                (f"connection {k}, direction {d}: EventProp {np.sum(grad * u):.5g}, "
                 f"exact finite differences {fd:.5g}, |g| = {norm:.5g}")


# ------------------------------------------------------------------ first spike times, dt = 1
def _first_spike_setup() -> EP.Setup:
    """LIF outputs read out by first spike time, trained with crossentropy (mlGeNN's
    ``ttfs_alpha`` term included). Labels are picked after a NumPy run so that example 0's
    correct neuron stays silent (it gets a phantom spike) and the others' fire."""
    rng = np.random.default_rng(11)
    batch, steps, n_in, n_hidden, n_out, rate = 3, 150, 100, 12, 4, 0.02
    raster = (rng.random((batch, steps, n_in)) < rate).astype(float)
    raster[:, 0] = 0.0
    hidden = _hidden(n_hidden, 0.9, 0.2, True)
    mean_w = np.linspace(0.9, 1.5, n_hidden) * 0.9 / (n_in * rate * TAU_SYN)
    weights = [mean_w * rng.normal(1.0, 0.5, (n_in, n_hidden)),
               rng.normal(0.5, 0.25, (n_hidden, n_out))]
    output = NF.Neurons(n_out, TAU_MEM, TAU_SYN, True, 1.3, -0.3, True)
    setup = EP.Setup(hidden, output, False, 1.0, raster, weights, np.zeros(batch, int),
                     compiler_kwargs={"ttfs_alpha": 0.1, "softmax_temperature": 2.0})
    trace = NF.hidden_forward(hidden, raster, weights[0], None, 1.0)
    _, spikes = NF.output_forward(output, trace.spikes, weights[1], 1.0)
    first = NF.first_steps(spikes)
    silent, fired = first[0] < 0, first[1:] >= 0
    # A silent correct neuron, silent incorrect ones beside it, firing ones elsewhere
    assert silent.sum() >= 2 and fired.any(axis=1).all(), first
    labels = np.array([np.argmax(silent)] + [np.argmax(f) for f in fired])
    return setup.with_targets(labels)


def test_first_spike_time_gradients_follow_the_voltage_at_the_crossing():
    """For each output neuron that fired (first in step ``m``), the engine moves its first
    spike by ``-dV_m / s`` with the secant slope ``s = (V_m - V_(m-1)) / dt``; a silent correct
    neuron's phantom spike in the last step uses ``s = (1 - Alpha) / (Alpha dt)``; a silent
    incorrect neuron has no gradient. Before the first spike ``V`` is linear in the neuron's
    input weights, so ``dV_m / dw`` is exact by central differences: the output connection's
    gradient must equal ``sum_b dL/dt * (-1 / s) * dV_m / dw`` within 1% of its norm (measured
    0.1%: the costates' closed-form step vs the time-stepped voltage, DERIVATION.md section 1)."""
    setup = _first_spike_setup()
    result = EP.train_one_batch(setup)
    trace = NF.hidden_forward(setup.hidden, setup.raster, setup.w_in, None, setup.dt)
    w = setup.w_out
    eps = 1e-6
    points = _central_difference_points(w, eps)
    voltages, spikes = NF.output_forward(setup.output, trace.spikes, points, setup.dt)
    v0, spikes0 = NF.output_forward(setup.output, trace.spikes, w, setup.dt)
    first = NF.first_steps(spikes0)
    assert np.all(NF.first_steps(spikes) == first), "a first spike moved under the difference"
    # dV(step, b, n) / dw(i, n) for every weight of the connection
    dv_dw = ((voltages[:, 0] - voltages[:, 1]) / (2 * eps)).reshape(*w.shape, *v0.shape)
    labels, K, dt = setup.targets, setup.steps, setup.dt
    loss, dldt = NF.first_spike_crossentropy(first, labels, dt, K, 2.0, 0.1)
    assert result.loss == pytest.approx(loss, rel=1e-9)
    alpha = np.exp(-dt / setup.output.tau_mem)
    expected = np.zeros_like(w)
    phantoms = 0
    for b in range(setup.batch):
        for n in range(setup.output.n):
            m = first[b, n]
            if m >= 0:
                before = v0[b, m - 1, n] if m > 0 else 0.0
                slope = (v0[b, m, n] - before) / dt
            elif n == labels[b]:
                m, slope = K - 1, (1.0 - alpha) / (alpha * dt)
                phantoms += 1
            else:
                continue
            expected[:, n] += dldt[b, n] * (-1.0 / slope) * dv_dw[:, n, b, m, n]
    assert phantoms == 1
    grad = result.gradients[-1]
    assert np.linalg.norm(grad - expected) <= 0.01 * np.linalg.norm(grad), \
        f"EventProp\n{grad}\nchain rule\n{expected}"
    # The silent correct neuron's column comes from its phantom spike alone
    assert np.linalg.norm(grad[:, labels[0]]) > 0.0


# ------------------------------------------------------------------------------ evaluate()
def test_evaluate_runs_the_forward_model_and_leaves_the_weights():
    """``evaluate()`` of an EventProp network, two batches: the output voltages it records and
    its accuracy are the NumPy model's (each example from rest), and no weight moves."""
    case = Case("evaluate", 21, 250, 4, True, 0.8, 0.3, True, readout="avg_var_exp_weight")
    setup = _setup(case)
    raster = np.concatenate([setup.raster, _setup(replace(case, seed=22)).raster])
    labels = np.arange(raster.shape[0]) % setup.output.n
    compiled, inp, hid, out, conns = EP.compile_network(setup)
    with compiled:
        metrics, cb_data = compiled.evaluate({inp: EP.raster_to_spikes(raster, setup.dt)},
                                             {out: labels},
                                             callbacks=[VarRecorder(out, "v", key="v")])
        after = [np.array(compiled.connection_populations[c].vars["g"].view, dtype=float)
                 for c in conns]
    recorded = np.stack([np.asarray(v, dtype=float) for v in cb_data["v"]])
    trace = NF.hidden_forward(setup.hidden, raster, setup.w_in, setup.w_rec, setup.dt)
    samples, _ = NF.output_forward(setup.output, trace.spikes, setup.w_out, setup.dt)
    np.testing.assert_allclose(recorded, samples, rtol=0.0, atol=1e-9)
    predicted = np.argmax(NF.readout(samples, setup.readout), axis=1)
    assert metrics[out].result == pytest.approx(np.mean(predicted == labels))
    for w, a in zip(setup.weights, after):
        np.testing.assert_array_equal(a.reshape(w.shape), w)


# ----------------------------------------------------------------------- descent, dt = 1
def _task(seed: int = 0, examples: int = 48, steps: int = 200, n_in: int = 40,
          n_hidden: int = 24, n_out: int = 4) -> EP.Setup:
    """A small SHD-like task: each class raises the rate of its own quarter of the inputs for
    60 ms, starting later for later classes, over background noise; recurrent LIF hidden layer
    with a relative reset to v_reset != 0, float precision (the engine's default)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(examples) % n_out
    raster = rng.random((examples, steps, n_in)) < 0.01
    group = n_in // n_out
    for b, y in enumerate(labels):
        start = int(rng.integers(10, 40)) + 30 * y
        raster[b, start:start + 60, y * group:(y + 1) * group] |= \
            rng.random((60, group)) < 0.06
    raster = raster.astype(float)
    raster[:, 0] = 0.0
    weights = [rng.normal(0.25, 0.15, (n_in, n_hidden)),
               rng.normal(0.0, 0.05, (n_hidden, n_hidden)),
               rng.normal(0.0, 1.0, (n_hidden, n_out))]
    return EP.Setup(_hidden(n_hidden, 0.8, -0.2, True), NF.Neurons(n_out, TAU_MEM, TAU_SYN, False),
                    True, 1.0, raster, weights, labels, "avg_var_exp_weight", precision="float")


def _task_loss(setup: EP.Setup, weights) -> float:
    trace = NF.hidden_forward(setup.hidden, setup.raster, weights[0], weights[1], setup.dt)
    samples, _ = NF.output_forward(setup.output, trace.spikes, weights[2], setup.dt)
    return float(NF.readout_crossentropy(samples, setup.readout, setup.targets))


def test_a_step_against_the_input_gradient_lowers_the_loss_of_many_examples():
    """The input connection's gradient over 48 examples: steps of 0.3-3% of its weights' norm
    against it lower the float64 loss of those examples, steps along it raise it (measured:
    changes of 0.05-1.4%; a negated gradient swaps them, a zero one has no direction)."""
    setup = _task()
    grad = EP.train_one_batch(setup).gradients[0]
    assert np.linalg.norm(grad) > 0.0
    base = _task_loss(setup, setup.weights)
    for size in (0.003, 0.01, 0.03):
        step = size * np.linalg.norm(setup.w_in) * grad / np.linalg.norm(grad)
        down = _task_loss(setup, [setup.w_in - step] + setup.weights[1:])
        up = _task_loss(setup, [setup.w_in + step] + setup.weights[1:])
        assert down < base < up, (size, down - base, up - base)


@pytest.mark.parametrize("learned", [(0,), (0, 1, 2)], ids=["input-only", "all"])
def test_training_lowers_the_loss(learned):
    """Three epochs of Adam(0.01), batch 8, over the 48 examples lower their float64 loss by at
    least 8% (measured: 15% when only the input connection learns, the others' gradients being
    zeroed in ``on_after_gradient_update``; 18% when all learn)."""
    setup = _task()
    before = _task_loss(setup, setup.weights)
    first_batch = setup.with_batch(8)
    compiled, inp, hid, out, conns = EP.compile_network(first_batch, optimiser=Adam(0.01))
    grab = EP.GradientGrab(zero=[c for k, c in enumerate(conns) if k not in learned])
    with compiled:
        compiled.train({inp: EP.raster_to_spikes(setup.raster, setup.dt)}, {out: setup.targets},
                       num_epochs=3, shuffle=False, callbacks=[grab])
        trained = [np.array(compiled.connection_populations[c].vars["g"].view,
                            dtype=float).reshape(w.shape) for c, w in zip(conns, setup.weights)]
    assert len(grab.batches) == 18
    for k, (w, t) in enumerate(zip(setup.weights, trained)):
        assert np.array_equal(w.astype(np.float32), t.astype(np.float32)) == (k not in learned)
    after = _task_loss(setup, trained)
    assert after <= 0.92 * before, (before, after)


def test_inference_compiler_runs_the_same_model():
    """Core's LIF, leaky-integrator and exponential-synapse models (``InferenceCompiler``, with
    which users evaluate what EventProp trained, and the oracle of ``long_trial_oracle``) run
    the documented model too: at dt = 0.5 ms, where a decay or synaptic scale that confused dt
    with 1 ms would show, with a relative reset to v_reset != 0 and theta != 1."""
    from ml_genn.compilers import InferenceCompiler
    case = Case("inference", 31, 300, 2, True, 0.8, 0.3, True, dt=0.5)
    setup = _setup(case)
    net, inp, hid, out, conns = EP.build_network(setup)
    compiled = InferenceCompiler(evaluate_timesteps=setup.steps, batch_size=setup.batch,
                                 dt=setup.dt, reset_in_syn_between_batches=True,
                                 precision="double").compile(net)
    with compiled:
        _, cb_data = compiled.evaluate({inp: EP.raster_to_spikes(setup.raster, setup.dt)},
                                       {out: setup.targets},
                                       callbacks=[VarRecorder(out, "v", key="v")])
    recorded = np.stack([np.asarray(v, dtype=float) for v in cb_data["v"]])
    trace = NF.hidden_forward(setup.hidden, setup.raster, setup.w_in, setup.w_rec, setup.dt)
    assert trace.spikes.sum() >= 50
    samples, _ = NF.output_forward(setup.output, trace.spikes, setup.w_out, setup.dt)
    np.testing.assert_allclose(recorded, samples, rtol=0.0, atol=1e-9)
