"""Every hook an ml_genn plugin can implement.

A plugin is a module (named by an entry point in the ``ml_genn.plugins`` group) holding functions
decorated with :data:`ml_genn.hookimpl` whose names match the specifications below. Core registers
its own built-in components through these very hooks, so a plugin is a peer of core, not a patch.

Registration hooks are called once, when the plugin registry is first needed, one plugin at a
time: a plugin whose hook raises is reported in a single warning and the others carry on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence

import pluggy

if TYPE_CHECKING:  # pragma: no cover - only for annotations
    from .plugins.registry import KindRegistry

PROJECT_NAME = "ml_genn"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------
# Component registration
# ---------------------------------------------------------------------------
@hookspec
def ml_genn_register_neurons(registry: "KindRegistry") -> None:
    """Register neuron models (subclasses of :class:`ml_genn.neurons.Neuron`).

    Parameters
    ----------
    registry
        Registry for the ``"neuron"`` kind; call ``registry.add(name, target)`` where ``target``
        is a class or a lazy ``"module:Class"`` string. Names are snake_case
        (``"leaky_integrate_fire"``) and resolve in ``Population(neuron="...")``.

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_synapses(registry: "KindRegistry") -> None:
    """Register synapse models (subclasses of :class:`ml_genn.synapses.Synapse`).

    Parameters
    ----------
    registry
        Registry for the ``"synapse"`` kind (``"delta"``, ``"exponential"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_connectivity(registry: "KindRegistry") -> None:
    """Register connectivity classes (subclasses of :class:`ml_genn.connectivity.Connectivity`).

    Parameters
    ----------
    registry
        Registry for the ``"connectivity"`` kind (``"dense"``, ``"one_to_one"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_initializers(registry: "KindRegistry") -> None:
    """Register variable initializers (subclasses of :class:`ml_genn.initializers.Initializer`).

    Parameters
    ----------
    registry
        Registry for the ``"initializer"`` kind (``"normal"``, ``"uniform"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_readouts(registry: "KindRegistry") -> None:
    """Register readouts (subclasses of :class:`ml_genn.readouts.Readout`).

    Parameters
    ----------
    registry
        Registry for the ``"readout"`` kind (``"var"``, ``"avg_var"``, ``"spike_count"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_losses(registry: "KindRegistry") -> None:
    """Register loss functions (subclasses of :class:`ml_genn.losses.Loss`).

    Parameters
    ----------
    registry
        Registry for the ``"loss"`` kind (``"sparse_categorical_crossentropy"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_metrics(registry: "KindRegistry") -> None:
    """Register metrics (subclasses of :class:`ml_genn.metrics.Metric`).

    Parameters
    ----------
    registry
        Registry for the ``"metric"`` kind (``"sparse_categorical_accuracy"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_optimisers(registry: "KindRegistry") -> None:
    """Register optimisers (subclasses of :class:`ml_genn.optimisers.Optimiser`).

    Parameters
    ----------
    registry
        Registry for the ``"optimiser"`` kind (``"adam"``, ``"sgd"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_callbacks(registry: "KindRegistry") -> None:
    """Register callbacks (subclasses of :class:`ml_genn.callbacks.Callback`).

    Callbacks registered here are also reachable as attributes of :mod:`ml_genn.callbacks`
    by class name (``from ml_genn.callbacks import SpikeRecorder``).

    Parameters
    ----------
    registry
        Registry for the ``"callback"`` kind (``"batch_progress_bar"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_serialisers(registry: "KindRegistry") -> None:
    """Register checkpoint serialisers (subclasses of :class:`ml_genn.serialisers.Serialiser`).

    Parameters
    ----------
    registry
        Registry for the ``"serialiser"`` kind (``"numpy"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_compilers(registry: "KindRegistry") -> None:
    """Register compilers (subclasses of :class:`ml_genn.compilers.Compiler`).

    Compilers registered here are also reachable as attributes of :mod:`ml_genn.compilers`
    by class name, and their defining module's attributes (e.g. ``default_params``) through the
    mlGeNN module paths ``ml_genn.compilers.event_prop_compiler`` and
    ``ml_genn.compilers.eprop_compiler``.

    Parameters
    ----------
    registry
        Registry for the ``"compiler"`` kind (``"inference"``, ``"event_prop"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


@hookspec
def ml_genn_register_backends(registry: "KindRegistry") -> None:
    """Register engine backends (subclasses of :class:`ml_genn.backends.Backend`).

    Parameters
    ----------
    registry
        Registry for the ``"backend"`` kind (``"cpu"``, ``"genn"``, ...).

    Returns nothing. Called once per plugin when the registry is first built.
    """


# ---------------------------------------------------------------------------
# Network and compiler events
# ---------------------------------------------------------------------------
@hookspec
def ml_genn_validate_network(network: Any, compiler: Any) -> Optional[Sequence[str]]:
    """Check a network before a compiler compiles it.

    Parameters
    ----------
    network
        The :class:`ml_genn.Network` about to be compiled.
    compiler
        The compiler that is about to compile it.

    Returns
    -------
    A sequence of problems, each a sentence naming the offending object (or ``None``/empty when the
    network is fine). Problems from every plugin are gathered and raised together as one
    :class:`ml_genn.plugins.NetworkValidationError` before anything is built. Raising from this
    hook is treated as a plugin bug (reported as a warning), not as a verdict.

    Called by every compiler at the start of ``compile``, before any model is generated.
    """


@hookspec
def ml_genn_amend_model_spec(model_spec: Any, network: Any, compiler: Any) -> None:
    """Observe or amend the engine model before the backend builds it.

    Parameters
    ----------
    model_spec
        The :class:`ml_genn.engine.ModelSpec` the compiler generated; plugins may add groups or
        custom updates, or change parameters.
    network
        The network being compiled.
    compiler
        The compiler doing it.

    Returns nothing. Called after the compiler has generated the whole model, right before
    ``backend.build``.
    """


@hookspec
def ml_genn_network_compiled(compiled_network: Any, network: Any, compiler: Any) -> None:
    """Observe a freshly compiled network.

    Parameters
    ----------
    compiled_network
        The compiled network returned by ``compiler.compile``.
    network
        The source network.
    compiler
        The compiler that produced it.

    Returns nothing. Called once per ``compile`` call, after the backend has built the model.
    """


@hookspec
def ml_genn_run_callbacks(compiled_network: Any, mode: str) -> Optional[List[Any]]:
    """Add callbacks to every run (experiment tracking, profiling, ...).

    Parameters
    ----------
    compiled_network
        The compiled network about to run.
    mode
        ``"train"``, ``"evaluate"`` or ``"predict"``.

    Returns
    -------
    A list of callback objects (or names) to append to the user's callbacks for this run, or
    ``None``. Called at the start of every ``train``/``evaluate``/``predict`` call.
    """
