"""GeNN backends for ml_genn: ``genn``, ``cuda``, ``hip`` and ``single_threaded_cpu`` run the
engine IR on GeNN through pygenn (built by the user from GeNN's source).

``from ml_genn_pygenn import pygenn_status`` says whether pygenn imports and which GeNN
backends it has; the backend classes live in :mod:`ml_genn_pygenn.backend` (importing them
does not import pygenn).
"""
from .probe import INSTALL_URL, PygennStatus, pygenn_status, unavailable_reason

__version__ = "0.1.0"

__all__ = ["INSTALL_URL", "PygennStatus", "pygenn_status", "unavailable_reason"]
