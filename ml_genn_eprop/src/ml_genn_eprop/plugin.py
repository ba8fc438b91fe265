"""Entry-point module of ``ml-genn-eprop``: cheap to import, the compiler loads lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_compilers(registry):
    """Register the ``"eprop"`` compiler (imported on first use)."""
    registry.add("eprop", "ml_genn_eprop.compiler:EPropCompiler")
