"""The native ``cpu`` backend: C code generation, system C compiler, ctypes runtime."""
from .cpu_backend import BuiltModel, CPUBackend
from .runtime import Runtime

__all__ = ["CPUBackend", "BuiltModel", "Runtime"]
