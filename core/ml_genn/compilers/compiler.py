"""Base class of every compiler: walks a network and builds the engine model."""
from __future__ import annotations

import inspect
import math
import os
import re
from numbers import Real
from typing import Any, Dict, Optional, Sequence

import numpy as np

from ..engine import ModelSpec, SynapseMatrixType, VarAccess
from ..utils.model_builder import NeuronModelBuilder, SynapseModelBuilder, WeightUpdateModelBuilder, engine_value
from ..utils.connectivity import resolve_kernel_init
from ..utils.model import as_builder
from ..utils.snippet import ConnectivitySnippet
from ..utils.value import is_value_array, is_value_constant
from ..utils.value import check_int
from ..errors import InvalidTypeError, InvalidValueError


def _identifier(name: str, taken: set) -> str:
    """An engine group name for ``name``: an identifier, unique within the model."""
    from ..engine.names import unique_identifier
    return unique_identifier(name, taken)


#: The range of timesteps the engine's single-precision ``scalar`` represents faithfully
_MIN_DT = float(np.finfo(np.float32).tiny)
_MAX_DT = float(np.finfo(np.float32).max)


#: Timesteps per example are counted in 32 bits by the engine's kernels
MAX_TIMESTEPS = 2 ** 32

#: Backend names mlGeNN users pass that only GeNN (through pygenn) provides
_PYGENN_BACKENDS = ("cuda", "hip", "genn", "opencl")


def _check_communicator(owner: str, communicator: Any, batch_size: int) -> Any:
    """``communicator`` if it is None or a Communicator whose ranks share ``batch_size``
    evenly; a clear error otherwise."""
    if communicator is None:
        return None
    from ..communicators import Communicator
    if not isinstance(communicator, Communicator):
        raise InvalidTypeError(f"{owner} communicator must be an ml_genn.communicators."
                               f"Communicator (e.g. MPI()) or None, got "
                               f"{type(communicator).__name__}: {communicator!r}")
    num_ranks = int(communicator.num_ranks)
    if int(batch_size) % num_ranks != 0:
        raise InvalidValueError(
            f"{owner} batch_size {batch_size} does not divide evenly across the "
            f"communicator's {num_ranks} ranks: each rank simulates batch_size / num_ranks "
            f"examples, so choose a multiple of {num_ranks}")
    return communicator


class SupportedMatrixType:
    """The synapse matrix types a compiler supports, best first (mlGeNN's
    ``compilers.compiler.SupportedMatrixType``, which connectivity classes consult).

    Args:
        supported:  Matrix types (:class:`ml_genn.engine.SynapseMatrixType` values), most
                    preferred first
    """

    def __init__(self, supported: Sequence[Any]):
        self._rank = {matrix_type: i for i, matrix_type in enumerate(supported)}

    @property
    def types(self) -> list:
        """The supported matrix types, most preferred first."""
        return sorted(self._rank, key=self._rank.__getitem__)

    def __contains__(self, matrix_type: Any) -> bool:
        return matrix_type in self._rank

    def get_best(self, available: Sequence[Any]) -> Optional[Any]:
        """The most preferred supported type among ``available``, or None when the compiler
        supports none of them."""
        possible = [m for m in available if m in self._rank]
        return min(possible, key=self._rank.__getitem__) if possible else None

