"""Every registration hook, exercised through a plugin: register a subclass, resolve it by name."""
import types

import pytest

from ml_genn import hookimpl
from ml_genn.plugins import get_registry
from ml_genn.plugins.registry import KIND_BASE_CLASSES, import_target

# Written out (not derived) so a renamed hook fails here, not silently
REGISTRATION_HOOKS = {
    "neuron": "ml_genn_register_neurons",
    "synapse": "ml_genn_register_synapses",
    "connectivity": "ml_genn_register_connectivity",
    "initializer": "ml_genn_register_initializers",
    "readout": "ml_genn_register_readouts",
    "loss": "ml_genn_register_losses",
    "metric": "ml_genn_register_metrics",
    "optimiser": "ml_genn_register_optimisers",
    "callback": "ml_genn_register_callbacks",
    "serialiser": "ml_genn_register_serialisers",
    "compiler": "ml_genn_register_compilers",
    "backend": "ml_genn_register_backends",
}


def test_table_covers_every_kind():
    assert set(REGISTRATION_HOOKS) == set(KIND_BASE_CLASSES)


@pytest.mark.parametrize("kind", sorted(REGISTRATION_HOOKS))
def test_registration_hook(kind, register_ml_genn_plugin):
    base = import_target(KIND_BASE_CLASSES[kind])
    component = type(f"Custom{base.__name__}", (base,), {})

    def register(registry):
        registry.add(f"custom_{kind}", component)

    plugin = types.SimpleNamespace(**{REGISTRATION_HOOKS[kind]: hookimpl(register)})
    register_ml_genn_plugin(plugin, f"custom_{kind}_plugin", distribution="ml-genn-custom",
                            version="1.0")
    table = get_registry().kind(kind)
    assert table.get(f"custom_{kind}") is component
    entry = table.entry(f"custom_{kind}")
    assert (entry.origin.plugin, entry.origin.distribution) == (f"custom_{kind}_plugin",
                                                                "ml-genn-custom")


@pytest.mark.parametrize("kind", sorted(REGISTRATION_HOOKS))
def test_core_builtins_resolve_to_subclasses(kind, ml_genn_plugin_manager):
    table = get_registry().kind(kind)
    for name in table.names():
        assert issubclass(table.get(name), table.base_class), (kind, name)
