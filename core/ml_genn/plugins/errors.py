"""Errors raised by the plugin system."""
from typing import Any, Optional

from ..errors import InvalidKeyError


class PluginError(Exception):
    """Base class of plugin-system errors."""


class DuplicateComponentError(PluginError):
    """Two plugins claimed the same component name for one kind.

    Parameters
    ----------
    message
        The full explanation (both plugins, their distributions and the name).
    kind
        Kind of component, e.g. ``"compiler"``.
    name
        The name claimed twice.
    kept
        Origin (plugin, distribution, version) of the registration that stays.
    refused
        Origin of the registration that was refused.
    """

    def __init__(self, message: str, kind: Optional[str] = None, name: Optional[str] = None,
                 kept: Any = None, refused: Any = None):
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.kept = kept
        self.refused = refused


class ComponentTypeError(PluginError, RuntimeError, TypeError):
    """A registered component does not derive from its kind's base class (a
    ``RuntimeError`` too, as mlGeNN's ``get_object`` raises)."""


class ComponentNotFoundError(PluginError, InvalidKeyError):
    """No component of that kind is registered under that name (a ``RuntimeError`` too, as
    mlGeNN raises for an unknown name)."""


class PluginLoadError(PluginError):
    """A plugin failed to load (raised only with ``ML_GENN_STRICT_PLUGINS=1``)."""


class PluginNotInstalledError(ImportError):
    """A name provided by a plugin distribution was used, but the distribution is missing."""


class NetworkValidationError(PluginError, ValueError):
    """A plugin's ``ml_genn_validate_network`` hook reported problems with a network."""
