"""The GeNN backend's translation and runtime adapter, where pygenn is importable: IR concepts
beyond the conformance networks (toeplitz and sparse connectivity, axonal and dendritic delays,
extra global params, dynamic params), the errors for what GeNN cannot express, and the
host/device coherence protocol GPU backends rely on."""
import numpy as np
import pytest

from backends_harness import DT, SEPARATE_HOST, genn_skip_reason

REASON = genn_skip_reason("single_threaded_cpu")
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"GeNN backend: {REASON}")
BACKEND = "single_threaded_cpu"
#: The tests that run a model run it twice: on GeNN's CPU backend as it is (one memory) and
#: with separate host memory, where each transfer a GPU needs must happen (``device_emulation``)
MEMORY = pytest.mark.parametrize("backend", [BACKEND, SEPARATE_HOST])


def _feature_network():
    """Convolution (TOEPLITZ), fixed-probability (SPARSE from indices) with an axonal delay,
    dense with per-synapse (dendritic) delays."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.connectivity import Conv2D, Dense, FixedProbability
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
    from ml_genn.synapses import Exponential
    rng = np.random.default_rng(4)
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=200), (4, 4, 1), name="input")
        conv = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), (4, 4, 2), name="conv",
                          record_spikes=True)
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0), 6, name="hidden")
        out = Population(LeakyIntegrate(tau_mem=10.0, readout="avg_var"), 3, name="output")
        Connection(inp, conv, Conv2D(rng.normal(1.2, 0.4, (3, 3, 1, 2)), 2, 3,
                                     conv_padding="same"), Exponential(5.0))
        # Saved synapses (as Network.load sets them), each row's in no sorted order, with a
        # weight per synapse
        pre, post = np.nonzero(rng.random((32, 6)) < 0.5)
        shuffle = rng.permutation(len(pre))
        sparse = FixedProbability(0.5, 0.6, delay=2)
        sparse.pre_ind, sparse.post_ind = pre[shuffle], post[shuffle]
        sparse.weight = rng.normal(0.6, 0.2, len(pre))
        Connection(conv, hid, sparse, Exponential(5.0))
        Connection(hid, out, Dense(rng.normal(0.5, 0.5, (6, 3)),
                                   delay=rng.integers(0, 4, (6, 3)).astype(float)),
                   Exponential(5.0))
    return net, inp, conv, out


def _spikes(num_examples, seed=2):
    from ml_genn.utils.data import preprocess_spikes
    rng = np.random.default_rng(seed)
    return [preprocess_spikes(np.sort(rng.uniform(0, 10, 40)), rng.integers(0, 16, 40), 16)
            for _ in range(num_examples)]


def _run_features(backend):
    """Readouts, the convolution layer's spike counts and the sparse group's synapses."""
    from ml_genn.callbacks import SpikeRecorder
    from ml_genn.compilers import InferenceCompiler
    net, inp, conv, out = _feature_network()
    compiled = InferenceCompiler(evaluate_timesteps=40, dt=DT, batch_size=1, rng_seed=7,
                                 reset_in_syn_between_batches=True,
                                 backend=backend).compile(net, "genn_features")
    with compiled:
        readouts, cb = compiled.predict({inp: _spikes(2)}, out,
                                        callbacks=[SpikeRecorder(conv, key="conv",
                                                                 record_counts=True)])
        sparse = [(g.get_sparse_pre_inds(), g.get_sparse_post_inds())
                  for g in compiled.connection_populations.values()
                  if g.matrix_type.name == "SPARSE"]
    return readouts, np.array(cb["conv"]), sparse


@MEMORY
def test_toeplitz_sparse_and_delays_match_the_cpu_backend(backend):
    genn, genn_counts, genn_sparse = _run_features(backend)
    cpu, cpu_counts, cpu_sparse = _run_features("cpu")
    assert cpu_counts.sum() > 10, "the convolution layer must spike"
    np.testing.assert_array_equal(genn_counts, cpu_counts)
    np.testing.assert_allclose(genn, cpu, rtol=1e-5, atol=1e-6)
    assert len(genn_sparse) == 1
    for (gp, gq), (cp, cq) in zip(genn_sparse, cpu_sparse):
        np.testing.assert_array_equal(gp, cp)
        np.testing.assert_array_equal(gq, cq)


def _tiny_spec(batch_size=1, scalar_egp=False, code="V += I * dt * Gain[0];"):
    from ml_genn.engine import ModelSpec, create_neuron_model
    spec = ModelSpec(model_name="genn_unit")
    spec.batch_size = batch_size
    model = create_neuron_model(
        "Ramp", params=["I"], vars=[("V", "scalar")], sim_code=code,
        extra_global_params=[("Gain", "scalar" if scalar_egp else "scalar*")])
    group = spec.add_neuron_population("pop", 3, model, {"I": 1.0}, {"V": np.arange(3.0)})
    group.set_param_dynamic("I")
    return spec


def _backend(name=BACKEND):
    from ml_genn.plugins.manager import get_registry
    return get_registry().kind("backend").get(name)()


def test_batches_beyond_one_are_refused_on_the_single_threaded_backend():
    from ml_genn_pygenn.errors import UnsupportedOnGeNNError
    with pytest.raises(UnsupportedOnGeNNError, match="batch_size 2.*'single_threaded_cpu'.*"
                                                     "batch_size 1 only"):
        _backend().build(_tiny_spec(batch_size=2))


def test_scalar_extra_global_params_are_refused_naming_them():
    from ml_genn_pygenn.errors import UnsupportedOnGeNNError
    with pytest.raises(UnsupportedOnGeNNError, match="Population 'pop'.*'Gain'.*scalar.*"
                                                     "'single_threaded_cpu'"):
        _backend().build(_tiny_spec(scalar_egp=True))


def test_a_code_typo_is_reported_with_genn_s_diagnosis():
    from ml_genn.engine import CodeCompileError
    with pytest.raises(CodeCompileError, match="(?s)genn_unit.*'single_threaded_cpu'.*"
                                               "Vthres.*Undefined identifier"):
        _backend().build(_tiny_spec(code="V += Vthres * dt;"))


@MEMORY
def test_array_inits_dynamic_params_and_resizable_egps(backend):
    runtime = _backend(backend).build(_tiny_spec()).load()
    try:
        group = runtime.neuron_populations["pop"]
        # The cpu backend's layout: (batch, neurons)
        np.testing.assert_array_equal(group.vars["V"].view, [[0.0, 1.0, 2.0]])
        egp = group.extra_global_params["Gain"]
        assert egp.view.size == 0               # nothing allocated before it is set
        egp.set_values([1.0])
        group.set_dynamic_param_value("I", 2.0)
        runtime.run_timesteps(3)
        np.testing.assert_allclose(group.vars["V"].view, [[6.0, 7.0, 8.0]])
        assert runtime.timestep == 3 and runtime.t == pytest.approx(3.0)
        assert group.get_dynamic_param_value("I") == 2.0
        egp.set_values(np.arange(20.0) + 3.0)   # grows past the first allocation
        np.testing.assert_array_equal(egp.view, np.arange(20.0) + 3.0)
        runtime.step_time()                     # the model reads the new allocation
        np.testing.assert_allclose(group.vars["V"].view, [[12.0, 13.0, 14.0]])
        egp.set_values([0.5, 8.0])              # shrinks: the view is the new length
        np.testing.assert_array_equal(egp.view, [0.5, 8.0])
        runtime.step_time()
        np.testing.assert_allclose(group.vars["V"].view, [[13.0, 14.0, 15.0]])
    finally:
        runtime.unload()


def test_views_are_pulled_after_the_device_ran_and_pushed_before_it_runs(monkeypatch):
    """The GPU coherence protocol (exercised on the CPU backend, whose transfers are no-ops):
    a view read after a step is pulled once; one handed out is pushed before the next step."""
    from ml_genn_pygenn.runtime import GeNNRuntime
    built = _backend().build(_tiny_spec())
    runtime = built.load()
    try:
        runtime.neuron_populations["pop"].extra_global_params["Gain"].set_values([1.0])
        runtime._separate_device = True
        view = runtime.neuron_populations["pop"].vars["V"]
        calls = []
        monkeypatch.setattr(view._pg, "pull_from_device", lambda: calls.append("pull"))
        monkeypatch.setattr(view._pg, "push_to_device", lambda: calls.append("push"))
        runtime._dirty.clear()
        runtime.step_time()
        assert calls == []                      # nothing read or written: nothing moves
        view.view
        view.view
        assert calls == ["pull"]                # stale after the step: pulled once
        view.view[...] = 5.0
        runtime.step_time()
        assert calls == ["pull", "push"]        # handed out: pushed before the device runs
        runtime.step_time()
        assert calls == ["pull", "push"]
        assert isinstance(runtime, GeNNRuntime)
    finally:
        runtime.unload()


@MEMORY
def test_in_flight_state_is_zeroed_and_spikes_are_recorded(backend):
    from ml_genn.engine import (ModelSpec, create_neuron_model, create_postsynaptic_model,
                                create_weight_update_model, init_postsynaptic,
                                init_weight_update)
    spec = ModelSpec(model_name="genn_in_flight")
    # Neuron 0 spikes every step, neuron 1 never (a buffer read unpulled would not look so)
    always = create_neuron_model("FirstAlways", threshold_condition_code="id == 0")
    sink = create_neuron_model("Sink", vars=[("I", "scalar")], sim_code="I = Isyn;")
    src = spec.add_neuron_population("src", 2, always)
    trg = spec.add_neuron_population("trg", 2, sink, vars={"I": 0.0})
    wu = create_weight_update_model("Pulse", vars=[("g", "scalar")],
                                    pre_spike_syn_code="addToPost(g);")
    ps = create_postsynaptic_model("Keep", sim_code="injectCurrent(inSyn);")
    spec.add_synapse_population("syn", "DENSE", src, trg, init_weight_update(wu, vars={"g": 1.0}),
                                init_postsynaptic(ps))
    src.spike_recording_enabled = True
    built = _backend(backend).build(spec)
    built.load(num_recording_timesteps=4).unload()     # a built model loads again after this
    runtime = built.load(num_recording_timesteps=4)
    try:
        runtime.run_timesteps(3)
        # Recorded at the step's time, as the cpu backend does
        (times, ids), = runtime.neuron_populations["src"].spike_recording_data
        np.testing.assert_allclose(times, [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(ids, [0, 0, 0])
        assert np.all(runtime.synapse_populations["syn"].in_syn > 0)
        runtime.reset_in_flight_state()
        assert np.all(runtime.synapse_populations["syn"].in_syn == 0)
        runtime.step_time()
        # Spikes emitted before the reset were dropped too: nothing arrives in this step
        np.testing.assert_array_equal(runtime.neuron_populations["trg"].vars["I"].view, 0.0)
    finally:
        runtime.unload()
