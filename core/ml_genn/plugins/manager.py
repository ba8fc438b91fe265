"""The plugin manager: finds plugins, calls their hooks one at a time, builds the registry.

Plugins are modules named by entry points in the ``ml_genn.plugins`` group. Core's built-ins are a
tuple of default plugin modules loaded by this same manager before any entry point, so core and
third-party plugins go through one code path and core's names are claimed first.

Environment switches
--------------------
``ML_GENN_STRICT_PLUGINS=1``
    Raise instead of warning when a plugin fails to load or one of its hooks raises.
``ML_GENN_DISABLE_PLUGIN_AUTOLOAD=1``
    Load no entry points (core's built-ins still load).
``ML_GENN_DISABLED_PLUGINS=a,b``
    Skip these plugins (entry-point names or distribution names).
``ML_GENN_TRACE_PLUGINS=1``
    Print every hook call, its plugin and its result to standard error.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import pluggy

from .. import hookspecs
from .errors import NetworkValidationError, PluginLoadError
from .registry import KIND_HOOKS, ComponentRegistry, PluginOrigin

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:  # pragma: no cover - Python 3.9 only
    from importlib_metadata import entry_points

ENTRY_POINT_GROUP = "ml_genn.plugins"

#: Core's own plugins, registered through the same hooks a third-party plugin implements
DEFAULT_PLUGINS = (
    "ml_genn.plugins.builtin.models",
    "ml_genn.plugins.builtin.training",
    "ml_genn.plugins.builtin.callbacks",
    "ml_genn.plugins.builtin.serialisers",
    "ml_genn.plugins.builtin.compilers",
    "ml_genn.plugins.builtin.backends",
)


class PluginWarning(UserWarning):
    """A plugin failed to load or one of its hooks raised; everything else keeps working."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class PluginInfo:
    """What the manager knows about one plugin."""
    name: str
    distribution: Optional[str] = None
    version: Optional[str] = None
    entry_point: Optional[str] = None
    builtin: bool = False
    error: Optional[str] = None
    hooks: List[str] = field(default_factory=list)

    @property
    def origin(self) -> PluginOrigin:
        return PluginOrigin(self.name, self.distribution, self.version)

    def describe(self) -> str:
        """``'x' (ml-genn-x 0.3)`` as used in warnings and errors."""
        return str(self.origin)


