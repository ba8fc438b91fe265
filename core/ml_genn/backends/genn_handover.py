"""Who answers to ``backend="single_threaded_cpu"``: GeNN's single-threaded CPU backend when
the ``ml-genn-pygenn`` plugin and pygenn are installed, the cpu engine otherwise.

mlGeNN users pass that name for GeNN's CPU backend. Where GeNN is installed it means GeNN;
everywhere else the cpu engine runs it (same results), so scripts work unchanged without
pygenn. Core registers its names before any plugin, so core steps aside for the name instead
of the plugin taking it over.
"""
from __future__ import annotations

import os
from importlib.util import find_spec

#: The plugin's entry-point name and distribution (either switches it off when disabled)
GENN_PLUGIN_NAMES = ("genn", "ml-genn-pygenn")


def _found(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def genn_takes_single_threaded_cpu() -> bool:
    """Whether ``ml-genn-pygenn`` will register ``single_threaded_cpu``: it and pygenn are
    installed (found, not imported: this runs when the registry is built), and the
    environment does not switch the plugin off (``ML_GENN_DISABLE_PLUGIN_AUTOLOAD``, or
    ``ML_GENN_DISABLED_PLUGINS`` naming ``genn`` or ``ml-genn-pygenn``)."""
    from ..plugins.manager import _env_flag, _normalise_distribution
    if _env_flag("ML_GENN_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    disabled = {_normalise_distribution(d.strip())
                for d in os.environ.get("ML_GENN_DISABLED_PLUGINS", "").split(",") if d.strip()}
    if disabled & set(GENN_PLUGIN_NAMES):
        return False
    return _found("ml_genn_pygenn") and _found("pygenn")
