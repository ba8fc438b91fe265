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

Faults
------
A broken plugin costs one :class:`PluginWarning` and never the host: whatever a plugin raises while
it is imported, registered with pluggy or running a registration hook (``SystemExit`` and other
``BaseException`` subclasses included) is caught, except ``KeyboardInterrupt`` (the user pressing
Ctrl-C must stop the program, not a plugin). A plugin that fails any of these steps is left out
completely: none of its components are registered and none of its hooks are called again.

Deterministic outcomes
----------------------
* Component names: core's built-ins claim their names first, then entry-point plugins in sorted
  entry-point-name order, then plugins registered at run time, whatever ``tryfirst``/``trylast``
  a plugin puts on its registration hooks. A name claimed again is one warning naming both plugins
  and their distributions; the first registration stays and the second plugin's *other*
  components are still registered.
* Plugin names: when two installed distributions expose the same entry-point name, *neither* is
  loaded and one warning names every distribution and version. Loading one of them would be an
  accident of installation or ``sys.path`` order, and a plugin's name is its identity (in
  ``ML_GENN_DISABLED_PLUGINS``, in the registry's origins and in checkpoints); disabling one of
  the distributions by its distribution name is the one-step fix the warning suggests.
"""
from __future__ import annotations

import itertools
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import pluggy

from .. import hookspecs
from .errors import DuplicateComponentError, NetworkValidationError, PluginLoadError
from .registry import KIND_HOOKS, ComponentRegistry, PluginOrigin

if sys.version_info >= (3, 10):
    from importlib.metadata import distributions
else:  # pragma: no cover - Python 3.9 only
    from importlib_metadata import distributions

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


def _normalise_distribution(name: str) -> str:
    """PEP 503 normalised distribution name (``ML_Genn.Foo`` -> ``ml-genn-foo``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _describe_distribution(info: "PluginInfo") -> str:
    if info.distribution is None:
        return "an unnamed distribution"
    return f"{info.distribution} {info.version}" if info.version else info.distribution


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
            disabled = [d.strip()
                        for d in os.environ.get("ML_GENN_DISABLED_PLUGINS", "").split(",")]
        self.disabled = {d for d in disabled if d}
        self.trace = _env_flag("ML_GENN_TRACE_PLUGINS")

        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self.plugins: Dict[str, PluginInfo] = {}
        self._registry: Optional[ComponentRegistry] = None
        # Registration order (core first): decides who keeps a component name claimed twice
        self._load_order: Dict[str, int] = {}
        self._load_counter = itertools.count()
        # (name, distribution, entry point) already handled, so loading again is idempotent
        self._seen_entry_points: set = set()

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

    def _discover_entry_points(self) -> List[Tuple[Any, PluginInfo]]:
        """Every ``ml_genn.plugins`` entry point of the installed distributions, with its info.

        Read one distribution at a time, not through ``entry_points()``, which raises for the
        whole environment when any one distribution's ``entry_points.txt`` is malformed. Only
        distributions whose ``entry_points.txt`` names our group are parsed (cheap, and other
        projects' broken metadata is none of ml_genn's business); one that cannot be read is
        one warning naming it.
        """
        found: List[Tuple[Any, PluginInfo]] = []
        seen = set()
        for dist in distributions():
            try:
                text = dist.read_text("entry_points.txt")
            except Exception:  # noqa: BLE001 - unreadable: certainly not one of our plugins
                continue
            if not text or f"[{ENTRY_POINT_GROUP}]" not in text:
                continue
            info = PluginInfo(name="<unknown>")
            try:
                info.distribution = dist.metadata["Name"]
                info.version = dist.version
                # A distribution found again further along sys.path is shadowed by the first, as
                # importlib.metadata.entry_points() does; that is not a conflict
                key = _normalise_distribution(info.distribution or "")
                if key and key in seen:
                    continue
                seen.add(key)
                entry_points = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - one bad distribution must not stop others
                info.name = f"<entry points of {info.distribution or 'a distribution'}>"
                info.error = f"{type(exc).__name__}: {exc}"
                self.plugins.setdefault(info.name, info)
                self._warn_or_raise(
                    f"Error reading the ml_genn plugins of distribution "
                    f"{_describe_distribution(info)}: {info.error}; none of its plugins are "
                    f"loaded (its entry_points.txt is malformed; reinstall or remove it)", exc)
                continue
            for ep in entry_points:
                found.append((ep, PluginInfo(name=ep.name, distribution=info.distribution,
                                             version=info.version, entry_point=ep.value)))
        return found

    def _is_disabled(self, info: PluginInfo) -> bool:
        if info.name in self.disabled:
            return True
        return (info.distribution is not None and _normalise_distribution(info.distribution)
                in {_normalise_distribution(d) for d in self.disabled})

    def load_entry_points(self) -> None:
        """Load every plugin named in the ``ml_genn.plugins`` entry-point group.

        Plugins load in sorted entry-point-name order. Each is loaded in its own ``try``: a failure
        is one :class:`PluginWarning` naming the plugin, its distribution and the exception (or
        :class:`PluginLoadError` when strict), and the remaining plugins still load. An entry-point
        name exposed by more than one distribution, or already taken by a loaded plugin, is
        reported the same way and not loaded (see the module docstring for why). Calling this
        again loads only entry points not seen before.
        """
        by_name: Dict[str, List[Tuple[Any, PluginInfo]]] = {}
        for ep, info in self._discover_entry_points():
            seen_key = (info.name, info.distribution, info.entry_point)
            if seen_key in self._seen_entry_points or self._is_disabled(info):
                continue
            self._seen_entry_points.add(seen_key)
            by_name.setdefault(info.name, []).append((ep, info))

        for name in sorted(by_name):
            candidates = sorted(by_name[name], key=lambda c: (
                _normalise_distribution(c[1].distribution or ""), c[1].entry_point or ""))
            if len(candidates) > 1:
                self._refuse_duplicates([info for _, info in candidates])
                continue
            ep, info = candidates[0]
            taken = self.plugins.get(name)
            if taken is not None:
                self._refuse_taken(info, taken)
                continue
            try:
                plugin = ep.load()
            except KeyboardInterrupt:
                raise  # Ctrl-C while a plugin imports is the user stopping the program
            except BaseException as exc:  # noqa: BLE001 - SystemExit in a plugin included
                self._report_failure(info, exc, "loading")
                continue
            self.register(plugin, info)

    def _refuse_duplicates(self, infos: List[PluginInfo]) -> None:
        """Report an entry-point name exposed by several distributions; load none of them."""
        described = [f"{_describe_distribution(i)} (entry point '{i.name} = {i.entry_point}')"
                     for i in infos]
        listed = ", ".join(described[:-1]) + " and " + described[-1]
        message = (f"Plugin name '{infos[0].name}' is provided by more than one distribution: "
                   f"{listed}; none of them is loaded, because which one to load would be an "
                   f"accident of installation order. Uninstall all but one, or disable the others "
                   f"with ML_GENN_DISABLED_PLUGINS=<distribution name>")
        for info in infos:
            others = ", ".join(_describe_distribution(o) for o in infos if o is not info)
            info.error = (f"plugin name '{info.name}' is also provided by {others}; none of them "
                          f"is loaded")
            # Keyed by name and distribution so that 'ml-genn plugins' lists every claimant
            self.plugins[f"{info.name} ({info.distribution})"] = info
        self._warn_or_raise(message, None)

    def _refuse_taken(self, info: PluginInfo, taken: PluginInfo) -> None:
        """Report an entry point whose name a loaded plugin (e.g. one of core's) already has."""
        info.error = (f"plugin name '{info.name}' is already used by plugin {taken.describe()}; "
                      f"not loaded")
        self.plugins[f"{info.name} ({info.distribution})"] = info
        self._warn_or_raise(
            f"Plugin name '{info.name}' of {_describe_distribution(info)} (entry point "
            f"'{info.name} = {info.entry_point}') is already used by plugin {taken.describe()}; "
            f"it is not loaded. Rename the entry point or disable one of the distributions with "
            f"ML_GENN_DISABLED_PLUGINS", None)

    def register(self, plugin: Any, info: PluginInfo) -> None:
        """Register a plugin object (usually a module) under ``info.name``.

        Parameters
        ----------
        plugin
            The module (or any object) holding ``@ml_genn.hookimpl`` functions.
        info
            Name, distribution and version to report the plugin under.

        A plugin pluggy refuses (e.g. a hook whose arguments match no spec) is reported as one
        :class:`PluginWarning` (:class:`PluginLoadError` when strict) and left out entirely.
        """
        already = self._pm.get_plugin(info.name)
        try:
            self._pm.register(plugin, name=info.name)
            hooks = sorted(impl_name for impl_name in dir(plugin)
                           if impl_name.startswith("ml_genn_")
                           and self._pm.parse_hookimpl_opts(plugin, impl_name) is not None)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - e.g. a hook not matching any spec
            # pluggy adds a plugin's hooks one by one and keeps those added before the one it
            # refused; a plugin reported as failed must not have any hook called
            if already is None and self._pm.get_plugin(info.name) is plugin:
                self._pm.unregister(name=info.name)
            self._report_failure(info, exc, "registering")
            return
        info.hooks = hooks
        info.error = None
        self.plugins[info.name] = info
        self._load_order[info.name] = next(self._load_counter)
        self._registry = None

    def unregister(self, name: str) -> None:
        """Remove a plugin; the registry is rebuilt on next use."""
        plugin = self._pm.get_plugin(name)
        if plugin is not None:
            self._pm.unregister(plugin, name=name)
        self.plugins.pop(name, None)
        self._load_order.pop(name, None)
        self._registry = None

    def _warn_or_raise(self, message: str, exc: Optional[BaseException]) -> None:
        if self.strict:
            raise PluginLoadError(message) from exc
        # stacklevel 4: the user's line that triggered plugin loading or the registry build
        warnings.warn(message, PluginWarning, stacklevel=4)

    def _report_failure(self, info: PluginInfo, exc: BaseException, doing: str,
                        consequence: str = "") -> None:
        info.error = f"{type(exc).__name__}: {exc}"
        self.plugins.setdefault(info.name, info)
        self._warn_or_raise(f"Error {doing} plugin {info.describe()}: {info.error}{consequence}",
                            exc)

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

    def _call_impl(self, impl: Any, hook_name: str, kwargs: Dict[str, Any],
                   consequence: str = "") -> Tuple[bool, Any]:
        """Call one plugin's implementation, isolating (and optionally tracing) it."""
        info = self.plugins.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
        args = {name: kwargs[name] for name in impl.argnames}
        if self.trace:
            print(f"[ml_genn plugins] {info.name}.{hook_name}({', '.join(args)})", file=sys.stderr)
        try:
            result = impl.function(**args)
        except KeyboardInterrupt:
            raise  # Ctrl-C during a hook is the user stopping the program
        except BaseException as exc:  # noqa: BLE001 - isolate plugins, even sys.exit
            self._report_failure(info, exc, f"in hook {hook_name} of", consequence)
            return False, None
        if self.trace:
            print(f"[ml_genn plugins]   -> {result!r}", file=sys.stderr)
        return True, result

    def _in_load_order(self, impls: List[Any]) -> List[Any]:
        """``impls`` ordered by when their plugin was registered (core first), ignoring the
        ``tryfirst``/``trylast`` placement pluggy applies, so no plugin can jump ahead of core
        when names are claimed."""
        return sorted(impls, key=lambda impl: self._load_order.get(impl.plugin_name, sys.maxsize))

    @property
    def registry(self) -> ComponentRegistry:
        """The component registry, built on first use from every plugin's registration hooks.

        A plugin whose registration hook raises is reported once and withdrawn, and the registry
        is rebuilt without it, so none of its components (of any kind) remain and no name it
        claimed first is lost to the plugins after it. Name collisions are reported once the
        registry is final (raised as :class:`DuplicateComponentError` when strict).
        """
        if self._registry is None:
            while True:
                registry, collisions, failed = self._fill_registry()
                if failed is None:
                    break
                # Withdrawn from pluggy too: a plugin reported as failed takes no further part
                self._pm.unregister(name=failed)
                self._load_order.pop(failed, None)
            for collision in collisions:
                if self.strict:
                    raise collision
                warnings.warn(str(collision), PluginWarning, stacklevel=2)
            self._registry = registry
        return self._registry

    def _fill_registry(self) -> Tuple[ComponentRegistry, List[DuplicateComponentError],
                                      Optional[str]]:
        """One pass over the registration hooks; stops at the first plugin whose hook raises."""
        registry = ComponentRegistry()
        collisions: List[DuplicateComponentError] = []
        for kind, hook_name in KIND_HOOKS.items():
            table = registry.kind(kind)
            table.on_duplicate = collisions.append
            try:
                for impl in self._in_load_order(getattr(self._pm.hook, hook_name).get_hookimpls()):
                    info = self.plugins.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
                    table._current_origin = info.origin
                    ok, _ = self._call_impl(impl, hook_name, {"registry": table},
                                            "; the plugin is left out (none of its components "
                                            "are registered)")
                    if not ok:
                        return registry, collisions, impl.plugin_name
            finally:
                table._current_origin = PluginOrigin("<unknown>")
                # Outside the build, a duplicate name raises as usual
                table.on_duplicate = None
        return registry, collisions, None

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
