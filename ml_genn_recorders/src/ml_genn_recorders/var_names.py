"""Names of neuron variables: mlGeNN's (``"v"``) and the engine's (``"V"``).

A neuron model declares its values as :class:`ml_genn.utils.value.ValueDescriptor` attributes;
each names the engine variables or parameters it becomes. A recorder asked for ``"v"`` records
the engine variable that value becomes.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable

from ml_genn.utils.value import get_value_descriptors
from ml_genn.errors import InvalidValueError


def value_names(neuron: Any) -> Dict[str, str]:
    """mlGeNN value name -> the engine name recorded for it, for a neuron model.

    A value with several engine names maps to the first that equals the user's value
    unchanged (falling back to the first name).

    Parameters
    ----------
    neuron
        A neuron model object.
    """
    names = {}
    for name, descriptor in get_value_descriptors(neuron).items():
        plain = descriptor.untransformed_genn_names
        names[name] = plain[0] if plain else descriptor.genn_names[0]
    return names


def engine_var_name(pop: Any, var: str, owner: str) -> str:
    """The engine variable that mlGeNN variable ``var`` of ``pop``'s neuron becomes.

    Parameters
    ----------
    pop
        The recorded Population.
    var
        mlGeNN name, e.g. ``"v"``.
    owner
        Recorder description for the error message.

    Raises
    ------
    ValueError
        When the neuron model has no value called ``var``; the message lists those it has.
    """
    names = value_names(pop.neuron)
    if var not in names:
        available = ", ".join(f"'{n}'" for n in names) or "none"
        raise InvalidValueError(f"{owner}: {type(pop.neuron).__name__} neuron of Population "
                                f"'{pop.name}' has no variable '{var}' (its values: {available}); "
                                f"to record an engine variable by its internal name, pass "
                                f"genn_var='...' instead")
    return names[var]


def describe_recordable(pop: Any, engine_vars: Iterable[str]) -> str:
    """The variables of ``pop``'s engine group, with mlGeNN names where they have one.

    Parameters
    ----------
    pop
        The recorded Population.
    engine_vars
        Variable names of the engine group.
    """
    by_engine = {}
    for name, genn_name in value_names(pop.neuron).items():
        by_engine.setdefault(genn_name, name)
    parts = []
    for genn_name in engine_vars:
        mlgenn = by_engine.get(genn_name)
        parts.append(f"'{mlgenn}' (genn_var '{genn_name}')" if mlgenn
                     else f"genn_var '{genn_name}'")
    return ", ".join(parts) or "none"
