"""The component registry: snake_case names -> classes, one table per kind of component.

Plugins (core's built-ins included) add entries through the ``ml_genn_register_*`` hooks.
A target may be a class or a lazy ``"module:attr"`` string, so that a plugin's entry-point module
stays cheap to import; the string is imported (and its type checked) on first use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from .errors import ComponentNotFoundError, ComponentTypeError, DuplicateComponentError

#: Each kind of component and the base class (lazy path) its entries must derive from.
KIND_BASE_CLASSES: Dict[str, str] = {
    "neuron": "ml_genn.neurons:Neuron",
    "synapse": "ml_genn.synapses:Synapse",
    "connectivity": "ml_genn.connectivity:Connectivity",
    "initializer": "ml_genn.initializers:Initializer",
    "readout": "ml_genn.readouts:Readout",
    "loss": "ml_genn.losses:Loss",
    "metric": "ml_genn.metrics:Metric",
    "optimiser": "ml_genn.optimisers:Optimiser",
    "callback": "ml_genn.callbacks:Callback",
    "serialiser": "ml_genn.serialisers:Serialiser",
    "compiler": "ml_genn.compilers:Compiler",
    "backend": "ml_genn.backends:Backend",
}

#: The registration hook that fills each kind.
KIND_HOOKS: Dict[str, str] = {
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


def import_target(target: str) -> Any:
    """Import a ``"package.module:attr"`` string and return the attribute."""
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"Lazy target '{target}' must have the form 'package.module:attr'")
    return getattr(import_module(module_name), attr)


@dataclass(frozen=True)
class PluginOrigin:
    """Who registered a component: the plugin's name and the distribution that ships it."""
    plugin: str
    distribution: Optional[str] = None
    version: Optional[str] = None

    def __str__(self) -> str:
        if self.distribution is None:
            return f"'{self.plugin}'"
        version = f" {self.version}" if self.version else ""
        return f"'{self.plugin}' ({self.distribution}{version})"


@dataclass
class ComponentEntry:
    """One registered component."""
    kind: str
    name: str
    target: Union[type, str]
    origin: PluginOrigin
    _resolved: Optional[type] = field(default=None, repr=False)

    @property
    def class_name(self) -> str:
        """Name of the class without importing it."""
        if isinstance(self.target, str):
            return self.target.partition(":")[2].rsplit(".", 1)[-1]
        return self.target.__name__

    @property
    def target_path(self) -> str:
        """``module:Class`` path of the target without importing it."""
        if isinstance(self.target, str):
            return self.target
        return f"{self.target.__module__}:{self.target.__qualname__}"


