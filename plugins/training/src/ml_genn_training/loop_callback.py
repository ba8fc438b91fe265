"""Base of the callbacks that work inside ``train``: they keep the running loop."""
from __future__ import annotations

from typing import Any

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError


class LoopCallback(Callback):
    """A callback that needs ``train``'s running loop (``self._loop``) and the network being
    trained (``self._network``); used elsewhere (``evaluate``) it says so."""

    def set_params(self, train_loop: Any = None, compiled_network: Any = None,
                   **kwargs: Any) -> None:
        """Keep the running loop and the network."""
        if train_loop is None:
            raise InvalidValueError(f"{type(self).__name__} works in train(): it needs the "
                                    f"running training loop")
        self._loop, self._network = train_loop, compiled_network
