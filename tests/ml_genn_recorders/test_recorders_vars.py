"""VarRecorder against a NumPy reference, with every filter kind, and its errors."""
import numpy as np
import pytest

from ml_genn import Network, Population
from ml_genn.callbacks import CallbackList, VarRecorder
from ml_genn.neurons import LeakyIntegrateFire
from recorders_reference import (IFNetwork, TIMESTEPS, random_inputs, random_weights,
                                 simulate)

NUM_EXAMPLES = 10


@pytest.fixture(scope="module", params=[1, 5], ids=["batch1", "batch5"])
def net_1d(request):
    net = IFNetwork(6, 4, random_weights(6, 4, seed=2), batch_size=request.param)
    with net.compiled:
        yield net


@pytest.fixture(scope="module", params=[1, 5], ids=["batch1", "batch5"])
def net_2d(request):
    net = IFNetwork((3, 4), (2, 3), random_weights(12, 6, seed=3), batch_size=request.param)
    with net.compiled:
        yield net


def test_v_by_mlgenn_and_engine_name_with_filters(net_1d):
    x = random_inputs(NUM_EXAMPLES, 6, seed=11)
    ref = simulate(x, net_1d.weights)
    assert np.ptp(ref["hid_v"]) > 0.5  # the traces actually move
    mask = np.array([1, 0, 0, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    cases = {
        "v_all": (dict(var="v"), "hid", list(range(NUM_EXAMPLES)), slice(None)),
        "V_engine": (dict(genn_var="V"), "hid", list(range(NUM_EXAMPLES)), slice(None)),
        "int_int": (dict(var="v", example_filter=4, neuron_filter=1), "hid", [4], [1]),
        "list_slice": (dict(var="v", example_filter=[0, 7, 9], neuron_filter=slice(1, 3)),
                       "hid", [0, 7, 9], [1, 2]),
        "mask_mask": (dict(var="v", example_filter=mask,
                           neuron_filter=np.array([1, 0, 1, 1], dtype=bool)),
                      "hid", [0, 3, 4, 5], [0, 2, 3]),
        "input_list": (dict(var="v", neuron_filter=[5, 0]), "in", list(range(NUM_EXAMPLES)),
                       [0, 5]),
    }
    recorders = []
    for key, (kwargs, which, _, _) in cases.items():
        pop = net_1d.hid if which == "hid" else net_1d.inp
        recorders.append(VarRecorder(pop, key=key, **kwargs))
    cb_data = net_1d.evaluate(x, recorders)
    for key, (_, which, examples, columns) in cases.items():
        data = cb_data[key]
        assert len(data) == len(examples), key
        for i, e in enumerate(examples):
            expected = ref[f"{which}_v"][:, e][:, columns]
            assert data[i].shape == expected.shape == (TIMESTEPS, expected.shape[1])
            assert data[i].dtype == np.float32
            np.testing.assert_array_equal(data[i], expected, err_msg=f"{key} example {e}")


def test_two_dimensional_population_filters(net_2d):
    x = random_inputs(NUM_EXAMPLES, 12, seed=12)
    ref = simulate(x, net_2d.weights)
    filters = {"index_exp": np.index_exp[1, 1:], "per_axis": [[0, 1], [2, 0]],
               "mask": np.array([[1, 0, 0], [0, 1, 1]], dtype=bool), "all": None}
    recorders = [VarRecorder(net_2d.hid, "v", key=k, neuron_filter=f, example_filter=[1, 8])
                 for k, f in filters.items()]
    recorders.append(VarRecorder(net_2d.inp, "v", key="inp", neuron_filter=np.index_exp[:, 3]))
    cb_data = net_2d.evaluate(x.reshape(NUM_EXAMPLES, 3, 4), recorders)
    for key, f in filters.items():
        mask = np.zeros((2, 3), dtype=bool)
        if f is None:
            mask[:] = True
        else:
            mask[tuple(f) if isinstance(f, list) else f] = True
        for i, e in enumerate([1, 8]):
            np.testing.assert_array_equal(cb_data[key][i], ref["hid_v"][:, e][:, mask.ravel()])
    col3 = np.zeros((3, 4), dtype=bool)
    col3[:, 3] = True
    for e in range(NUM_EXAMPLES):
        np.testing.assert_array_equal(cb_data["inp"][e], ref["in_v"][:, e][:, col3.ravel()])


def test_the_engine_records_natively_and_the_per_timestep_fallback_agrees(net_1d, monkeypatch):
    # Inference on the cpu backend: the engine fills a ring, examples run in one native call
    callback_list = CallbackList([VarRecorder(net_1d.hid, "v", key="v")],
                                 compiled_network=net_1d.compiled, num_batches=1)
    assert not callback_list.has_timestep_callbacks
    callback_list.get_data()  # hand the (empty) data over: the engine stops recording
    # A compiled network whose batches run other steps too: sample after every timestep
    x = random_inputs(NUM_EXAMPLES, 6, seed=13)
    ref = simulate(x, net_1d.weights)
    native = net_1d.evaluate(x, [VarRecorder(net_1d.hid, "v", key="v")])["v"]
    monkeypatch.setattr(type(net_1d.compiled), "batch_runs_example_steps_only", False)
    fallback_recorder = VarRecorder(net_1d.hid, "v", key="v")
    assert CallbackList([fallback_recorder], compiled_network=net_1d.compiled,
                        num_batches=1).has_timestep_callbacks
    fallback = net_1d.evaluate(x, [fallback_recorder])["v"]
    for e in range(NUM_EXAMPLES):
        np.testing.assert_array_equal(native[e], ref["hid_v"][:, e])
        np.testing.assert_array_equal(fallback[e], ref["hid_v"][:, e])
    # Every recorder handed its data over, so the engine records nothing any more
    assert not net_1d.compiled.genn_model._var_recordings


def test_unknown_variable_names_list_what_exists():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=2), batch_size=1)
    with pytest.raises(ValueError, match=r"IntegrateFire neuron of Population 'hid' has no "
                                         r"variable 'u' \(its values: 'v_thresh', 'v_reset', "
                                         r"'v'\)"):
        VarRecorder(net.hid, "u")
    with pytest.raises(ValueError, match="either var"):
        VarRecorder(net.hid)
    with pytest.raises(ValueError, match="either var"):
        VarRecorder(net.hid, "v", genn_var="V")
    bad_engine = VarRecorder(net.hid, genn_var="LambdaV", key="l")
    param = VarRecorder(net.hid, "v_thresh", key="t")
    with net.compiled:
        with pytest.raises(ValueError, match=r"no engine variable 'LambdaV' in the compiled "
                                             r"network; recordable variables: 'v' "
                                             r"\(genn_var 'V'\)"):
            net.evaluate(random_inputs(1, 6, seed=1), [bad_engine])
        with pytest.raises(ValueError, match=r"'Vthresh' is a constant parameter"):
            net.evaluate(random_inputs(1, 6, seed=1), [param])


