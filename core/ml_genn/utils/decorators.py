"""Decorators for model classes."""
from __future__ import annotations

from functools import wraps
from inspect import Parameter, signature
from typing import Any, Callable, TypeVar
from ..errors import InvalidTypeError

F = TypeVar("F", bound=Callable[..., Any])


def network_default_params(f: F) -> F:
    """Let the network being built supply defaults for a constructor's arguments.

    Decorate a neuron or synapse class's ``__init__``. When an object is created inside a
    ``with network:`` block whose network was given ``default_params={ThisClass: {...}}``, each
    of those arguments the caller did not pass (positionally or by keyword) takes the network's
    value instead of the signature's default. Defaults are looked up for the exact class being
    created.

    Parameters
    ----------
    f
        The ``__init__`` method to decorate.
    """
    sig = signature(f)
    accepts_any_kwarg = any(p.kind is Parameter.VAR_KEYWORD for p in sig.parameters.values())

    @wraps(f)
    def wrapper(self, *args: Any, **kwargs: Any) -> None:
        from ..network import Network

        # Only the constructor of the class being created applies defaults: when a subclass's
        # constructor calls its base's, the defaults (for the subclass) are already applied
        defaults = (Network.get_default_params(type(self))
                    if getattr(type(self), "__init__", None) is wrapper else {})
        if defaults:
            passed = sig.bind_partial(self, *args, **kwargs).arguments
            # Constructors that take **kwargs hand them to their bases (mlGeNN's cooperative
            # style), so a default may name any base constructor's argument
            takes_names = (_cooperative_arguments(type(self)) if accepts_any_kwarg
                           else [n for n in sig.parameters if n != "self"])
            for name, value in defaults.items():
                if name not in takes_names:
                    takes = ", ".join(takes_names)
                    raise InvalidTypeError(
                        f"Network default_params for {type(self).__name__} name "
                        f"'{name}', which {type(self).__name__}() does not take; "
                        f"it takes: {takes}")
                if name not in passed:
                    kwargs[name] = value
        f(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _cooperative_arguments(cls: type) -> list:
    """Named arguments of every constructor in ``cls``'s MRO (in MRO order, no duplicates)."""
    names = []
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        init = getattr(init, "__wrapped__", init)
        for n, p in signature(init).parameters.items():
            if n != "self" and p.kind in (Parameter.POSITIONAL_OR_KEYWORD,
                                          Parameter.KEYWORD_ONLY) and n not in names:
                names.append(n)
    return names

