"""Base class of every compiler."""
from __future__ import annotations

from typing import Any


class Compiler:
    """Base class for compilers.

    A compiler turns a :class:`ml_genn.Network` into an engine :class:`ml_genn.engine.ModelSpec`,
    has a backend build it and wraps the result in a compiled network.

    Parameters
    ----------
    dt
        Simulation timestep [ms].
    batch_size
        Number of examples simulated in parallel.
    rng_seed
        Seed of the engine's random number generator (0 picks one from the OS).
    backend
        Registered backend name (``"cpu"`` by default) or a backend object.
    """

    def __init__(self, dt: float = 1.0, batch_size: int = 1, rng_seed: int = 0,
                 backend: Any = "cpu", **genn_kwargs: Any):
        if dt <= 0:
            raise ValueError(f"{type(self).__name__} dt must be positive, got {dt}")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"{type(self).__name__} batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        self.dt = dt
        self.batch_size = int(batch_size)
        self.rng_seed = rng_seed
        self.backend = backend
        self.genn_kwargs = genn_kwargs

    def compile(self, network: Any, name: str = "", **kwargs: Any) -> Any:
        """Compile ``network``; implemented by each compiler."""
        raise NotImplementedError(f"{type(self).__name__} does not implement compile()")
