"""Python views of runtime state with pygenn 5's names (``.view``, ``.values``, ...)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from ...engine.errors import RuntimeStateError


class VarView:
    """One variable of a loaded model.

    ``view`` is the live NumPy array the native code updates (zero-copy, writable):
    ``(batch, n)`` for batched variables, ``(n,)`` for shared ones.  For SPARSE weight
    variables ``view`` is the ragged ``num_pre * max_row_length`` storage and ``values``
    the packed per-synapse values in the order of ``get_sparse_pre_inds()``.
    """

    def __init__(self, name: str, array: np.ndarray, owner: str, sparse_mask: Optional[np.ndarray] = None):
        self.name = name
        self._array = array
        self.owner = owner
        self._mask = sparse_mask

    @property
    def view(self) -> np.ndarray:
        return self._array

    @property
    def current_view(self) -> np.ndarray:
        return self._array

    @property
    def values(self) -> np.ndarray:
        if self._mask is None:
            return self._array.copy()
        return self._array[..., self._mask].copy()

    @values.setter
    def values(self, vals: Any) -> None:
        vals = np.asarray(vals)
        target = self._array if self._mask is None else self._array[..., self._mask]
        try:
            vals = np.broadcast_to(vals.reshape(target.shape) if vals.size == target.size else vals, target.shape)
        except ValueError:
            raise RuntimeStateError(f"{self.owner} variable '{self.name}': cannot set values of shape {vals.shape}; "
                                    f"expected {target.shape}") from None
        if self._mask is None:
            self._array[...] = vals
        else:
            self._array[..., self._mask] = vals

    def pull_from_device(self) -> None:
        """No-op: state already lives in host memory."""

    def push_to_device(self) -> None:
        """No-op: state already lives in host memory."""


class EGPView:
    """An extra global parameter of a loaded model (resizable with ``set_values``)."""

    def __init__(self, name: str, owner: str, get: Callable[[], np.ndarray], realloc: Callable[[np.ndarray], None]):
        self.name = name
        self.owner = owner
        self._get = get
        self._realloc = realloc

    @property
    def view(self) -> np.ndarray:
        return self._get()

    @property
    def values(self) -> np.ndarray:
        return self._get().copy()

    @values.setter
    def values(self, vals: Any) -> None:
        self.set_values(vals)

    def set_values(self, vals: Any) -> None:
        """Replace the contents (and size) of this parameter."""
        self._realloc(np.asarray(vals))

    set_init_values = set_values

    def pull_from_device(self) -> None:
        """No-op: state already lives in host memory."""

    def push_to_device(self) -> None:
        """No-op: state already lives in host memory."""


class GroupView:
    """Common part of runtime groups: ``name``, ``vars``, ``extra_global_params``."""

    def __init__(self, name: str, describe: str):
        self.name = name
        self._describe = describe
        self.vars: Dict[str, VarView] = {}
        self.extra_global_params: Dict[str, EGPView] = {}
        self._dynamic: Dict[str, tuple] = {}
        self._all_params: set = set()

    def set_dynamic_param_value(self, name: str, value: float) -> None:
        """Change a parameter made dynamic with ``set_param_dynamic`` before build."""
        if name not in self._dynamic:
            if name in self._all_params:
                raise RuntimeStateError(f"{self._describe}: parameter '{name}' is not dynamic; call "
                                        f"set_param_dynamic('{name}') on the group before building the model")
            raise RuntimeStateError(f"{self._describe}: has no parameter '{name}' "
                                    f"(parameters: {sorted(self._all_params)})")
        array, index = self._dynamic[name]
        array[index] = float(value)

    def get_dynamic_param_value(self, name: str) -> float:
        if name not in self._dynamic:
            raise RuntimeStateError(f"{self._describe}: parameter '{name}' is not dynamic")
        array, index = self._dynamic[name]
        return float(array[index])

    def pull_from_device(self) -> None:
        """No-op: state already lives in host memory."""

    def push_to_device(self) -> None:
        """No-op: state already lives in host memory."""

    def pull_var_from_device(self, name: str) -> None:
        """No-op (pygenn 4 name)."""

    def push_var_to_device(self, name: str) -> None:
        """No-op (pygenn 4 name)."""
