"""Errors of the GeNN backends."""
from ml_genn.errors import InvalidValueError
from ml_genn.plugins.errors import PluginNotInstalledError


class UnsupportedOnGeNNError(InvalidValueError):
    """The model uses something GeNN cannot express on the chosen backend; raised when the
    network is compiled, naming the feature, the group and the backend."""


class PygennNotAvailableError(PluginNotInstalledError):
    """pygenn cannot be imported, or was built without the GeNN backend asked for."""
