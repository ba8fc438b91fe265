"""Base class of engine backends."""
from __future__ import annotations

from typing import Any, Tuple


class Backend:
    """Builds a :class:`ml_genn.engine.ModelSpec` into something that can be loaded and run.

    Subclasses set ``name`` and implement :meth:`build`, returning an object whose
    ``load(num_recording_timesteps=None)`` returns a runtime with pygenn 5's names.
    """

    name = ""
    #: Whether loaded runtimes record any neuron variable every timestep into a host ring
    #: (``record_var``, ``unpack_recording``): the cpu engine's extension of pygenn's surface,
    #: which e-prop's factorised form needs
    native_variable_recording = False
    #: Names of the extra keyword arguments (mlGeNN's ``**genn_kwargs``) this backend
    #: understands; compilers refuse any other, naming it
    model_options: Tuple[str, ...] = ()

    def build(self, spec: Any) -> Any:
        """Generate and compile ``spec``; returns a built model with ``load(...)``.

        Parameters
        ----------
        spec
            A :class:`ml_genn.engine.ModelSpec`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement build()")
