"""References to variables and extra global params of other groups."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .errors import ModelSpecError

#: Where a referenced variable lives inside its group.
NEURON, CUSTOM_UPDATE, PSM, WU, WU_PRE, WU_POST = "neuron", "custom_update", "psm", "wu", "wu_pre", "wu_post"
#: A custom connectivity update's per-synapse, presynaptic and postsynaptic variables
CCU, CCU_PRE, CCU_POST = "ccu", "ccu_pre", "ccu_post"
#: ``group_kind`` of a custom connectivity update (:mod:`.groups`)
_CCU_GROUP = "custom_connectivity_update"


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
    """A reference to extra global param ``egp_name`` of ``group`` (kind: neuron, psm, wu,
    custom_update or custom_connectivity_update)."""
    group: Any
    egp_name: str
    kind: str


def _check(group, var_name, fn):
    if not hasattr(group, "name") or not hasattr(group, "model_spec"):
        raise ModelSpecError(f"{fn} needs a group returned by ModelSpec.add_*, got {group!r}")
    if not isinstance(var_name, str):
        raise ModelSpecError(f"{fn} needs a variable name string, got {var_name!r}")


def _is_ccu(group: Any) -> bool:
    return getattr(group, "group_kind", None) == _CCU_GROUP


def _refuse_connectivity_update(group: Any, function: str) -> None:
    # GeNN 5 has no create_var_ref overload for a custom connectivity update: its variables
    # come in three shapes, each with its own function
    if _is_ccu(group):
        raise ModelSpecError(
            f"{function}: '{group.name}' is a custom connectivity update; reference its "
            f"presynaptic variables with create_pre_var_ref, its postsynaptic variables with "
            f"create_post_var_ref and its per-synapse variables with create_wu_var_ref")


def _ccu_var_ref(group: Any, var_name: str, function: str, kind: str, what: str) -> VarRef:
    _check(group, var_name, function)
    if not _is_ccu(group):
        raise ModelSpecError(
            f"{function}: needs a custom connectivity update (ModelSpec.add_custom_connectivity_update) "
            f"to reference one of its {what} variables, got {group.describe()}; use create_var_ref "
            f"for a population's or custom update's variable")
    return VarRef(group, var_name, kind)


def create_pre_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a presynaptic variable (one value per presynaptic neuron, shared across the
    batch) of a custom connectivity update, as GeNN 5's ``create_pre_var_ref``.

    Custom connectivity updates take it as a pre var ref (its update's source must have as many
    neurons) and custom updates as a var ref.

    Parameters
    ----------
    group
        A custom connectivity update from :meth:`ModelSpec.add_custom_connectivity_update`.
    var_name
        The name of one of its ``pre_vars``.
    """
    return _ccu_var_ref(group, var_name, "create_pre_var_ref", CCU_PRE, "presynaptic")


def create_post_var_ref(group: Any, var_name: str) -> VarRef:
    """Reference a postsynaptic variable (one value per postsynaptic neuron, shared across the
    batch) of a custom connectivity update, as GeNN 5's ``create_post_var_ref``.

    Custom connectivity updates take it as a post var ref (its update's target must have as
    many neurons) and custom updates as a var ref.

    Parameters
    ----------
    group
        A custom connectivity update from :meth:`ModelSpec.add_custom_connectivity_update`.
    var_name
        The name of one of its ``post_vars``.
    """
    return _ccu_var_ref(group, var_name, "create_post_var_ref", CCU_POST, "postsynaptic")


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
        Synapse group, or a custom update or custom connectivity update on one (a custom
        connectivity update's per-synapse variables are stored with its synapse group's
        synapses and move with them).
    var_name
        The variable's name.
    transpose_sg, transpose_var_name
        A DENSE synapse group whose pre/post are ``group``'s post/pre; after the custom
        update, ``transpose_var_name`` there holds the transpose of the updated values.
    """
    _check(group, var_name, "create_wu_var_ref")
    if (transpose_sg is None) != (transpose_var_name is None):
        raise ModelSpecError("create_wu_var_ref: give both transpose_sg and transpose_var_name or neither")
    if _is_ccu(group):
        if transpose_sg is not None:
            raise ModelSpecError(f"create_wu_var_ref: '{group.name}' is a custom connectivity update, "
                                 f"whose synapses are SPARSE; a transpose needs DENSE synapse groups")
        return VarRef(group, var_name, CCU)
    kind = CUSTOM_UPDATE if getattr(group, "group_kind", None) == "custom_update" else WU
    return VarRef(group, var_name, kind, transpose_sg, transpose_var_name)


def create_egp_ref(group: Any, egp_name: str) -> EGPRef:
    """Reference an extra global param of a neuron group, custom update or custom
    connectivity update (GeNN 5's overloads; a synapse group's weight update model EGP is
    accepted too, as :func:`create_wu_egp_ref`).

    Parameters
    ----------
    group
        The group owning the EGP.
    egp_name
        Its name.
    """
    _check(group, egp_name, "create_egp_ref")
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
