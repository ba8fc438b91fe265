"""Base class of sparse connectivity (mlGeNN's ``connectivity.sparse_base.SparseBase``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..engine import SynapseMatrixType
from ..utils.model_builder import engine_value
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import InitValue, ValueDescriptor, is_value_array
from .connectivity import Connectivity
from ..errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class SparseBase(Connectivity):
    """Base of connectivity stored as a list of synapses.

    A subclass describes which synapses exist (a sparse-connect snippet drawn in the engine, or
    explicit indices); once a network's connectivity has been saved
    (``compiled_net.save_connectivity(keys)``), ``Network.load(keys)`` sets ``pre_ind`` and
    ``post_ind`` and the connection is rebuilt from exactly those synapses, with per-synapse
    weights and delays in the same order.

    Parameters
    ----------
    weight
        Weights: a number or an Initializer; with ``pre_ind``/``post_ind`` set, also an array
        with one value per synapse.
    delay
        Delays in timesteps, like ``weight``.
    """

    pre_ind = ValueDescriptor("pre_ind", allow_none=True)
    post_ind = ValueDescriptor("post_ind", allow_none=True)

    def __init__(self, weight: InitValue, delay: InitValue = 0):
        super().__init__(weight, delay)
        self.pre_ind = None
        self.post_ind = None

    @property
    def has_indices(self) -> bool:
        """Whether explicit synapse indices are set."""
        return self.pre_ind is not None or self.post_ind is not None

    def _check_indices(self, source: Optional["Population"] = None,
                       target: Optional["Population"] = None) -> Optional[int]:
        """Validate explicit indices (and per-synapse weight/delay arrays); returns the number
        of synapses, or None without indices."""
        owner = type(self).__name__
        if not self.has_indices:
            for name in ("weight", "delay"):
                if is_value_array(getattr(self, name)):
                    raise InvalidTypeError(
                        f"{owner} {name} must be a number or an Initializer, not an "
                        f"array of shape {getattr(self, name).shape}: which synapses "
                        f"exist is decided in the engine unless pre_ind and "
                        f"post_ind are set")
            return None
        if not (is_value_array(self.pre_ind) and is_value_array(self.post_ind)):
            raise InvalidTypeError(
                f"{owner} pre_ind and post_ind must both be arrays of neuron "
                f"indices when either is set, got "
                f"{type(self.pre_ind).__name__} and {type(self.post_ind).__name__}")
        pre, post = self._indices()
        if pre.ndim != 1 or pre.shape != post.shape:
            raise InvalidValueError(f"{owner} pre_ind and post_ind must be 1-D arrays of the same "
                                    f"length, got shapes {pre.shape} and {post.shape}")
        for name, ind, pop in (("pre_ind", pre, source), ("post_ind", post, target)):
            if pop is not None and pop.shape is not None and len(ind) and \
                    (ind.min() < 0 or ind.max() >= pop.num_neurons):
                raise InvalidValueError(f"{owner} {name} holds indices outside Population "
                                        f"'{pop.name}' of {pop.num_neurons} neurons "
                                        f"(range {ind.min()}..{ind.max()})")
        for name in ("weight", "delay"):
            value = getattr(self, name)
            if is_value_array(value) and value.shape != pre.shape:
                raise InvalidValueError(f"{owner} {name} array has shape {value.shape}, expected "
                                        f"{pre.shape} (one per synapse in pre_ind/post_ind)")
        return len(pre)

    def _indices(self):
        """``pre_ind`` and ``post_ind`` as integer arrays (values are held as numbers)."""
        owner = type(self).__name__
        out = []
        for name in ("pre_ind", "post_ind"):
            ind = np.asarray(getattr(self, name))
            as_int = ind.astype(np.int64)
            if not np.array_equal(as_int, ind):
                raise InvalidValueError(f"{owner} {name} must hold whole neuron indices")
            out.append(as_int)
        return tuple(out)

    def _get_snippet(self, supported_matrix_type: Any, snippet: Any) -> ConnectivitySnippet:
        """SPARSE from explicit indices when they are set, otherwise from ``snippet`` (a
        sparse-connect initialisation the engine runs at load time)."""
        best = (SynapseMatrixType.SPARSE if supported_matrix_type is None
                else supported_matrix_type.get_best([SynapseMatrixType.SPARSE]))
        if best is None:
            raise NotImplementedError(f"{type(self).__name__}: the compiler does not support "
                                      f"sparse connectivity")
        if self.has_indices:
            self._check_indices()
            pre, post = self._indices()
            return ConnectivitySnippet(SynapseMatrixType.SPARSE, engine_value(self.weight),
                                       self.delay, pre_ind=pre, post_ind=post)
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, engine_value(self.weight),
                                   self.delay, snippet=snippet)
