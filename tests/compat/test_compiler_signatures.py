"""Compiler signatures as mlGeNN 2.4 has them, and nothing silently ignored: a keyword that
neither the compiler nor its backend takes is an error naming it."""
import pytest

from ml_genn.compilers import InferenceCompiler


def test_inference_compiler_takes_mlgenns_positional_order():
    # mlGeNN 2.4: (evaluate_timesteps, dt, batch_size, rng_seed, kernel_profiling,
    # prefer_in_memory_connect, reset_time_between_batches, reset_vars_between_batches,
    # reset_in_syn_between_batches, ...)
    c = InferenceCompiler(20, 0.5, 3, 7, True, False, False, False, True)
    assert (c.evaluate_timesteps, c.dt, c.batch_size, c.rng_seed) == (20, 0.5, 3, 7)
    assert c.kernel_profiling is True and c.prefer_in_memory_connect is False
    assert (c.reset_time_between_batches, c.reset_vars_between_batches,
            c.reset_in_syn_between_batches) == (False, False, True)


def test_unknown_keywords_are_errors_naming_them():
    from ml_genn.compilers import EventPropCompiler
    with pytest.raises(TypeError, match=r"InferenceCompiler.*'kernel_profilling' \(did you "
                                        r"mean 'kernel_profiling'\?\)"):
        InferenceCompiler(evaluate_timesteps=10, kernel_profilling=True)
    with pytest.raises(TypeError, match="EventPropCompiler.*'max_spike'"):
        EventPropCompiler(example_timesteps=10, losses="sparse_categorical_crossentropy",
                          max_spike=10)
    # mlGeNN's Deep-R arguments are known: empty is fine, a connection is a clear refusal
    EventPropCompiler(example_timesteps=10, losses="sparse_categorical_crossentropy",
                      deep_r_conns=[], deep_r_record_rewirings={})
    with pytest.raises(NotImplementedError, match="Deep-R"):
        EventPropCompiler(example_timesteps=10, losses="sparse_categorical_crossentropy",
                          deep_r_conns=[object()])
    with pytest.raises(NotImplementedError, match="communicator"):
        InferenceCompiler(evaluate_timesteps=10, communicator=object())


def test_data_errors_are_the_types_mlgenn_raises():
    """mlGeNN's utils.data raises RuntimeError for these; ours are also ValueErrors."""
    import numpy as np
    from ml_genn.utils.data import batch_spikes, preprocess_spikes, split_dataset
    data = {"x": np.zeros((10, 2))}
    for bad in (1.5, -0.1):
        with pytest.raises(RuntimeError, match="split"):
            split_dataset(data, bad)
        with pytest.raises(ValueError):
            split_dataset(data, bad)
    one = preprocess_spikes(np.array([1.0]), np.array([0]), 3)
    other = preprocess_spikes(np.array([1.0]), np.array([0]), 4)
    with pytest.raises(RuntimeError, match="batch size"):
        batch_spikes([one, one, one], 2)
    with pytest.raises(RuntimeError, match="numbers of"):
        batch_spikes([one, other], 2)


def test_backend_names_mlgenn_users_pass():
    """'single_threaded_cpu' (GeNN's CPU backend) runs on the cpu backend, with the same
    results; GPU backend names say what they need."""
    import numpy as np
    from ml_genn import Connection, Network, Population
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, PoissonInput
    from ml_genn.plugins.errors import PluginNotInstalledError
    results = []
    for backend in ("cpu", "single_threaded_cpu"):
        net = Network()
        with net:
            inp = Population(PoissonInput(), 20)
            hid = Population(LeakyIntegrateFire(), 30)
            out = Population(LeakyIntegrate(readout="avg_var"), 3)
            Connection(inp, hid, Dense(np.full((20, 30), 0.2)))
            Connection(hid, out, Dense(np.full((30, 3), 0.1)))
        compiled = InferenceCompiler(evaluate_timesteps=50, rng_seed=3,
                                     backend=backend).compile(net)
        with compiled:
            x = np.random.default_rng(0).random((4, 20))
            results.append(_readouts(compiled, inp, out, x))
    np.testing.assert_array_equal(results[0], results[1])
    for backend in ("cuda", "hip"):
        with pytest.raises(PluginNotInstalledError, match="pygenn"):
            InferenceCompiler(evaluate_timesteps=10, backend=backend)


def _readouts(compiled, inp, out, x):
    import numpy as np
    from ml_genn.callbacks import VarRecorder
    _, cb = compiled.evaluate({inp: x}, {out: np.zeros(len(x), int)},
                              callbacks=[VarRecorder(out, "v", key="v")])
    return np.stack([np.asarray(v) for v in cb["v"]])


def test_evaluate_batch_shows_no_progress_bar_and_save_takes_no_keys(tmp_path, capsys):
    """mlGeNN: ``evaluate_batch(..., callbacks=[])`` and ``save(keys=(), serialiser=...)``."""
    import numpy as np
    from ml_genn import Connection, Network, Population
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import LeakyIntegrate, PoissonInput
    from ml_genn.serialisers import Numpy
    weights = np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
    net = Network()
    with net:
        inp = Population(PoissonInput(), 6)
        out = Population(LeakyIntegrate(readout="avg_var"), 3)
        conn = Connection(inp, out, Dense(weights))
    compiled = InferenceCompiler(evaluate_timesteps=20, batch_size=2).compile(net)
    with compiled:
        capsys.readouterr()
        compiled.evaluate_batch({inp: np.ones((2, 6))}, {out: np.zeros(2, int)})
        assert capsys.readouterr().err == ""
        compiled.save(serialiser=Numpy(str(tmp_path)))
    net.connections[0].connectivity.weight = np.zeros((6, 3))
    net.load((), Numpy(str(tmp_path)))
    np.testing.assert_array_equal(np.asarray(conn.connectivity.weight).reshape(6, 3), weights)
