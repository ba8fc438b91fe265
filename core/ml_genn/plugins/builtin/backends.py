"""Built-in engine backends."""
from ...hookspecs import hookimpl


@hookimpl
def ml_genn_register_backends(registry):
    registry.add("cpu", "ml_genn.backends.cpu:CPUBackend")
