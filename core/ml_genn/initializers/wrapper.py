"""An initializer made from an existing engine var-init snippet."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .initializer import Initializer
from .var_init import VarInit
from ..errors import InvalidTypeError


class Wrapper(Initializer):
    """Wraps an engine var-init snippet (a built-in's name or a snippet object) and its values.

    Parameters
    ----------
    snippet
        Name of a GeNN 5 var-init snippet (e.g. ``"Constant"``, ``"Exponential"``) or a snippet
        object created with the engine.
    param_vals
        Values of the snippet's parameters, by name.
    egp_vals
        Values of the snippet's extra global parameters, by name.
    """

    def __init__(self, snippet: Any, param_vals: Optional[Mapping[str, Any]] = None,
                 egp_vals: Optional[Mapping[str, Any]] = None):
        if snippet is None or (isinstance(snippet, str) and not snippet):
            raise InvalidTypeError(
                f"Wrapper snippet must be a var-init snippet name or object, got "
                f"{snippet!r}")
        for what, vals in (("param_vals", param_vals), ("egp_vals", egp_vals)):
            if vals is not None and not isinstance(vals, Mapping):
                raise InvalidTypeError(f"Wrapper {what} must be a dict of values by name, got "
                                       f"{type(vals).__name__}: {vals!r}")
        self.snippet = snippet
        # Copies, so that a default or a caller's dict is never shared between objects
        self.param_vals = dict(param_vals or {})
        self.egp_vals = dict(egp_vals or {})

    def get_snippet(self) -> VarInit:
        """The wrapped snippet and its values."""
        return VarInit(self.snippet, dict(self.param_vals), dict(self.egp_vals))

    def __repr__(self) -> str:
        return f"Wrapper({self.snippet!r}, param_vals={self.param_vals!r})"
