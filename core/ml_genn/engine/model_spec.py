"""``ModelSpec``: the whole model a backend builds (pygenn 5's ``GeNNModel`` before build)."""
from __future__ import annotations

import re
from numbers import Number
from typing import Any, Dict, Optional, Union

import numpy as np

from . import refs as R
from .access import VarAccessMode
from .errors import ModelSpecError
from .groups import (CustomConnectivityUpdateSpec, CustomUpdateSpec, NeuronGroupSpec, SynapseGroupSpec,
                     VarSpec)
from .initialisers import (PostsynapticInit, SparseConnectivityInit, ToeplitzConnectivityInit,
                           VarInit, WeightUpdateInit)
from .models import CustomConnectivityUpdateModel, CustomUpdateModel, NeuronModel
from .names import check_label
from .synapse_matrix_type import SynapseMatrixType


def _uses(code: str, name: str) -> bool:
    return re.search(r"\b" + name + r"\b", code or "") is not None


#: Weight update code fields run per synapse, where ``X_post[d]`` (delayed read) is allowed
DELAYED_READ_FIELDS = ("pre_spike_syn_code", "pre_event_syn_code", "post_spike_syn_code",
                       "synapse_dynamics_code")


def indexed_use(code: str, name: str) -> bool:
    """Whether ``code`` subscripts ``name`` (``name[...]``), GeNN 5's delayed-read syntax."""
    return re.search(r"\b" + re.escape(name) + r"\s*\[", code or "") is not None


