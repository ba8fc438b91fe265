"""Group *spec* objects returned by ``ModelSpec.add_*``.

Compilers set pygenn-5 properties on them (recording, delays, dynamic params, sparse
connections, initial values) before the model is built.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .errors import ModelSpecError


class VarSpec:
    """A variable of a group before build: its declaration and initial value.

    After :meth:`ModelSpec.finalize`, ``batched``, ``per_element``, ``num_elements`` and
    ``dtype`` describe its storage.
    """

    def __init__(self, owner: str, decl: Any, init: Any, read_only: bool):
        self.owner = owner
        self.name = decl.name
        self.type = decl.type
        self.access = decl.access
        self.read_only = read_only
        self.init = init
        self.batched = False
        self.per_element = True
        self.num_elements = 0
        self.dtype = None
        self.reduction = None  # (over, op) for custom update reduction targets

    def set_init_values(self, values: Any) -> None:
        """Set the initial value: a number, an array or an :func:`init_var` result."""
        self.init = values

    @property
    def description(self) -> str:
        return f"variable '{self.name}' of {self.owner}"


class EGPSpec:
    """An extra global parameter before build; ``set_init_values`` gives its contents."""

    def __init__(self, owner: str, decl: Any):
        self.owner = owner
        self.name = decl.name
        self.type = decl.type
        self.decl = decl
        self.values: Optional[np.ndarray] = None

    def set_init_values(self, values: Any) -> None:
        """Set the initial contents (array for pointer EGPs, number for scalar ones)."""
        self.values = np.asarray(values)


class _Group:
    group_kind = ""

    def __init__(self, model_spec, name):
        self.model_spec = model_spec
        self.name = name
        self.dynamic_params: Dict[str, set] = {}

    def _param_owner_models(self):
        return {}

    def set_param_dynamic(self, name: str, dynamic: bool = True) -> None:
        """Make parameter ``name`` changeable at run time (``set_dynamic_param_value``).

        For synapse groups the name may belong to the weight update or postsynaptic model.
        """
        for role, model in self._param_owner_models().items():
            if name in model.param_names:
                s = self.dynamic_params.setdefault(role, set())
                (s.add if dynamic else s.discard)(name)
                return
        raise ModelSpecError(f"{self.describe()}: cannot make {name!r} dynamic; it is not a parameter. "
                             f"Parameters: {sorted(n for m in self._param_owner_models().values() for n in m.param_names)}")

    def describe(self) -> str:
        return f"{type(self).__name__} '{self.name}'"


def _var_specs(owner, decls, values, what, read_only_fn):
    values = dict(values or {})
    specs = {}
    for d in decls:
        if d.name not in values:
            raise ModelSpecError(f"{owner}: no initial value for {what} '{d.name}'; give a number, "
                                 f"an array or init_var(...)")
        specs[d.name] = VarSpec(owner, d, values.pop(d.name), read_only_fn(d))
    if values:
        raise ModelSpecError(f"{owner}: unknown {what}(s) {sorted(values)}; the model declares "
                             f"{[d.name for d in decls]}")
    return specs


def _egp_specs(owner, decls):
    return {d.name: EGPSpec(owner, d) for d in decls}


class NeuronGroupSpec(_Group):
    """A neuron population (``ModelSpec.add_neuron_population``)."""
    group_kind = "neuron"

    def __init__(self, model_spec, name, num_neurons, model, params, vars):
        super().__init__(model_spec, name)
        self.num_neurons = num_neurons
        self.model = model
        self.params = dict(params or {})
        self.vars = _var_specs(self.describe(), model.vars, vars, "var", lambda d: d.access.read_only)
        self.extra_global_params = _egp_specs(self.describe(), model.extra_global_params)
        self.spike_recording_enabled = False
        self.spike_event_recording_enabled = False
        # Filled by finalize: synapse groups leaving / entering this population
        self.out_syn = []
        self.in_syn = []
        self.num_delay_slots = 1
        # Filled by finalize: variables synapse code reads with a delay (``X_post[d]``), by
        # name, and how many past values of each the backend keeps
        self.history_vars: Dict[str, VarSpec] = {}
        self.history_slots = 0

    def _param_owner_models(self):
        return {"neuron": self.model}

    def describe(self) -> str:
        return f"Population '{self.name}'"


class SynapseGroupSpec(_Group):
    """A synapse population (``ModelSpec.add_synapse_population``)."""
    group_kind = "synapse"

    def __init__(self, model_spec, name, matrix_type, source, target, wu_init, ps_init, connectivity_init):
        super().__init__(model_spec, name)
        self.matrix_type = matrix_type
        self.source = source
        self.target = target
        self.wu_init = wu_init
        self.ps_init = ps_init
        self.connectivity_init = connectivity_init
        d = self.describe()
        wu = wu_init.snippet
        self.wu_model = wu
        self.ps_model = ps_init.snippet
        self.wu_params = dict(wu_init.params)
        self.ps_params = dict(ps_init.params)
        self.vars = _var_specs(d, wu.vars, wu_init.vars, "weight update var", lambda v: v.access.read_only)
        self.pre_vars = _var_specs(d, wu.pre_vars, wu_init.pre_vars, "weight update pre var", lambda v: v.access.read_only)
        self.post_vars = _var_specs(d, wu.post_vars, wu_init.post_vars, "weight update post var", lambda v: v.access.read_only)
        self.psm_vars = _var_specs(d, self.ps_model.vars, ps_init.vars, "postsynaptic var", lambda v: v.access.read_only)
        self.extra_global_params = _egp_specs(d, wu.extra_global_params)
        self.psm_extra_global_params = _egp_specs(d, self.ps_model.extra_global_params)
        self.axonal_delay_steps = 0
        self.back_prop_delay_steps = 0
        self.max_dendritic_delay_timesteps = 1
        self.post_target_var = "Isyn"
        self.pre_target_var = "Isyn"
        self.sparse_pre_inds: Optional[np.ndarray] = None
        self.sparse_post_inds: Optional[np.ndarray] = None
        #: GeNN 5's ``max_connections``: with connectivity from ``set_sparse_connections``,
        #: the row capacity when it is larger than the longest given row (None: that row)
        self.max_connections: Optional[int] = None
        # Filled by finalize
        self.max_row_length = 0
        self.kernel_shape = ()
        self.sparse_order: Optional[np.ndarray] = None
        self.uses_dendritic_delay = False
        self.uses_add_to_pre = False
        self.delayed_post_refs: Dict[str, VarSpec] = {}

    def _param_owner_models(self):
        return {"wu": self.wu_model, "psm": self.ps_model}

    def describe(self) -> str:
        return f"Synapse group '{self.name}'"

    def set_sparse_connections(self, pre_inds: Any, post_inds: Any) -> None:
        """Give SPARSE connectivity as parallel arrays of pre and post indices.

        Parameters
        ----------
        pre_inds, post_inds
            Integer arrays of equal length; synapse ``k`` connects ``pre_inds[k]`` to
            ``post_inds[k]``.  Variable arrays are given in this order.
        """
        pre, post = np.asarray(pre_inds), np.asarray(post_inds)
        if pre.ndim != 1 or post.ndim != 1 or pre.shape != post.shape:
            raise ModelSpecError(f"{self.describe()}: set_sparse_connections needs two 1-D index arrays of "
                                 f"equal length, got shapes {pre.shape} and {post.shape}")
        if pre.size and not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
            raise ModelSpecError(f"{self.describe()}: sparse indices must be integers, got {pre.dtype} and {post.dtype}")
        self.sparse_pre_inds, self.sparse_post_inds = pre.astype(np.int64), post.astype(np.int64)

    @property
    def num_synapses(self) -> Optional[int]:
        """Number of synapses when known before load (DENSE, or SPARSE from indices)."""
        from .synapse_matrix_type import SynapseMatrixType
        if self.matrix_type is SynapseMatrixType.DENSE:
            return self.source.num_neurons * self.target.num_neurons
        if self.matrix_type is SynapseMatrixType.SPARSE and self.sparse_pre_inds is not None:
            return len(self.sparse_pre_inds)
        return None


class CustomUpdateSpec(_Group):
    """A custom update (``ModelSpec.add_custom_update``)."""
    group_kind = "custom_update"

    def __init__(self, model_spec, name, group_name, model, params, vars, var_refs, egp_refs):
        super().__init__(model_spec, name)
        self.update_group_name = group_name
        self.model = model
        self.params = dict(params or {})
        self.vars = _var_specs(self.describe(), model.vars, vars, "var", lambda d: d.access.read_only)
        self.var_refs = dict(var_refs or {})
        self.egp_refs = dict(egp_refs or {})
        self.extra_global_params = _egp_specs(self.describe(), model.extra_global_params)
        # Filled by finalize
        self.batched = False
        self.kind = "neuron"          # "neuron" (per element) or "wu" (per synapse)
        self.num_elements = 0
        self.synapse_group = None     # for "wu" updates

    def _param_owner_models(self):
        return {"cu": self.model}

    def describe(self) -> str:
        return f"Custom update '{self.name}'"


class CustomConnectivityUpdateSpec(_Group):
    """A custom connectivity update (``ModelSpec.add_custom_connectivity_update``).

    Runs ``row_update_code`` once per presynaptic neuron of ``synapse_group`` (SPARSE) when
    its update group is triggered.
    """
    group_kind = "custom_connectivity_update"

    def __init__(self, model_spec, name, group_name, synapse_group, model, params, vars, pre_vars,
                 post_vars, var_refs, pre_var_refs, post_var_refs, egp_refs):
        super().__init__(model_spec, name)
        d = self.describe()
        self.update_group_name = group_name
        self.synapse_group = synapse_group
        self.model = model
        self.params = dict(params or {})
        self.vars = _var_specs(d, model.vars, vars, "var", lambda v: False)
        self.pre_vars = _var_specs(d, model.pre_vars, pre_vars, "pre var", lambda v: False)
        self.post_vars = _var_specs(d, model.post_vars, post_vars, "post var", lambda v: False)
        self.var_refs = dict(var_refs or {})
        self.pre_var_refs = dict(pre_var_refs or {})
        self.post_var_refs = dict(post_var_refs or {})
        self.egp_refs = dict(egp_refs or {})
        self.extra_global_params = _egp_specs(d, model.extra_global_params)
        # Filled by finalize: name -> (decl, target VarSpec) for each kind of reference, and
        # every per-synapse variable that moves with its synapse (name -> VarSpec, by owner)
        self.resolved_var_refs: Dict[str, Any] = {}
        self.resolved_pre_var_refs: Dict[str, Any] = {}
        self.resolved_post_var_refs: Dict[str, Any] = {}
        self.resolved_egp_refs: Dict[str, Any] = {}
        self.dependent_vars: list = []

    def _param_owner_models(self):
        return {"ccu": self.model}

    def describe(self) -> str:
        return f"Custom connectivity update '{self.name}'"
