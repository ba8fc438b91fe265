"""Resolving the ``losses`` argument to the three losses EventProp can differentiate."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .errors import UnsupportedNetworkError
from ml_genn.errors import InvalidKeyError

#: Class name -> registry name of the losses EventProp supports
SUPPORTED_LOSSES = {
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "MeanSquareError": "mean_square_error",
    "RelativeMeanSquareError": "relative_mean_square_error",
}


@dataclass
class LossKind:
    """A resolved loss: its registry ``name``, ``class_name`` and the loss object itself."""
    name: str
    class_name: str
    obj: Any = None

    @property
    def delta(self) -> Optional[float]:
        """``RelativeMeanSquareError``'s margin between correct and incorrect spike times."""
        return getattr(self.obj, "delta", None)


def _pop_name(pop: Any) -> str:
    return getattr(pop, "name", repr(pop))


def _resolve_one(loss: Any, description: str) -> LossKind:
    # Strings go through the plugin registry when core's losses exist; their class names decide
    # how EventProp differentiates them, so a plugin subclass of a core loss works too
    try:
        from ml_genn.losses import Loss  # noqa: F401  (core's loss base class)
        from ml_genn.utils.module import get_object
        obj = get_object(loss, Loss, description, "loss")
    except ImportError:
        obj = loss
    if isinstance(obj, str):
        by_name = {v: k for k, v in SUPPORTED_LOSSES.items()}
        if obj not in by_name:
            raise UnsupportedNetworkError(
                f"{description} '{obj}' is not a loss EventPropCompiler supports; use one of "
                f"{sorted(by_name)}")
        return LossKind(obj, by_name[obj], None)
    for cls in type(obj).__mro__:
        if cls.__name__ in SUPPORTED_LOSSES:
            return LossKind(SUPPORTED_LOSSES[cls.__name__], cls.__name__, obj)
    raise UnsupportedNetworkError(
        f"{description} is a {type(obj).__name__}; EventPropCompiler supports "
        f"{', '.join(SUPPORTED_LOSSES)}")


def resolve_losses(losses: Any, outputs: List[Any]) -> Dict[Any, LossKind]:
    """One :class:`LossKind` per output population.

    Parameters
    ----------
    losses
        One loss (object or registered name) for every output, or a dict keyed by output
        population.
    outputs
        The output populations (those with a readout).
    """
    if isinstance(losses, dict):
        missing = [_pop_name(p) for p in outputs if p not in losses]
        extra = [_pop_name(p) for p in losses if p not in outputs]
        if missing or extra:
            raise InvalidKeyError(
                f"EventPropCompiler losses must map exactly the output populations "
                f"{[_pop_name(p) for p in outputs]}; missing {missing}, not outputs "
                f"{extra}")
        return {p: _resolve_one(losses[p], f"EventPropCompiler loss for Population "
                                           f"'{_pop_name(p)}'") for p in outputs}
    return {p: _resolve_one(losses, "EventPropCompiler losses") for p in outputs}