class ModelSpec:
    """A model made of neuron groups, synapse groups and custom updates.

    Parameters
    ----------
    precision
        "float" or "double": the type of ``scalar``.
    model_name
        Name of the model (used for the generated library and in messages).
    """

    def __init__(self, precision: str = "float", model_name: str = "model", **kwargs: Any):
        if precision not in ("float", "double"):
            raise ModelSpecError(f"ModelSpec precision must be 'float' or 'double', got {precision!r}")
        if not isinstance(model_name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", model_name):
            raise ModelSpecError(f"ModelSpec model_name must be letters, digits, '_', '-' or '.', got {model_name!r}")
        self.precision = precision
        self.model_name = model_name
        self.dt = 1.0
        self.batch_size = 1
        self.seed = 0
        self.timing_enabled = False
        # Custom update groups that mlGeNN's compilers run on the device and ours do on the
        # host or not at all: with profiling, their device time is 0 (pygenn names them)
        self.host_update_groups: set = set()
        self.backend_kwargs = kwargs
        self.neuron_populations: Dict[str, NeuronGroupSpec] = {}
        self.synapse_populations: Dict[str, SynapseGroupSpec] = {}
        self.custom_updates: Dict[str, CustomUpdateSpec] = {}
        self.custom_connectivity_updates: Dict[str, CustomConnectivityUpdateSpec] = {}
        self.finalized = False

    # ---------------------------------------------------------------- building
    def _check_new_name(self, name: str, what: str) -> str:
        # Any text: group names never reach generated code as they are
        check_label(name, what)
        if name in self.neuron_populations or name in self.synapse_populations or name in self.custom_updates \
                or name in self.custom_connectivity_updates:
            raise ModelSpecError(f"{what} name '{name}' is already used in model '{self.model_name}'")
        self.finalized = False
        return name

    def add_neuron_population(self, pop_name: str, num_neurons: int, neuron: Union[NeuronModel, str],
                              params: Optional[Dict[str, Any]] = None,
                              vars: Optional[Dict[str, Any]] = None) -> NeuronGroupSpec:
        """Add a neuron population.

        Parameters
        ----------
        pop_name
            Unique name among the model's groups (any non-empty string).
        num_neurons
            Number of neurons (positive).
        neuron
            Model from :func:`create_neuron_model`.
        params
            Parameter values by name.
        vars
            Initial values by name: number, array of ``num_neurons`` (or ``(batch, n)``) or
            :func:`init_var`.
        """
        self._check_new_name(pop_name, "Population")
        if not isinstance(neuron, NeuronModel):
            raise ModelSpecError(f"Population '{pop_name}': neuron must be a model from create_neuron_model, "
                                 f"got {neuron!r}")
        if isinstance(num_neurons, bool) or int(num_neurons) != num_neurons or num_neurons < 1:
            raise ModelSpecError(f"Population '{pop_name}': num_neurons must be a positive integer, got {num_neurons!r}")
        g = NeuronGroupSpec(self, pop_name, int(num_neurons), neuron, params, vars)
        self.neuron_populations[pop_name] = g
        return g

    def _resolve_pop(self, pop, syn_name, role):
        if isinstance(pop, str):
            if pop not in self.neuron_populations:
                raise ModelSpecError(f"Synapse group '{syn_name}': {role} population '{pop}' does not exist; "
                                     f"populations: {sorted(self.neuron_populations)}")
            return self.neuron_populations[pop]
        if not isinstance(pop, NeuronGroupSpec) or self.neuron_populations.get(pop.name) is not pop:
            raise ModelSpecError(f"Synapse group '{syn_name}': {role} must be a population of this model, got {pop!r}")
        return pop

    def add_synapse_population(self, pop_name: str, matrix_type: Union[SynapseMatrixType, str],
                               source: Any, target: Any, weight_update_init: WeightUpdateInit,
                               postsynaptic_init: PostsynapticInit, connectivity_init: Any = None) -> SynapseGroupSpec:
        """Add a synapse population.

        Parameters
        ----------
        pop_name
            Unique name among the model's groups (any non-empty string).
        matrix_type
            :class:`SynapseMatrixType` or its name ("DENSE", "SPARSE", "TOEPLITZ").
        source, target
            Presynaptic and postsynaptic populations (objects or names).
        weight_update_init
            :func:`init_weight_update` result.
        postsynaptic_init
            :func:`init_postsynaptic` result.
        connectivity_init
            :func:`init_sparse_connectivity` (SPARSE, or use ``set_sparse_connections``) or
            :func:`init_toeplitz_connectivity` (TOEPLITZ); None for DENSE.
        """
        self._check_new_name(pop_name, "Synapse group")
        if isinstance(matrix_type, str):
            try:
                matrix_type = SynapseMatrixType[matrix_type.upper()]
            except KeyError:
                raise ModelSpecError(f"Synapse group '{pop_name}': unknown matrix_type {matrix_type!r}; expected "
                                     f"DENSE, SPARSE or TOEPLITZ") from None
        if not isinstance(matrix_type, SynapseMatrixType):
            raise ModelSpecError(f"Synapse group '{pop_name}': matrix_type must be a SynapseMatrixType, got {matrix_type!r}")
        if not isinstance(weight_update_init, WeightUpdateInit):
            raise ModelSpecError(f"Synapse group '{pop_name}': weight_update_init must come from init_weight_update, "
                                 f"got {weight_update_init!r}")
        if not isinstance(postsynaptic_init, PostsynapticInit):
            raise ModelSpecError(f"Synapse group '{pop_name}': postsynaptic_init must come from init_postsynaptic, "
                                 f"got {postsynaptic_init!r}")
        expected = {SynapseMatrixType.DENSE: (type(None),),
                    SynapseMatrixType.SPARSE: (type(None), SparseConnectivityInit),
                    SynapseMatrixType.TOEPLITZ: (ToeplitzConnectivityInit,)}[matrix_type]
        if not isinstance(connectivity_init, expected):
            raise ModelSpecError(f"Synapse group '{pop_name}': {matrix_type.name} connectivity expects "
                                 f"{' or '.join(e.__name__ for e in expected)} as connectivity_init, "
                                 f"got {type(connectivity_init).__name__}")
        src = self._resolve_pop(source, pop_name, "source")
        trg = self._resolve_pop(target, pop_name, "target")
        g = SynapseGroupSpec(self, pop_name, matrix_type, src, trg, weight_update_init, postsynaptic_init,
                             connectivity_init)
        self.synapse_populations[pop_name] = g
        return g

    def add_custom_update(self, cu_name: str, group_name: str, custom_update_model: CustomUpdateModel,
                          params: Optional[Dict[str, Any]] = None, vars: Optional[Dict[str, Any]] = None,
                          var_refs: Optional[Dict[str, Any]] = None,
                          egp_refs: Optional[Dict[str, Any]] = None) -> CustomUpdateSpec:
        """Add a custom update, run by ``runtime.custom_update(group_name)``.

        Parameters
        ----------
        cu_name
            Unique name among the model's groups (any non-empty string).
        group_name
            Update group name (any non-empty string); all custom updates of one group run
            together.
        custom_update_model
            Model from :func:`create_custom_update_model`.
        params, vars
            Parameter and own-variable values.
        var_refs
            :func:`create_var_ref` / :func:`create_wu_var_ref` ... results by name; also
            :func:`create_pre_var_ref` / :func:`create_post_var_ref` /
            :func:`create_wu_var_ref` of a custom connectivity update (its per-synapse
            variables make this a per-synapse update over its synapse group).
        egp_refs
            :func:`create_egp_ref` results by name (of any group with extra global params,
            custom connectivity updates included).
        """
        self._check_new_name(cu_name, "Custom update")
        if not isinstance(custom_update_model, CustomUpdateModel):
            raise ModelSpecError(f"Custom update '{cu_name}': model must come from create_custom_update_model, "
                                 f"got {custom_update_model!r}")
        check_label(group_name, f"Custom update '{cu_name}': update group")
        g = CustomUpdateSpec(self, cu_name, group_name, custom_update_model, params, vars, var_refs, egp_refs)
        self.custom_updates[cu_name] = g
        return g

    def add_custom_connectivity_update(self, cu_name: str, group_name: str, syn_group: Any,
                                       custom_conn_update_model: CustomConnectivityUpdateModel,
                                       params: Optional[Dict[str, Any]] = None,
                                       vars: Optional[Dict[str, Any]] = None,
                                       pre_vars: Optional[Dict[str, Any]] = None,
                                       post_vars: Optional[Dict[str, Any]] = None,
                                       var_refs: Optional[Dict[str, Any]] = None,
                                       pre_var_refs: Optional[Dict[str, Any]] = None,
                                       post_var_refs: Optional[Dict[str, Any]] = None,
                                       egp_refs: Optional[Dict[str, Any]] = None
                                       ) -> CustomConnectivityUpdateSpec:
        """Add a custom connectivity update, run by ``runtime.custom_update(group_name)``.

        Its ``row_update_code`` runs once per presynaptic neuron of ``syn_group`` (which must be
        SPARSE); rows run in parallel, each with its own random number stream. When a synapse
        is removed, every per-synapse variable of the group (its weight update variables, the
        per-synapse variables of custom updates and custom connectivity updates on it) moves
        with the synapse that takes its place; an added synapse gets the values passed to
        ``add_synapse`` for this update's own vars and then its var refs, in declaration order
        (one left out gets its constant initial value, 0 where it has none; more values than
        those vars and refs is a compile error), and every other per-synapse variable 0, as
        GeNN 5 zeroes such "dependent" variables. A row never grows
        past ``max_row_length``: such additions (and ones with ``id_post`` out of range) are
        not made and are counted (``num_failed_additions`` of the loaded update).

        Parameters
        ----------
        cu_name
            Unique name among the model's groups (any non-empty string).
        group_name
            Update group name. As in GeNN 5, an update group runs the ``host_update_code`` of
            all its custom connectivity updates first, then its custom updates, then the
            ``row_update_code`` of its custom connectivity updates.
        syn_group
            The SPARSE synapse group (object or name) whose rows are updated.
        custom_conn_update_model
            Model from :func:`create_custom_connectivity_update_model`.
        params, vars, pre_vars, post_vars
            Parameter values and initial values of the own variables.
        var_refs
            ``create_wu_var_ref(syn_group, ...)`` (or of a custom update or custom
            connectivity update on it) by name.
        pre_var_refs, post_var_refs
            ``create_var_ref(population, var)`` of the source / target population, or
            ``create_pre_var_ref`` / ``create_post_var_ref`` of a custom connectivity update
            with one value per source / target neuron, by name.
        egp_refs
            :func:`create_egp_ref` results by name (a custom connectivity update's extra
            global params included).
        """
        self._check_new_name(cu_name, "Custom connectivity update")
        if not isinstance(custom_conn_update_model, CustomConnectivityUpdateModel):
            raise ModelSpecError(f"Custom connectivity update '{cu_name}': model must come from "
                                 f"create_custom_connectivity_update_model, got {custom_conn_update_model!r}")
        check_label(group_name, f"Custom connectivity update '{cu_name}': update group")
        if isinstance(syn_group, str):
            if syn_group not in self.synapse_populations:
                raise ModelSpecError(f"Custom connectivity update '{cu_name}': synapse group '{syn_group}' does "
                                     f"not exist; synapse groups: {sorted(self.synapse_populations)}")
            syn_group = self.synapse_populations[syn_group]
        if not isinstance(syn_group, SynapseGroupSpec) or self.synapse_populations.get(syn_group.name) is not syn_group:
            raise ModelSpecError(f"Custom connectivity update '{cu_name}': syn_group must be a synapse group of "
                                 f"this model, got {syn_group!r}")
        if syn_group.matrix_type is not SynapseMatrixType.SPARSE:
            raise ModelSpecError(f"Custom connectivity update '{cu_name}': synapse group '{syn_group.name}' is "
                                 f"{syn_group.matrix_type.name}; custom connectivity updates need SPARSE "
                                 f"connectivity (rows that can grow and shrink)")
        g = CustomConnectivityUpdateSpec(self, cu_name, group_name, syn_group, custom_conn_update_model, params,
                                         vars, pre_vars, post_vars, var_refs, pre_var_refs, post_var_refs,
                                         egp_refs)
        self.custom_connectivity_updates[cu_name] = g
        return g

    # -------------------------------------------------------------- validation
    def finalize(self) -> None:
        """Validate every group and reference and work out storage; backends call this."""
        if not isinstance(self.dt, Number) or not self.dt > 0:
            raise ModelSpecError(f"ModelSpec '{self.model_name}': dt must be a positive number, got {self.dt!r}")
        if isinstance(self.batch_size, bool) or int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ModelSpecError(f"ModelSpec '{self.model_name}': batch_size must be a positive integer, "
                                 f"got {self.batch_size!r}")
        self.batch_size = int(self.batch_size)
        if self.seed is None:
            self.seed = 0
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise ModelSpecError(f"ModelSpec '{self.model_name}': seed must be a non-negative integer, got {self.seed!r}")
        for g in self.neuron_populations.values():
            g.out_syn, g.in_syn, g.num_delay_slots = [], [], 1
            g.history_vars, g.history_slots = {}, 0
        for g in self.neuron_populations.values():
            g.param_values = self._param_values(g.describe(), g.model, g.params)
            for v in g.vars.values():
                self._shape_var(v, g.num_neurons)
            self._check_var_inits(g.vars.values(), g.num_neurons)
        for s in self.synapse_populations.values():
            self._finalize_synapse(s)
        # A custom connectivity update's variables are shaped before any reference is
        # resolved: custom updates and other connectivity updates may refer to them
        for c in self.custom_connectivity_updates.values():
            self._shape_custom_connectivity_update_vars(c)
        for c in self.custom_updates.values():
            self._finalize_custom_update(c)
        for c in self.custom_connectivity_updates.values():
            self._finalize_custom_connectivity_update(c)
        for c in self.custom_connectivity_updates.values():
            c.dependent_vars = self._per_synapse_vars(c.synapse_group)
        self.finalized = True

    def _param_values(self, owner, model, values):
        values = dict(values)
        missing = [p for p in model.param_names if p not in values]
        extra = [p for p in values if p not in model.param_names]
        if missing:
            raise ModelSpecError(f"{owner}: missing value for param(s) {missing} of model '{model.class_name}'")
        if extra:
            raise ModelSpecError(f"{owner}: unknown param(s) {extra}; model '{model.class_name}' has "
                                 f"{model.param_names}")
        out = {}
        for name, type_name in model.params:
            v = values[name]
            if isinstance(v, np.ndarray) and v.size == 1:
                v = v.item()
            if not isinstance(v, (Number, np.number)) or isinstance(v, complex):
                raise ModelSpecError(f"{owner}: param '{name}' must be a number, got {v!r}")
            out[name] = float(v) if type_name in ("scalar", "float", "double") else v
        for name, fn in model.derived_params:
            try:
                out[name] = float(fn(dict(out), self.dt))
            except Exception as e:
                raise ModelSpecError(f"{owner}: derived param '{name}' of model '{model.class_name}' failed: "
                                     f"{type(e).__name__}: {e}") from e
        return out

    def _shape_var(self, v: VarSpec, num_elements: int, batched=None, per_element=None) -> None:
        from .types import numpy_dtype
        v.num_elements = num_elements
        v.batched = v.access.batched if batched is None else batched
        v.per_element = v.access.per_element if per_element is None else per_element
        v.dtype = numpy_dtype(v.type, self.precision)

    def var_shape(self, v: VarSpec):
        """Storage shape of a finalized variable: ``(batch?, elements?)``."""
        shape = ((self.batch_size,) if v.batched else ()) + ((v.num_elements,) if v.per_element else ())
        return shape or (1,)

    def _check_var_inits(self, var_specs, num_elements, sparse_built=False):
        for v in var_specs:
            init = v.init
            if isinstance(init, VarInit):
                self._param_values(f"{v.description} (init_var)", init.snippet, init.params)
                continue
            if isinstance(init, (Number, np.number, bool)) and not isinstance(init, complex):
                continue
            arr = np.asarray(init) if init is not None else None
            if arr is None or arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
                raise ModelSpecError(f"{v.description}: initial value must be a number, an array or init_var(...), "
                                     f"got {init!r:.80}")
            if arr.ndim == 0:
                continue
            if sparse_built:
                raise ModelSpecError(f"{v.description}: array initial values need known connectivity; this SPARSE "
                                     f"group builds it with a snippet, so use a number or init_var(...), or "
                                     f"call set_sparse_connections")
            element = (num_elements,) if v.per_element else ()
            allowed = [element] + ([(self.batch_size,) + element] if v.batched else [])
            if arr.shape not in allowed and arr.size not in [int(np.prod(a)) for a in allowed]:
                raise ModelSpecError(f"{v.description}: initial array has shape {arr.shape}; expected "
                                     f"{' or '.join(str(a) for a in allowed)}")

    def _finalize_synapse(self, s: SynapseGroupSpec) -> None:
        d = s.describe()
        npre, npost = s.source.num_neurons, s.target.num_neurons
        s.wu_param_values = self._param_values(d + " weight update", s.wu_model, s.wu_params)
        s.ps_param_values = self._param_values(d + " postsynaptic model", s.ps_model, s.ps_params)
        wu = s.wu_model
        for f in ("post_event_syn_code", "post_event_threshold_condition_code"):
            if getattr(wu, f):
                raise ModelSpecError(f"{d}: weight update model '{wu.class_name}' uses {f}; postsynaptic "
                                     f"spike-like events are not supported by this engine")
        for attr in ("axonal_delay_steps", "back_prop_delay_steps"):
            val = getattr(s, attr)
            if isinstance(val, bool) or int(val) != val or val < 0:
                raise ModelSpecError(f"{d}: {attr} must be a non-negative integer, got {val!r}")
            setattr(s, attr, int(val))
        if s.back_prop_delay_steps:
            raise ModelSpecError(f"{d}: back_prop_delay_steps is not supported by this engine; use 0")
        m = s.max_dendritic_delay_timesteps
        if isinstance(m, bool) or int(m) != m or m < 1:
            raise ModelSpecError(f"{d}: max_dendritic_delay_timesteps must be a positive integer, got {m!r}")
        s.max_dendritic_delay_timesteps = int(m)
        s.source.num_delay_slots = max(s.source.num_delay_slots, s.axonal_delay_steps + 1)
        s.source.out_syn.append(s)
        s.target.in_syn.append(s)
        all_code = " ".join(wu.code_fields().values())
        s.uses_dendritic_delay = _uses(all_code, "addToPostDelay")
        s.uses_add_to_pre = _uses(all_code, "addToPre")
        targets = ["Isyn"] + [a[0] for a in s.target.model.additional_input_vars]
        if s.post_target_var not in targets:
            raise ModelSpecError(f"{d}: post_target_var '{s.post_target_var}' is not 'Isyn' or an additional "
                                 f"input var of population '{s.target.name}' ({targets})")
        pre_targets = ["Isyn"] + [a[0] for a in s.source.model.additional_input_vars]
        if s.pre_target_var not in pre_targets:
            raise ModelSpecError(f"{d}: pre_target_var '{s.pre_target_var}' is not one of {pre_targets}")

        # Connectivity and per-synapse storage
        sparse_built = False
        if s.matrix_type is SynapseMatrixType.DENSE:
            n_syn = npre * npost
        elif s.matrix_type is SynapseMatrixType.SPARSE:
            if s.sparse_pre_inds is not None:
                pre, post = s.sparse_pre_inds, s.sparse_post_inds
                if len(pre) and (pre.min() < 0 or pre.max() >= npre or post.min() < 0 or post.max() >= npost):
                    raise ModelSpecError(f"{d}: sparse indices out of range; pre must be in [0, {npre}) and post "
                                         f"in [0, {npost}), got pre in [{pre.min()}, {pre.max()}] and post in "
                                         f"[{post.min()}, {post.max()}]")
                s.max_row_length = int(np.bincount(pre, minlength=npre).max()) if len(pre) else 0
                if s.max_connections is not None:
                    # Room for synapses added later (custom connectivity updates)
                    s.max_row_length = max(s.max_row_length, int(s.max_connections))
                s.sparse_order = np.argsort(pre, kind="stable")
            elif s.connectivity_init is not None:
                ci = s.connectivity_init
                s.conn_param_values = self._param_values(d + " connectivity", ci.snippet, ci.params)
                fn = ci.snippet.calc_max_row_len_func
                s.max_row_length = int(fn(npre, npost, dict(s.conn_param_values))) if fn else npost
                sparse_built = True
            else:
                raise ModelSpecError(f"{d}: SPARSE connectivity needs connectivity_init=init_sparse_connectivity(...) "
                                     f"or set_sparse_connections(pre_inds, post_inds) before build")
            s.max_row_length = max(0, min(s.max_row_length, npost))
            n_syn = npre * s.max_row_length
        else:
            ci = s.connectivity_init
            if ci.snippet.builtin_kind is None:
                raise ModelSpecError(f"{d}: toeplitz snippet '{ci.snippet.class_name}' is custom; this engine runs "
                                     f"the built-in 'Conv2D' and 'AvgPoolConv2D' toeplitz snippets")
            p = self._param_values(d + " connectivity", ci.snippet, ci.params)
            s.conn_param_values = p
            self._check_toeplitz(s, p, npre, npost)
            s.kernel_shape = tuple(int(k) for k in ci.snippet.calc_kernel_size_func(p))
            n_syn = int(np.prod(s.kernel_shape))
            s.max_row_length = int(ci.snippet.calc_max_row_len_func(npre, npost, p))
        s.num_synapse_slots = n_syn
        for v in s.vars.values():
            self._shape_var(v, n_syn)
        for v in s.pre_vars.values():
            self._shape_var(v, npre)
        for v in s.post_vars.values():
            self._shape_var(v, npost)
        for v in s.psm_vars.values():
            self._shape_var(v, npost)
        if s.matrix_type is SynapseMatrixType.SPARSE and s.sparse_pre_inds is not None:
            self._check_var_inits(s.vars.values(), len(s.sparse_pre_inds))
        else:
            self._check_var_inits(s.vars.values(), n_syn, sparse_built)
        self._check_var_inits(s.pre_vars.values(), npre)
        self._check_var_inits(list(s.post_vars.values()) + list(s.psm_vars.values()), npost)
        if s.matrix_type is SynapseMatrixType.TOEPLITZ:
            for code_field in ("post_spike_syn_code", "synapse_dynamics_code"):
                if getattr(wu, code_field):
                    raise ModelSpecError(f"{d}: TOEPLITZ connectivity supports presynaptic spike/event code only; "
                                         f"weight update model '{wu.class_name}' has {code_field}")
        # Neuron var refs of the weight update and postsynaptic models
        s.pre_var_ref_targets = self._neuron_refs(d, "pre_var_refs", wu.pre_neuron_var_refs,
                                                  s.wu_init.pre_var_refs, s.source)
        s.post_var_ref_targets = self._neuron_refs(d, "post_var_refs", wu.post_neuron_var_refs,
                                                   s.wu_init.post_var_refs, s.target)
        s.psm_var_ref_targets = self._neuron_refs(d, "postsynaptic var_refs", s.ps_model.neuron_var_refs,
                                                  s.ps_init.var_refs, s.target)
        s.delayed_post_refs = self._delayed_post_refs(s)

    def _delayed_post_refs(self, s: SynapseGroupSpec) -> Dict[str, VarSpec]:
        """Postsynaptic neuron var refs the synapse code reads with a delay (``X_post[d]``).

        As in GeNN 5, ``X_post[d]`` is the referenced variable's value ``d`` timesteps before
        the one ``X_post`` reads; ``d`` may differ per synapse. The target population keeps a
        history of ``max_dendritic_delay_timesteps`` values of each such variable.
        """
        d = s.describe()
        wu = s.wu_model
        delayed: Dict[str, VarSpec] = {}
        others = [v.name for v in wu.vars + wu.pre_vars + wu.post_vars] + \
            [r.name for r in wu.pre_neuron_var_refs]
        for field, code in wu.code_fields().items():
            for decl, target in s.post_var_ref_targets.values():
                if not indexed_use(code, decl.name):
                    continue
                if field not in DELAYED_READ_FIELDS:
                    raise ModelSpecError(
                        f"{d}: {wu.class_name}.{field} reads '{decl.name}[...]'; delayed reads of "
                        f"postsynaptic neuron var refs are only possible in {', '.join(DELAYED_READ_FIELDS)}")
                if decl.access is not VarAccessMode.READ_ONLY:
                    raise ModelSpecError(
                        f"{d}: post_neuron_var_ref '{decl.name}' is read with a delay ('{decl.name}[d]'), "
                        f"so it must be declared VarAccessMode.READ_ONLY (past values cannot be written)")
                delayed[decl.name] = target
            for name in others:
                if indexed_use(code, name):
                    raise ModelSpecError(
                        f"{d}: {wu.class_name}.{field} indexes '{name}[...]'; only postsynaptic neuron "
                        f"var refs can be read with a delay ('X_post[d]')")
        if delayed:
            if s.max_dendritic_delay_timesteps < 2:
                raise ModelSpecError(
                    f"{d}: {wu.class_name} reads {sorted(delayed)} with a delay; set the synapse group's "
                    f"max_dendritic_delay_timesteps to the largest delay + 1 (it is "
                    f"{s.max_dendritic_delay_timesteps}, which leaves only delay 0)")
            g = s.target
            g.history_slots = max(g.history_slots, s.max_dendritic_delay_timesteps)
            for target in delayed.values():
                g.history_vars[target.name] = target
        return delayed

    def _check_toeplitz(self, s, p, npre, npost):
        d = s.describe()
        kind = s.connectivity_init.snippet.builtin_kind
        if kind == "Conv2D":
            exp_pre = p["conv_ih"] * p["conv_iw"] * p["conv_ic"]
        else:
            exp_pre = p["pool_ih"] * p["pool_iw"] * p["pool_ic"]
            pool_oh = (p["pool_ih"] - p["pool_kh"]) // p["pool_sh"] + 1
            pool_ow = (p["pool_iw"] - p["pool_kw"]) // p["pool_sw"] + 1
            p.setdefault("conv_ih", pool_oh)
            p.setdefault("conv_iw", pool_ow)
            p.setdefault("conv_ic", p["pool_ic"])
        exp_post = p["conv_oh"] * p["conv_ow"] * p["conv_oc"]
        if exp_pre != npre or exp_post != npost:
            raise ModelSpecError(f"{d}: {kind} params describe {int(exp_pre)} inputs and {int(exp_post)} outputs, "
                                 f"but source '{s.source.name}' has {npre} and target '{s.target.name}' has {npost} neurons")

    def _neuron_refs(self, owner, what, decls, given, pop):
        given = dict(given)
        out = {}
        for decl in decls:
            if decl.name not in given:
                raise ModelSpecError(f"{owner}: {what} has no reference for '{decl.name}'; give "
                                     f"create_var_ref(population, var)")
            ref = given.pop(decl.name)
            if not isinstance(ref, R.VarRef) or ref.kind != R.NEURON:
                raise ModelSpecError(f"{owner}: {what}['{decl.name}'] must be create_var_ref(population, var), got {ref!r}")
            if ref.group is not pop:
                raise ModelSpecError(f"{owner}: {what}['{decl.name}'] refers to population '{ref.group.name}', "
                                     f"expected population '{pop.name}'")
            target = self._target_var(owner, decl, ref)
            out[decl.name] = (decl, target)
        if given:
            raise ModelSpecError(f"{owner}: unknown {what} {sorted(given)}; declared: {[x.name for x in decls]}")
        return out

    def _target_var(self, owner, decl, ref, custom_update: bool = False) -> VarSpec:
        g = ref.group
        if g.model_spec is not self:
            raise ModelSpecError(f"{owner}: reference '{decl.name}' points at group '{g.name}' of another model")
        table = {R.NEURON: "vars", R.CUSTOM_UPDATE: "vars", R.WU: "vars", R.PSM: "psm_vars",
                 R.WU_PRE: "pre_vars", R.WU_POST: "post_vars", R.CCU: "vars", R.CCU_PRE: "pre_vars",
                 R.CCU_POST: "post_vars"}[ref.kind]
        var_set = getattr(g, table)
        if ref.var_name not in var_set:
            raise ModelSpecError(f"{owner}: reference '{decl.name}' names variable '{ref.var_name}' which "
                                 f"{g.describe()} does not have; it has {sorted(var_set)}")
        target = var_set[ref.var_name]
        if self._c_type(target.type) != self._c_type(decl.type):
            raise ModelSpecError(f"{owner}: reference '{decl.name}' has type '{decl.type}' but "
                                 f"{target.description} has type '{target.type}'")
        # As in GeNN 5, READ_ONLY means read-only to the *model's* code; custom updates may write
        # such variables (that is how weights shared across the batch are trained)
        if decl.access is VarAccessMode.READ_WRITE and target.read_only and not custom_update:
            raise ModelSpecError(f"{owner}: reference '{decl.name}' is READ_WRITE but {target.description} "
                                 f"is read-only; declare the reference VarAccessMode.READ_ONLY")
        return target

    def _finalize_custom_update(self, c: CustomUpdateSpec) -> None:
        d = c.describe()
        m = c.model
        c.param_values = self._param_values(d, m, c.params)
        given = dict(c.var_refs)
        resolved = {}
        for decl in m.var_refs:
            if decl.name not in given:
                raise ModelSpecError(f"{d}: no reference given for var ref '{decl.name}'")
            ref = given.pop(decl.name)
            if not isinstance(ref, R.VarRef):
                raise ModelSpecError(f"{d}: var_refs['{decl.name}'] must come from create_var_ref/create_wu_var_ref..., got {ref!r}")
            resolved[decl.name] = (decl, ref, self._target_var(d, decl, ref, custom_update=True))
        if given:
            raise ModelSpecError(f"{d}: unknown var ref(s) {sorted(given)}; model declares {[r.name for r in m.var_refs]}")
        if not resolved:
            raise ModelSpecError(f"{d}: a custom update needs at least one var ref to know what it runs over")
        # Per-synapse or per-element?
        def wu_group(ref):
            if ref.kind == R.WU:
                return ref.group
            if ref.kind == R.CUSTOM_UPDATE and ref.group.kind == "wu":
                return ref.group.synapse_group
            if ref.kind == R.CCU:
                # Stored in its synapse group's slots, moved with their synapses
                return ref.group.synapse_group
            return None
        wu_groups = {id(wu_group(r)): wu_group(r) for _, r, _ in resolved.values() if wu_group(r) is not None}
        if wu_groups:
            if len(resolved) != sum(1 for _, r, _ in resolved.values() if wu_group(r) is not None):
                raise ModelSpecError(f"{d}: mixes per-synapse and per-neuron variable references; use one kind")
            sgs = list(wu_groups.values())
            first = sgs[0]
            for sg in sgs[1:]:
                if (sg.matrix_type, sg.source.num_neurons, sg.target.num_neurons, sg.num_synapse_slots) != \
                        (first.matrix_type, first.source.num_neurons, first.target.num_neurons, first.num_synapse_slots) \
                        or (sg.matrix_type is SynapseMatrixType.SPARSE and sg is not first):
                    raise ModelSpecError(f"{d}: weight references span synapse groups '{first.name}' and "
                                         f"'{sg.name}' of different shape/connectivity")
            c.kind, c.synapse_group, c.num_elements = "wu", first, first.num_synapse_slots
        else:
            sizes = {name: t.num_elements for name, (_, _, t) in resolved.items() if t.per_element}
            if len(set(sizes.values())) > 1:
                raise ModelSpecError(f"{d}: referenced variables have different sizes {sizes}; they must match")
            c.kind, c.synapse_group = "neuron", None
            c.num_elements = next(iter(sizes.values())) if sizes else 1
        # Batching: batched if any plain reference targets a batched variable
        c.batched = any(t.batched for decl, _, t in resolved.values() if decl.access.reduction is None) \
            or any(v.access.reduction is not None and v.access.reduction[0] == "batch" for v in c.vars.values())
        if c.batched and self.batch_size == 1 and not any(t.batched for _, _, t in resolved.values()):
            c.batched = False
        for name, (decl, ref, t) in resolved.items():
            if c.batched and decl.access is VarAccessMode.READ_WRITE and not t.batched:
                # Every batch element would write the one shared copy: a race, not an update
                raise ModelSpecError(f"{d}: var ref '{name}' is READ_WRITE but {t.description} is shared "
                                     f"across the batch while this update runs per batch element; "
                                     f"declare it READ_ONLY, or reduce into it with REDUCE_SUM/REDUCE_MAX")
            if decl.access.reduction is not None:
                if t.batched:
                    raise ModelSpecError(f"{d}: var ref '{name}' reduces over the batch but {t.description} has a "
                                         f"batch dimension; reduce into a variable shared across the batch")
                if not c.batched:
                    raise ModelSpecError(f"{d}: var ref '{name}' is a batch reduction but nothing this update "
                                         f"reads is batched")
            if ref.transpose_group is not None:
                tg = ref.transpose_group
                if not isinstance(tg, SynapseGroupSpec) or tg.matrix_type is not SynapseMatrixType.DENSE \
                        or ref.group.matrix_type is not SynapseMatrixType.DENSE:
                    raise ModelSpecError(f"{d}: transposed var ref '{name}' needs DENSE synapse groups")
                if (tg.source.num_neurons, tg.target.num_neurons) != (ref.group.target.num_neurons, ref.group.source.num_neurons):
                    raise ModelSpecError(f"{d}: transpose group '{tg.name}' is {tg.source.num_neurons}x"
                                         f"{tg.target.num_neurons}, expected {ref.group.target.num_neurons}x"
                                         f"{ref.group.source.num_neurons}")
                if ref.transpose_var_name not in tg.vars:
                    raise ModelSpecError(f"{d}: transpose group '{tg.name}' has no variable '{ref.transpose_var_name}'")
                tv = tg.vars[ref.transpose_var_name]
                if tv.batched != t.batched:
                    raise ModelSpecError(f"{d}: {tv.description} and {t.description} differ in batching")
        c.resolved_refs = resolved
        for v in c.vars.values():
            red = v.access.reduction
            batched = v.access.batched(c.batched)
            if red is not None and red[0] == "batch":
                batched = False
            self._shape_var(v, c.num_elements, batched, v.access.per_element)
            v.reduction = red
        self._check_var_inits(c.vars.values(), c.num_elements,
                              sparse_built=c.kind == "wu" and c.synapse_group.matrix_type is SynapseMatrixType.SPARSE
                              and c.synapse_group.sparse_pre_inds is None)
        c.resolved_egp_refs = self._resolve_egp_refs(d, m, c.egp_refs)

    def _resolve_egp_refs(self, d: str, m: Any, given: Dict[str, Any]) -> Dict[str, tuple]:
        """Match model ``m``'s declared extra global param refs with the ``create_egp_ref``
        results ``given`` for the update described by ``d``: ``{name: (decl, target EGP)}``."""
        eg = dict(given)
        resolved = {}
        for decl in m.extra_global_param_refs:
            if decl.name not in eg:
                raise ModelSpecError(f"{d}: no reference given for extra global param ref '{decl.name}'")
            ref = eg.pop(decl.name)
            if not isinstance(ref, R.EGPRef):
                raise ModelSpecError(f"{d}: egp_refs['{decl.name}'] must come from create_egp_ref, got {ref!r}")
            table = "psm_extra_global_params" if ref.kind == "psm" else "extra_global_params"
            egps = getattr(ref.group, table)
            if ref.egp_name not in egps:
                raise ModelSpecError(f"{d}: egp ref '{decl.name}' names '{ref.egp_name}', which "
                                     f"{ref.group.describe()} does not have ({sorted(egps)})")
            self._check_egp_ref_type(d, m, decl, ref, egps[ref.egp_name])
            resolved[decl.name] = (decl, egps[ref.egp_name])
        if eg:
            raise ModelSpecError(f"{d}: unknown egp ref(s) {sorted(eg)}")
        return resolved

    def _c_type(self, type_name: str) -> str:
        """The C type a declared type means: its spellings are one type ('unsigned int' is
        'uint32_t', 'scalar' the model's precision), so references compare by meaning."""
        from .types import C_TYPES
        base = type_name[:-1] if type_name.endswith("*") else type_name
        base = self.precision if base == "scalar" else C_TYPES.get(base, base)
        return base + "*" if type_name.endswith("*") else base

    def _check_egp_ref_type(self, owner: str, model: Any, decl: Any, ref: Any, target: Any) -> None:
        """Refuse an EGP reference whose declared type differs from its target's, as GeNN 5
        does: generated code would otherwise read the target's array as another C type."""
        if self._c_type(decl.type) != self._c_type(target.type):
            raise ModelSpecError(f"{owner} (model '{model.class_name}'): extra global param ref "
                                 f"'{decl.name}' is declared '{decl.type}' but the extra global "
                                 f"param '{ref.egp_name}' of {ref.group.describe()} it refers to is "
                                 f"'{target.type}'; declare the reference with the target's type")

    def _per_synapse_vars(self, sg: SynapseGroupSpec) -> list:
        """Every per-synapse variable stored in ``sg``'s synapse slots: what moves with a
        synapse when a custom connectivity update removes or adds one."""
        out = [v for v in sg.vars.values() if v.per_element]
        for c in self.custom_updates.values():
            if c.kind == "wu" and c.synapse_group is sg:
                out += [v for v in c.vars.values() if v.per_element and v.num_elements == sg.num_synapse_slots]
        for c in self.custom_connectivity_updates.values():
            if c.synapse_group is sg:
                out += list(c.vars.values())
        return out

    def _shape_custom_connectivity_update_vars(self, c: CustomConnectivityUpdateSpec) -> None:
        """Storage of ``c``'s own variables (what references to them resolve to)."""
        d, sg = c.describe(), c.synapse_group
        if self.synapse_populations.get(sg.name) is not sg or sg.matrix_type is not SynapseMatrixType.SPARSE:
            raise ModelSpecError(f"{d}: synapse group '{sg.name}' must be a SPARSE synapse group of this model")
        npre, npost = sg.source.num_neurons, sg.target.num_neurons
        # Rows are updated once per call, not per batch element: own variables are not batched
        for v in c.vars.values():
            self._shape_var(v, sg.num_synapse_slots, False, True)
        for v in c.pre_vars.values():
            self._shape_var(v, npre, False, True)
        for v in c.post_vars.values():
            self._shape_var(v, npost, False, True)
        self._check_var_inits(c.vars.values(), sg.num_synapse_slots if sg.sparse_pre_inds is None
                              else len(sg.sparse_pre_inds), sparse_built=sg.sparse_pre_inds is None)
        self._check_var_inits(c.pre_vars.values(), npre)
        self._check_var_inits(c.post_vars.values(), npost)

    def _finalize_custom_connectivity_update(self, c: CustomConnectivityUpdateSpec) -> None:
        d = c.describe()
        m, sg = c.model, c.synapse_group
        # As GeNN 5: a host stage alone is an update (it may only compute pre/post vars and
        # extra global params); with neither code string there is nothing to run
        if not (m.row_update_code.strip() or m.host_update_code.strip()):
            raise ModelSpecError(f"{d}: model '{m.class_name}' has neither row_update_code nor "
                                 f"host_update_code; there is nothing to run")
        c.param_values = self._param_values(d, m, c.params)

        def resolve(decls, given, what, check_ref):
            given = dict(given)
            out = {}
            for decl in decls:
                if decl.name not in given:
                    raise ModelSpecError(f"{d}: no reference given for {what} '{decl.name}'")
                ref = given.pop(decl.name)
                if not isinstance(ref, R.VarRef):
                    raise ModelSpecError(f"{d}: {what}s['{decl.name}'] must come from create_var_ref/"
                                         f"create_wu_var_ref, got {ref!r}")
                check_ref(decl, ref)
                target = self._target_var(d, decl, ref, custom_update=True)
                if target.batched and self.batch_size > 1:
                    raise ModelSpecError(f"{d}: {what} '{decl.name}' refers to {target.description}, which has "
                                         f"one value per batch element; row updates are not batched, so they "
                                         f"can only reference variables shared across the batch")
                out[decl.name] = (decl, target)
            if given:
                raise ModelSpecError(f"{d}: unknown {what}(s) {sorted(given)}; model declares "
                                     f"{[x.name for x in decls]}")
            return out

        def synapse_ref(decl, ref):
            on_sg = (ref.kind == R.WU and ref.group is sg) or \
                (ref.kind == R.CUSTOM_UPDATE and getattr(ref.group, "kind", None) == "wu"
                 and ref.group.synapse_group is sg) or \
                (ref.kind == R.CCU and ref.group.synapse_group is sg)
            if not on_sg or ref.transpose_group is not None:
                raise ModelSpecError(f"{d}: var ref '{decl.name}' must be create_wu_var_ref(...) of synapse group "
                                     f"'{sg.name}' (or of a custom update or custom connectivity update on "
                                     f"it), without transpose; got a reference to {ref.group.describe()}")

        def neuron_ref(pop, what, ccu_function):
            def check(decl, ref):
                if ref.kind in (R.CCU_PRE, R.CCU_POST):
                    # GeNN 5's rule for these: one value per neuron of this side of the rows
                    g = ref.group.synapse_group
                    n = (g.source if ref.kind == R.CCU_PRE else g.target).num_neurons
                    if n != pop.num_neurons:
                        raise ModelSpecError(
                            f"{d}: {what} '{decl.name}' refers to a variable of {ref.group.describe()} "
                            f"with {n} values, but population '{pop.name}' has {pop.num_neurons} neurons")
                    return
                if ref.kind != R.NEURON or ref.group is not pop:
                    raise ModelSpecError(f"{d}: {what} '{decl.name}' must be create_var_ref(population, var) of "
                                         f"population '{pop.name}' or {ccu_function}(custom connectivity "
                                         f"update, var) of one with as many values, got a reference to "
                                         f"{ref.group.describe()}")
            return check

        c.resolved_var_refs = resolve(m.var_refs, c.var_refs, "var ref", synapse_ref)
        c.resolved_pre_var_refs = resolve(m.pre_var_refs, c.pre_var_refs, "pre var ref",
                                          neuron_ref(sg.source, "pre var ref", "create_pre_var_ref"))
        c.resolved_post_var_refs = resolve(m.post_var_refs, c.post_var_refs, "post var ref",
                                           neuron_ref(sg.target, "post var ref", "create_post_var_ref"))
        c.resolved_egp_refs = self._resolve_egp_refs(d, m, c.egp_refs)
