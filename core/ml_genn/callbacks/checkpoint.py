"""Saving the network's state every few epochs."""
from __future__ import annotations

from typing import Any, Mapping, Union

from ..serialisers import Serialiser
from ..utils.module import get_object
from .callback import Callback
from ..errors import InvalidTypeError, InvalidValueError


class Checkpoint(Callback):
    """Saves the compiled network's state at the end of every ``epoch_interval``-th epoch.

    The state is saved with ``compiled_network.save((epoch,), serialiser)``, so the checkpoint
    of epoch 4 is found under the keys ``(4,)`` (``Network.load((4,), serialiser)``).

    Parameters
    ----------
    serialiser
        Serialiser object (copied) or registered name, ``"numpy"`` by default.
    epoch_interval
        Save after epochs whose index is a multiple of this (``1``: every epoch).
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, serialiser: Union[Serialiser, str] = "numpy", epoch_interval: int = 1):
        if isinstance(epoch_interval, bool) or not isinstance(epoch_interval, int) \
                or epoch_interval < 1:
            raise InvalidValueError(f"Checkpoint epoch_interval must be a positive integer, got "
                                    f"{epoch_interval!r}")
        self.serialiser = get_object(serialiser, Serialiser, "Checkpoint serialiser",
                                     "serialiser")
        if self.serialiser is None:
            raise InvalidTypeError(
                "Checkpoint serialiser must be a Serialiser object or a serialiser "
                "name such as 'numpy', got None")
        self.epoch_interval = epoch_interval
        self._compiled_network = None
        self._last_epoch = None

    def set_params(self, compiled_network: Any = None, num_epochs: Any = None,
                   train_loop: Any = None, **kwargs: Any) -> None:
        """Keep the compiled network to save.

        Parameters
        ----------
        compiled_network
            The network being trained; must have ``save(keys, serialiser)``.
        num_epochs
            Number of epochs the run trains for.
        train_loop
            The running loop (its ``start_epoch``), when training.
        **kwargs
            Other run parameters, ignored.
        """
        self._last_epoch = None
        if isinstance(num_epochs, int) and not isinstance(num_epochs, bool):
            self._last_epoch = getattr(train_loop, "start_epoch", 0) + num_epochs - 1
        if not callable(getattr(compiled_network, "save", None)):
            raise InvalidTypeError(
                f"Checkpoint needs a compiled network with a save(keys, serialiser) "
                f"method, got {type(compiled_network).__name__}")
        self._compiled_network = compiled_network

    def on_train_begin(self) -> None:
        # A name the file system refuses is found now, not at the first checkpoint
        keys = getattr(self._compiled_network, "checkpoint_keys", None)
        if callable(keys) and self._last_epoch is not None:
            self.serialiser.check_names(keys((max(self._last_epoch, 0),)))

    def on_epoch_end(self, epoch: int, metrics: Mapping[Any, Any]) -> None:
        if epoch % self.epoch_interval == 0:
            self._compiled_network.save((epoch,), self.serialiser)
