"""Entry-point module of ``ml-genn-eventprop``: cheap to import, the compiler loads lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_compilers(registry):
    registry.add("event_prop", "ml_genn_eventprop.compiler:EventPropCompiler")
