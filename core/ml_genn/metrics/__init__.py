"""Metrics measure the performance of a model from its labels and the predictions its readouts give."""
from .lookup import MetricType, MetricsType, get_metric, get_metrics
from .mean_square_error import MeanSquareError
from .metric import Metric
from .sparse_categorical_accuracy import SparseCategoricalAccuracy

__all__ = ["Metric", "MeanSquareError", "SparseCategoricalAccuracy", "MetricType",
           "MetricsType", "get_metric", "get_metrics"]
