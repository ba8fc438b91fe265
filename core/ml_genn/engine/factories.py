"""Factory functions with pygenn 5's names and keyword arguments."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from .access import CustomUpdateVarAccess, VarAccess, VarAccessMode
from .errors import ModelSpecError
from .models import (CustomConnectivityUpdateModel, CustomUpdateModel, EGPDecl, NeuronModel, PostsynapticModel,
                     SparseConnectInitSnippet, ToeplitzConnectInitSnippet, Var, VarInitSnippet,
                     VarRefDecl, WeightUpdateModel)
from .names import check_label, check_name, check_unique
from .types import normalise_type


def _params(params, owner):
    out = []
    for p in params or ():
        if isinstance(p, str):
            name, type_name = p, "scalar"
        elif isinstance(p, (tuple, list)) and len(p) == 2:
            name, type_name = p
        else:
            raise ModelSpecError(f"{owner}: params entries must be a name or (name, type), got {p!r}")
        out.append((check_name(name, owner, "param"), normalise_type(type_name, f"{owner} param {name!r}")))
    return tuple(out)


def _derived(derived, owner):
    out = []
    for d in derived or ():
        if not (isinstance(d, (tuple, list)) and len(d) in (2, 3) and callable(d[1])):
            raise ModelSpecError(f"{owner}: derived_params entries must be (name, callable(params, dt)), "
                                 f"got {d!r}")
        out.append((check_name(d[0], owner, "derived param"), d[1]))
    return tuple(out)


def _vars(vars_, owner, access_enum, default_access, what="var"):
    out = []
    for v in vars_ or ():
        if not isinstance(v, (tuple, list)) or len(v) not in (2, 3):
            raise ModelSpecError(f"{owner}: {what}s entries must be (name, type[, access]), got {v!r}")
        access = v[2] if len(v) == 3 else default_access
        if not isinstance(access, access_enum):
            raise ModelSpecError(f"{owner}: {what} {v[0]!r} access must be a {access_enum.__name__}, "
                                 f"got {access!r}")
        out.append(Var(check_name(v[0], owner, what), normalise_type(v[1], f"{owner} {what} {v[0]!r}"),
                       access))
    return tuple(out)


def _refs(refs, owner, what="var ref"):
    out = []
    for r in refs or ():
        if not isinstance(r, (tuple, list)) or len(r) not in (2, 3):
            raise ModelSpecError(f"{owner}: {what}s entries must be (name, type[, VarAccessMode]), got {r!r}")
        mode = r[2] if len(r) == 3 else VarAccessMode.READ_WRITE
        if not isinstance(mode, VarAccessMode):
            raise ModelSpecError(f"{owner}: {what} {r[0]!r} access must be a VarAccessMode, got {mode!r}")
        out.append(VarRefDecl(check_name(r[0], owner, what), normalise_type(r[1], f"{owner} {what} {r[0]!r}"),
                              mode))
    return tuple(out)


def _egps(egps, owner, what="extra global param"):
    out = []
    for e in egps or ():
        if not isinstance(e, (tuple, list)) or len(e) != 2:
            raise ModelSpecError(f"{owner}: {what}s entries must be (name, type), got {e!r}")
        type_name = " ".join(str(e[1]).split())
        base = type_name[:-1].strip() if type_name.endswith("*") else type_name
        normalise_type(base, f"{owner} {what} {e[0]!r}")
        out.append(EGPDecl(check_name(e[0], owner, what), base + "*" if type_name.endswith("*") else base))
    return tuple(out)


def _code(code, owner, field):
    if code is None:
        return ""
    if not isinstance(code, str):
        raise ModelSpecError(f"{owner}: {field} must be a string of code, got {type(code).__name__}")
    return code


def _check_namespace(owner, *groups):
    check_unique([n for g in groups for n in g], owner)


def create_neuron_model(class_name: str, params: Sequence = (), vars: Sequence = (),
                        derived_params: Sequence = (), sim_code: Optional[str] = None,
                        threshold_condition_code: Optional[str] = None,
                        reset_code: Optional[str] = None, extra_global_params: Sequence = (),
                        additional_input_vars: Sequence = (),
                        auto_refractory_required: bool = False) -> NeuronModel:
    """Create a neuron model.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string; it labels the model's code in
        compiler messages).
    params
        Parameter names (or ``(name, type)``), constant unless made dynamic.
    vars
        ``(name, type[, VarAccess])`` state variables.
    derived_params
        ``(name, f(params, dt))`` values computed once at build time.
    sim_code, threshold_condition_code, reset_code
        Code strings: update each step (``Isyn`` is the summed input), spike condition
        (an expression), code run after a spike.
    extra_global_params
        ``(name, type)``; pointer types (``"scalar*"``) are arrays set from Python.
    additional_input_vars
        ``(name, type, initial)`` extra input accumulators postsynaptic models can target.
    auto_refractory_required
        Accepted for pygenn compatibility; has no effect.
    """
    check_label(class_name, "Neuron model class")
    owner = f"Neuron model '{class_name}'"
    p, d, v = _params(params, owner), _derived(derived_params, owner), _vars(vars, owner, VarAccess, VarAccess.READ_WRITE)
    e = _egps(extra_global_params, owner)
    aiv = []
    for a in additional_input_vars or ():
        if not isinstance(a, (tuple, list)) or len(a) != 3:
            raise ModelSpecError(f"{owner}: additional_input_vars entries must be (name, type, initial), got {a!r}")
        aiv.append((check_name(a[0], owner, "additional input var"),
                    normalise_type(a[1], f"{owner} additional input var {a[0]!r}"), float(a[2])))
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in v],
                     [x.name for x in e], [x[0] for x in aiv])
    return NeuronModel(class_name, p, d, e, v, _code(sim_code, owner, "sim_code"),
                       _code(threshold_condition_code, owner, "threshold_condition_code"),
                       _code(reset_code, owner, "reset_code"), tuple(aiv), bool(auto_refractory_required))


def create_postsynaptic_model(class_name: str, params: Sequence = (), vars: Sequence = (),
                              neuron_var_refs: Sequence = (), derived_params: Sequence = (),
                              sim_code: Optional[str] = None,
                              extra_global_params: Sequence = ()) -> PostsynapticModel:
    """Create a postsynaptic model.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, vars, derived_params, extra_global_params
        As for :func:`create_neuron_model`; vars are per postsynaptic neuron.
    neuron_var_refs
        ``(name, type[, VarAccessMode])`` references to postsynaptic neuron variables.
    sim_code
        Run each step per postsynaptic neuron: read ``inSyn``, call ``injectCurrent(x)``,
        and decay or clear ``inSyn`` (GeNN 5 keeps ``inSyn`` unless the code changes it).
    """
    check_label(class_name, "Postsynaptic model class")
    owner = f"Postsynaptic model '{class_name}'"
    p, d = _params(params, owner), _derived(derived_params, owner)
    v = _vars(vars, owner, VarAccess, VarAccess.READ_WRITE)
    r, e = _refs(neuron_var_refs, owner, "neuron var ref"), _egps(extra_global_params, owner)
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in v],
                     [x.name for x in r], [x.name for x in e])
    return PostsynapticModel(class_name, p, d, e, v, r, _code(sim_code, owner, "sim_code"))


def create_weight_update_model(class_name: str, params: Sequence = (), vars: Sequence = (),
                               pre_vars: Sequence = (), post_vars: Sequence = (),
                               pre_neuron_var_refs: Sequence = (),
                               post_neuron_var_refs: Sequence = (), derived_params: Sequence = (),
                               pre_spike_syn_code: Optional[str] = None,
                               pre_event_syn_code: Optional[str] = None,
                               post_event_syn_code: Optional[str] = None,
                               post_spike_syn_code: Optional[str] = None,
                               synapse_dynamics_code: Optional[str] = None,
                               pre_event_threshold_condition_code: Optional[str] = None,
                               post_event_threshold_condition_code: Optional[str] = None,
                               pre_spike_code: Optional[str] = None,
                               post_spike_code: Optional[str] = None,
                               pre_dynamics_code: Optional[str] = None,
                               post_dynamics_code: Optional[str] = None,
                               extra_global_params: Sequence = ()) -> WeightUpdateModel:
    """Create a weight update model.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for :func:`create_neuron_model`.
    vars
        Per-synapse ``(name, type[, VarAccess])`` (for TOEPLITZ: per kernel element).
    pre_vars, post_vars
        Per presynaptic / postsynaptic neuron variables.
    pre_neuron_var_refs, post_neuron_var_refs
        References to pre/post neuron variables.
    pre_spike_syn_code
        Per synapse of a spiking presynaptic neuron; ``addToPost(x)``,
        ``addToPostDelay(x, d)``.
    pre_event_syn_code, pre_event_threshold_condition_code
        Spike-like events: condition tested on the presynaptic neuron each step, code run
        per synapse of a neuron whose condition held.
    post_event_syn_code, post_event_threshold_condition_code
        Accepted; the cpu backend raises if they are used.
    post_spike_syn_code
        Per synapse of a spiking postsynaptic neuron; ``addToPre(x)``.
    synapse_dynamics_code
        Per synapse, every step.
    pre_spike_code, post_spike_code, pre_dynamics_code, post_dynamics_code
        Per pre/post neuron code on spikes / every step, with pre/post vars.
    """
    check_label(class_name, "Weight update model class")
    owner = f"Weight update model '{class_name}'"
    p, d = _params(params, owner), _derived(derived_params, owner)
    v = _vars(vars, owner, VarAccess, VarAccess.READ_WRITE)
    pv = _vars(pre_vars, owner, VarAccess, VarAccess.READ_WRITE, "pre var")
    qv = _vars(post_vars, owner, VarAccess, VarAccess.READ_WRITE, "post var")
    pr = _refs(pre_neuron_var_refs, owner, "pre neuron var ref")
    qr = _refs(post_neuron_var_refs, owner, "post neuron var ref")
    e = _egps(extra_global_params, owner)
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in v + pv + qv],
                     [x.name for x in pr + qr], [x.name for x in e])
    codes = dict(pre_spike_syn_code=pre_spike_syn_code, pre_event_syn_code=pre_event_syn_code,
                 post_event_syn_code=post_event_syn_code, post_spike_syn_code=post_spike_syn_code,
                 synapse_dynamics_code=synapse_dynamics_code,
                 pre_event_threshold_condition_code=pre_event_threshold_condition_code,
                 post_event_threshold_condition_code=post_event_threshold_condition_code,
                 pre_spike_code=pre_spike_code, post_spike_code=post_spike_code,
                 pre_dynamics_code=pre_dynamics_code, post_dynamics_code=post_dynamics_code)
    codes = {k: _code(c, owner, k) for k, c in codes.items()}
    return WeightUpdateModel(class_name, p, d, e, v, pv, qv, pr, qr, **codes)


def create_custom_update_model(class_name: str, params: Sequence = (), vars: Sequence = (),
                               var_refs: Sequence = (), derived_params: Sequence = (),
                               update_code: Optional[str] = None,
                               extra_global_params: Sequence = (),
                               extra_global_param_refs: Sequence = ()) -> CustomUpdateModel:
    """Create a custom update model.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for :func:`create_neuron_model`.
    vars
        ``(name, type[, CustomUpdateVarAccess])`` own variables.
    var_refs
        ``(name, type[, VarAccessMode])`` references to variables of other groups.
    update_code
        Run per element (and batch) when the update group is triggered.
    extra_global_param_refs
        ``(name, type)`` references to other groups' extra global params.
    """
    check_label(class_name, "Custom update model class")
    owner = f"Custom update model '{class_name}'"
    p, d = _params(params, owner), _derived(derived_params, owner)
    v = _vars(vars, owner, CustomUpdateVarAccess, CustomUpdateVarAccess.READ_WRITE)
    r, e = _refs(var_refs, owner), _egps(extra_global_params, owner)
    er = _egps(extra_global_param_refs, owner, "extra global param ref")
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in v],
                     [x.name for x in r], [x.name for x in e + er])
    return CustomUpdateModel(class_name, p, d, e, v, r, er, _code(update_code, owner, "update_code"))


def create_custom_connectivity_update_model(
        class_name: str, params: Sequence = (), vars: Sequence = (), pre_vars: Sequence = (),
        post_vars: Sequence = (), derived_params: Sequence = (), var_refs: Sequence = (),
        pre_var_refs: Sequence = (), post_var_refs: Sequence = (),
        row_update_code: Optional[str] = None, host_update_code: Optional[str] = None,
        extra_global_params: Sequence = (),
        extra_global_param_refs: Sequence = ()) -> CustomConnectivityUpdateModel:
    """Create a custom connectivity update model (GeNN 5's names and semantics).

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for :func:`create_neuron_model`.
    vars, pre_vars, post_vars
        ``(name, type[, VarAccess])`` own variables: one per synapse, per presynaptic and per
        postsynaptic neuron (never batched).
    var_refs
        ``(name, type[, VarAccessMode])`` references to per-synapse variables of the synapse
        group (``create_wu_var_ref`` of it, or of a custom update or custom connectivity
        update on it).
    pre_var_refs, post_var_refs
        ``(name, type[, VarAccessMode])`` references to variables of the presynaptic /
        postsynaptic population (``create_var_ref``), or to pre / post vars of a custom
        connectivity update (``create_pre_var_ref`` / ``create_post_var_ref``).
    row_update_code
        Run once per presynaptic neuron ``id_pre``; ``for_each_synapse { ... }`` walks its row
        (``id_post``, ``id_syn`` and per-synapse names inside), ``remove_synapse()`` removes the
        current synapse, ``add_synapse(id_post[, values...])`` adds one.
    host_update_code
        Run once, on the host and single threaded, each time the update group runs: as in
        GeNN 5, the host stages of all custom connectivity updates of a group run first, then
        its custom updates, then the row updates (which see what they wrote). It works on whole arrays, not one row:
        params and derived params by name; extra global params as pointers
        (``NumRewirings[0]``); pre and post vars as arrays indexed by the code
        (``NumDormant[i]``); ``num_pre``, ``num_post``, ``row_stride`` (the synapse group's
        max row length), ``row_length`` (read-only array of the current row lengths), ``t``,
        ``dt``; ``gennrand()``, ``gennrand_uniform()``, ``gennrand_normal()``,
        ``gennrand_exponential()``, ``gennrand_log_normal(mean, sd)``, ``gennrand_gamma(a)``
        and ``gennrand_binomial(n, p)`` on a stream of its own; and GeNN's copy calls
        ``push<Name>ToDevice()`` / ``pull<Name>FromDevice()`` for pre and post vars,
        ``pullRowLengthFromDevice()``, and ``push<Name>ToDevice(count)`` /
        ``pull<Name>FromDevice(count)`` for extra global params (no-ops where host and device
        share memory). As in GeNN, per-synapse vars and every kind of reference (var refs,
        pre/post var refs, extra global param refs) cannot be used there.
    extra_global_param_refs
        ``(name, type)`` references to other groups' extra global params.
    """
    check_label(class_name, "Custom connectivity update model class")
    owner = f"Custom connectivity update model '{class_name}'"
    p, d = _params(params, owner), _derived(derived_params, owner)
    v = _vars(vars, owner, VarAccess, VarAccess.READ_WRITE)
    pv = _vars(pre_vars, owner, VarAccess, VarAccess.READ_WRITE, "pre var")
    qv = _vars(post_vars, owner, VarAccess, VarAccess.READ_WRITE, "post var")
    r = _refs(var_refs, owner)
    pr, qr = _refs(pre_var_refs, owner, "pre var ref"), _refs(post_var_refs, owner, "post var ref")
    e = _egps(extra_global_params, owner)
    er = _egps(extra_global_param_refs, owner, "extra global param ref")
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in v + pv + qv],
                     [x.name for x in r + pr + qr], [x.name for x in e + er])
    host = _code(host_update_code, owner, "host_update_code")
    return CustomConnectivityUpdateModel(class_name, p, d, e, v, pv, qv, r, pr, qr, er,
                                         _code(row_update_code, owner, "row_update_code"), host)


def create_var_init_snippet(class_name: str, params: Sequence = (), derived_params: Sequence = (),
                            var_init_code: Optional[str] = None,
                            extra_global_params: Sequence = ()) -> VarInitSnippet:
    """Create a variable initialisation snippet.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for models.
    var_init_code
        Assigns ``value`` for one element; may use ``id`` (or ``id_pre``/``id_post``/
        ``id_kernel``), ``batch`` and ``gennrand_*()``.
    """
    check_label(class_name, "Var init snippet class")
    owner = f"Var init snippet '{class_name}'"
    p, d, e = _params(params, owner), _derived(derived_params, owner), _egps(extra_global_params, owner)
    _check_namespace(owner, [x[0] for x in p], [x[0] for x in d], [x.name for x in e])
    code = _code(var_init_code, owner, "var_init_code")
    if not code.strip():
        raise ModelSpecError(f"{owner}: var_init_code is empty; it must assign 'value'")
    return VarInitSnippet(class_name, p, d, e, code)


def create_sparse_connect_init_snippet(class_name: str, params: Sequence = (),
                                       derived_params: Sequence = (),
                                       row_build_code: Optional[str] = None,
                                       calc_max_row_len_func: Optional[Callable] = None,
                                       calc_max_col_len_func: Optional[Callable] = None,
                                       extra_global_params: Sequence = (),
                                       **unsupported: Any) -> SparseConnectInitSnippet:
    """Create a sparse connectivity snippet.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for models.
    row_build_code
        Run once per presynaptic neuron ``id_pre``; calls ``addSynapse(id_post)``.
    calc_max_row_len_func
        ``f(num_pre, num_post, params) -> int``; defaults to ``num_post``.
    calc_max_col_len_func
        Accepted for pygenn compatibility.
    """
    check_label(class_name, "Sparse connect init snippet class")
    owner = f"Sparse connect init snippet '{class_name}'"
    if unsupported.get("col_build_code"):
        raise ModelSpecError(f"{owner}: col_build_code is not supported; write row_build_code")
    p, d, e = _params(params, owner), _derived(derived_params, owner), _egps(extra_global_params, owner)
    code = _code(row_build_code, owner, "row_build_code")
    if not code.strip():
        raise ModelSpecError(f"{owner}: row_build_code is empty; it must call addSynapse(id_post)")
    for f, n in ((calc_max_row_len_func, "calc_max_row_len_func"), (calc_max_col_len_func, "calc_max_col_len_func")):
        if f is not None and not callable(f):
            raise ModelSpecError(f"{owner}: {n} must be callable(num_pre, num_post, params), got {f!r}")
    return SparseConnectInitSnippet(class_name, p, d, e, code, calc_max_row_len_func, calc_max_col_len_func)


def create_toeplitz_connect_init_snippet(class_name: str, params: Sequence = (),
                                         derived_params: Sequence = (),
                                         diagonal_build_code: Optional[str] = None,
                                         calc_max_row_len_func: Optional[Callable] = None,
                                         calc_kernel_size_func: Optional[Callable] = None,
                                         extra_global_params: Sequence = ()) -> ToeplitzConnectInitSnippet:
    """Create a toeplitz connectivity snippet.

    The cpu backend executes the built-in kinds "Conv2D" and "AvgPoolConv2D"
    (:data:`ml_genn.engine.builtins.TOEPLITZ_SNIPPETS`); custom ``diagonal_build_code``
    is kept in the IR for other backends and rejected by the cpu backend at build.

    Parameters
    ----------
    class_name
        Name used in error messages (any non-empty string).
    params, derived_params, extra_global_params
        As for models.
    diagonal_build_code
        GeNN's per-diagonal build code.
    calc_max_row_len_func, calc_kernel_size_func
        Row length bound and kernel shape functions.
    """
    check_label(class_name, "Toeplitz connect init snippet class")
    owner = f"Toeplitz connect init snippet '{class_name}'"
    p, d, e = _params(params, owner), _derived(derived_params, owner), _egps(extra_global_params, owner)
    return ToeplitzConnectInitSnippet(class_name, p, d, e, _code(diagonal_build_code, owner, "diagonal_build_code"),
                                      calc_max_row_len_func, calc_kernel_size_func)
