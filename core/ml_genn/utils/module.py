"""Resolving user-supplied components: objects are copied, names are looked up in the registry."""
from __future__ import annotations

import inspect
import re
from copy import deepcopy
from typing import Any, Dict, Iterable, Mapping, Optional

from ..plugins.manager import get_registry
from ..errors import InvalidKeyError, InvalidTypeError


def is_default_constructible(cls: type) -> bool:
    """Whether ``cls()`` needs no arguments: every constructor parameter has a default or
    collects variable arguments."""
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False
    return all(p.default is not inspect.Parameter.empty
               or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
               for name, p in parameters.items() if name != "self")


def get_module_classes(globals: Mapping[str, Any], base_class: type) -> Dict[str, type]:
    """mlGeNN's builder of ``default_*`` dictionaries: the classes in ``globals`` (a module's
    namespace) derived from ``base_class`` (not the base itself) that can be built without
    arguments, by snake_case name (``LeakyIntegrateFire`` -> ``"leaky_integrate_fire"``).

    Args:
        globals:    A module's namespace, e.g. ``globals()``
        base_class: Base class of the classes to collect
    """
    found = {}
    for name, obj in globals.items():
        if (inspect.isclass(obj) and issubclass(obj, base_class) and obj is not base_class
                and is_default_constructible(obj)):
            found[_SNAKE_BOUNDARY.sub("_", name).lower()] = obj
    return found


# A capital letter that does not start the name begins a new snake_case word
_SNAKE_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def get_object(obj: Any, base_class: type, description: str, kind: str) -> Optional[Any]:
    """Turn what a user passed for a component into an object of ``base_class``.

    Parameters
    ----------
    obj
        An instance of ``base_class`` (deep-copied, as mlGeNN does, so one object can be passed to
        several populations without them sharing state), a registered snake_case name (the class
        is constructed with no arguments), or ``None`` (returned as is).
    base_class
        Class the result must be an instance of.
    description
        What the object is for, used in errors (e.g. ``"Population 'hidden' neuron"``).
    kind
        Registry kind to look names up in (``"neuron"``, ``"synapse"``, ...), or, as mlGeNN
        passes it, a dictionary of classes by name (e.g. ``default_readouts``).

    Raises
    ------
    ComponentNotFoundError
        When ``obj`` is a name nothing registered.
    TypeError
        When ``obj`` is neither, or the named class cannot be built without arguments.
    """
    if obj is None:
        return None
    if isinstance(obj, base_class):
        return deepcopy(obj)
    if isinstance(obj, str):
        if isinstance(kind, Mapping):
            # mlGeNN's form: a dictionary of classes by name (e.g. default_readouts)
            if obj not in kind:
                from ..plugins.errors import ComponentNotFoundError
                raise ComponentNotFoundError(f"{description}: '{obj}' unknown; known names: "
                                             f"{', '.join(sorted(kind))}")
            cls = kind[obj]
        else:
            cls = get_registry().get(kind, obj)
        try:
            return cls()
        except TypeError as exc:
            raise InvalidTypeError(
                f"{description}: '{obj}' ({_qualified(cls)}) cannot be created from "
                f"its name because it needs arguments ({exc}); pass an object "
                f"instead, e.g. {cls.__name__}(...)") from None
    raise InvalidTypeError(
        f"{description} must be a {_qualified(base_class)} object or the name of a "
        f"registered {kind if isinstance(kind, str) else base_class.__name__.lower()}, got "
        f"{type(obj).__name__}: {obj!r}")


def get_object_mapping(obj: Any, keys: Iterable[Any], base_class: type, description: str,
                       kind: str) -> Dict[Any, Any]:
    """Resolve one component per key.

    Parameters
    ----------
    obj
        A dict mapping each key to something :func:`get_object` accepts, or one such thing used
        (copied) for every key.
    keys
        The keys the result must have (e.g. output populations).
    """
    keys = list(keys)
    if isinstance(obj, dict):
        missing = [k for k in keys if k not in obj]
        extra = [k for k in obj if k not in keys]
        if missing or extra:
            raise InvalidKeyError(f"{description} mapping must have exactly the keys {keys!r}; "
                                  f"missing {missing!r}, unexpected {extra!r}")
        return {k: get_object(obj[k], base_class, f"{description} [{k!r}]", kind) for k in keys}
    return {k: get_object(obj, base_class, description, kind) for k in keys}