class Compiler:
    """Base class for compilers.

    A compiler turns a :class:`ml_genn.Network` into an engine :class:`ml_genn.engine.ModelSpec`,
    has a backend build it and wraps the result in a compiled network. Subclasses customise
    the model through :meth:`pre_compile`, :meth:`build_neuron_model`,
    :meth:`build_synapse_model`, :meth:`build_weight_update_model`,
    :meth:`add_custom_updates` and :meth:`create_compiled_network`.

    The positional order is mlGeNN's (``Compiler(supported_matrix_type, dt, batch_size,
    rng_seed, kernel_profiling, communicator, **genn_kwargs)``), so compilers written against
    mlGeNN can call ``super().__init__`` the way they do there.

    Parameters
    ----------
    supported_matrix_type
        The synapse matrix types (:class:`ml_genn.engine.SynapseMatrixType`) this compiler can
        build, most preferred first; connectivity is offered them through
        ``get_snippet(connection, supported_matrix_type)``. ``None``: every type the engine
        has (dense, sparse, toeplitz).
    dt
        Simulation timestep [ms].
    batch_size
        Number of examples simulated in parallel.
    rng_seed
        Seed of the engine's random number generator (0 picks one from the OS).
    kernel_profiling
        Time every kind of kernel (pygenn's ``neuron_update_time``,
        ``presynaptic_update_time``, ``get_custom_update_time(name)``, ... on
        ``compiled_network.genn_model``, in seconds).
    communicator
        :class:`~ml_genn.communicators.Communicator` of a data-parallel run (e.g.
        ``ml_genn.communicators.MPI()``), or ``None``. Each rank then simulates
        ``batch_size / num_ranks`` examples of every batch (``batch_size`` must divide
        evenly); gradients are summed across ranks before each optimiser step and metrics
        reduced, so training equals one process with the whole batch.
    backend
        Registered backend name (``"cpu"`` by default) or a backend object.
    prefer_in_memory_connect
        Accepted for mlGeNN compatibility: connectivity is always held in memory here.
    precision
        ``"float"`` or ``"double"``: the engine's ``scalar`` type.
    **genn_kwargs
        Further options passed to the engine model.
    """

    def __init__(self, supported_matrix_type: Optional[Sequence[Any]] = None, dt: float = 1.0,
                 batch_size: int = 1, rng_seed: int = 0, kernel_profiling: bool = False,
                 communicator: Any = None, backend: Any = "cpu",
                 prefer_in_memory_connect: bool = True, precision: str = "float",
                 **genn_kwargs: Any):
        if supported_matrix_type is None:
            supported_matrix_type = list(SynapseMatrixType)
        elif isinstance(supported_matrix_type, SupportedMatrixType):
            supported_matrix_type = supported_matrix_type.types
        supported_matrix_type = list(supported_matrix_type)
        bad = [m for m in supported_matrix_type if not isinstance(m, SynapseMatrixType)]
        if bad or not supported_matrix_type:
            raise InvalidTypeError(
                f"{type(self).__name__} supported_matrix_type must be a non-empty "
                f"list of ml_genn.engine.SynapseMatrixType values (most preferred "
                f"first), got {supported_matrix_type!r}")
        self.supported_matrix_type = SupportedMatrixType(supported_matrix_type)
        owner = type(self).__name__
        if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, Real):
            raise InvalidTypeError(f"{owner} dt must be a positive number of ms, got "
                                   f"{type(dt).__name__}: {dt!r}")
        # NaN compares false with everything and infinity leaves no timesteps: both would
        # simulate garbage rather than fail
        if not (math.isfinite(dt) and dt > 0):
            raise InvalidValueError(f"{owner} dt must be a positive, finite number of ms, got "
                                    f"{dt!r}")
        if not _MIN_DT <= dt <= _MAX_DT:
            # The engine computes in single precision by default, where such a dt is 0 or inf
            raise InvalidValueError(f"{owner} dt must lie between {_MIN_DT:.3g} and "
                                    f"{_MAX_DT:.3g} ms (the engine's float range), got {dt!r}")
        check_int(owner, "batch_size", batch_size, 1, "a positive integer")
        check_int(owner, "rng_seed", rng_seed, 0,
                   "a non-negative integer below 2**64 (0: seed from the OS)", 2 ** 64)
        if precision not in ("float", "double"):
            raise InvalidValueError(f"{type(self).__name__} precision must be 'float' or 'double', "
                                    f"got {precision!r}")
        if not isinstance(kernel_profiling, (bool, np.bool_)):
            raise InvalidTypeError(f"{type(self).__name__} kernel_profiling must be True or False, "
                                   f"got {kernel_profiling!r}")
        self.kernel_profiling = bool(kernel_profiling)
        self._check_backend(backend, genn_kwargs)
        self.dt = float(dt)
        self.communicator = _check_communicator(owner, communicator, batch_size)
        #: The batch of all ranks together (mlGeNN's name); ``batch_size`` is this rank's share
        self.full_batch_size = int(batch_size)
        num_ranks = 1 if communicator is None else int(communicator.num_ranks)
        self.batch_size = int(batch_size) // num_ranks
        self.rng_seed = int(rng_seed)
        self.backend = backend
        self.prefer_in_memory_connect = prefer_in_memory_connect
        self.precision = precision
        self.genn_kwargs = genn_kwargs

    def _shared_seed(self) -> int:
        """The engine seed: ``rng_seed``, or, when it is 0 in a multi-rank run, one rank 0
        draws and every rank takes, so that all ranks build the same connectivity and initial
        weights."""
        if self.communicator is None or self.rng_seed != 0 or \
                int(self.communicator.num_ranks) == 1:
            return self.rng_seed
        seed = np.zeros(1, dtype=np.uint64)
        if int(self.communicator.rank) == 0:
            seed[0] = int.from_bytes(os.urandom(8), "little") or 1
        self.communicator.broadcast(seed, 0)
        return int(seed[0])

    def _check_backend(self, backend: Any, options: Dict[str, Any]) -> None:
        """Resolve the backend now (a GPU backend name without its plugin is an error saying
        what to install), and refuse keyword arguments that neither this compiler nor its
        backend takes: mlGeNN passes ``**genn_kwargs`` to GeNN, where a misspelt option would
        be an error too."""
        from ..plugins.manager import get_registry
        from difflib import get_close_matches
        if isinstance(backend, str):
            registry = get_registry().kind("backend")
            if backend not in registry and backend in _PYGENN_BACKENDS:
                from ..plugins.errors import PluginNotInstalledError
                raise PluginNotInstalledError(
                    f"{type(self).__name__} backend '{backend}' runs on GeNN through pygenn: "
                    f"it needs pygenn (built from GeNN's source, as GeNN's installation guide "
                    f"says) and the plugin distribution 'ml-genn-pygenn' (pip install "
                    f"./plugins/genn), which registers GeNN's backends only where pygenn "
                    f"imports; 'ml-genn doctor' says what is missing. Or use backend='cpu'")
            backend_class = registry.get(backend)
        else:
            backend_class = type(backend)
        #: The resolved backend's class (what it can do: e.g. ``native_variable_recording``)
        self.backend_class = backend_class
        if not options:
            return
        unknown = [k for k in options if k not in backend_class.model_options]
        if not unknown:
            return
        own = [p for c in type(self).__mro__ if "__init__" in vars(c)
               for p in inspect.signature(c.__init__).parameters if p not in ("self", "kwargs",
                                                                             "genn_kwargs")]
        advice = []
        for k in unknown:
            close = get_close_matches(k, own + list(backend_class.model_options), n=1)
            advice.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        takes = ", ".join(backend_class.model_options) or "none"
        raise InvalidTypeError(
            f"{type(self).__name__} got unexpected keyword argument(s) "
            f"{', '.join(advice)}: not a parameter of {type(self).__name__}, nor an "
            f"option of backend '{getattr(backend_class, 'name', backend_class)}' "
            f"(its options: {takes})")

    # ------------------------------------------------------------------ hooks
    def pre_compile(self, network: Any, model_spec: ModelSpec, **kwargs: Any) -> Any:
        """Called before anything is added to the model; returns the compile state object
        passed to every other hook."""
        return None

    def build_neuron_model(self, pop: Any, model: NeuronModelBuilder, compile_state: Any) -> NeuronModelBuilder:
        """Amend a population's neuron model (e.g. add readouts); returns the model."""
        return model

    def build_synapse_model(self, conn: Any, model: SynapseModelBuilder, compile_state: Any) -> SynapseModelBuilder:
        """Amend a connection's postsynaptic model; returns the model."""
        return model

    def weight_access(self, conn: Any, compile_state: Any) -> Any:
        """Access mode of the weight variable ``g`` (shared across the batch by default)."""
        return VarAccess.READ_ONLY

    def build_weight_update_model(self, conn: Any, connect_snippet: ConnectivitySnippet,
                                  compile_state: Any) -> WeightUpdateModelBuilder:
        """The weight update model of a connection: add ``g`` to the target on each spike,
        through a per-synapse dendritic delay ``d`` when delays vary between synapses."""
        model = WeightUpdateModelBuilder("StaticPulse")
        model.add_var("g", connect_snippet.weight, "scalar", self.weight_access(conn, compile_state))
        if self.has_synapse_delays(connect_snippet):
            delay = connect_snippet.delay
            model.add_var("d", np.rint(delay).reshape(-1) if is_value_array(delay)
                          else engine_value(delay), "scalar", VarAccess.READ_ONLY)
            model.code["pre_spike_syn_code"] = "addToPostDelay(g, d);"
        else:
            model.code["pre_spike_syn_code"] = "addToPost(g);"
        return model

    def add_custom_updates(self, model_spec: ModelSpec, compile_state: Any,
                           neuron_groups: Dict[Any, Any], synapse_groups: Dict[Any, Any]) -> None:
        """Add custom updates once every population and connection is in the model."""

    def add_custom_update(self, genn_model: ModelSpec, model: Any, group: str, name: str) -> Any:
        """Add a custom update to model (mlGeNN 2.4's name and arguments).

        Constant parameter values stay parameters (dynamic ones marked so), array- or
        initializer-valued ones become read-only variables; variables get their initial
        values, ``var_refs``/``egp_refs`` are connected and extra global parameters filled.

        Parameters
        ----------
        genn_model
            The model being built.
        model
            Custom update model to add: a :class:`ml_genn.utils.model.CustomUpdateModel` (a
            GeNN 5 model dictionary with ``update_code``, ``vars``, ``var_refs``,
            ``extra_global_param_refs`` ... and their values) or an engine
            ``CustomUpdateModelBuilder`` (what this package's optimisers return).
        group
            Name of custom update group to associate update with (run with
            ``custom_update(group)``).
        name
            Name of custom update.

        Returns
        -------
        The engine custom update group (for ``create_var_ref``/``create_egp_ref``).
        """
        from ..utils.model import CustomUpdateModel
        from ..utils.model_builder import CustomUpdateModelBuilder
        if not isinstance(model, (CustomUpdateModel, CustomUpdateModelBuilder)):
            raise InvalidTypeError(f"add_custom_update '{name}': model must be a "
                                   f"CustomUpdateModel, got {type(model).__name__}")
        return as_builder(model, name).add_to_model(genn_model, name, group)

    def add_custom_connectivity_update(self, genn_model: ModelSpec, model: Any, synapse_group: Any,
                                       group: str, name: str) -> Any:
        """Add a custom connectivity update (mlGeNN 2.4's name and arguments).

        Parameters
        ----------
        genn_model
            The model being built.
        model
            :class:`ml_genn.utils.model.CustomConnectivityUpdateModel`: a GeNN 5 model
            dictionary (``row_update_code``, ``vars``, ``pre_vars``, ``var_refs`` ...) and values.
        synapse_group
            The SPARSE synapse group whose rows it updates.
        group
            Update group name (run with ``custom_update(group)``).
        name
            Name of the custom connectivity update.
        """
        from ..engine import create_custom_connectivity_update_model
        from ..utils.model import CustomConnectivityUpdateModel
        if not isinstance(model, CustomConnectivityUpdateModel):
            raise InvalidTypeError(f"add_custom_connectivity_update '{name}': model must be a "
                                   f"CustomConnectivityUpdateModel, got {type(model).__name__}")
        (ccu_model, param_vals, dynamic_names, var_vals, egp_vals, var_egp_vals, pre_var_vals,
         post_var_vals, var_refs, pre_var_refs, post_var_refs, egp_refs) = model.process()
        known = inspect.signature(create_custom_connectivity_update_model).parameters
        unknown = sorted(k for k in ccu_model if k not in known or k == "class_name")
        if unknown:
            raise InvalidValueError(f"add_custom_connectivity_update '{name}': model keys {unknown} are "
                                    f"not supported; expected some of "
                                    f"{sorted(k for k in known if k != 'class_name')}")
        if any(var_egp_vals.values()):
            raise NotImplementedError(f"add_custom_connectivity_update '{name}': var-init snippets with "
                                      f"extra global parameters are not supported by the engine yet")
        engine_model = create_custom_connectivity_update_model("CustomConnectivityUpdate", **ccu_model)

        def values(vals):
            return {n: engine_value(v) for n, v in vals.items()}
        ccu = genn_model.add_custom_connectivity_update(
            name, group, synapse_group, engine_model, dict(param_vals), values(var_vals),
            values(pre_var_vals), values(post_var_vals), var_refs, pre_var_refs, post_var_refs,
            egp_refs)
        for n in dynamic_names:
            ccu.set_param_dynamic(n)
        for n, v in egp_vals.items():
            ccu.extra_global_params[n].set_init_values(v)
        return ccu

    def create_compiled_network(self, built_model: Any, neuron_populations: Dict[Any, str],
                                connection_populations: Dict[Any, str], compile_state: Any) -> Any:
        """Wrap the built model in a compiled network."""
        raise NotImplementedError(f"{type(self).__name__} does not implement create_compiled_network()")

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def has_synapse_delays(connect_snippet: ConnectivitySnippet) -> bool:
        """Whether delays vary per synapse (an array or an Initializer)."""
        return not is_value_constant(connect_snippet.delay) and connect_snippet.delay is not None

    # ------------------------------------------------------------------ compile
    def compile(self, network: Any, name: str = "", **kwargs: Any) -> Any:
        """Compile ``network`` into a compiled network.

        Parameters
        ----------
        network
            The :class:`ml_genn.Network` (or SequentialNetwork) to compile.
        name
            Name of the engine model (letters, digits, ``_``, ``-``, ``.``).
        **kwargs
            Compiler-specific options passed to :meth:`pre_compile`.
        """
        from ..backends import Backend
        from ..plugins.manager import call_each, get_plugin_manager
        from ..utils.module import get_object

        get_plugin_manager().validate_network(network, self)
        model_name = re.sub(r"[^A-Za-z0-9_.\-]", "_", name or type(self).__name__)
        spec = ModelSpec(self.precision, model_name, **self.genn_kwargs)
        spec.timing_enabled = self.kernel_profiling
        # Compiled networks reset state between batches from the host
        spec.host_update_groups.add("Reset")
        spec.dt, spec.batch_size, spec.seed = self.dt, self.batch_size, self._shared_seed()
        compile_state = self.pre_compile(network, spec, **kwargs)

        taken: set = set()
        neuron_populations: Dict[Any, str] = {}
        neuron_groups: Dict[Any, Any] = {}
        for pop in network.populations:
            model = as_builder(pop.neuron.get_model(pop, self.dt, self.batch_size),
                               type(pop.neuron).__name__)
            model = as_builder(self.build_neuron_model(pop, model, compile_state),
                               type(pop.neuron).__name__)
            engine_model, params, vars_ = model.build()
            group_name = _identifier(pop.name, taken)
            group = spec.add_neuron_population(group_name, pop.num_neurons, engine_model, params, vars_)
            model.apply_to_group(group)
            group.spike_recording_enabled = pop.record_spikes
            group.spike_event_recording_enabled = pop.record_spike_events
            neuron_populations[pop] = group_name
            neuron_groups[pop] = group

        connection_populations: Dict[Any, str] = {}
        synapse_groups: Dict[Any, Any] = {}
        self.connect_snippets: Dict[Any, ConnectivitySnippet] = {}
        for conn in network.connections:
            snippet = conn.connectivity.get_snippet(conn, self.supported_matrix_type)
            where = f"Connection '{conn.name}'"
            snippet.weight = resolve_kernel_init(snippet.weight, snippet, where)
            snippet.delay = resolve_kernel_init(snippet.delay, snippet, where)
            if snippet.matrix_type not in self.supported_matrix_type:
                raise NotImplementedError(
                    f"{type(self).__name__} does not support {snippet.matrix_type.name} "
                    f"connectivity, which {type(conn.connectivity).__name__} on Connection "
                    f"'{conn.name}' needs (it supports "
                    f"{', '.join(m.name for m in self.supported_matrix_type.types)})")
            psm = as_builder(conn.synapse.get_model(conn, self.dt, self.batch_size),
                             type(conn.synapse).__name__)
            psm = as_builder(self.build_synapse_model(conn, psm, compile_state),
                             type(conn.synapse).__name__)
            wum = as_builder(self.build_weight_update_model(conn, snippet, compile_state),
                             f"{type(self).__name__}WeightUpdate")
            group_name = _identifier(conn.name, taken)
            group = spec.add_synapse_population(group_name, snippet.matrix_type,
                                                neuron_populations[conn.source],
                                                neuron_populations[conn.target],
                                                wum.build(), psm.build(), snippet.snippet)
            wum.apply_to_group(group)
            psm.apply_to_group(group)
            if snippet.pre_ind is not None:
                group.set_sparse_connections(snippet.pre_ind, snippet.post_ind)
                group.max_connections = snippet.max_row_length
            if self.has_synapse_delays(snippet):
                largest = conn.max_delay_steps if conn.max_delay_steps is not None \
                    else int(np.max(np.rint(snippet.delay)))
                group.max_dendritic_delay_timesteps = largest + 1
            elif is_value_constant(snippet.delay) and snippet.delay > 0:
                group.axonal_delay_steps = int(round(snippet.delay))
            connection_populations[conn] = group_name
            synapse_groups[conn] = group
            self.connect_snippets[conn] = snippet

        self.add_custom_updates(spec, compile_state, neuron_groups, synapse_groups)
        call_each("ml_genn_amend_model_spec", model_spec=spec, network=network, compiler=self)
        backend = get_object(self.backend, Backend, f"{type(self).__name__} backend", "backend")
        built = backend.build(spec)
        compiled = self.create_compiled_network(built, neuron_populations, connection_populations,
                                                compile_state)
        # A checkpoint loaded into the network (Network.load) is where training resumes from
        if hasattr(compiled, "resume_from"):
            compiled.resume_from = getattr(network, "loaded_checkpoint", None)
        compiled.communicator = self.communicator
        call_each("ml_genn_network_compiled", compiled_network=compiled, network=network,
                  compiler=self)
        return compiled
