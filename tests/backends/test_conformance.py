"""Backend conformance: the same compilers, callbacks and checkpoints on every installed
backend give the cpu backend's results.

Parametrised over ``"cpu"`` (always) and GeNN's backends through ml-genn-pygenn (skipped with
the reason where pygenn is not importable or lacks that GeNN backend). Each test checks its
backend against an independent NumPy model of the engine's time-stepped scheme (the EventProp
tests' ``reference_discrete``, float64), and a GeNN backend against the cpu backend too.

Tolerances, and why:

* Inference in the default float precision: membrane traces within ``rtol=1e-4`` of the float64
  reference (float32 rounding accumulated over 40 steps) and within ``rtol=1e-5`` of the cpu
  backend (both in float32; they may round an operation differently, e.g. a parameter
  GeNN writes as a float literal where the cpu backend keeps a double); spikes identical (no
  membrane of these fixed-seed inputs comes within float rounding of the threshold).
* EventProp in double precision: weights after training within ``1e-9`` (relative to the
  largest change) of the reference's sequential SGD steps and of the cpu backend: the same
  scheme computed in float64 differs only in the order of operations.
* EventProp in float precision on GeNN: weights within ``atol=1e-5`` of the cpu backend's
  (float32 rounding of gradients summed over 40 steps, times the learning rate).

GeNN's single-threaded CPU backend simulates one example at a time, so every test uses
``batch_size=1`` (several batches each).
"""
import numpy as np
import pytest

from backends_harness import (D, DT, STEPS, backend_params, build_network, is_genn,
                              reference_net, spike_data)

BACKENDS = backend_params()
NUM_EXAMPLES = 3


def _weights(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(1.6, 0.6, (4, 5)), rng.normal(0.8, 0.8, (5, 3))]


def _inputs(seed=11):
    return spike_data(np.random.default_rng(seed), NUM_EXAMPLES, 4)


def _evaluate(backend, weights, data):
    """Readouts, hidden spikes (times, ids, counts) and output traces of an inference run."""
    from ml_genn.callbacks import SpikeRecorder, VarRecorder
    from ml_genn.compilers import InferenceCompiler
    net, inp, hid, out = build_network(weights, record_spikes=True)
    compiled = InferenceCompiler(evaluate_timesteps=STEPS, dt=DT, batch_size=1,
                                 reset_in_syn_between_batches=True,
                                 backend=backend).compile(net, "conformance_inference")
    with compiled:
        runtime = type(compiled.genn_model).__name__
        readouts, _ = compiled.predict({inp: data}, out, callbacks=[])
        callbacks = [SpikeRecorder(hid, key="spikes"),
                     SpikeRecorder(hid, key="counts", record_counts=True),
                     VarRecorder(out, "v", key="v")]
        _, cb = compiled.evaluate({inp: data}, {out: np.zeros(len(data), int)},
                                  callbacks=callbacks)
    return dict(runtime=runtime, readouts=np.array(readouts), times=cb["spikes"][0],
                ids=cb["spikes"][1], counts=cb["counts"], v=np.array(cb["v"]))


@pytest.fixture(scope="module")
def cpu_inference():
    trains, data = _inputs()
    return _evaluate("cpu", _weights(3), data)


def _expect_runtime(backend, result):
    # A GeNN backend must really run on pygenn, not fall back to the cpu engine
    assert result["runtime"] == ("GeNNRuntime" if is_genn(backend) else "Runtime")


