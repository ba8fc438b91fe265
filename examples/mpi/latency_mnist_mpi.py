# mlGeNN's examples/event_prop/latency_mnist_mpi.py (genn-team/ml_genn), run here unchanged
# but for one thing: the original selects a CUDA device per rank through pygenn
# (``from pygenn.genn_wrapper.CUDABackend import DeviceSelect_MANUAL`` and the compiler
# arguments ``selectGPUByDeviceID=True, deviceSelectMethod=DeviceSelect_MANUAL``), which needs
# a CUDA build of pygenn; this copy leaves out that import and those two arguments. Everything
# else (structure, constants, API calls) is the original's, as a test of API compatibility.
# EventProp trains latency-coded MNIST data-parallel: each rank takes every num_ranks-th
# digit and half of each batch of 32. Run: mpiexec -n 2 python latency_mnist_mpi.py
# (see README.md beside this file for data, placement and TRAIN = False).
import numpy as np
import mnist

from ml_genn import InputLayer, Layer, SequentialNetwork
from ml_genn.callbacks import Checkpoint
from ml_genn.communicators import MPI
from ml_genn.compilers import EventPropCompiler, InferenceCompiler
from ml_genn.connectivity import Dense, FixedProbability
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.optimisers import Adam
from ml_genn.serialisers import Numpy
from ml_genn.synapses import Exponential

from time import perf_counter
from ml_genn.utils.data import linear_latency_encode_data

from ml_genn.compilers.event_prop_compiler import default_params

NUM_INPUT = 784
NUM_HIDDEN = 128
NUM_OUTPUT = 10
BATCH_SIZE = 32
NUM_EPOCHS = 10
EXAMPLE_TIME = 20.0
DT = 1.0
SPARSITY = 1.0
TRAIN = True
KERNEL_PROFILING = True

if TRAIN:
    communicator = MPI()
    print(f"Training on rank {communicator.rank} / {communicator.num_ranks}")
    train_dataset_slice = slice(communicator.rank, -1, communicator.num_ranks)
    labels = mnist.train_labels()[train_dataset_slice]
    images = mnist.train_images()[train_dataset_slice]
else:
    labels = mnist.test_labels()
    images = mnist.test_images()

spikes = linear_latency_encode_data(images, EXAMPLE_TIME - (2.0 * DT), 2.0 * DT)

serialiser = Numpy("latency_mnist_mpi_checkpoints")
network = SequentialNetwork(default_params)
with network:
    # Populations
    input = InputLayer(SpikeInput(max_spikes=BATCH_SIZE * NUM_INPUT),
                                  NUM_INPUT)
    initial_hidden_weight = Normal(mean=0.078, sd=0.045)
    connectivity = (Dense(initial_hidden_weight) if SPARSITY == 1.0 
                    else FixedProbability(SPARSITY, initial_hidden_weight))
    hidden = Layer(connectivity, LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0,
                                                    tau_refrac=None),
                   NUM_HIDDEN, Exponential(5.0))
    output = Layer(Dense(Normal(mean=0.2, sd=0.37)),
                   LeakyIntegrate(tau_mem=20.0, readout="avg_var"),
                   NUM_OUTPUT, Exponential(5.0))

max_example_timesteps = int(np.ceil(EXAMPLE_TIME / DT))
if TRAIN:
    compiler = EventPropCompiler(example_timesteps=max_example_timesteps,
                                 losses="sparse_categorical_crossentropy",
                                 optimiser=Adam(1e-2), batch_size=BATCH_SIZE,
                                 kernel_profiling=KERNEL_PROFILING,
                                 communicator=communicator)
    compiled_net = compiler.compile(network)

    with compiled_net:
        # Evaluate model on numpy dataset
        start_time = perf_counter()

        if communicator.rank == 0:
            callbacks = ["batch_progress_bar", Checkpoint(serialiser)]
        else:
            callbacks = []
        metrics, cb_data  = compiled_net.train({input: spikes},
                                               {output: labels},
                                               num_epochs=NUM_EPOCHS, shuffle=True,
                                               callbacks=callbacks)

        if communicator.rank == 0:
            compiled_net.save_connectivity((NUM_EPOCHS - 1,), serialiser)
            end_time = perf_counter()
            print(f"Accuracy = {100 * metrics[output].result}%")
            print(f"Time = {end_time - start_time}s")

            if KERNEL_PROFILING:
                print(f"Neuron update time = {compiled_net.genn_model.neuron_update_time}")
                print(f"Presynaptic update time = {compiled_net.genn_model.presynaptic_update_time}")
                print(f"Gradient batch reduce time = {compiled_net.genn_model.get_custom_update_time('GradientBatchReduce')}")
                print(f"Gradient learn time = {compiled_net.genn_model.get_custom_update_time('GradientLearn')}")
                print(f"Reset time = {compiled_net.genn_model.get_custom_update_time('Reset')}")
                print(f"Softmax1 time = {compiled_net.genn_model.get_custom_update_time('BatchSoftmax1')}")
                print(f"Softmax2 time = {compiled_net.genn_model.get_custom_update_time('BatchSoftmax2')}")
                print(f"Softmax3 time = {compiled_net.genn_model.get_custom_update_time('BatchSoftmax3')}")
else:
    # Load network state from final checkpoint
    network.load((NUM_EPOCHS - 1,), serialiser)

    compiler = InferenceCompiler(evaluate_timesteps=max_example_timesteps,
                                 reset_in_syn_between_batches=True,
                                 batch_size=BATCH_SIZE)
    compiled_net = compiler.compile(network)

    with compiled_net:
        # Evaluate model on numpy dataset
        start_time = perf_counter()
        metrics, _  = compiled_net.evaluate({input: spikes},
                                            {output: labels})
        end_time = perf_counter()
        print(f"Accuracy = {100 * metrics[output].result}%")
        print(f"Time = {end_time - start_time}s")
