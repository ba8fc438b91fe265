"""Model and snippet classes of the IR (GeNN 5's model concepts).

Instances are made by the ``create_*`` factory functions in :mod:`.factories`.
They are immutable descriptions: which params, vars and code strings a model has.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .access import VarAccess, VarAccessMode


@dataclass(frozen=True)
class Var:
    """A model variable: name, type name and access mode."""
    name: str
    type: str
    access: Any = VarAccess.READ_WRITE


@dataclass(frozen=True)
class VarRefDecl:
    """A variable reference a model declares: name, type and access mode."""
    name: str
    type: str
    access: VarAccessMode = VarAccessMode.READ_WRITE


@dataclass(frozen=True)
class EGPDecl:
    """An extra global parameter: a named array (pointer type) or scalar set from Python."""
    name: str
    type: str

    @property
    def is_pointer(self) -> bool:
        return self.type.endswith("*")

    @property
    def value_type(self) -> str:
        return self.type[:-1].strip() if self.is_pointer else self.type


@dataclass(frozen=True)
class ModelBase:
    """Fields every model and snippet shares."""
    class_name: str
    params: Tuple[Tuple[str, str], ...] = ()
    derived_params: Tuple[Tuple[str, Callable[..., Any]], ...] = ()
    extra_global_params: Tuple[EGPDecl, ...] = ()

    @property
    def param_names(self) -> List[str]:
        return [p[0] for p in self.params]

    def code_fields(self) -> Dict[str, str]:
        """Code strings of this model by field name (empty ones left out)."""
        return {}


@dataclass(frozen=True)
class NeuronModel(ModelBase):
    """A neuron model (see :func:`create_neuron_model`)."""
    vars: Tuple[Var, ...] = ()
    sim_code: str = ""
    threshold_condition_code: str = ""
    reset_code: str = ""
    additional_input_vars: Tuple[Tuple[str, str, float], ...] = ()
    auto_refractory_required: bool = False

    def code_fields(self) -> Dict[str, str]:
        return {k: v for k, v in (("sim_code", self.sim_code),
                                  ("threshold_condition_code", self.threshold_condition_code),
                                  ("reset_code", self.reset_code)) if v}


@dataclass(frozen=True)
class PostsynapticModel(ModelBase):
    """A postsynaptic model (see :func:`create_postsynaptic_model`)."""
    vars: Tuple[Var, ...] = ()
    neuron_var_refs: Tuple[VarRefDecl, ...] = ()
    sim_code: str = ""

    def code_fields(self) -> Dict[str, str]:
        return {"sim_code": self.sim_code} if self.sim_code else {}


_WU_CODE_FIELDS = ("pre_spike_syn_code", "pre_event_syn_code", "post_event_syn_code",
                   "post_spike_syn_code", "synapse_dynamics_code",
                   "pre_event_threshold_condition_code", "post_event_threshold_condition_code",
                   "pre_spike_code", "post_spike_code", "pre_dynamics_code", "post_dynamics_code")


@dataclass(frozen=True)
class WeightUpdateModel(ModelBase):
    """A weight update model (see :func:`create_weight_update_model`)."""
    vars: Tuple[Var, ...] = ()
    pre_vars: Tuple[Var, ...] = ()
    post_vars: Tuple[Var, ...] = ()
    pre_neuron_var_refs: Tuple[VarRefDecl, ...] = ()
    post_neuron_var_refs: Tuple[VarRefDecl, ...] = ()
    pre_spike_syn_code: str = ""
    pre_event_syn_code: str = ""
    post_event_syn_code: str = ""
    post_spike_syn_code: str = ""
    synapse_dynamics_code: str = ""
    pre_event_threshold_condition_code: str = ""
    post_event_threshold_condition_code: str = ""
    pre_spike_code: str = ""
    post_spike_code: str = ""
    pre_dynamics_code: str = ""
    post_dynamics_code: str = ""

    def code_fields(self) -> Dict[str, str]:
        return {f: getattr(self, f) for f in _WU_CODE_FIELDS if getattr(self, f)}


@dataclass(frozen=True)
class CustomUpdateModel(ModelBase):
    """A custom update model (see :func:`create_custom_update_model`)."""
    vars: Tuple[Var, ...] = ()
    var_refs: Tuple[VarRefDecl, ...] = ()
    extra_global_param_refs: Tuple[EGPDecl, ...] = ()
    update_code: str = ""

    def code_fields(self) -> Dict[str, str]:
        return {"update_code": self.update_code} if self.update_code else {}


@dataclass(frozen=True)
class VarInitSnippet(ModelBase):
    """Code that initialises one variable element: assign ``value``."""
    var_init_code: str = ""

    def code_fields(self) -> Dict[str, str]:
        return {"var_init_code": self.var_init_code}


@dataclass(frozen=True)
class SparseConnectInitSnippet(ModelBase):
    """Code run once per presynaptic row (``id_pre``) that calls ``addSynapse(id_post)``.

    ``calc_max_row_len_func(num_pre, num_post, params)`` bounds the row length.
    """
    row_build_code: str = ""
    calc_max_row_len_func: Optional[Callable[..., int]] = None
    calc_max_col_len_func: Optional[Callable[..., int]] = None

    def code_fields(self) -> Dict[str, str]:
        return {"row_build_code": self.row_build_code}


@dataclass(frozen=True)
class ToeplitzConnectInitSnippet(ModelBase):
    """A convolution-like connectivity with a shared kernel.

    Built-in kinds ("Conv2D", "AvgPoolConv2D") are executed natively by the backend;
    ``calc_kernel_size_func(params)`` returns the kernel's shape, and
    ``calc_max_row_len_func(num_pre, num_post, params)`` bounds the targets of one row.
    """
    diagonal_build_code: str = ""
    calc_max_row_len_func: Optional[Callable[..., int]] = None
    calc_kernel_size_func: Optional[Callable[..., Any]] = None
    builtin_kind: Optional[str] = None


@dataclass(frozen=True)
class CustomConnectivityUpdateModel(ModelBase):
    """A custom connectivity update model (see :func:`create_custom_connectivity_update_model`).

    ``row_update_code`` runs once per presynaptic neuron (``id_pre``) of a SPARSE synapse group
    and may walk the row with ``for_each_synapse { ... }``, ``remove_synapse()`` the current
    synapse there and ``add_synapse(id_post, ...)`` new ones. ``host_update_code`` runs once
    per call, before the rows, over whole pre/post var and extra global param arrays.
    """
    vars: Tuple[Var, ...] = ()
    pre_vars: Tuple[Var, ...] = ()
    post_vars: Tuple[Var, ...] = ()
    var_refs: Tuple[VarRefDecl, ...] = ()
    pre_var_refs: Tuple[VarRefDecl, ...] = ()
    post_var_refs: Tuple[VarRefDecl, ...] = ()
    extra_global_param_refs: Tuple[EGPDecl, ...] = ()
    row_update_code: str = ""
    host_update_code: str = ""

    def code_fields(self) -> Dict[str, str]:
        return {k: v for k, v in (("row_update_code", self.row_update_code),
                                  ("host_update_code", self.host_update_code)) if v}
