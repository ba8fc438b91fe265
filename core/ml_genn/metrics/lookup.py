"""Turning what users pass as ``metrics=`` into metric objects."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Union

from ..utils.module import get_object, get_object_mapping
from .metric import Metric
from ..errors import InvalidTypeError

MetricType = Union[Metric, str]
MetricsType = Union[Dict[Any, MetricType], MetricType]


def get_metric(metric: MetricType, description: str = "Metric") -> Metric:
    """One metric object from an object (copied) or a registered name.

    Parameters
    ----------
    metric
        A :class:`Metric` or a name such as ``"sparse_categorical_accuracy"``.
    description
        What the metric is for, used in error messages.
    """
    if metric is None:
        raise InvalidTypeError(f"{description} must be a Metric object or a metric name, got None")
    return get_object(metric, Metric, description, "metric")


def get_metrics(metrics: MetricsType, outputs: Iterable[Any],
                description: str = "Metrics") -> Dict[Any, Metric]:
    """One metric object per output population.

    Parameters
    ----------
    metrics
        A dict mapping each output to a metric (object or name), or one metric (object or name)
        used, as a separate copy, for every output.
    outputs
        The network's output populations; the result's keys.
    description
        What the metrics are for, used in error messages.
    """
    # Layers stand for their populations, as keys given and as keys looked up
    from ..utils.network import PopulationKeyedDict, population_key
    if isinstance(metrics, dict):
        metrics = {population_key(k): v for k, v in metrics.items()}
    outputs = [population_key(o) for o in outputs]
    return PopulationKeyedDict(get_object_mapping(metrics, outputs, Metric, description, "metric"))
