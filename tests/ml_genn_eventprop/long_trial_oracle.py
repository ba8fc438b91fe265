"""Gradient oracles that share nothing with the EventProp engine code: the loss is recomputed
from the output voltages of a separately compiled *inference* network (float64) with NumPy's
softmax crossentropy, and compared with the gradient the EventProp compiler applies (one SGD
step, ``(w_before - w_after) / alpha``, divided by mlGeNN's scale factor).

Networks are SHD-like in miniature: spatio-temporal input classes
(``ml_genn.utils.synthetic_spikes``) -> LIF (optionally recurrent) -> LI outputs, exponential
synapses, dt = 1 ms, trials of hundreds of steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import VarRecorder
from ml_genn.compilers import EventPropCompiler, InferenceCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes
from ml_genn.utils.synthetic_spikes import generate_spatio_temporal_dataset

TAU_MEM, TAU_SYN = 20.0, 5.0


@dataclass
class Case:
    steps: int
    batch: int
    recurrent: bool
    seed: int
    readout: str = "avg_var"
    num_inputs: int = 80
    num_hidden: int = 24
    num_outputs: int = 6
    input_mean: float = 0.12
    precision: str = "double"


class Oracle:
    """One case: its data, weights, EventProp gradient and an independent loss function."""

    def __init__(self, case: Case):
        self.case = c = case
        times, ids, labels = generate_spatio_temporal_dataset(
            num_classes=c.num_outputs, examples_per_class=c.batch, num_inputs=c.num_inputs,
            duration=float(c.steps - 1), num_tracks=2, peak_rate=60.0, track_width=6.0,
            seed=c.seed)
        self.spikes = [preprocess_spikes(t, i, c.num_inputs) for t, i in zip(times, ids)]
        self.labels = labels
        rng = np.random.default_rng(c.seed + 1000)
        self.weights = [rng.normal(c.input_mean, 0.05, (c.num_inputs, c.num_hidden))]
        if c.recurrent:
            self.weights.append(rng.normal(0.0, 0.05, (c.num_hidden, c.num_hidden)))
        self.weights.append(rng.normal(0.0, 0.3, (c.num_hidden, c.num_outputs)))
        # mlGeNN's scale of a leaky-integrator output's gradient (DERIVATION.md section 8)
        self.scale = 1.0 / TAU_MEM
        self.gradients, self.near_threshold_share, self.hidden_spikes = self._eventprop()
        self._inference = None

    def _network(self, readout: str):
        c = self.case
        net = Network(default_params)
        with net:
            inp = Population(SpikeInput(max_spikes=c.batch * 20000), c.num_inputs)
            hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=TAU_MEM, tau_refrac=None),
                             c.num_hidden)
            out = Population(LeakyIntegrate(tau_mem=TAU_MEM, readout=readout), c.num_outputs)
            conns = [Connection(inp, hid, Dense(self.weights[0]), Exponential(TAU_SYN))]
            if c.recurrent:
                conns.append(Connection(hid, hid, Dense(self.weights[1]), Exponential(TAU_SYN)))
            conns.append(Connection(hid, out, Dense(self.weights[-1]), Exponential(TAU_SYN)))
        return net, inp, hid, out, conns

    def _eventprop(self):
        c = self.case
        alpha = 1.0
        net, inp, hid, out, conns = self._network(c.readout)
        compiled = EventPropCompiler(
            example_timesteps=c.steps, losses="sparse_categorical_crossentropy",
            optimiser=SGD(alpha), batch_size=c.batch, max_spikes=c.steps, dt=1.0,
            precision=c.precision).compile(net)
        with compiled:
            before = [compiled.connection_populations[k].vars["g"].view.copy() for k in conns]
            batch = slice(0, c.batch)
            compiled.train({inp: self.spikes[batch]}, {out: self.labels[batch]}, num_epochs=1,
                           shuffle=False, callbacks=[])
            after = [compiled.connection_populations[k].vars["g"].view.copy() for k in conns]
            # Share of hidden spikes that crossed threshold with little current to spare
            group = compiled.neuron_populations[hid]
            count = np.minimum(group.vars["SpikeCount"].view, c.steps).reshape(c.batch, -1)
            current = group.extra_global_params["RingI"].view.reshape(c.batch, c.num_hidden, -1)
            voltage = group.extra_global_params["RingV"].view.reshape(c.batch, c.num_hidden, -1)
            stored = np.arange(current.shape[2])[None, None, :] < count[:, :, None]
            margin = (current - voltage)[stored]
        grads = [np.asarray(b - a, float).reshape(w.shape) / alpha
                 for b, a, w in zip(before, after, self.weights)]
        share = float(np.mean(margin < 0.2)) if margin.size else 0.0
        return grads, share, int(margin.size)

    def loss(self, weights: List[np.ndarray]) -> float:
        """Batch-mean crossentropy of the readout, from an inference network's output V."""
        c = self.case
        if self._inference is None:
            net, inp, _, out, conns = self._network("var")
            # Every evaluation starts from rest (mlGeNN's default keeps the synaptic input)
            compiled = InferenceCompiler(evaluate_timesteps=c.steps, batch_size=c.batch, dt=1.0,
                                         reset_in_syn_between_batches=True,
                                         precision="double").compile(net)
            compiled.__enter__()
            self._inference = (compiled, inp, out, conns)
        compiled, inp, out, conns = self._inference
        for k, w in zip(conns, weights):
            compiled.connection_populations[k].vars["g"].view[:] = np.ravel(w)
        batch = slice(0, c.batch)
        _, cb = compiled.evaluate({inp: self.spikes[batch]}, {out: self.labels[batch]},
                                  callbacks=[VarRecorder(out, "v", key="v")])
        v = np.stack([np.asarray(x, float) for x in cb["v"]])      # (batch, steps, outputs)
        if c.readout == "avg_var":
            z = v.mean(axis=1)
        else:   # avg_var_exp_weight: mlGeNN weighs step m's V by exp(-m / K) / K
            weight = np.exp(-np.arange(c.steps) / c.steps) / c.steps
            z = np.einsum("bmn,m->bn", v, weight)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(c.batch), self.labels[batch]]))

    def close(self):
        if self._inference is not None:
            self._inference[0].__exit__(None, None, None)
            self._inference = None

    def moved(self, conn: int, step: np.ndarray) -> List[np.ndarray]:
        return [w + step if k == conn else w for k, w in enumerate(self.weights)]

    def directional_slope(self, conn: int, direction: np.ndarray, half_range: float,
                          points: int = 21) -> float:
        """Slope at 0 of a least-squares quadratic through the loss along ``direction``."""
        steps = np.linspace(-half_range, half_range, points)
        losses = [self.loss(self.moved(conn, s * direction)) for s in steps]
        return float(np.polyfit(steps, losses, 2)[1])
