"""Training with EPropCompiler: checkpoints resume exactly, recorders see the eligibility traces
and learning signals by their mlGeNN names, and a small task is learned."""
from __future__ import annotations

import numpy as np
import pytest

from eprop_harness import build, random_raster, reference_batches, spike_trains
from eprop_reference import Conn, EPropReference, Hidden, Net, Output

K = 30


def _spec(seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)
    return Net({"in": 6},
               {"h": Hidden(5, v_thresh=0.5, tau_refrac=2.0, adaptive=True, beta=0.1,
                            tau_adapt=60.0)},
               {"out": Output(3, 15.0, 0.1, "avg_var")},
               [Conn("in", "h", rng.normal(0.3, 0.3, (6, 5))),
                Conn("h", "h", rng.normal(0.0, 0.3, (5, 5))),
                Conn("h", "out", rng.normal(0.0, 0.5, (5, 3)))], c_reg=0.05)


def _data(n: int = 10, seed: int = 1):
    rng = np.random.default_rng(seed)
    return random_raster(rng, n, K, 6, 0.1), rng.integers(0, 3, n)


@pytest.mark.parametrize("implementation", ["factorised", "per_synapse"])
def test_resume_from_a_checkpoint_is_bit_exact(tmp_path, implementation):
    from ml_genn.callbacks import Checkpoint
    from ml_genn.compilers import EPropCompiler
    from ml_genn.serialisers import Numpy
    raster, y = _data()
    x = spike_trains(raster)

    def compiler():
        return EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3, rng_seed=5,
                             implementation=implementation)

    net, pops, conns = build(_spec())
    straight = compiler().compile(net)
    with straight:
        straight.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=1,
                       callbacks=[Checkpoint(Numpy(str(tmp_path)))])
        straight.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=2, start_epoch=1,
                       callbacks=[])
        expected = {(c.name, v): np.array(g.vars[v].view) for c, g in
                    straight.connection_populations.items() for v in g.vars}
        expected.update({(p.name, v): np.array(g.vars[v].view) for p, g in
                         straight.neuron_populations.items() for v in g.vars})

    net, pops, conns = build(_spec())
    net.load((0,), Numpy(str(tmp_path)))
    resumed = compiler().compile(net)
    with resumed:
        resumed.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=2, start_epoch=1,
                      callbacks=[])
        got = {(c.name, v): np.array(g.vars[v].view) for c, g in
               resumed.connection_populations.items() for v in g.vars}
        got.update({(p.name, v): np.array(g.vars[v].view) for p, g in
                    resumed.neuron_populations.items() for v in g.vars})
    assert ("c0_in_h", "g") in expected and ("h", "V") in expected
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=str(key))


def test_resume_without_the_running_state_would_differ(tmp_path):
    """The state a checkpoint keeps beside the weights matters: resuming from weights alone
    (what mlGeNN's checkpoints hold) does not continue the same run."""
    from ml_genn.callbacks import Checkpoint
    from ml_genn.compilers import EPropCompiler
    from ml_genn.serialisers import Numpy
    raster, y = _data()
    x = spike_trains(raster)
    net, pops, conns = build(_spec())
    compiled = EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3).compile(net)
    with compiled:
        compiled.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=2,
                       callbacks=[Checkpoint(Numpy(str(tmp_path)))])
        expected = np.array(compiled.connection_populations[conns[0]].vars["g"].view)
    # Weights alone, as plain files (the manifests would rightly call this checkpoint damaged)
    for path in list(tmp_path.rglob("*eprop_state*")) + list(tmp_path.rglob("*eprop_traces*")) \
            + list(tmp_path.rglob("*.ml_genn_manifest.json")):
        if path.is_file():
            path.unlink()
    net, pops, conns = build(_spec())
    net.load((0,), Numpy(str(tmp_path)))
    resumed = EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3).compile(net)
    with resumed:
        resumed.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=1, start_epoch=1,
                      callbacks=[])
        assert not np.array_equal(
            np.array(resumed.connection_populations[conns[0]].vars["g"].view), expected)


def test_synapse_traces_are_kept_for_the_latest_checkpoint_only(tmp_path):
    """Each checkpoint holds the neuron state; the synapses' traces (batch x synapses) are kept
    once, for the latest checkpoint: resuming from an older one says it cannot be exact."""
    from ml_genn.callbacks import Checkpoint
    from ml_genn.compilers import EPropCompiler
    from ml_genn.serialisers import Numpy
    raster, y = _data()
    x = spike_trains(raster)
    net, pops, conns = build(_spec())
    compiled = EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3,
                             rng_seed=5).compile(net)
    with compiled:
        compiled.train({pops["in"]: x}, {pops["out"]: y}, num_epochs=2,
                       callbacks=[Checkpoint(Numpy(str(tmp_path)))])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.startswith("0-eprop_state") for n in names)
    assert any(n.startswith("1-eprop_state") for n in names)
    traces = [n for n in names if "eprop_traces" in n]
    assert traces and not any(n.startswith(("0-", "1-")) for n in traces)
    net, pops, conns = build(_spec())
    net.load((0,), Numpy(str(tmp_path)))
    resumed = EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3,
                            rng_seed=5).compile(net)
    with pytest.warns(RuntimeWarning, match="latest checkpoint"):
        with resumed:
            pass


