"""The ``cpu`` backend: generate C, compile it (cached), load it with ctypes."""
from __future__ import annotations

from typing import Any, Optional

from ..backend import Backend
from .build_cache import build_library
from .codegen import GeneratedModel, Generator
from .runtime import Runtime
from .toolchain import build_identity, compile_flags, find_c_compiler


class BuiltModel:
    """A compiled model; ``load`` creates a fresh runtime each call.

    Attributes
    ----------
    library_path
        The shared library in the build cache.
    compiled
        False when the library came from the cache without running the compiler.
    source
        The generated C source.
    """

    def __init__(self, spec, generated: GeneratedModel, library_path, compiled: bool):
        self.spec = spec
        self.generated = generated
        self.library_path = library_path
        self.compiled = compiled
        self.source = generated.source

    def load(self, num_recording_timesteps: Optional[int] = None) -> Runtime:
        """Allocate state, initialise it and return the runtime.

        Parameters
        ----------
        num_recording_timesteps
            Length of the spike recording ring buffers (None: no recording).
        """
        return Runtime(self.spec, self.generated, str(self.library_path), num_recording_timesteps)


class CPUBackend(Backend):
    """Native backend built on the system C compiler (OpenMP when available)."""

    name = "cpu"
    native_variable_recording = True

    def __init__(self, **kwargs: Any):
        self.options = kwargs

    def build(self, spec) -> BuiltModel:
        """Validate ``spec``, generate C and compile it (reusing the cache).

        Parameters
        ----------
        spec
            The :class:`ml_genn.engine.ModelSpec` to build.
        """
        spec.finalize()
        generated = Generator(spec).generate()
        compiler = find_c_compiler()
        flags = compile_flags(compiler)
        path, compiled = build_library(spec.model_name, generated.source, compiler,
                                       build_identity(compiler, flags), flags, generated.code_labels,
                                       generated.block_ends)
        return BuiltModel(spec, generated, path, compiled)
