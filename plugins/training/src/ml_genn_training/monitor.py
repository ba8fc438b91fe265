"""Naming a metric to watch: ``"sparse_categorical_accuracy"`` (training) or
``"val_sparse_categorical_accuracy"`` (validation) of one output population."""
from __future__ import annotations

import re
from typing import Any, Optional, Tuple

from ml_genn.errors import InvalidValueError

#: Short names users write for the metrics
ALIASES = {"accuracy": "sparse_categorical_accuracy", "mse": "mean_square_error"}


def metric_name(metric: Any) -> str:
    """The snake_case name of a metric object's class (``"sparse_categorical_accuracy"``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(metric).__name__).lower()


def parse_monitor(monitor: str, owner: str) -> Tuple[bool, str]:
    """``(validation, metric name)`` of a monitor string such as ``"val_accuracy"``."""
    if not isinstance(monitor, str) or not monitor:
        raise InvalidValueError(f"{owner} monitor must name a metric such as "
                                f"'val_sparse_categorical_accuracy', got {monitor!r}")
    validation = monitor.startswith("val_")
    name = monitor[4:] if validation else monitor
    return validation, ALIASES.get(name, name)


def default_mode(wanted: str) -> str:
    """``"max"`` for accuracies, ``"min"`` for errors and losses."""
    return "max" if "accuracy" in wanted else "min"


def read_monitor(train_loop: Any, validation: bool, wanted: str, output: Any,
                 owner: str) -> Optional[float]:
    """The monitored value at the end of an epoch, from the running loop."""
    metrics = train_loop.validation_metrics if validation else train_loop.train_metrics
    if metrics is None:
        raise InvalidValueError(
            f"{owner} monitors validation metrics, but this train() has none; pass "
            f"validation_split or validation_x/validation_y, or monitor '{wanted}'")
    if output is None:
        if len(metrics) != 1:
            raise InvalidValueError(f"{owner}: the network has several outputs; pass output= "
                                    f"to say which one's {wanted} to monitor")
        output = next(iter(metrics))
    metric = metrics[output]
    if metric_name(metric) != wanted:
        raise InvalidValueError(
            f"{owner} monitors {wanted}, but Population '{getattr(output, 'name', output)}'"
            f" is measured with {metric_name(metric)}; pass metrics= to train() or "
            f"monitor that metric")
    result = metric.result
    return None if result is None else float(result)
