"""ml_genn's plugin system (pluggy): hook specifications, the manager and the component registry.

Write a plugin as a module with functions marked ``@ml_genn.hookimpl`` named after the hooks in
:mod:`ml_genn.hookspecs`, and point an entry point in the ``ml_genn.plugins`` group at it.
"""
from ..hookspecs import hookimpl, hookspec
from .errors import (ComponentNotFoundError, ComponentTypeError, DuplicateComponentError,
                     NetworkValidationError, PluginError, PluginLoadError, PluginNotInstalledError)
from .manager import (DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PluginInfo, PluginManager, PluginWarning,
                      call_each, get_plugin_manager, get_registry, set_plugin_manager)
from .registry import ComponentEntry, ComponentRegistry, KindRegistry

__all__ = ["hookimpl", "hookspec", "ComponentNotFoundError", "ComponentTypeError",
           "DuplicateComponentError", "NetworkValidationError", "PluginError", "PluginLoadError",
           "PluginNotInstalledError", "DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo",
           "PluginManager", "PluginWarning", "call_each", "get_plugin_manager", "get_registry",
           "set_plugin_manager", "ComponentEntry", "ComponentRegistry", "KindRegistry"]
