"""Entry-point module of ``ml-genn-training``: registers its callbacks, lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_callbacks(registry) -> None:
    """Register ``early_stopping`` and ``terminate_on_nan``.

    Parameters
    ----------
    registry
        The callback kind's registry; targets are imported on first use.
    """
    registry.add("early_stopping", "ml_genn_training.early_stopping:EarlyStopping")
    registry.add("terminate_on_nan", "ml_genn_training.terminate_on_nan:TerminateOnNaN")
