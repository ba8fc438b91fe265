"""Networks the recorder tests run, and their behaviour computed independently with NumPy.

The networks are integrate-and-fire input neurons (``V += x`` each step) feeding
integrate-and-fire neurons through dense delta synapses. Inputs and weights are multiples of
1/8, so float32 arithmetic is exact and the NumPy reference must match the engine bit for bit.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import IntegrateFire, IntegrateFireInput
from ml_genn.synapses import Delta

TIMESTEPS = 8
INPUT_LEVELS = np.array([0.0, 0.125, 0.25, 0.375, 0.5, 1.0], dtype=np.float32)
WEIGHT_LEVELS = np.array([-0.25, 0.125, 0.25, 0.5, 0.75], dtype=np.float32)


def random_inputs(num_examples: int, num_neurons: int, seed: int) -> np.ndarray:
    """Dyadic input currents, ``(examples, neurons)`` float32."""
    rng = np.random.default_rng(seed)
    return rng.choice(INPUT_LEVELS, size=(num_examples, num_neurons))


def random_weights(num_pre: int, num_post: int, seed: int) -> np.ndarray:
    """Dyadic weights, ``(pre, post)`` float32."""
    rng = np.random.default_rng(seed)
    return rng.choice(WEIGHT_LEVELS, size=(num_pre, num_post))


def simulate(x: np.ndarray, weights: np.ndarray, timesteps: int = TIMESTEPS,
             v_thresh: float = 1.0) -> Dict[str, np.ndarray]:
    """Reference run of input IF -> dense delta -> IF, as the engine orders a timestep.

    Synapses deliver the spikes emitted in the previous step, then each neuron integrates,
    tests its threshold and resets to 0. Returns per step ``(timesteps, examples, neurons)``
    arrays: ``in_spikes``, ``hid_spikes`` (bool) and ``in_v``, ``hid_v`` (float32, after reset).
    """
    n = x.shape[0]
    v_in = np.zeros((n, weights.shape[0]), np.float32)
    v_hid = np.zeros((n, weights.shape[1]), np.float32)
    last_in = np.zeros_like(v_in, dtype=bool)
    out = {k: [] for k in ("in_spikes", "hid_spikes", "in_v", "hid_v")}
    for _ in range(timesteps):
        current = last_in.astype(np.float32) @ weights
        v_in = v_in + x
        s_in = v_in >= v_thresh
        v_in[s_in] = 0.0
        v_hid = v_hid + current
        s_hid = v_hid >= v_thresh
        v_hid[s_hid] = 0.0
        for k, v in (("in_spikes", s_in), ("hid_spikes", s_hid), ("in_v", v_in.copy()),
                     ("hid_v", v_hid.copy())):
            out[k].append(v)
        last_in = s_in
    return {k: np.array(v) for k, v in out.items()}


def expected_spikes(spikes: np.ndarray, example: int, mask: Optional[np.ndarray] = None,
                    dt: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Times and flat ids of one example's spikes, by time then id, from ``(T, n, N)`` flags."""
    flags = spikes[:, example]
    if mask is not None:
        flags = flags & mask[None, :]
    steps, ids = np.nonzero(flags)
    return steps * dt, ids


class IFNetwork:
    """The test network, compiled for inference.

    Parameters
    ----------
    in_shape, hid_shape
        Population shapes (ints or tuples).
    weights
        ``(prod(in_shape), prod(hid_shape))`` dense weights.
    batch_size
        Compiler batch size.
    record_spikes
        ``record_spikes`` of both populations.
    """

    def __init__(self, in_shape: Any, hid_shape: Any, weights: np.ndarray, batch_size: int,
                 record_spikes: bool = True, timesteps: int = TIMESTEPS):
        self.network = Network()
        self.weights = weights
        with self.network:
            self.inp = Population(IntegrateFireInput(v_thresh=1.0), in_shape,
                                  record_spikes=record_spikes, name="inp")
            self.hid = Population(IntegrateFire(v_thresh=1.0, readout="var"), hid_shape,
                                  record_spikes=record_spikes, name="hid")
            self.conn = Connection(self.inp, self.hid, Dense(weights), Delta(), name="conn")
        self.compiled = InferenceCompiler(evaluate_timesteps=timesteps, batch_size=batch_size,
                                          reset_in_syn_between_batches=True,
                                          rng_seed=1).compile(self.network, name="recorder_test")
        self.timesteps = timesteps

    def evaluate(self, x: np.ndarray, callbacks: Sequence[Any]) -> Dict[Any, Any]:
        """Run ``x`` (``(examples, *in_shape)``) with ``callbacks``; returns ``cb_data``."""
        _, cb_data = self.compiled.predict({self.inp: x}, self.hid, callbacks=callbacks)
        return cb_data
