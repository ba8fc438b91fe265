"""References to variables and extra global params of other groups."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .errors import ModelSpecError

#: Where a referenced variable lives inside its group.
NEURON, CUSTOM_UPDATE, PSM, WU, WU_PRE, WU_POST = "neuron", "custom_update", "psm", "wu", "wu_pre", "wu_post"


@dataclass(frozen=True, eq=False)
class VarRef:
    """A reference to variable ``var_name`` of ``group`` (kind says which var set).

    ``transpose_group``/``transpose_var_name`` (weight refs only): after a custom update,
    the value is also written transposed into that DENSE group's variable.
    """
    group: Any
    var_name: str
    kind: str
    transpose_group: Any = None
    transpose_var_name: Optional[str] = None


@dataclass(frozen=True, eq=False)
class EGPRef:
    """A reference to extra global param ``egp_name`` of ``group`` (kind: neuron/psm/wu/custom_update)."""
    group: Any
    egp_name: str
    kind: str


def _check(group, var_name, fn):
    if not hasattr(group, "name") or not hasattr(group, "model_spec"):
        raise ModelSpecError(f"{fn} needs a group returned by ModelSpec.add_*, got {group!r}")
    if not isinstance(var_name, str):
        raise ModelSpecError(f"{fn} needs a variable name string, got {var_name!r}")


def _refuse_connectivity_update(group: Any, function: str) -> None:
    # Its variables and EGPs are laid out for its own rows only; other groups cannot read them
    if getattr(group, "group_kind", None) == "custom_connectivity_update":
        raise ModelSpecError(
            f"{function}: '{group.name}' is a custom connectivity update, whose variables and "
            f"extra global params other groups cannot reference; let another group own the "
            f"array and reference it from the connectivity update")


def create_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a neuron group's (or custom update's) variable.

    Parameters
    ----------
    group
        A neuron group or custom update from :class:`ModelSpec`.
    var_name
        The variable's name.
    """
    _check(group, var_name, "create_var_ref")
    _refuse_connectivity_update(group, "create_var_ref")
    kind = CUSTOM_UPDATE if getattr(group, "group_kind", None) == "custom_update" else NEURON
    if getattr(group, "group_kind", None) == "synapse":
        raise ModelSpecError(f"create_var_ref: '{group.name}' is a synapse group; use create_wu_var_ref, "
                             f"create_psm_var_ref, create_wu_pre_var_ref or create_wu_post_var_ref")
    return VarRef(group, var_name, kind)


def create_psm_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a postsynaptic model variable of a synapse group.

    Parameters
    ----------
    group
        Synapse group.
    var_name
        The postsynaptic model variable's name.
    """
    _check(group, var_name, "create_psm_var_ref")
    return VarRef(group, var_name, PSM)


def create_wu_pre_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a weight update model presynaptic variable.

    Parameters
    ----------
    group
        Synapse group.
    var_name
        The pre var's name.
    """
    _check(group, var_name, "create_wu_pre_var_ref")
    return VarRef(group, var_name, WU_PRE)


def create_wu_post_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a weight update model postsynaptic variable.

    Parameters
    ----------
    group
        Synapse group.
    var_name
        The post var's name.
    """
    _check(group, var_name, "create_wu_post_var_ref")
    return VarRef(group, var_name, WU_POST)


def create_wu_var_ref(group: Any, var_name: str, transpose_sg: Any = None,
                      transpose_var_name: Optional[str] = None) -> VarRef:
    """Reference a per-synapse weight update variable (optionally with a transpose).

    Parameters
    ----------
    group
        Synapse group (or a custom update on one).
    var_name
        The variable's name.
    transpose_sg, transpose_var_name
        A DENSE synapse group whose pre/post are ``group``'s post/pre; after the custom
        update, ``transpose_var_name`` there holds the transpose of the updated values.
    """
    _check(group, var_name, "create_wu_var_ref")
    if (transpose_sg is None) != (transpose_var_name is None):
        raise ModelSpecError("create_wu_var_ref: give both transpose_sg and transpose_var_name or neither")
    kind = CUSTOM_UPDATE if getattr(group, "group_kind", None) == "custom_update" else WU
    return VarRef(group, var_name, kind, transpose_sg, transpose_var_name)


def create_egp_ref(group: Any, egp_name: str) -> EGPRef:
    """Reference an extra global param of a neuron group or custom update.

    Parameters
    ----------
    group
        The group owning the EGP.
    egp_name
        Its name.
    """
    _check(group, egp_name, "create_egp_ref")
    _refuse_connectivity_update(group, "create_egp_ref")
    kind = getattr(group, "group_kind", "neuron")
    return EGPRef(group, egp_name, "wu" if kind == "synapse" else kind)


def create_psm_egp_ref(group: Any, egp_name: str) -> EGPRef:
    """Reference a postsynaptic model's extra global param.

    Parameters
    ----------
    group
        Synapse group.
    egp_name
        Its name.
    """
    _check(group, egp_name, "create_psm_egp_ref")
    return EGPRef(group, egp_name, "psm")


def create_wu_egp_ref(group: Any, egp_name: str) -> EGPRef:
    """Reference a weight update model's extra global param.

    Parameters
    ----------
    group
        Synapse group.
    egp_name
        Its name.
    """
    _check(group, egp_name, "create_wu_egp_ref")
    return EGPRef(group, egp_name, "wu")
