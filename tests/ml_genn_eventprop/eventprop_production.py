"""Runs small networks through the production EventProp path (``Network`` ->
``EventPropCompiler.compile`` -> ``train``) and captures what users get: the batch's gradients
from ``compiled_network.get_gradients()`` in ``on_after_gradient_update`` and the loss
``EventPropStats`` reports in ``cb_data["eventprop"]``.

Networks match :mod:`numpy_forward`: spike input -> LIF hidden (optionally recurrent) -> LI or
LIF output, exponential synapses. An input raster ``(B, K, n_in)`` (1: the input neuron spikes
in step ``m``) is given to ``SpikeInput`` as spike times ``(m - 1/2) dt``, which it emits in
step ``m``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import Callback
from ml_genn.compilers import EventPropCompiler
from ml_genn.compilers.event_prop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import SGD
from ml_genn.synapses import Exponential
from ml_genn.utils.data import preprocess_spikes

from numpy_forward import Neurons


@dataclass
class Setup:
    """One network, its data and how EventProp trains it."""
    hidden: Neurons
    output: Neurons
    recurrent: bool
    dt: float
    raster: np.ndarray                  # (B, K, n_in)
    weights: List[np.ndarray]           # [w_in, (w_rec,) w_out], (n_pre, n_post)
    targets: np.ndarray                 # labels (B,) or MSE targets (B, K, n_out)
    readout: str = "avg_var"            # LI readout; LIF outputs use first_spike_time
    loss: str = "sparse_categorical_crossentropy"
    precision: str = "double"
    compiler_kwargs: Dict[str, Any] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return self.raster.shape[0]

    @property
    def steps(self) -> int:
        return self.raster.shape[1]

    @property
    def w_in(self) -> np.ndarray:
        return self.weights[0]

    @property
    def w_rec(self) -> Optional[np.ndarray]:
        return self.weights[1] if self.recurrent else None

    @property
    def w_out(self) -> np.ndarray:
        return self.weights[-1]

    def with_targets(self, targets: np.ndarray) -> "Setup":
        """The same setup with other targets."""
        return replace(self, targets=np.asarray(targets))

    def with_batch(self, batch: int) -> "Setup":
        """The setup compiled for batches of ``batch`` (its first examples)."""
        return replace(self, raster=self.raster[:batch], targets=self.targets[:batch])


def mlgenn_scale(setup: Setup) -> float:
    """Factor between the engine's gradient and the gradient of the batch-mean loss
    (DERIVATION.md section 8): mlGeNN's scale, which scripts' learning rates assume."""
    if setup.output.spiking:
        return 1.0
    if setup.readout in ("sum_var", "max_var"):
        return 1.0 / (setup.output.tau_mem * setup.steps)
    return 1.0 / setup.output.tau_mem


def raster_to_spikes(raster: np.ndarray, dt: float) -> list:
    """One ``PreprocessedSpikes`` per example: the spike of step ``m`` at ``(m - 1/2) dt``."""
    spikes = []
    for example in raster:
        steps, ids = np.nonzero(example)
        if np.any(steps == 0):
            raise ValueError("the raster may not have spikes in step 0")
        spikes.append(preprocess_spikes((steps - 0.5) * dt, ids, example.shape[1]))
    return spikes


def _lif(p: Neurons, **kwargs: Any) -> LeakyIntegrateFire:
    return LeakyIntegrateFire(v_thresh=p.v_thresh, v_reset=p.v_reset, tau_mem=p.tau_mem,
                              tau_refrac=None, relative_reset=p.relative_reset, **kwargs)


def build_network(setup: Setup):
    """``(network, input, hidden, output, connections)`` with ``setup``'s weights."""
    net = Network(default_params)
    with net:
        # Room for a batch that spikes at every step (training sets bigger than one batch)
        inp = Population(SpikeInput(max_spikes=setup.raster[0].size * setup.batch),
                         setup.raster.shape[2])
        hid = Population(_lif(setup.hidden), setup.hidden.n)
        if setup.output.spiking:
            out = Population(_lif(setup.output, readout="first_spike_time"), setup.output.n)
        else:
            out = Population(LeakyIntegrate(tau_mem=setup.output.tau_mem,
                                            readout=setup.readout), setup.output.n)
        conns = [Connection(inp, hid, Dense(setup.w_in), Exponential(setup.hidden.tau_syn))]
        if setup.recurrent:
            conns.append(Connection(hid, hid, Dense(setup.w_rec),
                                    Exponential(setup.hidden.tau_syn)))
        conns.append(Connection(hid, out, Dense(setup.w_out), Exponential(setup.output.tau_syn)))
    return net, inp, hid, out, conns


def compile_network(setup: Setup, optimiser: Any = None):
    """Build and compile ``setup``; returns ``(compiled, input, hidden, output, conns)``."""
    net, inp, hid, out, conns = build_network(setup)
    compiler = EventPropCompiler(
        example_timesteps=setup.steps, losses=setup.loss,
        optimiser=SGD(1e-30) if optimiser is None else optimiser,
        batch_size=setup.batch, max_spikes=setup.steps, dt=setup.dt,
        precision=setup.precision, strict_buffer_checking=True, **setup.compiler_kwargs)
    return compiler.compile(net), inp, hid, out, conns


class GradientGrab(Callback):
    """Copies every training batch's gradients (what the optimiser is about to apply), in
    float64, per connection; ``zero``: connections whose gradient it then sets to zero (so
    the optimiser leaves them alone: "what a callback writes is what the optimiser applies")."""

    def __init__(self, zero=()):
        self.batches: List[Dict[Any, np.ndarray]] = []
        self.zero = list(zero)

    def set_params(self, compiled_network=None, **kwargs: Any) -> None:
        self.compiled = compiled_network

    def on_after_gradient_update(self, batch: int) -> None:
        gradients = self.compiled.get_gradients()
        self.batches.append({c: np.array(g, dtype=np.float64) for c, g in gradients.items()})
        for c in self.zero:
            gradients[c][...] = 0.0


@dataclass
class Result:
    gradients: List[np.ndarray]         # per connection, gradient of the batch-mean loss
    loss: float                         # as EventPropStats reports it
    hidden_counts: np.ndarray           # (B, n_h) spikes per hidden neuron
    first_steps: Optional[np.ndarray]   # (B, n_out) LIF outputs: first spike step (-1: none)


def train_one_batch(setup: Setup) -> Result:
    """Train one batch (weights unchanged: SGD with a learning rate of 1e-30) and return the
    gradient of the batch-mean loss (the engine's divided by :func:`mlgenn_scale`)."""
    compiled, inp, hid, out, conns = compile_network(setup)
    grab = GradientGrab()
    with compiled:
        _, cb_data = compiled.train({inp: raster_to_spikes(setup.raster, setup.dt)},
                                    {out: setup.targets}, num_epochs=1, shuffle=False,
                                    callbacks=[grab])
        counts = np.array(compiled.neuron_populations[hid].vars["SpikeCount"].view,
                          dtype=np.int64).reshape(setup.batch, -1)
        first = None
        if setup.output.spiking:
            first = np.array(compiled.neuron_populations[out].vars["FirstStep"].view,
                             dtype=np.int64).reshape(setup.batch, -1)
    assert len(grab.batches) == 1
    scale = mlgenn_scale(setup)
    gradients = [grab.batches[0][c] / scale for c in conns]
    loss = cb_data["eventprop"]["loss"][out.name][0]
    return Result(gradients, loss, counts, first)
