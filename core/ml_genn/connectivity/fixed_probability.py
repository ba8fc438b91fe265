"""Random sparse connectivity."""
from __future__ import annotations

from numbers import Number
from typing import TYPE_CHECKING, Any

from ..neurons.checks import check_bool
from ..engine import init_sparse_connectivity
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import InitValue
from .sparse_base import SparseBase
from ..errors import InvalidValueError

if TYPE_CHECKING:
    from ..population import Population


class FixedProbability(SparseBase):
    """Sparse connectivity where each pair of source and target neurons is connected with a
    fixed probability (drawn in the engine, from the compiler's seed).

    Parameters
    ----------
    p
        Probability of each connection, between 0 and 1.
    weight
        A number or an Initializer.
    allow_self_connections
        When a population connects to itself, whether a neuron may connect to itself.
    delay
        Delays in timesteps: a number or an Initializer.
    """

    def __init__(self, p: float, weight: InitValue, allow_self_connections: bool = False,
                 delay: InitValue = 0):
        super().__init__(weight, delay)
        owner = type(self).__name__
        if isinstance(p, bool) or not isinstance(p, Number) or not 0.0 <= float(p) <= 1.0:
            raise InvalidValueError(f"{owner} p must be a probability between 0 and 1, got "
                                    f"{type(p).__name__}: {p!r}")
        self.p = float(p)
        self.allow_self_connections = check_bool(owner, "allow_self_connections",
                                                  allow_self_connections)
        self._check_indices()

    def connect(self, source: "Population", target: "Population") -> None:
        # Any pair of shapes can be connected at random; nothing to infer. Indices loaded
        # from a saved network must fit it.
        self._check_indices(source, target)

    def get_snippet(self, connection: Any, supported_matrix_type: Any = None) -> ConnectivitySnippet:
        """SPARSE, drawn in the engine from the compiler's seed (or the saved synapses when
        ``pre_ind``/``post_ind`` are set)."""
        no_autapse = connection.source is connection.target and not self.allow_self_connections
        snippet = init_sparse_connectivity(
            "FixedProbabilityNoAutapse" if no_autapse else "FixedProbability", {"prob": self.p})
        result = self._get_snippet(supported_matrix_type, snippet)
        if self.has_indices:
            # Saved synapses (e.g. rewired by Deep-R) get the row room drawn ones would have
            bound = snippet.snippet.calc_max_row_len_func
            npre, npost = connection.source.num_neurons, connection.target.num_neurons
            result.max_row_length = int(bound(npre, npost, {"prob": self.p})) if bound \
                else npost
        return result
