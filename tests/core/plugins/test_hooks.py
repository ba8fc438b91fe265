"""Network validation, per-run callbacks and module paths for plugin-provided names."""
import sys
import types

import pytest

from ml_genn import hookimpl
from ml_genn.compilers import Compiler
from ml_genn.plugins import NetworkValidationError, PluginNotInstalledError, PluginWarning


def _plugin(**hooks):
    plugin = types.SimpleNamespace()
    for name, func in hooks.items():
        setattr(plugin, name, hookimpl(func))
    return plugin


class FakeNetwork:
    def __init__(self, *names):
        self.populations = [types.SimpleNamespace(name=n) for n in names]


def test_validation_problems_from_all_plugins_raised_together(ml_genn_plugin_manager,
                                                              register_ml_genn_plugin):
    def no_forbidden(network, compiler):
        return [f"Population '{p.name}' is forbidden" for p in network.populations
                if p.name == "forbidden"]

    def at_most_two(network):
        return [] if len(network.populations) <= 2 else ["Network has more than 2 populations"]

    register_ml_genn_plugin(_plugin(ml_genn_validate_network=no_forbidden), "policy_a")
    register_ml_genn_plugin(_plugin(ml_genn_validate_network=at_most_two), "policy_b")
    ml_genn_plugin_manager.validate_network(FakeNetwork("a", "b"), compiler=None)
    with pytest.raises(NetworkValidationError) as info:
        ml_genn_plugin_manager.validate_network(FakeNetwork("a", "forbidden", "c"), compiler=None)
    message = str(info.value)
    assert "Population 'forbidden' is forbidden" in message
    assert "Network has more than 2 populations" in message


def test_hook_that_raises_is_isolated(ml_genn_plugin_manager, register_ml_genn_plugin):
    def buggy(network, compiler):
        raise ZeroDivisionError("oops")

    register_ml_genn_plugin(_plugin(ml_genn_validate_network=buggy), "buggy",
                            distribution="ml-genn-buggy", version="0.1")
    with pytest.warns(PluginWarning, match=r"ml_genn_validate_network of plugin 'buggy' "
                                           r"\(ml-genn-buggy 0.1\): ZeroDivisionError: oops"):
        ml_genn_plugin_manager.validate_network(FakeNetwork("a"), compiler=None)


def test_run_callbacks_collected_from_plugins(ml_genn_plugin_manager, register_ml_genn_plugin):
    def tracker(compiled_network, mode):
        return [f"tracker-{mode}"] if mode == "train" else None

    register_ml_genn_plugin(_plugin(ml_genn_run_callbacks=tracker), "tracker")
    assert ml_genn_plugin_manager.run_callbacks(object(), "train") == ["tracker-train"]
    assert ml_genn_plugin_manager.run_callbacks(object(), "evaluate") == []


def test_model_spec_and_compiled_hooks_called_with_their_arguments(ml_genn_plugin_manager,
                                                                     register_ml_genn_plugin):
    seen = []
    register_ml_genn_plugin(_plugin(
        ml_genn_amend_model_spec=lambda model_spec, network, compiler:
            seen.append(("amend", model_spec, network, compiler)),
        ml_genn_network_compiled=lambda compiled_network: seen.append(("compiled", compiled_network))),
        "observer")
    ml_genn_plugin_manager.call_each("ml_genn_amend_model_spec", model_spec="spec",
                                     network="net", compiler="comp")
    ml_genn_plugin_manager.call_each("ml_genn_network_compiled", compiled_network="cn",
                                     network="net", compiler="comp")
    assert seen == [("amend", "spec", "net", "comp"), ("compiled", "cn")]


def test_missing_plugin_names_say_which_distribution_to_install(ml_genn_plugin_manager):
    with pytest.raises(PluginNotInstalledError, match="'ml-genn-eventprop'.*pip install"):
        from ml_genn.compilers import EventPropCompiler  # noqa: F401
    with pytest.raises(PluginNotInstalledError, match="'ml-genn-eprop'"):
        from ml_genn.compilers.eprop_compiler import default_params  # noqa: F401
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchCompiler'"):
        import ml_genn.compilers
        ml_genn.compilers.NoSuchCompiler


def test_plugin_module_attributes_reachable_at_mlgenn_paths(register_ml_genn_plugin, monkeypatch):
    # A stand-in for the ml-genn-eventprop distribution: a module defining the compiler and
    # its default_params, registered through the compiler registration hook
    fake = types.ModuleType("fake_eventprop_impl")

    class EventPropCompiler(Compiler):
        pass

    EventPropCompiler.__module__ = fake.__name__
    fake.EventPropCompiler = EventPropCompiler
    fake.default_params = {"marker": 42}
    monkeypatch.setitem(sys.modules, fake.__name__, fake)

    def register(registry):
        registry.add("event_prop", "fake_eventprop_impl:EventPropCompiler")

    register_ml_genn_plugin(_plugin(ml_genn_register_compilers=register), "fake_eventprop")
    from ml_genn.compilers import EventPropCompiler as Resolved
    from ml_genn.compilers.event_prop_compiler import default_params
    assert Resolved is EventPropCompiler
    assert default_params == {"marker": 42}
