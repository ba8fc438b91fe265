"""Callbacks that trigger a named custom update of the engine model."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from .callback import Callback
from ..errors import InvalidTypeError


class CustomUpdate(Callback):
    """Base of the callbacks that run ``compiled_network.genn_model.custom_update(name)``.

    Parameters
    ----------
    name
        Name of the custom update group to run (e.g. ``"Reset"``).
    filter_fn
        Called with the batch, epoch or timestep number; the update runs only where it
        returns true (``None``: every time), e.g. ``lambda epoch: epoch % 10 == 0``.
    """

    def __init__(self, name: str, filter_fn: Optional[Callable[[int], bool]] = None):
        if not isinstance(name, str) or not name:
            raise InvalidTypeError(
                f"{type(self).__name__} name must be the name of a custom update "
                f"group, got {name!r}")
        if filter_fn is not None and not callable(filter_fn):
            raise InvalidTypeError(
                f"{type(self).__name__}('{name}') filter_fn must be a function of "
                f"the batch/epoch/timestep number returning a bool, or None; got "
                f"{type(filter_fn).__name__}: {filter_fn!r}")
        self.name = name
        self.filter_fn = filter_fn
        self._compiled_network = None

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        """Keep the compiled network whose model runs the update.

        Parameters
        ----------
        compiled_network
            The running network; must have ``genn_model.custom_update``.
        **kwargs
            Other run parameters, ignored.
        """
        if not callable(getattr(getattr(compiled_network, "genn_model", None),
                                "custom_update", None)):
            raise InvalidTypeError(f"{type(self).__name__}('{self.name}') needs a compiled network "
                                   f"whose genn_model has custom_update(name), got "
                                   f"{type(compiled_network).__name__}")
        self._compiled_network = compiled_network

    def _custom_update(self, number: int) -> bool:
        """Run the update unless ``filter_fn`` rejects ``number``; returns whether it ran."""
        if self.filter_fn is not None and not self.filter_fn(number):
            return False
        self._compiled_network.genn_model.custom_update(self.name)
        return True


class CustomUpdateOnBatchBegin(CustomUpdate):
    """Runs the custom update at the start of every batch (that ``filter_fn`` accepts)."""

    def on_batch_begin(self, batch: int) -> None:
        self._custom_update(batch)


class CustomUpdateOnBatchEnd(CustomUpdate):
    """Runs the custom update at the end of every batch (that ``filter_fn`` accepts)."""

    def on_batch_end(self, batch: int, metrics: Mapping[Any, Any]) -> None:
        self._custom_update(batch)


class CustomUpdateOnEpochBegin(CustomUpdate):
    """Runs the custom update at the start of every epoch (that ``filter_fn`` accepts)."""

    def on_epoch_begin(self, epoch: int) -> None:
        self._custom_update(epoch)


class CustomUpdateOnEpochEnd(CustomUpdate):
    """Runs the custom update at the end of every epoch (that ``filter_fn`` accepts)."""

    def on_epoch_end(self, epoch: int, metrics: Mapping[Any, Any]) -> None:
        self._custom_update(epoch)


class CustomUpdateOnTimestepBegin(CustomUpdate):
    """Runs the custom update before every timestep (forces per-timestep stepping)."""

    def on_timestep_begin(self, timestep: int) -> None:
        self._custom_update(timestep)


class CustomUpdateOnTimestepEnd(CustomUpdate):
    """Runs the custom update after every timestep (forces per-timestep stepping)."""

    def on_timestep_end(self, timestep: int) -> None:
        self._custom_update(timestep)
