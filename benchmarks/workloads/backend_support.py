"""What the workloads need to know about the backend they run on (``run.py --backend``).

Not a workload itself (it has no ``run``)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

#: The backend every workload runs on unless told otherwise (and the only one the
#: comparisons with other simulators, which run on the CPU, are made on)
CPU = "cpu"


def backend_class(backend: str) -> Any:
    """The class registered as ``backend`` (raises the registry's error naming what exists)."""
    from ml_genn.plugins.manager import get_registry
    return get_registry().kind("backend").get(backend)


def unavailable_reason(backend: str) -> Optional[str]:
    """Why ``backend`` cannot run here (None when it can): not registered, or registered but
    missing what it needs (a GeNN backend without pygenn, or pygenn without that GeNN backend,
    e.g. ``cuda`` on a machine without CUDA).

    Parameters
    ----------
    backend
        A backend name, as the compilers' ``backend=`` takes it.
    """
    from ml_genn.plugins.manager import get_registry
    registry = get_registry().kind("backend")
    if backend not in registry:
        return (f"no backend '{backend}' is registered here (registered: "
                f"{', '.join(sorted(registry.names()))}); GeNN's backends ('genn', 'cuda', "
                f"'hip', 'single_threaded_cpu') need pygenn built from GeNN's source and "
                f"'pip install ./plugins/genn' (see README.md, 'GeNN backends'; "
                f"'ml-genn doctor' says what is missing)")
    try:
        registry.get(backend)()
    except Exception as exc:  # noqa: BLE001 - any failure to start it is the reason
        return f"{type(exc).__name__}: {exc}"
    return None


def batch_size(backend: str, batch: int) -> int:
    """The batch size a workload runs at on ``backend``: ``batch``, except on GeNN's
    single-threaded CPU backend, which simulates one example at a time (it refuses larger
    batches), where the workload runs its batch-1 variant.

    Parameters
    ----------
    backend
        The backend name.
    batch
        The workload's batch size on the cpu backend.
    """
    return 1 if getattr(backend_class(backend), "genn_backend", None) == "single_threaded_cpu" \
        else batch


def skipped(reason: str) -> List[Dict[str, Any]]:
    """The rows of a workload that cannot run on the chosen backend.

    Parameters
    ----------
    reason
        Why, in words.
    """
    return [{"skipped": reason}]


def peer_note(backend: str) -> str:
    """What a row says instead of a comparison with another simulator on a backend other
    than the cpu one (the peers run on the CPU, next to the cpu backend)."""
    return f"compared with the cpu backend only (this run: backend '{backend}')"
