"""The network: a container of populations and connections, built inside ``with network:``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

from .utils.module import get_object
from .errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from .connection import Connection
    from .population import Population
    from .serialisers import Serialiser


class Network:
    """Unstructured network model.

    Populations and connections created inside ``with network:`` are added to it. Networks cannot
    be nested: only one network is being built at a time.

    Parameters
    ----------
    default_params
        Default constructor arguments for neuron and synapse classes created inside this
        network's ``with`` block, keyed by class, e.g. ``{LeakyIntegrateFire: {"scale_i":
        True}}``; arguments the user passes explicitly win. Compilers provide these (e.g.
        ``ml_genn.compilers.event_prop_compiler.default_params``).

    Attributes
    ----------
    populations
        Every population in the network, in creation order.
    connections
        Every connection in the network, in creation order.
    """

    #: The network whose ``with`` block is being executed, if any
    _context: Optional["Network"] = None

    def __init__(self, default_params: Optional[Mapping[type, Mapping[str, Any]]] = None):
        if default_params is None:
            default_params = {}
        if not isinstance(default_params, Mapping):
            raise InvalidTypeError(
                f"{type(self).__name__} default_params must be a dict mapping neuron "
                f"or synapse classes to dicts of arguments, got "
                f"{type(default_params).__name__}: {default_params!r}")
        for cls, params in default_params.items():
            if not isinstance(cls, type) or not isinstance(params, Mapping):
                raise InvalidTypeError(f"{type(self).__name__} default_params must map classes to "
                                       f"dicts of arguments, got {cls!r}: {params!r}")
        self.default_params = {cls: dict(params) for cls, params in default_params.items()}
        self.populations: List["Population"] = []
        self.connections: List["Connection"] = []
        # Default names are numbered per network so that rebuilding a network in the same
        # process gives the same names, and so the same checkpoint keys
        self._num_default_population_names = 0

    # ------------------------------------------------------------------ context
    def __enter__(self) -> "Network":
        if Network._context is not None:
            raise RuntimeError(f"Nested networks are not supported: a "
                               f"{type(Network._context).__name__} is already being built in an "
                               f"enclosing 'with' block; finish it before starting another")
        Network._context = self
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        Network._context = None
        # Only check a network whose block finished normally; otherwise the user's own
        # exception is the one to see
        if exc_type is None:
            self._validate()

    def _validate(self) -> None:
        """Check shapes once every population and connection is known."""
        for pop in self.populations:
            if pop.shape is None:
                raise InvalidValueError(f"Population '{pop.name}' has no shape: give it one with "
                                        f"shape=... or connect it with connectivity that infers it "
                                        f"(Dense with a weight array, OneToOne, Conv2D, pooling)")
        # Re-validate connections whose populations only got their shapes later
        for conn in self.connections:
            conn._validate()

    @staticmethod
    def _current(what: str, needed: type = None) -> "Network":
        network = Network._context
        needed = needed or Network
        if network is None or not isinstance(network, needed):
            block = "with network:" if needed is Network else "with sequential_network:"
            got = ("" if network is None
                   else f" (the enclosing network is a {type(network).__name__})")
            raise RuntimeError(f"{what} must be created inside a '{block}' block of a "
                               f"{needed.__name__}{got}")
        return network

    # ------------------------------------------------------------------ building
    @staticmethod
    def _add_population(pop: "Population") -> None:
        network = Network._current("Population")
        network._check_name_free(pop.name, network.populations, "Population")
        network.populations.append(pop)
        pop._network = network

    @staticmethod
    def _add_connection(conn: "Connection") -> None:
        network = Network._current("Connection")
        network._check_name_free(conn.name, network.connections, "Connection")
        network.connections.append(conn)

    @staticmethod
    def _check_name_free(name: str, existing: Sequence[Any], what: str) -> None:
        if any(o.name == name for o in existing):
            raise InvalidValueError(
                f"{what} name '{name}' is already used in this network; names "
                f"key checkpoints and recordings, so give each {what.lower()} a "
                f"different name")

    @staticmethod
    def _default_population_name() -> Optional[str]:
        network = Network._context
        if network is None:
            return None
        # Skip names the user has taken explicitly
        while True:
            name = f"Pop{network._num_default_population_names}"
            network._num_default_population_names += 1
            if all(p.name != name for p in network.populations):
                return name

    @staticmethod
    def get_default_params(type: type) -> Dict[str, Any]:
        """Default constructor arguments for ``type`` from the network being built.

        Parameters
        ----------
        type
            Neuron or synapse class.

        Returns
        -------
        A dict of argument names and values; empty outside a ``with`` block.
        """
        if Network._context is None:
            return {}
        return dict(Network._context.default_params.get(type, {}))

    # ------------------------------------------------------------------ checkpoints
    def load(self, keys: Sequence[Any] = (), serialiser: Union["Serialiser", str] = "numpy") -> None:
        """Load weights and parameters saved by a checkpoint into the network.

        Arrays are looked up beneath ``keys + (connection,)`` and ``keys + (population,)``
        (keys are turned into strings by name, so ``(4, conn, "g")`` names connection ``conn``'s
        weights in epoch 4's checkpoint) and assigned by engine variable name: ``"g"``
        (weights) and ``"d"`` (delays) to each connection's connectivity, the neuron's
        parameter names (e.g. ``"Bias"``) to each population's neuron. Loaded arrays are
        checked against the network's shapes.

        Parameters
        ----------
        keys
            Keys selecting the checkpoint, typically ``(epoch,)``.
        serialiser
            Serialiser object or registered name; the same kind that wrote the checkpoint.
        """
        from .serialisers import Serialiser

        if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
            raise InvalidTypeError(
                f"Network.load keys must be a tuple of keys such as (epoch,), got "
                f"{type(keys).__name__}: {keys!r}")
        serialiser = get_object(serialiser, Serialiser, "Network.load serialiser", "serialiser")
        if serialiser is None:
            raise InvalidTypeError(
                "Network.load serialiser must be a Serialiser or a registered name "
                "such as 'numpy', got None")
        keys = tuple(keys)
        # A checkpoint whose write was interrupted, that was damaged or never written is an
        # error here, before anything changes
        serialiser.check_checkpoint(keys)
        stored = {}
        for obj in list(self.connections) + list(self.populations):
            stored[obj] = serialiser.deserialise_all(keys + (obj,))
        if not any(stored.values()):
            from .errors import CheckpointNotFoundError
            raise CheckpointNotFoundError(
                f"Network.load: no population or connection of this network has values stored "
                f"at keys {keys!r} (looked for e.g. "
                f"{serialiser.describe(keys + (next(iter(stored), 'name'), 'g'))}); check the "
                f"folder and the epoch")
        _apply_checkpoint(stored, keys, serialiser)
        # Training compiled networks restore optimiser and RNG state from here
        self.loaded_checkpoint = (keys, serialiser)


def _apply_checkpoint(stored: Dict[Any, Dict[Any, Any]], keys: tuple, serialiser: Any) -> None:
    """Assign loaded arrays to connections and populations, all or nothing: every array is
    checked (no silent broadcasting of a single stored number), and if any object refuses its
    values, every object gets its previous values back."""
    import numpy as np
    from .errors import CheckpointError
    from .connection import Connection
    from .utils.value import get_value_descriptors, set_values

    def files(obj, state):
        return ", ".join(serialiser.describe(keys + (obj, name)) for name in state)

    for obj, state in stored.items():
        for name, value in state.items():
            array = np.asarray(value)
            where = serialiser.describe(keys + (obj, name))
            if array.ndim == 0:
                raise CheckpointError(
                    f"{where} holds a single number for '{name}' of {_describe(obj)}; a "
                    f"checkpoint stores one value per synapse or neuron, so it would be "
                    f"broadcast silently")
            if array.dtype.kind not in "biuf":
                raise CheckpointError(f"{where} holds {array.dtype} values for '{name}' of "
                                      f"{_describe(obj)}; expected real numbers")
            if not isinstance(obj, Connection) and obj.shape is not None:
                size = int(np.prod(obj.shape))
                if array.shape != (size,):
                    raise CheckpointError(
                        f"{where} holds '{name}' of shape {array.shape} for {_describe(obj)}, "
                        f"which has {size} neurons: expected shape ({size},)")

    targets = []
    for obj in stored:
        targets += [obj.connectivity, obj.synapse] if isinstance(obj, Connection) \
            else [obj.neuron]
    before = [(t, {n: getattr(t, n) for n in get_value_descriptors(t)}) for t in targets]
    try:
        for obj, state in stored.items():
            try:
                if isinstance(obj, Connection):
                    set_values(obj.connectivity, state)
                    set_values(obj.synapse, state)
                    obj._validate()
                else:
                    set_values(obj.neuron, state)
                    obj._validate_neuron()
            except (ValueError, TypeError) as exc:
                raise CheckpointError(f"Network.load from {files(obj, state)}: {exc}") from None
    except BaseException:
        for target, values in before:
            for name, value in values.items():
                setattr(target, name, value)
        raise


def _describe(obj: Any) -> str:
    return f"{type(obj).__name__} '{getattr(obj, 'name', obj)}'"
