"""TerminateOnNaN: stop training at the batch whose weights or metrics became NaN or
infinite."""
from __future__ import annotations

import logging
import math
from typing import Any, Optional

import numpy as np

from ml_genn.callbacks import Callback

logger = logging.getLogger(__name__)


class TerminateOnNaN(Callback):
    """Stop training (after the current batch) as soon as a trained weight, a metric or a loss
    is NaN or infinite (Keras's and AIToolbox's callback).

    Parameters
    ----------
    check_weights
        Whether every connection's weights are checked after each batch (one pass over them).
    check_metrics
        Whether the outputs' metrics are checked after each batch.
    check_losses
        Whether the batch's losses are checked, where the compiler computes them
        (``compiled_network.last_losses``, e.g. EventProp's).

    Attributes
    ----------
    stopped
        ``(epoch, batch, what)`` where training was stopped, or None.
    """

    def __init__(self, check_weights: bool = True, check_metrics: bool = True,
                 check_losses: bool = True):
        self.check_weights = bool(check_weights)
        self.check_metrics = bool(check_metrics)
        self.check_losses = bool(check_losses)

    def set_params(self, compiled_network: Any = None, train_loop: Any = None,
                   **kwargs: Any) -> None:
        """Keep the network (to read weights and stop it) and the loop (for the epoch)."""
        self._network, self._loop = compiled_network, train_loop

    def on_train_begin(self) -> None:
        self.stopped: Optional[tuple] = None

    def _bad(self, metrics: Any) -> Optional[str]:
        if self.check_metrics:
            for pop, metric in metrics.items():
                value = metric.result
                if isinstance(value, float) and not math.isfinite(value):
                    return f"the {type(metric).__name__} of Population '{pop.name}'"
        if self.check_losses:
            for pop, loss in getattr(self._network, "last_losses", {}).items():
                if not math.isfinite(loss):
                    return f"the loss of Population '{pop.name}'"
        if self.check_weights:
            for conn, group in self._network.connection_populations.items():
                if "g" in group.vars and not np.all(np.isfinite(group.vars["g"].view)):
                    return f"the weights of Connection '{conn.name}'"
        return None

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        what = self._bad(metrics)
        if what is None:
            return
        epoch = None if self._loop is None else self._loop.epoch
        self.stopped = (epoch, batch, what)
        self._network.stop_training = True
        logger.warning("TerminateOnNaN: %s became NaN or infinite in batch %d of epoch %s; "
                       "stopping training", what, batch, epoch)
