"""Decorators for model classes."""
from __future__ import annotations

from functools import wraps
from inspect import Parameter, signature
from typing import Any, Callable, TypeVar

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
            for name, value in defaults.items():
                if name not in sig.parameters and not accepts_any_kwarg:
                    takes = ", ".join(n for n in sig.parameters if n != "self")
                    raise TypeError(f"Network default_params for {type(self).__name__} name "
                                    f"'{name}', which {type(self).__name__}() does not take; "
                                    f"it takes: {takes}")
                if name not in passed:
                    kwargs[name] = value
        f(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
