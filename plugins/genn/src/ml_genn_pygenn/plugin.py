"""Entry-point module of ``ml-genn-pygenn``: registers the GeNN backends, lazily.

Cheap to import: pygenn is only looked for here (not imported); the backend classes import it
when a network is compiled for them. The condition matches core's
``ml_genn.backends.genn_handover``, which leaves ``single_threaded_cpu`` to this plugin.
"""
from ml_genn import hookimpl

from .probe import pygenn_found


@hookimpl
def ml_genn_register_backends(registry) -> None:
    """Register ``genn``, ``cuda``, ``hip`` and ``single_threaded_cpu`` where pygenn is
    installed. Without pygenn nothing is registered: ``single_threaded_cpu`` keeps meaning the
    cpu engine (core registers it then, see ``ml_genn.backends.genn_handover``) and the GPU
    names keep core's error saying what they need.

    Parameters
    ----------
    registry
        The backend kind's registry; targets are imported on first use.
    """
    if not pygenn_found():
        return
    registry.add("genn", "ml_genn_pygenn.backend:GeNNBackend")
    registry.add("cuda", "ml_genn_pygenn.backend:CUDABackend")
    registry.add("hip", "ml_genn_pygenn.backend:HIPBackend")
    registry.add("single_threaded_cpu", "ml_genn_pygenn.backend:SingleThreadedCPUBackend")
