"""mlGeNN import paths for names that plugin distributions provide.

``from ml_genn.callbacks import SpikeRecorder`` and
``from ml_genn.compilers.event_prop_compiler import default_params`` must work when the plugin is
installed, and say which distribution to install when it is not. Core modules delegate their
module-level ``__getattr__`` to the functions here, which look names up in the registry by class
name, so any plugin's components become reachable at mlGeNN's paths without core knowing them.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Dict, Tuple

from .errors import PluginNotInstalledError
from .manager import get_registry

#: Names mlGeNN users import from core paths, and the distribution that provides each
PROVIDING_DISTRIBUTIONS: Dict[Tuple[str, str], Tuple[str, str]] = {
    ("callback", "SpikeRecorder"): ("ml-genn-recorders", "ml_genn_recorders"),
    ("callback", "VarRecorder"): ("ml-genn-recorders", "ml_genn_recorders"),
    ("callback", "ConnVarRecorder"): ("ml-genn-recorders", "ml_genn_recorders"),
    ("compiler", "EventPropCompiler"): ("ml-genn-eventprop", "ml_genn_eventprop"),
    ("compiler", "EPropCompiler"): ("ml-genn-eprop", "ml_genn_eprop"),
    ("callback", "EarlyStopping"): ("ml-genn-training", "plugins/training"),
    ("callback", "TerminateOnNaN"): ("ml-genn-training", "plugins/training"),
    **{("callback", name): ("ml-genn-training", "plugins/training")
       for name in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingWarmRestarts",
                    "LinearWarmup", "OneCycleLR", "ComposedSchedule", "ReduceLROnPlateau",
                    "GradientClipping", "GradientStats", "CSVLogger", "AllPredictionsSame",
                    "ModelCheckpoint", "ResumeTraining", "TensorBoard", "ExperimentFolder",
                    "TrainingHistoryPlot")},
}


def _install_advice(kind: str, class_name: str) -> str:
    distribution, folder = PROVIDING_DISTRIBUTIONS[(kind, class_name)]
    return (f"{class_name} is provided by the plugin distribution '{distribution}', which is not "
            f"installed (or failed to load; see 'ml-genn plugins'). Install it with "
            f"'pip install {distribution}' (from a source checkout: 'pip install -e ./{folder}')")


def resolve_class(kind: str, class_name: str, module_name: str) -> type:
    """The registered ``kind`` component whose class is called ``class_name``.

    Raises
    ------
    PluginNotInstalledError
        When a known plugin distribution provides the name but is not installed.
    AttributeError
        When nothing provides the name.
    """
    registry = get_registry()
    entry = registry.kind(kind).find_by_class_name(class_name)
    if entry is not None:
        return registry.get(kind, entry.name)
    if (kind, class_name) in PROVIDING_DISTRIBUTIONS:
        raise PluginNotInstalledError(_install_advice(kind, class_name))
    raise AttributeError(f"module '{module_name}' has no attribute '{class_name}'")


def default_classes(kind: str) -> Dict[str, type]:
    """mlGeNN's ``default_<kind>s`` dictionary: every registered ``kind`` class (core's and the
    installed plugins') that can be built without arguments, by its snake_case name, which is
    what passing the name as a string builds. A new dictionary each time: register a class
    through a plugin hook to make its name resolve, not by adding it here."""
    from ..utils.module import is_default_constructible
    registry = get_registry()
    found = {}
    for name in registry.kind(kind).names():
        cls = registry.get(kind, name)
        if is_default_constructible(cls):
            found[name] = cls
    return found


def module_getattr(kind: str, module_name: str,
                   defaults_name: str = "") -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving unknown attributes to registered ``kind`` classes,
    and ``defaults_name`` (e.g. ``"default_neurons"``) to :func:`default_classes`."""
    def __getattr__(name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
        if defaults_name and name == defaults_name:
            return default_classes(kind)
        return resolve_class(kind, name, module_name)
    return __getattr__


def forwarding_module_getattr(kind: str, class_name: str, module_name: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` forwarding to the module that defines a plugin's class.

    Used by shim modules such as ``ml_genn.compilers.event_prop_compiler`` so that
    ``default_params`` (and the class itself) come from whichever plugin provides it.
    """
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
        cls = resolve_class(kind, class_name, module_name)
        target_module = import_module(cls.__module__)
        try:
            return getattr(target_module, name)
        except AttributeError:
            raise AttributeError(f"module '{module_name}' (provided by {target_module.__name__}) "
                                 f"has no attribute '{name}'") from None
    return __getattr__
