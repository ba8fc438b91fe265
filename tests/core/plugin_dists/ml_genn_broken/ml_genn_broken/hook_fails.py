"""A plugin whose registration hook raises."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_metrics(registry):
    raise ValueError("hookfail cannot register its metrics")
