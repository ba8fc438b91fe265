"""Filters that select nothing: an error when given empty, a warning when out of the run's reach.

An explicitly empty filter (``[]``, an all-False mask, an empty slice) can never record
anything, so the recorder refuses it when created. A filter whose examples all lie beyond
the dataset of one run may still suit another run, so that run warns before simulating.
"""
import warnings

import numpy as np
import pytest

from ml_genn.callbacks import ConnVarRecorder, SpikeRecorder, VarRecorder
from ml_genn.utils.filter import EmptyFilterError, FilterSelectsNothingWarning

from recorders_reference import IFNetwork, random_inputs, random_weights


@pytest.fixture(scope="module")
def net():
    network = IFNetwork(6, 4, random_weights(6, 4, seed=30), batch_size=2)
    with network.compiled:
        yield network


@pytest.mark.parametrize("example_filter", [[], range(0), np.array([], dtype=int),
                                            np.zeros(5, dtype=bool)])
def test_empty_example_filter_is_an_error_naming_the_recorder(net, example_filter):
    for make in (lambda f: SpikeRecorder(net.hid, example_filter=f),
                 lambda f: VarRecorder(net.hid, "v", example_filter=f),
                 lambda f: ConnVarRecorder(net.conn, "g", example_filter=f)):
        with pytest.raises(EmptyFilterError, match=r"Recorder\((Population 'hid'|Connection "
                                                   r"'conn').*: example_filter .* selects no "
                                                   r"examples, so nothing would ever be "
                                                   r"recorded; pass None"):
            make(example_filter)


@pytest.mark.parametrize("neuron_filter", [[], slice(2, 2), np.zeros(4, dtype=bool),
                                           np.array([], dtype=int)])
def test_empty_neuron_filter_is_an_error_naming_the_argument(net, neuron_filter):
    # EmptyFilterError is a ValueError and a RuntimeError (what mlGeNN scripts catch)
    with pytest.raises(ValueError, match=r"SpikeRecorder\(Population 'hid'\): neuron_filter .* "
                                         r"selects no neurons of population shape \(4,\)"):
        SpikeRecorder(net.hid, neuron_filter=neuron_filter)
    with pytest.raises(RuntimeError, match=r"VarRecorder\(Population 'hid'.*neuron_filter"):
        VarRecorder(net.hid, "v", neuron_filter=neuron_filter)
    with pytest.raises(EmptyFilterError, match=r"ConnVarRecorder\(Connection 'conn', 'g'\): "
                                               r"trg_neuron_filter .* shape \(4,\)"):
        ConnVarRecorder(net.conn, "g", trg_neuron_filter=neuron_filter)
    with pytest.raises(EmptyFilterError, match=r"src_neuron_filter \[\] .* shape \(6,\)"):
        ConnVarRecorder(net.conn, "g", src_neuron_filter=[])


def test_example_filter_beyond_the_dataset_warns_before_simulating(net):
    x = random_inputs(4, 6, seed=31)
    beyond = SpikeRecorder(net.hid, key="beyond", example_filter=[10, 12])
    within = SpikeRecorder(net.hid, key="within", example_filter=[1, 10])
    net.compiled.genn_model.timestep = 0
    with pytest.warns(FilterSelectsNothingWarning,
                      match=r"SpikeRecorder\(Population 'hid'\): example_filter "
                            r"ExampleFilter\(\[10, 12\]\) selects none of this run's 4 "
                            r"examples") as caught:
        cb_data = net.evaluate(x, [beyond, within])
    # Exactly one warning, for the recorder that records nothing
    assert len([w for w in caught if w.category is FilterSelectsNothingWarning]) == 1
    times, ids = cb_data["beyond"]
    assert len(times) == len(ids) == 0 and len(cb_data["within"][0]) == 1

    # Raised as an error, the warning stops the run before its first timestep
    net.compiled.genn_model.timestep = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", FilterSelectsNothingWarning)
        with pytest.raises(FilterSelectsNothingWarning):
            net.evaluate(x, [SpikeRecorder(net.hid, example_filter=[10])])
    assert net.compiled.genn_model.timestep == 0

    # The same filters on a dataset they reach: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", FilterSelectsNothingWarning)
        cb_data = net.evaluate(random_inputs(13, 6, seed=32),
                               [SpikeRecorder(net.hid, key="beyond", example_filter=[10, 12])])
    assert len(cb_data["beyond"][0]) == 2
