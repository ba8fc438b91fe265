"""Bellec et al.'s pattern generation task trained with e-prop: a recurrent network of 100 LIF
neurons driven by 100 frozen Poisson inputs learns to reproduce a 1 s target made of four
sinusoids (periods 1000, 500, 333 and 200 ms, amplitudes 0.5-2, random phases, shifted to start
at 0 and scaled to a peak of 1) in one leaky-integrator output, as in the e-prop authors'
tutorial (IGITUGraz/eligibility_propagation, tutorial_pattern_generation).

Reports the tutorial's loss, ``0.5 * sum_t (y_t - y*_t)^2`` over the 1000 steps, and the
normalised mean squared error ``mean_t (y_t - y*_t)^2 / var(y*)``, every 100 iterations.

Needs the ``ml-genn-eprop`` distribution. Run: python examples/eprop/pattern_recognition.py
"""
import argparse
import time

import numpy as np

from ml_genn import Connection, Network, Population
from ml_genn.callbacks import VarRecorder
from ml_genn.compilers import EPropCompiler
from ml_genn.compilers.eprop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.utils.data import preprocess_spikes

NUM_INPUT, NUM_HIDDEN, STEPS, INPUT_RATE_HZ = 100, 100, 1000, 50.0


def target(rng: np.random.Generator) -> np.ndarray:
    """Sum of four sinusoids, shifted to start at 0 and scaled to a peak of 1."""
    t = np.arange(STEPS)
    y = sum(rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
            for period in (1000.0, 500.0, 333.0, 200.0))
    y = y - y[0]
    return y / np.abs(y).max()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The authors' tutorial trains for 2000 iterations
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--learning-rate", type=float, default=0.003)
    parser.add_argument("--c-reg", type=float, default=0.3)
    args = parser.parse_args()
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    y_star = target(rng)
    # Frozen Poisson noise: the same input spikes every iteration
    steps, ids = np.nonzero(rng.random((STEPS, NUM_INPUT)) < INPUT_RATE_HZ / 1000.0)
    spikes = preprocess_spikes(steps.astype(float), ids, NUM_INPUT)

    network = Network(default_params)
    with network:
        inp = Population(SpikeInput(max_spikes=len(ids)), NUM_INPUT, name="input")
        hidden = Population(LeakyIntegrateFire(v_thresh=0.61, tau_mem=20.0, tau_refrac=5.0),
                            NUM_HIDDEN, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="var"), 1, name="output")
        Connection(inp, hidden, Dense(Normal(sd=1.0 / np.sqrt(NUM_INPUT))))
        Connection(hidden, hidden, Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))))
        Connection(hidden, out, Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))))
    compiler = EPropCompiler(example_timesteps=STEPS, losses="mean_square_error",
                             optimiser=Adam(args.learning_rate), c_reg=args.c_reg, rng_seed=1)
    compiled = compiler.compile(network, "pattern_recognition_eprop")
    variance = float(np.var(y_star))
    with compiled:
        _, data = compiled.train({inp: [spikes]}, {out: y_star[None, :, None]},
                                 num_epochs=args.iterations, shuffle=False,
                                 callbacks=[VarRecorder(out, "v", key="y")])
    for iteration in list(range(0, args.iterations, 100)) + [args.iterations - 1]:
        error = data["y"][iteration][:, 0] - y_star
        print(f"iteration {iteration}: loss 0.5 sum (y - y*)^2 = {0.5 * np.sum(error ** 2):.2f}, "
              f"normalised MSE {np.mean(error ** 2) / variance:.3f}")
    print(f"Pattern generation: e-prop final loss {0.5 * np.sum(error ** 2):.2f} "
          f"(normalised MSE {np.mean(error ** 2) / variance:.3f}) after {args.iterations} "
          f"iterations, wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
