"""ml_genn: spike-based machine learning with a Keras-like API."""
__version__ = "2.4.0"

from importlib import import_module as _import_module

# Marker for plugin hook implementations (see ml_genn.hookspecs)
from .hookspecs import hookimpl  # noqa: E402
from .connection import Connection  # noqa: E402
from .layer import InputLayer, Layer  # noqa: E402
from .network import Network  # noqa: E402
from .population import Population  # noqa: E402
from .sequential_network import SequentialNetwork  # noqa: E402

# Subpackages are imported on first use (``ml_genn.callbacks``), as mlGeNN's eager imports made
# them attributes; importing lazily keeps ``import ml_genn`` cheap and free of plugin imports
# (and of mpi4py, which ``communicators.MPI`` imports only when constructed)
_SUBPACKAGES = ("backends", "callbacks", "communicators", "compilers", "connectivity", "engine",
                "initializers", "losses", "metrics", "neurons", "optimisers", "readouts",
                "serialisers", "synapses", "utils")


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return _import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ml_genn' has no attribute '{name}'")


__all__ = ["Connection", "InputLayer", "Layer", "Network", "Population", "SequentialNetwork",
           "hookimpl"]
