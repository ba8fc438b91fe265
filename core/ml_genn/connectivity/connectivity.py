"""Base class of connectivity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

import numpy as np

from ..utils.value import InitValue, ValueDescriptor, is_value_array, non_negative
from ..errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class Connectivity:
    """Base class of every connectivity: which neurons of a source population connect to which
    neurons of a target population, with what weights and delays.

    Compilers add the engine representation (``get_snippet(connection,
    supported_matrix_type)``).

    Parameters
    ----------
    weight
        Connection weights (engine variable ``g``): a number, an array, an Initializer or a
        registered initializer name.
    delay
        Connection delays in timesteps (engine variable ``d``), not negative.
    """

    weight = ValueDescriptor("g", allow_none=False)
    delay = ValueDescriptor("d", check=non_negative, allow_none=False)

    def __init__(self, weight: InitValue, delay: InitValue = 0):
        self.weight = weight
        self.delay = delay

    def connect(self, source: "Population", target: "Population") -> None:
        """Validate, and where possible infer, the shapes of ``source`` and ``target``.

        Called when a :class:`ml_genn.Connection` is created (and again once the whole network
        is known); sets ``target.shape`` (or ``source.shape``) when it is ``None`` and this
        connectivity determines it.

        Parameters
        ----------
        source
            Source population.
        target
            Target population.

        Raises
        ------
        ValueError
            When shapes or weight/delay arrays do not fit together.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement connect()")

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> Any:
        """The engine representation (:class:`ml_genn.utils.snippet.ConnectivitySnippet`).

        Parameters
        ----------
        connection
            The connection this connectivity belongs to.
        supported_matrix_type
            Matrix types the compiler supports (``None``: all).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_snippet(); "
                                  f"it cannot be compiled")

    # ------------------------------------------------------------------ helpers
    def _check_array(self, name: str, expected: Tuple[int, ...], meaning: str) -> None:
        """Check that array-valued ``weight``/``delay`` has shape ``expected``."""
        value = getattr(self, name)
        if is_value_array(value) and value.shape != tuple(expected):
            raise InvalidValueError(f"{type(self).__name__} {name} array has shape {value.shape}, "
                                    f"expected {tuple(expected)} ({meaning})")

    def _require_not_array(self, name: str) -> None:
        if is_value_array(getattr(self, name)):
            raise InvalidTypeError(
                f"{type(self).__name__} {name} must be a number or an Initializer, "
                f"not an array of shape {getattr(self, name).shape}: this "
                f"connectivity decides which synapses exist only in the engine")

    def _require_constant_delay(self) -> None:
        if not isinstance(self.delay, (int, float)):
            raise InvalidTypeError(
                f"{type(self).__name__} supports only a single (homogeneous) delay "
                f"for every synapse, got {type(self.delay).__name__}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def population_size(shape: Optional[Tuple[int, ...]]) -> Optional[int]:
    """Number of neurons in a population of ``shape`` (``None`` if unknown)."""
    return None if shape is None else int(np.prod(shape))


def kernel_weights(connectivity: Any, kernel_index: np.ndarray, description: str) -> Any:
    """Per-synapse engine weights of connectivity that shares a kernel, for explicit synapse
    lists: the kernel's values by ``kernel_index``, a constant as is, and an Initializer drawn
    per synapse in the engine."""
    from ..utils.model_builder import engine_value
    weight = connectivity.weight
    if is_value_array(weight):
        return np.asarray(weight).reshape(-1)[kernel_index]
    return engine_value(weight)
