"""Built-in losses, metrics and optimisers."""
from ...hookspecs import hookimpl

LOSSES = {
    "sparse_categorical_crossentropy": "ml_genn.losses:SparseCategoricalCrossentropy",
    "mean_square_error": "ml_genn.losses:MeanSquareError",
    "relative_mean_square_error": "ml_genn.losses:RelativeMeanSquareError",
}
METRICS = {
    "sparse_categorical_accuracy": "ml_genn.metrics:SparseCategoricalAccuracy",
    "mean_square_error": "ml_genn.metrics:MeanSquareError",
}
OPTIMISERS = {
    "adam": "ml_genn.optimisers:Adam",
    "sgd": "ml_genn.optimisers:SGD",
}


@hookimpl
def ml_genn_register_losses(registry):
    for name, target in LOSSES.items():
        registry.add(name, target)


@hookimpl
def ml_genn_register_metrics(registry):
    for name, target in METRICS.items():
        registry.add(name, target)


@hookimpl
def ml_genn_register_optimisers(registry):
    for name, target in OPTIMISERS.items():
        registry.add(name, target)
