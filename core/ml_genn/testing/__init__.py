"""Testing kit for ml_genn and plugin authors.

Installed as a pytest plugin (entry point ``pytest11``), it provides the fixtures

``ml_genn_plugin_manager``
    A fresh :class:`ml_genn.plugins.PluginManager` with entry-point autoloading off, installed as
    the process-wide manager for one test and replaced by the previous one afterwards.
``register_ml_genn_plugin``
    A function ``register(plugin, name=None, distribution=None, version=None)`` that registers a
    plugin object (a module or any object with ``ml_genn_*`` hook implementations) on that fresh
    manager for one test.
"""
from .plugins import fresh_plugin_manager, registered_plugin

__all__ = ["fresh_plugin_manager", "registered_plugin"]
