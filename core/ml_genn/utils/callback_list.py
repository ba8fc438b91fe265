"""mlGeNN's module path for :class:`~ml_genn.callbacks.CallbackList` (the list of a run's
callbacks that dispatches their hooks)."""
from ..callbacks.callback_list import CallbackList

__all__ = ["CallbackList"]