class KindRegistry:
    """The table of one kind of component, handed to that kind's registration hook.

    Parameters
    ----------
    kind
        Kind of component, e.g. ``"neuron"``.
    base_class
        Base class every entry must derive from, or a lazy ``"module:Class"`` path to it.

    Attributes
    ----------
    on_duplicate
        ``None`` (the default): :meth:`add` raises :class:`DuplicateComponentError` for a name
        registered twice. A callable: :meth:`add` passes it the error instead and returns, so the
        plugin's hook goes on registering its other names (the plugin manager sets this while it
        runs registration hooks, and reports the collisions itself).
    """

    def __init__(self, kind: str, base_class: Union[type, str]):
        self.kind = kind
        self._base_class = base_class
        self._entries: Dict[str, ComponentEntry] = {}
        # Set by the plugin manager while a plugin's hook runs so entries know their origin
        self._current_origin = PluginOrigin("<unknown>")
        self.on_duplicate: Optional[Callable[[DuplicateComponentError], None]] = None

    @property
    def base_class(self) -> type:
        if isinstance(self._base_class, str):
            self._base_class = import_target(self._base_class)
        return self._base_class

    def add(self, name: str, target: Union[type, str]) -> None:
        """Register ``target`` under ``name``.

        Parameters
        ----------
        name
            snake_case name users pass as a string, e.g. ``"leaky_integrate_fire"``.
        target
            The class, or a lazy ``"package.module:Class"`` string imported on first use.

        Raises
        ------
        DuplicateComponentError
            If ``name`` is already registered for this kind (unless :attr:`on_duplicate` is set);
            the first registration stays either way.
        ComponentTypeError
            If ``target`` is a class that does not derive from this kind's base class.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.kind} name must be a non-empty string, got {name!r}")
        if not isinstance(target, (str, type)):
            raise TypeError(f"{self.kind} '{name}' target must be a class or a 'module:Class' "
                            f"string, got {type(target).__name__}")
        existing = self._entries.get(name)
        if existing is not None:
            error = DuplicateComponentError(
                f"{self.kind} name '{name}' is registered twice: by plugin {existing.origin} "
                f"({existing.target_path}) and by plugin {self._current_origin} "
                f"({ComponentEntry(self.kind, name, target, self._current_origin).target_path}); "
                f"the first registration is kept. Disable one of the plugins with "
                f"ML_GENN_DISABLED_PLUGINS or rename the component",
                kind=self.kind, name=name, kept=existing.origin, refused=self._current_origin)
            if self.on_duplicate is None:
                raise error
            self.on_duplicate(error)
            return
        entry = ComponentEntry(self.kind, name, target, self._current_origin)
        if isinstance(target, type):
            self._check_type(entry, target)
            entry._resolved = target
        self._entries[name] = entry

    def _check_type(self, entry: ComponentEntry, cls: Any) -> None:
        base = self.base_class
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ComponentTypeError(
                f"{self.kind} '{entry.name}' registered by plugin {entry.origin} must be a "
                f"subclass of {base.__module__}.{base.__qualname__}, got {cls!r}")

    def entry(self, name: str) -> ComponentEntry:
        """The entry registered as ``name``; raises :class:`ComponentNotFoundError`."""
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise ComponentNotFoundError(
                f"No {self.kind} named '{name}' is registered. Known {self.kind} names: "
                f"{known}. A plugin distribution may provide it (see 'ml-genn plugins')"
            ) from None

    def get(self, name: str) -> type:
        """Resolve ``name`` to its class, importing a lazy target on first use."""
        entry = self.entry(name)
        if entry._resolved is None:
            cls = import_target(entry.target) if isinstance(entry.target, str) else entry.target
            self._check_type(entry, cls)
            entry._resolved = cls
        return entry._resolved

    def find_by_class_name(self, class_name: str) -> Optional[ComponentEntry]:
        """The entry whose class is called ``class_name`` (no import needed), if any."""
        for entry in self._entries.values():
            if entry.class_name == class_name:
                return entry
        return None

    def names(self) -> List[str]:
        return sorted(self._entries)

    def entries(self) -> List[ComponentEntry]:
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)


class ComponentRegistry:
    """All kinds of component; one :class:`KindRegistry` per kind."""

    def __init__(self, base_classes: Optional[Dict[str, Union[type, str]]] = None):
        base_classes = KIND_BASE_CLASSES if base_classes is None else base_classes
        self._kinds = {kind: KindRegistry(kind, base) for kind, base in base_classes.items()}

    def kind(self, kind: str) -> KindRegistry:
        try:
            return self._kinds[kind]
        except KeyError:
            raise ValueError(f"Unknown component kind '{kind}'; expected one of "
                             f"{', '.join(sorted(self._kinds))}") from None

    def get(self, kind: str, name: str) -> type:
        """Resolve component ``name`` of ``kind`` to its class."""
        return self.kind(kind).get(name)

    def kinds(self) -> List[str]:
        return list(self._kinds)

    def entries_by_origin(self) -> Dict[str, List[Tuple[str, str]]]:
        """``plugin name -> [(kind, name), ...]`` for listing what each plugin registered."""
        result: Dict[str, List[Tuple[str, str]]] = {}
        for kind, table in self._kinds.items():
            for entry in table.entries():
                result.setdefault(entry.origin.plugin, []).append((kind, entry.name))
        return result
