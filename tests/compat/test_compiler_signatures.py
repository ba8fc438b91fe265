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
    # mlGeNN's Deep-R arguments are known: empty is fine, something not a connection is a
    # clear TypeError naming the argument
    EventPropCompiler(example_timesteps=10, losses="sparse_categorical_crossentropy",
                      deep_r_conns=[], deep_r_record_rewirings={})
    with pytest.raises(TypeError, match=r"EventPropCompiler deep_r_conns\[0\] must be a "
                                        r"Connection or a Layer.*got object"):
        EventPropCompiler(example_timesteps=10, losses="sparse_categorical_crossentropy",
                          deep_r_conns=[object()])
    with pytest.raises(TypeError, match="InferenceCompiler communicator must be an "
                                        "ml_genn.communicators.Communicator"):
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


def test_backend_names_mlgenn_users_pass(monkeypatch):
    """Without GeNN (pygenn and ml-genn-pygenn), 'single_threaded_cpu' (GeNN's CPU backend)
    runs on the cpu backend, with the same results, and GPU backend names say what they need.
    (Where pygenn is installed the genn plugin is switched off here; tests/backends covers
    GeNN's own backends.)"""
    from ml_genn.plugins.manager import PluginManager, set_plugin_manager
    monkeypatch.setenv("ML_GENN_DISABLED_PLUGINS", "genn")
    previous = set_plugin_manager(PluginManager())
    try:
        _check_backend_names()
    finally:
        set_plugin_manager(previous)


def _check_backend_names():
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


def test_base_compiler_takes_mlgenns_positional_order():
    # mlGeNN 2.4: Compiler(supported_matrix_type, dt, batch_size, rng_seed, kernel_profiling,
    # communicator, **genn_kwargs)
    from ml_genn.compilers import Compiler
    from ml_genn.compilers.compiler import SupportedMatrixType
    from ml_genn.engine import SynapseMatrixType as SMT
    c = Compiler([SMT.SPARSE, SMT.DENSE], 0.5, 4, 9, True, None)
    assert (c.dt, c.batch_size, c.rng_seed, c.kernel_profiling) == (0.5, 4, 9, True)
    assert isinstance(c.supported_matrix_type, SupportedMatrixType)
    assert c.supported_matrix_type.get_best([SMT.DENSE, SMT.SPARSE]) is SMT.SPARSE
    assert c.supported_matrix_type.get_best([SMT.TOEPLITZ]) is None
    with pytest.raises(TypeError, match="communicator must be an ml_genn.communicators"):
        Compiler([SMT.DENSE], 1.0, 1, 0, False, object())
    with pytest.raises(TypeError, match="supported_matrix_type must be a non-empty list"):
        Compiler(["dense"])


def test_connectivity_is_offered_the_compilers_matrix_types():
    """A connectivity written the mlGeNN way picks the best type the compiler supports with
    ``supported_matrix_type.get_best``; a type the compiler cannot build is refused before
    anything runs, naming the connection."""
    import numpy as np
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.compiler import SupportedMatrixType
    from ml_genn.connectivity import Connectivity, OneToOne
    from ml_genn.engine import SynapseMatrixType as SMT
    from ml_genn.neurons import IntegrateFire, IntegrateFireInput
    from ml_genn.utils.snippet import ConnectivitySnippet

    offered = []

    class Diagonal(Connectivity):
        def connect(self, source, target):
            target.shape = source.shape

        def get_snippet(self, connection, supported_matrix_type):
            offered.append(supported_matrix_type)
            n = connection.source.num_neurons
            best = supported_matrix_type.get_best([SMT.SPARSE, SMT.DENSE])
            if best is SMT.DENSE:
                return ConnectivitySnippet(SMT.DENSE, (2.0 * np.eye(n)).reshape(-1))
            index = np.arange(n)
            return ConnectivitySnippet(SMT.SPARSE, 2.0, pre_ind=index, post_ind=index)

    def build(connectivity):
        net = Network()
        with net:
            inp = Population(IntegrateFireInput(v_thresh=1.0), 3)
            out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3)
            Connection(inp, out, connectivity)
        return net, inp, out

    x = np.array([[0.25, 0.5, 1.0]])
    for types, expected in (([SMT.SPARSE, SMT.DENSE], SMT.SPARSE),
                            ([SMT.DENSE], SMT.DENSE)):
        net, inp, out = build(Diagonal(weight=2.0))
        compiler = InferenceCompiler(evaluate_timesteps=4)
        compiler.supported_matrix_type = SupportedMatrixType(types)
        compiled = compiler.compile(net)
        assert offered[-1].get_best([SMT.SPARSE, SMT.DENSE]) is expected
        with compiled:
            v = compiled.predict({inp: x}, [out])[0][out]
        # The input neuron (threshold 1) fires at steps where its accumulated input crosses
        # 1 and resets to 0; the output integrates 2 per input spike, a spike reaching it one
        # step later (GeNN's synaptic delay), so the last step's spikes never arrive
        spikes = np.zeros(3)
        acc = np.zeros(3)
        for step in range(4):
            acc += x[0]
            fired = acc >= 1.0
            if step < 3:
                spikes += fired
            acc[fired] = 0.0
        np.testing.assert_allclose(v[0], 2.0 * spikes, rtol=1e-6)

    net, inp, out = build(OneToOne(weight=1.0))
    compiler = InferenceCompiler(evaluate_timesteps=4)
    compiler.supported_matrix_type = SupportedMatrixType([SMT.DENSE])
    with pytest.raises(NotImplementedError, match="does not support SPARSE connectivity, which "
                                                  "OneToOne on Connection"):
        compiler.compile(net)


def test_few_spike_compiler_takes_mlgenns_positional_order():
    # mlGeNN 2.4: FewSpikeCompiler(k=10, dt=1.0, batch_size=1, rng_seed=0,
    # kernel_profiling=False, prefer_in_memory_connect=True, communicator=None, **genn_kwargs)
    from ml_genn.compilers import FewSpikeCompiler
    from ml_genn.engine import SynapseMatrixType as SMT
    c = FewSpikeCompiler(6, 0.5, 4, 3, True, False)
    assert (c.k, c.dt, c.batch_size, c.rng_seed, c.kernel_profiling) == (6, 0.5, 4, 3, True)
    # Without in-memory preference, kernels (toeplitz) come first, as in mlGeNN
    assert c.supported_matrix_type.types[0] is SMT.TOEPLITZ
    assert FewSpikeCompiler().supported_matrix_type.types[0] is SMT.SPARSE
    with pytest.raises(TypeError, match="communicator must be an ml_genn.communicators"):
        FewSpikeCompiler(8, 1.0, 1, 0, False, True, object())
    with pytest.raises(TypeError, match="FewSpikeCompiler.*'kk'"):
        FewSpikeCompiler(kk=8)
