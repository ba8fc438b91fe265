"""Metrics measure the performance of a model from its labels and the predictions its readouts
give."""
from ..plugins.provided import module_getattr
from .lookup import MetricType, MetricsType, get_metric, get_metrics
from .mean_square_error import MeanSquareError
from .metric import Metric
from .sparse_categorical_accuracy import SparseCategoricalAccuracy

# mlGeNN's default_metrics: the registered classes buildable by name (core's and plugins')
__getattr__ = module_getattr("metric", __name__, "default_metrics")

__all__ = ["Metric", "MeanSquareError", "SparseCategoricalAccuracy", "MetricType", "MetricsType",
           "get_metric", "get_metrics", "default_metrics"]
