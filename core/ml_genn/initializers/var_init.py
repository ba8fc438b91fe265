"""What an initializer hands to the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict


@dataclass(frozen=True)
class VarInit:
    """A GeNN 5 variable-initialisation snippet and the values of its parameters.

    Parameters
    ----------
    snippet
        Name of a built-in var-init snippet (``"Normal"``, ``"Uniform"``, ...) or a snippet
        object created with the engine's ``create_var_init_snippet``.
    param_vals
        Values of the snippet's parameters, by name.
    egp_vals
        Values of the snippet's extra global parameters (arrays), by name.
    """
    snippet: Any
    param_vals: Dict[str, Any] = field(default_factory=dict)
    egp_vals: Dict[str, Any] = field(default_factory=dict)
