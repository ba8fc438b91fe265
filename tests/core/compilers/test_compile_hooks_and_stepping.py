"""The compile path calls the plugin hooks; timestep hooks alone force per-timestep stepping."""
import types

import numpy as np

from ml_genn import Connection, Network, Population, hookimpl
from ml_genn.callbacks import Callback
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense
from ml_genn.neurons import IntegrateFire, IntegrateFireInput


def small_network():
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=0.5), 3, name="input")
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 2, name="output")
        Connection(inp, out, Dense(np.ones((3, 2))))
    return net, inp, out


def test_plugin_hooks_are_called_in_order(register_ml_genn_plugin):
    calls = []

    class Spy(Callback):
        def on_test_end(self, metrics):
            calls.append("run_callback")

    plugin = types.SimpleNamespace()

    @hookimpl
    def ml_genn_validate_network(network, compiler):
        calls.append("validate")

    @hookimpl
    def ml_genn_amend_model_spec(model_spec, network, compiler):
        calls.append(("amend", sorted(model_spec.neuron_populations)))

    @hookimpl
    def ml_genn_network_compiled(compiled_network, network, compiler):
        calls.append("compiled")

    @hookimpl
    def ml_genn_run_callbacks(compiled_network, mode):
        calls.append(("run", mode))
        return [Spy()]

    for f in (ml_genn_validate_network, ml_genn_amend_model_spec, ml_genn_network_compiled,
              ml_genn_run_callbacks):
        setattr(plugin, f.__name__, f)
    register_ml_genn_plugin(plugin, name="spy")
    net, inp, out = small_network()
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True).compile(net)
    with compiled:
        compiled.evaluate({inp: np.ones((1, 3))}, {out: np.zeros(1, int)}, callbacks=[])
    assert calls == ["validate", ("amend", ["input", "output"]), "compiled", ("run", "evaluate"),
                     "run_callback"]


def test_timestep_hooks_force_stepping_only_when_present():
    net, inp, out = small_network()
    compiled = InferenceCompiler(evaluate_timesteps=4, reset_in_syn_between_batches=True, batch_size=2).compile(net)
    seen = []

    class Timesteps(Callback):
        def on_timestep_end(self, timestep):
            seen.append(timestep)

    with compiled:
        native = compiled.genn_model.run_timesteps
        native_calls = []
        compiled.genn_model.run_timesteps = lambda n: (native_calls.append(n), native(n))
        x, y = {inp: np.ones((3, 3))}, {out: np.zeros(3, int)}
        compiled.evaluate(x, y, callbacks=[])
        assert native_calls == [4, 4]  # one native call per batch
        metrics, _ = compiled.evaluate(x, y, callbacks=[Timesteps()])
        assert native_calls == [4, 4] and seen == [0, 1, 2, 3] * 2
        # Stepping one timestep at a time gives the same result as the native call
        assert metrics[out].total == 3
        y_step, _ = compiled.predict(x, out, callbacks=[Timesteps()])
        y_native, _ = compiled.predict(x, out, callbacks=[])
        np.testing.assert_array_equal(y_step, y_native)
        # 3 inputs spike every step; the spikes of steps 0-2 arrive within the 4 steps
        np.testing.assert_allclose(y_native, np.full((3, 2), 9.0))
