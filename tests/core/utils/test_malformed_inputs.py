"""Malformed inputs get a clear error before anything is simulated, never a native crash.

Covers hand-built ``PreprocessedSpikes`` (the engine indexes spike times with ``end_spikes``
unchecked), non-finite or complex data and labels, compiler arguments of the wrong type or
range, and thread counts the OpenMP runtime cannot start.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.backends.cpu.runtime import MAX_THREADS_PER_CPU, max_num_threads
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.errors import InvalidTypeError, InvalidValueError
from ml_genn.neurons import IntegrateFire, IntegrateFireInput, SpikeInput
from ml_genn.utils.data import PreprocessedSpikes, check_preprocessed_spikes, preprocess_spikes

NUM_NEURONS = 4
VALID = preprocess_spikes([1.0, 2.0, 3.0], [0, 1, 2], NUM_NEURONS)


@pytest.fixture(scope="module")
def net():
    network = Network()
    with network:
        spikes = Population(SpikeInput(max_spikes=64), NUM_NEURONS, name="spikes")
        dense = Population(IntegrateFireInput(), 3, name="dense")
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3, name="out")
        Connection(spikes, out, Dense(np.ones((NUM_NEURONS, 3))))
        Connection(dense, out, Dense(np.ones((3, 3))))
    compiled = InferenceCompiler(evaluate_timesteps=5, batch_size=2).compile(network)
    with compiled:
        compiled.genn_model.set_num_threads(1)
        yield compiled, spikes, dense, out


def _evaluate(net, spike_examples=None, dense_values=None, labels=None):
    compiled, spikes, dense, out = net
    n = 2
    spike_examples = [VALID] * n if spike_examples is None else spike_examples
    dense_values = np.ones((n, 3)) if dense_values is None else dense_values
    labels = np.zeros(n, dtype=int) if labels is None else labels
    return compiled.evaluate({spikes: spike_examples, dense: dense_values}, {out: labels},
                             callbacks=[])


# ------------------------------------------------------------- hand-built PreprocessedSpikes
BAD_SPIKES = {
    # counts running past the spike times: the engine would read beyond the array
    "end_beyond_times": (PreprocessedSpikes(np.array([1, 2, 3, 100]), np.array([1., 2., 3.])),
                         InvalidValueError, r"must end at the number of spike times \(3\), got "
                                            r"end_spikes\[-1\] = 100"),
    "end_short_of_times": (PreprocessedSpikes(np.array([1, 2, 2, 2]), np.array([1., 2., 3.])),
                           InvalidValueError, r"end_spikes\[-1\] = 2"),
    "end_decreasing": (PreprocessedSpikes(np.array([3, 1, 2, 3]), np.array([1., 2., 3.])),
                       InvalidValueError, r"end_spikes\[1\] = 1 after end_spikes\[0\] = 3"),
    # a negative start made the engine read before the array (segmentation fault)
    "end_negative": (PreprocessedSpikes(np.array([-5, 1, 2, 3]), np.array([1., 2., 3.])),
                     InvalidValueError, r"end_spikes\[0\] = -5 after 0"),
    "end_fractional": (PreprocessedSpikes(np.array([1.5, 2, 3, 3]), np.array([1., 2., 3.])),
                       InvalidValueError, "whole spike counts, got values such as 1.5"),
    "end_wrong_length": (PreprocessedSpikes(np.array([1, 2, 3]), np.array([1., 2., 3.])),
                         InvalidValueError, "end_spikes for 3 neurons, the population has 4"),
    "end_none": (PreprocessedSpikes(None, np.array([1., 2., 3.])),
                 InvalidTypeError, "end_spikes must be an array of real numbers.*got NoneType"),
    "unsorted_in_neuron": (PreprocessedSpikes(np.array([3, 3, 3, 3]), np.array([5., 2., 3.])),
                           InvalidValueError, "neuron 0 are not sorted: 5.0 comes before 2.0"),
    "nan_time": (PreprocessedSpikes(np.array([1, 2, 3, 3]), np.array([np.nan, 2., 3.])),
                 InvalidValueError, r"spike time nan \(index 0\) is not a finite time"),
    "inf_time": (PreprocessedSpikes(np.array([1, 2, 3, 3]), np.array([1., np.inf, 3.])),
                 InvalidValueError, r"spike time inf \(index 1\)"),
    "beyond_float_time": (PreprocessedSpikes(np.array([1, 2, 3, 3]), np.array([1., 2., 1e300])),
                          InvalidValueError, r"spike time 1e\+300 .*3.4e\+38"),
    "complex_times": (PreprocessedSpikes(np.array([1, 2, 3, 3]), np.array([1 + 1j, 2., 3.])),
                      InvalidTypeError, "spike_times .*complex128"),
    "string_times": (PreprocessedSpikes(np.array([1, 2, 3, 3]), ["1", "2", "3"]),
                     InvalidTypeError, "spike_times must be an array of real numbers"),
    "bool_counts": (PreprocessedSpikes(np.array([True, True, True, True]), np.array([1.])),
                    InvalidTypeError, "end_spikes .*dtype bool"),
}


@pytest.mark.parametrize("name", BAD_SPIKES)
def test_inconsistent_preprocessed_spikes_are_refused_before_simulation(net, name):
    bad, error, fragment = BAD_SPIKES[name]
    compiled = net[0]
    compiled.genn_model.timestep = 0
    with pytest.raises(error, match=r"x\['spikes'\] for Population 'spikes' \(SpikeInput\) "
                                    r"example 1 .*" + fragment):
        _evaluate(net, spike_examples=[VALID, bad])
    assert compiled.genn_model.timestep == 0   # nothing was simulated


def test_spike_checks_accept_valid_trains_and_normalise_their_dtypes(net):
    # Times may fall where the next neuron's spikes start; neurons may have none
    spikes = preprocess_spikes([5.0, 1.0, 0.5, 7.0], [0, 0, 3, 3], NUM_NEURONS)
    checked = check_preprocessed_spikes(spikes, NUM_NEURONS)
    np.testing.assert_array_equal(checked.end_spikes, [2, 2, 2, 4])
    np.testing.assert_array_equal(checked.spike_times, [1.0, 5.0, 0.5, 7.0])
    hand = PreprocessedSpikes([1, 1, 1, 2], [3, 2])   # lists of ints, one spike each
    checked = check_preprocessed_spikes(hand, NUM_NEURONS)
    assert checked.end_spikes.dtype == np.int64 and checked.spike_times.dtype == np.float64
    np.testing.assert_array_equal(checked.spike_times, [3.0, 2.0])
    with pytest.raises(InvalidTypeError, match="must be a PreprocessedSpikes.*got tuple"):
        check_preprocessed_spikes((np.array([1, 1, 1, 1]), np.array([1.0])), NUM_NEURONS)
    # Valid hand-built trains still run: VALID's spikes with float counts and int times
    hand = PreprocessedSpikes(np.array([1.0, 2.0, 3.0, 3.0]), np.array([1, 2, 3]))
    metrics, _ = _evaluate(net, spike_examples=[hand, VALID])
    assert metrics[net[3]].total == 2


def test_spike_input_set_input_refuses_unchecked_inconsistent_batches(net):
    # Data that bypasses evaluate's checks is still stopped before the engine reads it
    compiled, spikes, _, _ = net
    bad = PreprocessedSpikes(np.array([1, 2, 3, 50]), np.array([1., 2., 3.]))
    with pytest.raises(InvalidValueError, match="Population 'spikes' \\(SpikeInput\\): a batch's "
                                                "end_spikes are not cumulative counts within "
                                                "its 3 spike times"):
        compiled.set_input({spikes: [bad]})


def test_spike_data_of_the_wrong_kind_says_what_it_got(net):
    with pytest.raises(InvalidTypeError, match=r"got an empty list \(no examples\)"):
        _evaluate(net, spike_examples=[])
    with pytest.raises(InvalidTypeError, match="got a list whose first item is ndarray"):
        _evaluate(net, spike_examples=[np.ones(4), np.ones(4)])


# ------------------------------------------------------------------- dense data and labels
def test_complex_and_overflowing_dense_input_is_refused(net):
    with pytest.raises(InvalidTypeError, match=r"x\['dense'\].*must be real numbers, got "
                                               r"complex dtype complex128"):
        _evaluate(net, dense_values=np.ones((2, 3)) * (1 + 2j))
    # float64 values beyond float32's range would become infinity in the engine
    with pytest.raises(InvalidValueError, match=r"x\['dense'\].*values up to 1e\+300 in "
                                                r"magnitude, beyond the engine's float range"):
        _evaluate(net, dense_values=np.full((2, 3), 1e300))
    # Huge integers are representable (as floats): accepted
    metrics, _ = _evaluate(net, dense_values=np.full((2, 3), np.iinfo(np.uint64).max,
                                                      dtype=np.uint64))
    assert metrics[net[3]].total == 2


def test_complex_and_huge_labels_are_named_as_given(net):
    with pytest.raises(InvalidTypeError, match=r"y\['out'\] must hold real numbers, got complex"):
        _evaluate(net, labels=np.array([0, 1], dtype=complex))
    # A huge whole-number label used to wrap round to a negative int64 in the message
    with pytest.raises(InvalidValueError, match=r"has label 1e\+300, out of range"):
        _evaluate(net, labels=np.array([0.0, 1e300]))
    with pytest.raises(InvalidValueError, match=r"has label 18446744073709551615, out of range"):
        _evaluate(net, labels=np.array([0, np.iinfo(np.uint64).max], dtype=np.uint64))


def test_string_keys_are_named_with_advice(net):
    compiled, spikes, dense, out = net
    with pytest.raises(KeyError, match=r"x has key 'spikes' \(a string; key the data by the "
                                       r"Population or Layer object itself\)"):
        compiled.evaluate({"spikes": [VALID] * 2, dense: np.ones((2, 3))},
                          {out: np.zeros(2, int)}, callbacks=[])


# -------------------------------------------------------------------- compiler arguments
POSITIVE_MS = "dt must be a positive, finite number of ms, got "
POSITIVE_INT = "batch_size must be a positive integer, got "


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(dt=float("nan")), InvalidValueError, POSITIVE_MS + "nan"),
    (dict(dt=float("inf")), InvalidValueError, POSITIVE_MS + "inf"),
    (dict(dt=1e-300), InvalidValueError, "dt must lie between"),
    (dict(dt="1"), InvalidTypeError, "dt must be a positive number of ms, got str: '1'"),
    (dict(batch_size=2.5), InvalidTypeError, POSITIVE_INT + "float: 2.5"),
    (dict(batch_size="4"), InvalidTypeError, POSITIVE_INT + "str: '4'"),
    (dict(batch_size=True), InvalidTypeError, POSITIVE_INT + "bool"),
    (dict(batch_size=None), InvalidTypeError, POSITIVE_INT + "NoneType"),
    (dict(batch_size=float("nan")), InvalidTypeError, POSITIVE_INT + "float: nan"),
    (dict(batch_size=float("inf")), InvalidTypeError, POSITIVE_INT + "float: inf"),
    (dict(rng_seed=2 ** 70), InvalidValueError, r"rng_seed must be a non-negative integer below "
                                                r"2\*\*64"),
    (dict(rng_seed=None), InvalidTypeError, "rng_seed must be a non-negative integer"),
])
def test_compiler_arguments_are_checked_with_their_names(kwargs, error, fragment):
    with pytest.raises(error, match="InferenceCompiler " + fragment):
        InferenceCompiler(evaluate_timesteps=5, **kwargs)


@pytest.mark.parametrize("timesteps, error", [
    (float("nan"), InvalidTypeError), (2 ** 70, InvalidValueError), (0, InvalidValueError),
    ("10", InvalidTypeError)])
def test_example_length_is_checked_with_its_name(timesteps, error):
    with pytest.raises(error, match="InferenceCompiler evaluate_timesteps must be a positive "
                                    "integer below 2\\*\\*32"):
        InferenceCompiler(evaluate_timesteps=timesteps)


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(num_epochs=None), InvalidTypeError, "train num_epochs must be a positive integer, got "
                                              "NoneType"),
    (dict(num_epochs=2.5), InvalidTypeError, "train num_epochs must be a positive integer"),
    (dict(num_epochs=1, start_epoch=-1), InvalidValueError, "train start_epoch must be a "
                                                            "non-negative integer"),
    (dict(num_epochs=1, validation_split="0.1"), InvalidTypeError,
     "train validation_split must be a number in \\[0, 1\\), got str"),
])
def test_train_arguments_are_checked_with_their_names(kwargs, error, fragment):
    from ml_genn.compilers import EventPropCompiler
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.neurons import LeakyIntegrate
    from ml_genn.synapses import Exponential
    network = Network(default_params)
    with network:
        inp = Population(SpikeInput(max_spikes=4), NUM_NEURONS)
        out = Population(LeakyIntegrate(readout="avg_var"), 2)
        Connection(inp, out, Dense(np.zeros((NUM_NEURONS, 2))), Exponential(5.0))
    compiled = EventPropCompiler(4, "sparse_categorical_crossentropy").compile(network)
    with compiled, pytest.raises(error, match=fragment):
        compiled.train({inp: [VALID]}, {out: np.zeros(1, int)}, callbacks=[], **kwargs)


def test_compiler_accepts_numpy_scalars_and_whole_float_batch_sizes():
    compiler = InferenceCompiler(evaluate_timesteps=5, dt=np.float32(0.5),
                                 batch_size=np.int64(3), rng_seed=np.uint64(2 ** 64 - 1))
    assert (compiler.dt, compiler.batch_size, compiler.rng_seed) == (0.5, 3, 2 ** 64 - 1)
    assert InferenceCompiler(evaluate_timesteps=5, batch_size=4.0).batch_size == 4


# ---------------------------------------------------------------------------- thread counts
@pytest.mark.parametrize("threads, error, fragment", [
    (10 ** 9, InvalidValueError, "got 1000000000; more threads than CPUs do not run faster"),
    (max_num_threads() + 1, InvalidValueError, "more threads than CPUs"),
    (0, InvalidValueError, "got 0"),
    (2.5, InvalidTypeError, "got float: 2.5"),
    (True, InvalidTypeError, "got bool"),
])
def test_absurd_thread_counts_are_refused(net, threads, error, fragment):
    runtime = net[0].genn_model
    try:
        with pytest.raises(error, match=f"set_num_threads needs a whole number of threads from "
                                        f"1 to {max_num_threads()} \\({MAX_THREADS_PER_CPU} per "
                                        f"CPU.*{fragment}"):
            runtime.set_num_threads(threads)
    finally:
        runtime.set_num_threads(1)   # whatever happened, leave a count that runs


def test_thread_count_from_the_environment_is_checked_at_load(net, monkeypatch):
    compiled = net[0]
    monkeypatch.setenv("ML_GENN_NUM_THREADS", "100000000")
    try:
        with pytest.raises(InvalidValueError, match="ML_GENN_NUM_THREADS needs a whole number "
                                                    "of threads from 1 to .*got 100000000"):
            compiled._built.load()
        monkeypatch.setenv("ML_GENN_NUM_THREADS", "four")
        with pytest.raises(InvalidValueError, match="ML_GENN_NUM_THREADS must be a whole "
                                                    "number of threads, got 'four'"):
            compiled._built.load()
    finally:
        compiled.genn_model.set_num_threads(1)
    monkeypatch.setenv("ML_GENN_NUM_THREADS", str(max_num_threads()))
    runtime = compiled._built.load()
    assert runtime.num_threads == (max_num_threads() if runtime.has_openmp else 1)
    runtime.set_num_threads(1)
