"""A tqdm progress bar advanced every batch."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .callback import Callback


def format_metrics(metrics: Optional[Mapping[Any, Any]]) -> str:
    """``"SparseCategoricalAccuracy: 0.9062, ..."`` for the metrics that have a result.

    Parameters
    ----------
    metrics
        Dict mapping output populations to metric objects (anything with ``result``).
    """
    if not metrics:
        return ""
    parts = []
    for metric in metrics.values():
        result = getattr(metric, "result", None)
        if result is None:
            continue
        try:
            parts.append(f"{type(metric).__name__}: {float(result):.4f}")
        except (TypeError, ValueError):  # non-scalar results are shown as they are
            parts.append(f"{type(metric).__name__}: {result}")
    return ", ".join(parts)


class BatchProgressBar(Callback):
    """Shows a `tqdm <https://tqdm.github.io/>`_ progress bar advanced after every batch, with
    the metrics' running results in its postfix and the epoch in its description."""

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self):
        self._num_batches: Optional[int] = None
        self._progress_bar = None

    def set_params(self, num_batches: Optional[int] = None, **kwargs: Any) -> None:
        """Take the number of batches per epoch as the bar's total.

        Parameters
        ----------
        num_batches
            Batches per epoch (or evaluation).
        **kwargs
            Other run parameters, ignored.
        """
        self._num_batches = num_batches

    def on_test_begin(self) -> None:
        self._open()

    def on_test_end(self, metrics: Mapping[Any, Any]) -> None:
        self._close(metrics)

    def on_train_begin(self) -> None:
        self._open()

    def on_train_end(self, metrics: Mapping[Any, Any]) -> None:
        self._close(metrics)

    def on_epoch_begin(self, epoch: int) -> None:
        if self._progress_bar is None:
            self._open()
        self._progress_bar.set_description(f"Epoch {epoch}")
        # Each epoch counts its batches from zero again
        self._progress_bar.reset(total=self._num_batches)

    def on_batch_end(self, batch: int, metrics: Mapping[Any, Any]) -> None:
        if self._progress_bar is None:
            self._open()
        self._progress_bar.set_postfix_str(format_metrics(metrics), refresh=False)
        self._progress_bar.update(1)

    def _open(self) -> None:
        if self._progress_bar is None:
            # Imported here so that importing ml_genn.callbacks stays cheap
            from tqdm.auto import tqdm
            self._progress_bar = tqdm(total=self._num_batches)
        else:
            self._progress_bar.reset(total=self._num_batches)

    def _close(self, metrics: Mapping[Any, Any]) -> None:
        if self._progress_bar is None:
            return
        self._progress_bar.set_postfix_str(format_metrics(metrics), refresh=False)
        self._progress_bar.close()
        self._progress_bar = None
