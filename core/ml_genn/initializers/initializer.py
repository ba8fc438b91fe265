"""Base class of initializers."""
from __future__ import annotations

from .var_init import VarInit


class Initializer:
    """Base class of every initializer.

    An initializer describes how the engine draws initial values; it never draws them in
    Python. Subclasses implement :meth:`get_snippet`.
    """

    def get_snippet(self) -> VarInit:
        """The engine var-init snippet and parameter values this initializer stands for."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_snippet()")
