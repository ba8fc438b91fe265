"""ml_genn: spike-based machine learning with a Keras-like API."""
__version__ = "2.4.0"

# Marker for plugin hook implementations (see ml_genn.hookspecs)
from .hookspecs import hookimpl  # noqa: E402
