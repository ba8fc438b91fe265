"""Is pygenn here, which GeNN backends does it have, and how to get it: for the backends,
``ml-genn doctor`` and the tests' skip reasons."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import List, Optional

#: GeNN's own installation instructions (pygenn is built from GeNN's source)
INSTALL_URL = "https://genn-team.github.io/genn/documentation/5/installation.html"

#: The GeNN backend modules pygenn looks for, best first (pygenn's own order)
GENN_BACKENDS = ("cuda", "hip", "single_threaded_cpu")

#: The GeNN release this plugin is written against (GeNN 5's model API)
SUPPORTED_MAJOR = 5


def install_advice() -> str:
    """One sentence saying how to get pygenn."""
    return (f"build pygenn from GeNN's source as GeNN's installation guide says ({INSTALL_URL}) "
            f"in the Python environment that runs ml_genn, then 'pip install ./plugins/genn' "
            f"(ml-genn-pygenn)")


@dataclass(frozen=True)
class PygennStatus:
    """What importing pygenn found.

    Attributes
    ----------
    importable
        Whether ``import pygenn`` worked (and it is GeNN 5).
    version
        pygenn's version, when it imported.
    backends
        The GeNN backends it can use, best first.
    error
        Why it is not usable, when it is not.
    """
    importable: bool
    version: Optional[str] = None
    backends: List[str] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def best_backend(self) -> Optional[str]:
        """The backend pygenn picks by itself (its first)."""
        return self.backends[0] if self.backends else None


def pygenn_found() -> bool:
    """Whether a module ``pygenn`` is installed (found without importing it: cheap)."""
    try:
        return find_spec("pygenn") is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def pygenn_status() -> PygennStatus:
    """Import pygenn once and report what it offers (cached for the process)."""
    if not pygenn_found():
        return PygennStatus(False, error="no module named 'pygenn' is installed")
    try:
        import pygenn
        from pygenn import genn_model
    except Exception as exc:  # noqa: BLE001 - a broken build raises anything; report it
        return PygennStatus(False, error=f"'import pygenn' failed: {type(exc).__name__}: {exc}")
    version = getattr(pygenn, "__version__", None)
    if version is not None and not str(version).startswith(f"{SUPPORTED_MAJOR}."):
        return PygennStatus(False, version=str(version),
                            error=f"pygenn {version} is installed; these backends need GeNN "
                                  f"{SUPPORTED_MAJOR}.x")
    backends = [b for b in GENN_BACKENDS if b in getattr(genn_model, "backend_modules", {})]
    if not backends:
        return PygennStatus(False, version=version,
                            error="pygenn imports but found none of GeNN's backends")
    return PygennStatus(True, version=version, backends=backends)


def unavailable_reason(backend: Optional[str] = None) -> Optional[str]:
    """Why GeNN backend ``backend`` (None: any) cannot be used here, or None when it can.

    Parameters
    ----------
    backend
        A GeNN backend module name (``"cuda"``, ``"hip"``, ``"single_threaded_cpu"``).
    """
    status = pygenn_status()
    if not status.importable:
        return f"pygenn not importable ({status.error}): {install_advice()}"
    if backend is not None and backend not in status.backends:
        return (f"pygenn {status.version} was built without GeNN's '{backend}' backend (it has "
                f"{', '.join(status.backends)}); rebuild GeNN with that backend's toolkit "
                f"installed ({INSTALL_URL})")
    return None
