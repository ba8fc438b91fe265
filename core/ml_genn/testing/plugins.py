"""Context managers that give a test its own plugin manager."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

from ..plugins.manager import PluginInfo, PluginManager, set_plugin_manager


@contextmanager
def fresh_plugin_manager(autoload: bool = False, **kwargs: Any) -> Iterator[PluginManager]:
    """Install a new process-wide plugin manager for the ``with`` block, then restore the old one.

    Parameters
    ----------
    autoload
        Whether to load ``ml_genn.plugins`` entry points (off by default so that installed plugins
        cannot change the outcome of a test).
    **kwargs
        Passed to :class:`PluginManager` (``strict``, ``disabled``, ``default_plugins``).
    """
    manager = PluginManager(autoload=autoload, **kwargs)
    previous = set_plugin_manager(manager)
    try:
        yield manager
    finally:
        set_plugin_manager(previous)


@contextmanager
def registered_plugin(manager: PluginManager, plugin: Any, name: Optional[str] = None,
                      distribution: Optional[str] = None,
                      version: Optional[str] = None) -> Iterator[Any]:
    """Register ``plugin`` on ``manager`` for the ``with`` block and unregister it afterwards."""
    name = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
    manager.register(plugin, PluginInfo(name=name, distribution=distribution, version=version))
    try:
        yield plugin
    finally:
        manager.unregister(name)