class PluginManager:
    """ml_genn's plugin manager (wraps a :class:`pluggy.PluginManager`).

    Parameters
    ----------
    autoload
        Load ``ml_genn.plugins`` entry points; defaults to ``not ML_GENN_DISABLE_PLUGIN_AUTOLOAD``.
    strict
        Raise instead of warning on plugin failures; defaults to ``ML_GENN_STRICT_PLUGINS``.
    disabled
        Plugin or distribution names to skip; defaults to ``ML_GENN_DISABLED_PLUGINS``.
    default_plugins
        Module paths of core's built-in plugins.
    """

    def __init__(self, autoload: Optional[bool] = None, strict: Optional[bool] = None,
                 disabled: Optional[Iterable[str]] = None,
                 default_plugins: Sequence[str] = DEFAULT_PLUGINS):
        self.strict = _env_flag("ML_GENN_STRICT_PLUGINS") if strict is None else strict
        if autoload is None:
            autoload = not _env_flag("ML_GENN_DISABLE_PLUGIN_AUTOLOAD")
        if disabled is None:
            disabled = [d.strip() for d in os.environ.get("ML_GENN_DISABLED_PLUGINS", "").split(",")]
        self.disabled = {d for d in disabled if d}
        self.trace = _env_flag("ML_GENN_TRACE_PLUGINS")

        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self.plugins: Dict[str, PluginInfo] = {}
        self._registry: Optional[ComponentRegistry] = None

        for module_name in default_plugins:
            self._load_default(module_name)
        if autoload:
            self.load_entry_points()

    # ------------------------------------------------------------------
    # Loading
    # ------------------------------------------------------------------
    def _load_default(self, module_name: str) -> None:
        from .. import __version__
        name = module_name.rsplit(".", 1)[-1]
        info = PluginInfo(name=f"ml_genn.{name}", distribution="ml-genn", version=__version__,
                          entry_point=module_name, builtin=True)
        # Core's own plugins failing is a bug in core, never something to hide
        self.register(import_module(module_name), info)

    def load_entry_points(self) -> None:
        """Load every plugin named in the ``ml_genn.plugins`` entry-point group.

        Each entry point is loaded in its own ``try``: a failure is one :class:`PluginWarning`
        naming the plugin, its distribution and the exception (or :class:`PluginLoadError` when
        strict), and the remaining plugins still load.
        """
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for ep in found:
            dist = getattr(ep, "dist", None)
            info = PluginInfo(name=ep.name,
                              distribution=dist.metadata["Name"] if dist is not None else None,
                              version=dist.version if dist is not None else None,
                              entry_point=ep.value)
            if info.name in self.plugins:
                continue
            if info.name in self.disabled or (info.distribution in self.disabled):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - isolating plugins is the point
                self._report_failure(info, exc, "loading")
                continue
            self.register(plugin, info)

    def register(self, plugin: Any, info: PluginInfo) -> None:
        """Register a plugin object (usually a module) under ``info.name``."""
        try:
            self._pm.register(plugin, name=info.name)
        except Exception as exc:  # noqa: BLE001 - e.g. a hook not matching any spec
            self._report_failure(info, exc, "registering")
            return
        info.hooks = sorted(impl_name for impl_name in dir(plugin)
                            if impl_name.startswith("ml_genn_")
                            and self._pm.parse_hookimpl_opts(plugin, impl_name) is not None)
        self.plugins[info.name] = info
        self._registry = None

    def unregister(self, name: str) -> None:
        """Remove a plugin; the registry is rebuilt on next use."""
        plugin = self._pm.get_plugin(name)
        if plugin is not None:
            self._pm.unregister(plugin, name=name)
        self.plugins.pop(name, None)
        self._registry = None

    def _report_failure(self, info: PluginInfo, exc: BaseException, doing: str) -> None:
        info.error = f"{type(exc).__name__}: {exc}"
        self.plugins.setdefault(info.name, info)
        message = f"Error {doing} plugin {info.describe()}: {info.error}"
        if self.strict:
            raise PluginLoadError(message) from exc
        warnings.warn(message, PluginWarning, stacklevel=3)

    # ------------------------------------------------------------------
    # Calling hooks
    # ------------------------------------------------------------------
    def call_each(self, hook_name: str, **kwargs: Any) -> List[Any]:
        """Call every implementation of ``hook_name``, one plugin at a time.

        Implementations run in registration order (core first). An implementation that raises is
        reported as one :class:`PluginWarning` (or raised when strict) and skipped; the results of
        the others are returned, ``None`` results left out.
        """
        hook = getattr(self._pm.hook, hook_name)
        results = []
        for impl in hook.get_hookimpls():
            ok, result = self._call_impl(impl, hook_name, kwargs)
            if ok and result is not None:
                results.append(result)
        return results

    def _call_impl(self, impl: Any, hook_name: str, kwargs: Dict[str, Any]) -> Tuple[bool, Any]:
        """Call one plugin's implementation, isolating (and optionally tracing) it."""
        info = self.plugins.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
        args = {name: kwargs[name] for name in impl.argnames}
        if self.trace:
            print(f"[ml_genn plugins] {info.name}.{hook_name}({', '.join(args)})", file=sys.stderr)
        try:
            result = impl.function(**args)
        except Exception as exc:  # noqa: BLE001 - isolating plugins is the point
            self._report_failure(info, exc, f"in hook {hook_name} of")
            return False, None
        if self.trace:
            print(f"[ml_genn plugins]   -> {result!r}", file=sys.stderr)
        return True, result

    @property
    def registry(self) -> ComponentRegistry:
        """The component registry, built on first use from every plugin's registration hooks."""
        if self._registry is None:
            registry = ComponentRegistry()
            for kind, hook_name in KIND_HOOKS.items():
                table = registry.kind(kind)
                for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
                    info = self.plugins.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
                    table._current_origin = info.origin
                    self._call_impl(impl, hook_name, {"registry": table})
                table._current_origin = PluginOrigin("<unknown>")
            self._registry = registry
        return self._registry

    # ------------------------------------------------------------------
    # Convenience wrappers used by core
    # ------------------------------------------------------------------
    def validate_network(self, network: Any, compiler: Any) -> None:
        """Run every ``ml_genn_validate_network`` hook; raise all problems together."""
        problems = [str(p) for result in self.call_each("ml_genn_validate_network",
                                                        network=network, compiler=compiler)
                    for p in result]
        if problems:
            raise NetworkValidationError("Network failed validation:\n  - " + "\n  - ".join(problems))

    def run_callbacks(self, compiled_network: Any, mode: str) -> List[Any]:
        """Callbacks every plugin adds to a ``train``/``evaluate``/``predict`` run."""
        return [cb for result in self.call_each("ml_genn_run_callbacks",
                                                compiled_network=compiled_network, mode=mode)
                for cb in result]

    def plugin_versions(self) -> Dict[str, str]:
        """``distribution -> version`` of every loaded plugin (recorded in checkpoints)."""
        return {info.distribution: info.version or "unknown"
                for info in self.plugins.values()
                if info.distribution is not None and info.error is None}

    def get_plugin(self, name: str) -> Any:
        return self._pm.get_plugin(name)

    def hook_names(self) -> List[str]:
        return sorted(name for name in dir(hookspecs) if name.startswith("ml_genn_"))


_manager: Optional[PluginManager] = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, created (and plugins loaded) on first use."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


def set_plugin_manager(manager: Optional[PluginManager]) -> Optional[PluginManager]:
    """Replace the process-wide manager (``None`` makes the next use create a fresh one).

    Returns the previous manager so that tests can restore it.
    """
    global _manager
    previous, _manager = _manager, manager
    return previous


def get_registry() -> ComponentRegistry:
    """The component registry of the process-wide plugin manager."""
    return get_plugin_manager().registry


def call_each(hook_name: str, **kwargs: Any) -> List[Any]:
    """Shortcut for ``get_plugin_manager().call_each(...)``."""
    return get_plugin_manager().call_each(hook_name, **kwargs)


__all__ = ["ENTRY_POINT_GROUP", "DEFAULT_PLUGINS", "PluginManager", "PluginInfo", "PluginWarning",
           "get_plugin_manager", "set_plugin_manager", "get_registry", "call_each"]
