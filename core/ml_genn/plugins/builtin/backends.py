"""Built-in engine backends."""
from ...hookspecs import hookimpl


@hookimpl
def ml_genn_register_backends(registry):
    registry.add("cpu", "ml_genn.backends.cpu:CPUBackend")
    # mlGeNN users' name for GeNN's CPU backend: the cpu backend runs it (on every core; its
    # results do not depend on the thread count, ML_GENN_NUM_THREADS=1 makes it single-threaded)
    registry.add("single_threaded_cpu", "ml_genn.backends.cpu:CPUBackend")
