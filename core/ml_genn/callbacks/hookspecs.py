"""Every hook a callback can implement, as specifications for the run-local pluggy manager.

Callbacks implement these by defining methods of the same name (no decorator). The compiled
network's loop calls them in this order::

    on_train_begin()                            on_test_begin()
      on_epoch_begin(epoch)                       on_batch_begin(batch)
        on_batch_begin(batch)                       on_timestep_begin(timestep)
          on_timestep_begin(timestep)               on_timestep_end(timestep)
          on_timestep_end(timestep)               on_batch_end(batch, metrics)
          on_after_gradient_update(batch)       on_test_end(metrics)
          on_after_optimizer_step(batch)
        on_batch_end(batch, metrics)
      on_epoch_end(epoch, metrics)
    on_train_end(metrics)

Arguments are passed positionally to callbacks, as mlGeNN does, so a callback's parameter names
need not match the names below.
"""
from __future__ import annotations

from typing import Any, Mapping

import pluggy

#: pluggy project name of the run-local callback manager (distinct from the plugin system's)
CALLBACK_PROJECT_NAME = "ml_genn_callbacks"

callback_hookspec = pluggy.HookspecMarker(CALLBACK_PROJECT_NAME)


@callback_hookspec
def on_test_begin() -> None:
    """Called once at the start of ``evaluate``/``predict``, before the first batch."""


@callback_hookspec
def on_test_end(metrics: Mapping[Any, Any]) -> None:
    """Called once at the end of ``evaluate``/``predict``.

    Parameters
    ----------
    metrics
        Dict mapping each output population to its :class:`ml_genn.metrics.Metric` object,
        holding the results over the whole run.
    """


@callback_hookspec
def on_train_begin() -> None:
    """Called once at the start of ``train``, before the first epoch."""


@callback_hookspec
def on_train_end(metrics: Mapping[Any, Any]) -> None:
    """Called once at the end of ``train``.

    Parameters
    ----------
    metrics
        Dict mapping each output population to its metric object (the last epoch's results).
    """


@callback_hookspec
def on_epoch_begin(epoch: int) -> None:
    """Called at the start of each training epoch.

    Parameters
    ----------
    epoch
        Index of the epoch (counting from ``start_epoch``).
    """


@callback_hookspec
def on_epoch_end(epoch: int, metrics: Mapping[Any, Any]) -> None:
    """Called at the end of each training epoch.

    Parameters
    ----------
    epoch
        Index of the epoch.
    metrics
        Dict mapping each output population to its metric object (this epoch's results).
    """


@callback_hookspec
def on_batch_begin(batch: int) -> None:
    """Called before each batch is simulated.

    Parameters
    ----------
    batch
        Index of the batch within the epoch (or the evaluation).
    """


@callback_hookspec
def on_batch_end(batch: int, metrics: Mapping[Any, Any]) -> None:
    """Called after each batch has been simulated and its metrics updated.

    Parameters
    ----------
    batch
        Index of the batch.
    metrics
        Dict mapping each output population to its metric object (results so far).
    """


@callback_hookspec
def on_timestep_begin(timestep: int) -> None:
    """Called before each simulation timestep.

    Implementing this (or :func:`on_timestep_end`) makes the compiled network step the
    simulation one timestep at a time; without them a whole batch runs in one native call.

    Parameters
    ----------
    timestep
        Index of the timestep within the example (0 at the start of each example).
    """


@callback_hookspec
def on_timestep_end(timestep: int) -> None:
    """Called after each simulation timestep.

    Parameters
    ----------
    timestep
        Index of the timestep just simulated within the example.
    """


@callback_hookspec
def on_after_gradient_update(batch: int) -> None:
    """Called in training, once a batch's gradients are computed and reduced over the batch as
    the compiler defines it, before the optimiser applies them (AIToolbox's hook). ``compiled_network.get_gradients()``
    then returns them per connection, readable and writable: what a callback leaves there is
    what the optimiser applies.

    Parameters
    ----------
    batch
        Index of the batch within the epoch.
    """


@callback_hookspec
def on_after_optimizer_step(batch: int) -> None:
    """Called in training right after the optimiser has applied a batch's gradients, before
    ``on_batch_end`` (AIToolbox's hook).

    Parameters
    ----------
    batch
        Index of the batch within the epoch.
    """
