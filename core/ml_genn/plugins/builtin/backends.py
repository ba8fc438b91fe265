"""Built-in engine backends."""
from ...hookspecs import hookimpl


@hookimpl
def ml_genn_register_backends(registry):
    from ...backends.genn_handover import genn_takes_single_threaded_cpu
    registry.add("cpu", "ml_genn.backends.cpu:CPUBackend")
    # mlGeNN users' name for GeNN's CPU backend: GeNN's own where ml-genn-pygenn and pygenn
    # are installed (that plugin registers it); otherwise the cpu backend runs it (on every
    # core; its results do not depend on the thread count, ML_GENN_NUM_THREADS=1 makes it
    # single-threaded)
    if not genn_takes_single_threaded_cpu():
        registry.add("single_threaded_cpu", "ml_genn.backends.cpu:CPUBackend")