def test_recorders_see_traces_and_learning_signals_by_mlgenn_names():
    """Per timestep, the per-synapse form's ``eFiltered`` and the neurons' learning signal
    ``E`` equal the reference's; in both forms the hidden ``E`` is the output error of the step
    before fed back through the output weights."""
    from ml_genn.callbacks import ConnVarRecorder, VarRecorder
    from ml_genn.compilers import EPropCompiler
    from ml_genn.optimisers import SGD
    spec = _spec()
    raster, y = _data(3)
    ref = EPropReference(spec, 3)
    ref.history = []
    reference_batches(ref, {"in": raster}, {"out": y}, 3, True, 0.01)
    for implementation in ("per_synapse", "factorised"):
        net, pops, conns = build(spec)
        compiled = EPropCompiler(K, "sparse_categorical_crossentropy", optimiser=SGD(0.01),
                                 batch_size=3, c_reg=spec.c_reg, precision="double",
                                 implementation=implementation).compile(net)
        callbacks = [VarRecorder(pops["h"], key="hidden_e", genn_var="E"),
                     VarRecorder(pops["out"], key="output_e", genn_var="E")]
        if implementation == "per_synapse":
            callbacks.append(ConnVarRecorder(conns[0], "eFiltered", key="ef"))
        with compiled:
            _, data = compiled.train({pops["in"]: spike_trains(raster)}, {pops["out"]: y},
                                     num_epochs=1, shuffle=False, callbacks=callbacks)
        for lane in range(3):
            hidden_e = np.array([h["E"]["h"][lane] for h in ref.history])
            np.testing.assert_allclose(data["hidden_e"][lane], hidden_e, rtol=1e-9, atol=1e-12)
            # The learning signal is the previous step's output error through W_out^T
            fed_back = data["output_e"][lane][:-1] @ spec.conns[2].weight.T
            np.testing.assert_allclose(data["hidden_e"][lane][1:], fed_back, rtol=1e-9,
                                       atol=1e-12)
            if implementation == "per_synapse":
                ebar = np.array([h["ebar"][0][lane] for h in ref.history])
                assert np.abs(ebar).max() > 1e-3
                np.testing.assert_allclose(data["ef"][lane], ebar, rtol=1e-9, atol=1e-12)


def test_a_small_task_is_learned():
    """Two classes told apart by which half of the inputs fires more: held-out accuracy rises
    from chance to at least 90%."""
    from ml_genn.compilers import EPropCompiler
    from ml_genn.optimisers import Adam
    rng = np.random.default_rng(0)
    n, steps = 60, 50
    y = rng.integers(0, 2, n)
    raster = (rng.random((n, steps, 20)) < 0.02).astype(np.uint8)
    for e in range(n):
        half = slice(0, 10) if y[e] == 0 else slice(10, 20)
        raster[e, :, half] |= (rng.random((steps, 10)) < 0.1).astype(np.uint8)
    spec = Net({"in": 20}, {"h": Hidden(16, v_thresh=0.6, tau_refrac=5.0, adaptive=True,
                                        beta=0.05, tau_adapt=200.0)},
               {"out": Output(2, 20.0, 0.0, "avg_var")},
               [Conn("in", "h", rng.normal(0.0, 1 / np.sqrt(20), (20, 16))),
                Conn("h", "h", rng.normal(0.0, 1 / np.sqrt(16), (16, 16))),
                Conn("h", "out", rng.normal(0.0, 1 / np.sqrt(16), (16, 2)))])
    net, pops, conns = build(spec)
    compiled = EPropCompiler(steps, "sparse_categorical_crossentropy", optimiser=Adam(0.01),
                             batch_size=10, rng_seed=3).compile(net)
    x = spike_trains(raster)
    with compiled:
        before, _ = compiled.evaluate({pops["in"]: x[40:]}, {pops["out"]: y[40:]})
        compiled.train({pops["in"]: x[:40]}, {pops["out"]: y[:40]}, num_epochs=15,
                       callbacks=[])
        after, _ = compiled.evaluate({pops["in"]: x[40:]}, {pops["out"]: y[40:]})
    assert before[pops["out"]].result < 0.75
    assert after[pops["out"]].result >= 0.9


def test_gradient_hooks_reach_eprop_gradients():
    """The batch's summed DeltaG per connection (and DeltaBias per output) are what
    on_after_gradient_update sees; zeroing one connection's keeps its weights (Adam from zero
    moments), the others learn."""
    from ml_genn.callbacks import Callback
    from ml_genn.compilers import EPropCompiler
    raster, y = _data()
    net, pops, conns = build(_spec())
    frozen = conns[1]
    seen = []

    class Freeze(Callback):
        def set_params(self, compiled_network, **kwargs):
            self.network = compiled_network

        def on_after_gradient_update(self, batch):
            gradients = self.network.get_gradients()
            seen.append({k: np.abs(v).max() for k, v in gradients.items()})
            assert gradients[frozen].shape == (5, 5)
            gradients[frozen][...] = 0.0

    compiled = EPropCompiler(K, "sparse_categorical_crossentropy", batch_size=3,
                             rng_seed=5).compile(net)
    with compiled:
        before = {c: np.array(compiled.connection_populations[c].vars["g"].view)
                  for c in conns.values()}
        compiled.train({pops["in"]: spike_trains(raster)}, {pops["out"]: y}, num_epochs=1,
                       callbacks=[Freeze()])
        after = {c: np.array(compiled.connection_populations[c].vars["g"].view)
                 for c in conns.values()}
    assert len(seen) == 4 and set(seen[0]) == set(conns.values()) | {pops["out"]}
    np.testing.assert_array_equal(after[frozen], before[frozen])
    assert not np.array_equal(after[conns[0]], before[conns[0]])
