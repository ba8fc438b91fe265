"""Metrics accumulated over batches against NumPy over the whole data."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_genn.metrics import (MeanSquareError, Metric, SparseCategoricalAccuracy, get_metric,
                             get_metrics)
from ml_genn.plugins import ComponentNotFoundError


def split_points(rng, n, num_batches):
    return np.sort(rng.choice(np.arange(1, n), size=num_batches - 1, replace=False))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60), num_classes=st.integers(2, 6),
       num_batches=st.integers(1, 4))
def test_sparse_categorical_accuracy_matches_numpy_over_any_batching(seed, n, num_classes,
                                                                      num_batches):
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(size=(n, num_classes))
    y_true = rng.integers(0, num_classes, size=n)
    metric = SparseCategoricalAccuracy()
    assert metric.result is None
    cuts = split_points(rng, n, num_batches)
    for true, pred in zip(np.split(y_true, cuts), np.split(y_pred, cuts)):
        metric.update(true, pred, None)
    expected = np.mean(np.argmax(y_pred, axis=1) == y_true)
    assert metric.result == pytest.approx(expected)
    metric.reset()
    assert metric.result is None


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 40), num_batches=st.integers(1, 4),
       shape=st.sampled_from([(), (3,), (2, 4)]))
def test_mean_square_error_matches_numpy_over_any_batching(seed, n, num_batches, shape):
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(size=(n,) + shape)
    y_true = rng.normal(size=(n,) + shape)
    cuts = split_points(rng, n, num_batches)
    metric = MeanSquareError()
    for true, pred in zip(np.split(y_true, cuts), np.split(y_pred, cuts)):
        metric.update(true, pred, None)
    assert metric.result == pytest.approx(np.mean((y_true - y_pred) ** 2))


def test_accuracy_of_a_known_batch():
    y_pred = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    y_true = np.array([1, 0, 0, 2])
    metric = SparseCategoricalAccuracy()
    metric.update(y_true, y_pred, None)
    assert (metric.correct, metric.total) == (3, 4)
    assert metric.result == pytest.approx(0.75)


class SummingCommunicator:
    """Pretends two other processes saw the same batch: sums become three times as large."""

    def __init__(self):
        self.reduced = []

    def reduce_sum(self, value):
        self.reduced.append(value)
        return 3 * value


@pytest.mark.parametrize("metric_cls", [SparseCategoricalAccuracy, MeanSquareError])
def test_communicator_reduces_both_counts(metric_cls):
    rng = np.random.default_rng(1)
    y_pred = rng.normal(size=(5, 3))
    y_true = rng.integers(0, 3, size=5) if metric_cls is SparseCategoricalAccuracy \
        else rng.normal(size=(5, 3))
    local, shared = metric_cls(), metric_cls()
    communicator = SummingCommunicator()
    local.update(y_true, y_pred, None)
    shared.update(y_true, y_pred, communicator)
    assert len(communicator.reduced) == 2
    assert shared.result == pytest.approx(local.result)  # numerator and denominator both x3


def test_shape_mismatches_are_clear_errors():
    with pytest.raises(ValueError, match=r"labels of shape \(4,\).*got labels of shape \(3,\)"):
        SparseCategoricalAccuracy().update(np.zeros(3), np.zeros((4, 2)), None)
    with pytest.raises(ValueError, match=r"predictions of shape \(batch, num_classes\)"):
        SparseCategoricalAccuracy().update(np.zeros(3), np.zeros(3), None)
    with pytest.raises(ValueError, match=r"predictions have shape \(4, 2\), labels have shape "
                                         r"\(4, 3\)"):
        MeanSquareError().update(np.zeros((4, 3)), np.zeros((4, 2)), None)


def test_metrics_by_name_or_object_and_per_output_mapping():
    assert isinstance(get_metric("sparse_categorical_accuracy"), SparseCategoricalAccuracy)
    assert isinstance(get_metric("mean_square_error"), MeanSquareError)
    original = MeanSquareError()
    copied = get_metric(original)
    assert isinstance(copied, MeanSquareError) and copied is not original

    mapping = get_metrics("sparse_categorical_accuracy", ["out_a", "out_b"])
    assert set(mapping) == {"out_a", "out_b"}
    assert mapping["out_a"] is not mapping["out_b"]  # one independent metric per output
    mapping = get_metrics({"out_a": "mean_square_error", "out_b": original}, ["out_a", "out_b"])
    assert isinstance(mapping["out_a"], MeanSquareError) and mapping["out_b"] is not original

    with pytest.raises(ComponentNotFoundError, match="sparse_categorical_acuracy"):
        get_metric("sparse_categorical_acuracy")
    with pytest.raises(TypeError, match="Metric"):
        get_metric(3)
    with pytest.raises(KeyError, match="missing"):
        get_metrics({"out_a": "mean_square_error"}, ["out_a", "out_b"])


def test_metric_base_requires_the_interface():
    class Incomplete(Metric):
        def update(self, y_true, y_pred, communicator):
            pass

    with pytest.raises(TypeError):
        Incomplete()