@pytest.mark.parametrize("backend", BACKENDS)
def test_inference_readouts_and_spike_counts(backend, cpu_inference):
    trains, data = _inputs()
    weights = _weights(3)
    got = _evaluate(backend, weights, data)
    _expect_runtime(backend, got)
    ref = reference_net(weights)
    for i, train in enumerate(trains):
        trace = D.simulate(ref, train)
        # avg_var: the mean over the trial of the output's membrane
        np.testing.assert_allclose(got["readouts"][i], trace.samples[2].mean(axis=0),
                                   rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(got["counts"][i], trace.spikes[1].sum(axis=0))
    assert np.sum(got["counts"]) > 5, "the hidden layer must spike for this to mean anything"
    if is_genn(backend):
        np.testing.assert_allclose(got["readouts"], cpu_inference["readouts"], rtol=1e-5)
        np.testing.assert_array_equal(got["counts"], cpu_inference["counts"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_spike_and_var_recorders(backend, cpu_inference):
    trains, data = _inputs()
    weights = _weights(3)
    got = _evaluate(backend, weights, data)
    ref = reference_net(weights)
    for i, train in enumerate(trains):
        trace = D.simulate(ref, train)
        steps, ids = np.nonzero(trace.spikes[1])
        order = np.lexsort((ids, steps))
        # A spike in step m is recorded at time m * dt
        np.testing.assert_allclose(got["times"][i], steps[order] * DT, atol=1e-9)
        np.testing.assert_array_equal(got["ids"][i], ids[order])
        # The recorded membrane after each step
        np.testing.assert_allclose(got["v"][i], trace.samples[2], rtol=1e-4, atol=1e-6)
    if is_genn(backend):
        np.testing.assert_allclose(got["v"], cpu_inference["v"], rtol=1e-5, atol=1e-7)
        for mine, cpus in zip(got["times"], cpu_inference["times"]):
            np.testing.assert_allclose(mine, cpus, atol=1e-9)


def _train_eventprop(backend, weights, data, labels, precision, optimiser, epochs=1,
                     record_hidden=False):
    """Train; returns (runtime class name, trained weights, accuracy, (net, inp, out)) and,
    with ``record_hidden``, the hidden layer's spikes recorded during training (per example
    ``(times, ids)``)."""
    from ml_genn.callbacks import SpikeRecorder
    from ml_genn.compilers import EventPropCompiler
    net, inp, hid, out = build_network(weights, record_spikes=record_hidden)
    compiled = EventPropCompiler(example_timesteps=STEPS, dt=DT, batch_size=1,
                                 losses="sparse_categorical_crossentropy", optimiser=optimiser,
                                 precision=precision, max_spikes=64,
                                 backend=backend).compile(net, f"conformance_eventprop_{precision}")
    callbacks = [SpikeRecorder(hid, key="hidden")] if record_hidden else []
    with compiled:
        runtime = type(compiled.genn_model).__name__
        metrics, cb = compiled.train({inp: data}, {out: np.asarray(labels)}, num_epochs=epochs,
                                     shuffle=False, callbacks=callbacks)
        trained = [compiled.connection_populations[c].vars["g"].view.copy().reshape(w.shape)
                   for c, w in zip(net.connections, weights)]
    result = (runtime, trained, metrics[out].result, (net, inp, out))
    return result + (list(zip(*cb["hidden"])),) if record_hidden else result


@pytest.mark.parametrize("backend", BACKENDS)
def test_eventprop_sgd_batch_one_matches_sequential_reference(backend):
    from ml_genn.optimisers import SGD
    trains, data = _inputs(21)
    weights = _weights(5)
    labels = [0, 2, 1]
    alpha = 0.5
    runtime, trained, _, _, recorded = _train_eventprop(backend, weights, data, labels,
                                                        "double", SGD(alpha),
                                                        record_hidden=True)
    _expect_runtime(backend, {"runtime": runtime})
    # One SGD step per example (batch size 1), each at the weights the previous one left
    ref = reference_net(weights)
    ws = [np.array(w, float) for w in weights]
    for (times, ids), train, label in zip(recorded, trains, labels):
        net_now = ref.copy_with(ws, [None, None])
        # The recorder holds the forward pass's hidden spikes (not the backward pass's steps)
        steps, spiking = np.nonzero(D.simulate(net_now, train).spikes[1])
        order = np.lexsort((spiking, steps))
        assert steps.size > 0, "the hidden layer must spike"
        np.testing.assert_allclose(times, steps[order] * DT, atol=1e-9)
        np.testing.assert_array_equal(ids, spiking[order])
        grads = D.batch_gradient(net_now, [train], [label], loss="sce", out_pop=2,
                                 readout="avg_var")[0]
        scale = D.mlgenn_scale(net_now, 2, "sce", "avg_var")
        ws = [w - alpha * scale * g for w, g in zip(ws, grads)]
    for name, got, want, before in zip(("in_hid", "hid_out"), trained, ws, weights):
        change = np.max(np.abs(want - before))
        assert change > 1e-4, f"{name}: training must change the weights"
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * change, err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eventprop_float_training_matches_the_cpu_backend(backend):
    from ml_genn.optimisers import SGD
    trains, data = _inputs(31)
    weights = _weights(7)
    labels = [1, 0, 2]
    runtime, trained, accuracy, _ = _train_eventprop(backend, weights, data, labels, "float",
                                                     SGD(0.5), epochs=2)
    _expect_runtime(backend, {"runtime": runtime})
    _, cpu_trained, cpu_accuracy, _ = _train_eventprop("cpu", weights, data, labels, "float",
                                                       SGD(0.5), epochs=2)
    assert accuracy == cpu_accuracy
    for got, want, before in zip(trained, cpu_trained, weights):
        assert np.max(np.abs(want - before)) > 1e-3
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_checkpoint_round_trip_and_across_backends(backend, tmp_path):
    """Train on ``backend``, save, load into a fresh network: evaluating it on ``backend``
    gives the trained network's readouts, and the cpu backend reads the same checkpoint."""
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.optimisers import SGD
    from ml_genn.serialisers import Numpy
    trains, data = _inputs(41)
    weights = _weights(9)
    _, trained, _, (net, inp, out) = _train_eventprop(backend, weights, data, [2, 1, 0], "float",
                                                      SGD(0.5))
    # Save from a loaded network compiled on the backend
    compiled = InferenceCompiler(evaluate_timesteps=STEPS, dt=DT, batch_size=1,
                                 reset_in_syn_between_batches=True,
                                 backend=backend).compile(net, "conformance_checkpoint")
    with compiled:
        compiled.connection_populations[net.connections[0]].vars["g"].values = trained[0]
        compiled.connection_populations[net.connections[1]].vars["g"].values = trained[1]
        compiled.save(("trained",), Numpy(str(tmp_path)))
        before, _ = compiled.predict({inp: data}, out, callbacks=[])
    results = {}
    for target in dict.fromkeys((backend, "cpu")):
        fresh, f_inp, _, f_out = build_network(_weights(99))
        fresh.load(("trained",), Numpy(str(tmp_path)))
        loaded = InferenceCompiler(evaluate_timesteps=STEPS, dt=DT, batch_size=1,
                                   reset_in_syn_between_batches=True,
                                   backend=target).compile(fresh, "conformance_checkpoint")
        with loaded:
            for c, w in zip(fresh.connections, trained):
                np.testing.assert_array_equal(
                    loaded.connection_populations[c].vars["g"].view.reshape(w.shape),
                    w.astype(np.float32))
            results[target], _ = loaded.predict({f_inp: data}, f_out, callbacks=[])
    np.testing.assert_array_equal(results[backend], before)
    np.testing.assert_allclose(results["cpu"], before, rtol=1e-5)


def _train_eprop(backend, weights, data, labels, implementation, adaptive=False):
    """e-prop (mlGeNN's shape: LIF or ALIF hidden with a refractory period, delta synapses,
    LI sum_var output), batch 1, SGD, double precision: the trained weights."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers import EPropCompiler
    from ml_genn.compilers.eprop_compiler import default_params
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import (AdaptiveLeakyIntegrateFire, LeakyIntegrate,
                                 LeakyIntegrateFire, SpikeInput)
    from ml_genn.optimisers import SGD
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=64), weights[0].shape[0], name="input")
        neuron = (AdaptiveLeakyIntegrateFire(v_thresh=0.6, tau_refrac=1.0, tau_adapt=50.0)
                  if adaptive else LeakyIntegrateFire(v_thresh=0.6, tau_refrac=1.0))
        hid = Population(neuron, weights[0].shape[1], name="hidden")
        out = Population(LeakyIntegrate(tau_mem=20.0, readout="sum_var"), weights[1].shape[1],
                         name="output")
        Connection(inp, hid, Dense(np.array(weights[0])), name="in_hid")
        Connection(hid, out, Dense(np.array(weights[1])), name="hid_out")
    compiled = EPropCompiler(STEPS, "sparse_categorical_crossentropy", optimiser=SGD(0.05),
                             dt=DT, batch_size=1, precision="double", backend=backend,
                             implementation=implementation).compile(net, "conformance_eprop")
    with compiled:
        compiled.train({inp: data}, {out: np.array(labels)}, num_epochs=2, shuffle=False,
                       callbacks=[])
        return [np.array(compiled.connection_populations[c].vars["g"].values).reshape(w.shape)
                for c, w in zip(net.connections, weights)]


@pytest.mark.parametrize("adaptive", [False, True], ids=["lif", "alif"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_eprop_per_synapse_training_matches_the_cpu_backend(backend, adaptive):
    """mlGeNN's per-synapse e-prop on every backend, against the cpu backend's per-synapse and
    factorised forms: in double precision only the order of operations differs (1e-9 of the
    largest weight change)."""
    trains, data = _inputs(51)
    rng = np.random.default_rng(5)
    weights = [rng.normal(0.5, 0.4, (4, 5)), rng.normal(0.0, 0.5, (5, 3))]
    labels = [1, 0, 2]
    got = _train_eprop(backend, weights, data, labels, "per_synapse", adaptive)
    for implementation in ("per_synapse", "factorised"):
        want = _train_eprop("cpu", weights, data, labels, implementation, adaptive)
        for g, w, before in zip(got, want, weights):
            change = np.max(np.abs(w - before))
            assert change > 1e-4
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-9 * change)
