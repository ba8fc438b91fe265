"""Callbacks that trigger a named custom update of the engine model."""
from __future__ import annotations

from typing import Any, Mapping

from .callback import Callback


class CustomUpdate(Callback):
    """Base of the callbacks that run ``compiled_network.genn_model.custom_update(name)``.

    Parameters
    ----------
    name
        Name of the custom update group to run (e.g. ``"Reset"``).
    """

    def __init__(self, name: str):
        if not isinstance(name, str) or not name:
            raise TypeError(f"{type(self).__name__} name must be the name of a custom update "
                            f"group, got {name!r}")
        self.name = name
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
            raise TypeError(f"{type(self).__name__}('{self.name}') needs a compiled network "
                            f"whose genn_model has custom_update(name), got "
                            f"{type(compiled_network).__name__}")
        self._compiled_network = compiled_network

    def _custom_update(self) -> None:
        self._compiled_network.genn_model.custom_update(self.name)


class CustomUpdateOnBatchBegin(CustomUpdate):
    """Runs the custom update at the start of every batch."""

    def on_batch_begin(self, batch: int) -> None:
        self._custom_update()


class CustomUpdateOnBatchEnd(CustomUpdate):
    """Runs the custom update at the end of every batch."""

    def on_batch_end(self, batch: int, metrics: Mapping[Any, Any]) -> None:
        self._custom_update()


class CustomUpdateOnEpochBegin(CustomUpdate):
    """Runs the custom update at the start of every epoch."""

    def on_epoch_begin(self, epoch: int) -> None:
        self._custom_update()


class CustomUpdateOnEpochEnd(CustomUpdate):
    """Runs the custom update at the end of every epoch."""

    def on_epoch_end(self, epoch: int, metrics: Mapping[Any, Any]) -> None:
        self._custom_update()


class CustomUpdateOnTimestepBegin(CustomUpdate):
    """Runs the custom update before every timestep (forces per-timestep stepping)."""

    def on_timestep_begin(self, timestep: int) -> None:
        self._custom_update()


class CustomUpdateOnTimestepEnd(CustomUpdate):
    """Runs the custom update after every timestep (forces per-timestep stepping)."""

    def on_timestep_end(self, timestep: int) -> None:
        self._custom_update()
