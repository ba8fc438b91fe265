"""Built-in checkpoint serialisers."""
from ...hookspecs import hookimpl


@hookimpl
def ml_genn_register_serialisers(registry):
    registry.add("numpy", "ml_genn.serialisers:Numpy")
