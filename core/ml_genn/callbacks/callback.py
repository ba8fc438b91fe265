"""Base class of callbacks."""
from __future__ import annotations

from typing import Any


class Callback:
    """Base class for objects that run custom logic during ``train``/``evaluate``/``predict``.

    A callback takes part in a run by defining methods named after the hooks in
    :mod:`ml_genn.callbacks.hookspecs` (``on_epoch_begin(epoch)``, ``on_batch_end(batch,
    metrics)``, ``on_timestep_end(timestep)``, ...); no decorator is needed and hooks it does not
    define cost nothing. Optionally it may define:

    - ``set_params(**kwargs)`` -- called once before the run with ``data``,
      ``compiled_network``, ``num_batches``, ``num_epochs`` (and possibly more: accept
      ``**kwargs``);
    - ``set_first()`` -- called on the first callback of each class in a run's list, so that
      one of several instances can do shared work (e.g. pull recordings once);
    - ``get_data()`` -- returns ``(key, data)``; after the run, ``data`` appears in the run's
      ``cb_data`` under ``key``.
    """

    def set_params(self, **kwargs: Any) -> None:
        """Receive the run's parameters; the default ignores them all.

        Parameters
        ----------
        **kwargs
            ``data``, ``compiled_network``, ``num_batches``, ``num_epochs`` and any others the
            compiled network passes.
        """
