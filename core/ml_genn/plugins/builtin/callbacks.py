"""Built-in callbacks."""
from ...hookspecs import hookimpl

CALLBACKS = {
    "batch_progress_bar": "ml_genn.callbacks:BatchProgressBar",
    "checkpoint": "ml_genn.callbacks:Checkpoint",
}


@hookimpl
def ml_genn_register_callbacks(registry):
    for name, target in CALLBACKS.items():
        registry.add(name, target)
