"""Entry-point module of ml-genn-recorders: registers the recorders, lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_callbacks(registry) -> None:
    """Register ``spike_recorder``, ``var_recorder`` and ``conn_var_recorder``.

    Parameters
    ----------
    registry
        The callback kind's registry; targets are imported on first use.
    """
    registry.add("spike_recorder", "ml_genn_recorders.spike_recorder:SpikeRecorder")
    registry.add("var_recorder", "ml_genn_recorders.var_recorder:VarRecorder")
    registry.add("conn_var_recorder", "ml_genn_recorders.conn_var_recorder:ConnVarRecorder")