def test_mlgenn_names_map_to_engine_names_of_other_neurons():
    network = Network()
    with network:
        pop = Population(LeakyIntegrateFire(tau_mem=20.0), 3, name="lif")
    assert VarRecorder(pop, "v").genn_var == "V"
    with pytest.raises(ValueError, match="'tau_mem'"):
        VarRecorder(pop, "voltage")


def test_a_whole_batch_is_written_straight_into_the_results(monkeypatch):
    # One recorder of every example and neuron: the engine writes each batch into the
    # memory the results live in (10 examples at batch 4: the last batch has 2)
    from ml_genn.backends.cpu.runtime import NeuronGroupRuntime

    directed = []
    real = NeuronGroupRuntime.record_var_into

    def spy(self, var_name, target):
        accepted = real(self, var_name, target)
        if target is not None:
            directed.append(accepted)
        return accepted

    monkeypatch.setattr(NeuronGroupRuntime, "record_var_into", spy)
    net = IFNetwork(6, 4, random_weights(6, 4, seed=2), batch_size=4)
    x = random_inputs(NUM_EXAMPLES, 6, seed=21)
    ref = simulate(x, net.weights)
    with net.compiled:
        data = net.evaluate(x, [VarRecorder(net.hid, "v", key="v")])["v"]
        # With a second recorder of the same variable the ring is shared: copied as before
        both = net.evaluate(x, [VarRecorder(net.hid, "v", key="a"),
                                VarRecorder(net.hid, "v", key="b", neuron_filter=[1, 2])])
    assert directed[:3] == [True, True, True] and not any(directed[3:])
    assert len(data) == NUM_EXAMPLES
    for e in range(NUM_EXAMPLES):
        np.testing.assert_array_equal(data[e], ref["hid_v"][:, e])
        np.testing.assert_array_equal(both["a"][e], ref["hid_v"][:, e])
        np.testing.assert_array_equal(both["b"][e], ref["hid_v"][:, e][:, [1, 2]])
