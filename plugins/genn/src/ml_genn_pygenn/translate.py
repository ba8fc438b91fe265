"""ModelSpec -> pygenn ``GeNNModel``: every IR concept the compilers use, one pygenn call each.

The IR is GeNN 5's model, so the translation is mostly a copy: code strings pass through
unchanged, access modes map by name, references map to pygenn's ``create_*_ref`` functions.
What differs, and why:

* Names. The IR lets groups and update groups be any text; GeNN puts them into generated C, so
  each gets a unique identifier (:class:`Names` keeps both directions).
* Derived parameters. The IR has already evaluated them (``param_values`` holds them), so they
  are passed to GeNN as ordinary parameters: one evaluation, the same values on every backend.
* Array-valued initial values. They are left uninitialised in GeNN and written by the runtime
  adapter after loading (:mod:`.runtime`), with the cpu backend's rules for broadcasting over
  the batch and for placing per-synapse values into sparse rows, so both backends start from
  the same state.
* Sparse connectivity given as indices. The adapter reproduces the cpu backend's row order
  (stable in the order given) instead of pygenn's sorted one, so saved ``pre_ind``/``post_ind``
  and per-synapse values mean the same on both.
* ``add_synapse`` in custom connectivity updates. GeNN's takes every value and assumes the row
  has room; the IR's fills values left out with their initial values and skips (and counts) an
  addition to a full row or an out-of-range target. Each call is wrapped to do the same
  (:func:`guarded_additions`; the count is a pre var of the translation's own).

Features GeNN cannot express raise :class:`~ml_genn_pygenn.errors.UnsupportedOnGeNNError`
naming the feature, the group and the backend, before anything is generated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ml_genn.engine import refs as R
from ml_genn.engine.initialisers import VarInit
from ml_genn.engine.synapse_matrix_type import SynapseMatrixType

from .errors import UnsupportedOnGeNNError

#: GeNN's names of the IR's built-in toeplitz snippets (same parameters, same kernel layout)
TOEPLITZ_BUILTINS = {"Conv2D": "Conv2D", "AvgPoolConv2D": "AvgPoolConv2D"}


def _identifier(name: str, taken: set) -> str:
    """An engine group name for ``name``: an identifier, unique within the model."""
    from ml_genn.engine.names import unique_identifier
    return unique_identifier(name, taken)


@dataclass
class Names:
    """IR group and update-group names and the GeNN identifiers standing for them."""
    groups: Dict[str, str] = field(default_factory=dict)
    update_groups: Dict[str, str] = field(default_factory=dict)
    _taken: set = field(default_factory=set)
    _taken_updates: set = field(default_factory=set)

    def group(self, name: str) -> str:
        if name not in self.groups:
            self.groups[name] = _identifier(name, self._taken)
        return self.groups[name]

    def update_group(self, name: str) -> str:
        if name not in self.update_groups:
            self.update_groups[name] = _identifier(name, self._taken_updates)
        return self.update_groups[name]


@dataclass
class Translation:
    """What :func:`translate` made: the pygenn model, its groups by IR name and the
    array-valued initial values the runtime writes after loading."""
    model: Any
    names: Names
    neuron_groups: Dict[str, Any]
    synapse_groups: Dict[str, Any]
    custom_updates: Dict[str, Any]
    custom_connectivity_updates: Dict[str, Any]
    #: (IR group kind, IR group name, var set attribute, var name) of each array init
    deferred_inits: List[Tuple[str, str, str, str]]
    #: Text describing every call, hashed into the build directory's name
    fingerprint: List[str]
    #: Every model and snippet object made: GeNN keeps raw pointers to them, so they must
    #: live as long as the model
    keep_alive: List[Any] = field(default_factory=list)
    #: Custom connectivity update name -> the pre var counting its refused additions
    failed_additions: Dict[str, str] = field(default_factory=dict)


def _access(pygenn: Any, access: Any) -> Any:
    """The pygenn enum member with the same name as an IR access mode."""
    for enum in (pygenn.VarAccess, pygenn.CustomUpdateVarAccess, pygenn.VarAccessMode):
        if type(access).__name__ == enum.__name__:
            return getattr(enum, access.name)
    raise TypeError(f"no pygenn access mode for {access!r}")


def _vars(pygenn: Any, decls: Any) -> List[tuple]:
    return [(v.name, v.type, _access(pygenn, v.access)) for v in decls]


def _refs(pygenn: Any, decls: Any) -> List[tuple]:
    return [(r.name, r.type, _access(pygenn, r.access)) for r in decls]


def _params(model: Any) -> List[tuple]:
    """Declared params and then evaluated derived params, all as plain GeNN params."""
    declared = list(model.params)
    names = {n for n, _ in declared}
    return declared + [(n, "scalar") for n, _ in model.derived_params if n not in names]


def _param_values(model: Any, values: Dict[str, Any]) -> Dict[str, Any]:
    wanted = [n for n, _ in _params(model)]
    return {n: values[n] for n in wanted}


def _egps(owner: str, decls: Any, backend: str) -> List[tuple]:
    for e in decls:
        if not e.is_pointer:
            raise UnsupportedOnGeNNError(
                f"{owner}: extra global param '{e.name}' has the scalar type '{e.type}'; GeNN 5 "
                f"(backend '{backend}') has only array extra global params. Declare it "
                f"'{e.type}*' and index [0], or make it a dynamic parameter "
                f"(set_param_dynamic), or use backend='cpu'")
    return [(e.name, e.type) for e in decls]


def _code(text: str) -> Optional[str]:
    return text if text else None


def _call_arguments(code: str, start: int) -> Optional[Tuple[int, List[str]]]:
    """The top-level arguments of the call whose ``(`` ends just before ``start``, and the
    index just past its ``)``; None where the parentheses do not close (GeNN reports that)."""
    depth, args, begin, i = 1, [], start, start
    while i < len(code) and depth:
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 1:
            args.append(code[begin:i])
            begin = i + 1
        i += 1
    if depth:
        return None
    args.append(code[begin:i - 1])
    if len(args) == 1 and not args[0].strip():
        args = []
    return i, args


def integer_delays(code: str) -> str:
    """``code`` with the delay argument of every ``addToPostDelay(x, d)`` cast to ``unsigned
    int``: GeNN requires an integer delay, while the IR (as the cpu backend, which casts it the
    same way) also takes a ``scalar`` one, e.g. the compilers' per-synapse delay variable."""
    out, pos = [], 0
    for match in re.finditer(r"\baddToPostDelay\s*\(", code):
        if match.start() < pos:
            continue
        parsed = _call_arguments(code, match.end())
        if parsed is None or len(parsed[1]) != 2:
            continue            # malformed: GeNN reports it
        end, (value, delay) = parsed
        out.append(code[pos:match.start()])
        out.append(f"{code[match.start():match.end()]}{value}, (unsigned int)({delay.strip()}))")
        pos = end
    out.append(code[pos:])
    return "".join(out)


_ADD_SYNAPSE = re.compile(r"\badd_synapse\s*\(")


def adds_synapses(code: str) -> bool:
    """Whether row update code calls ``add_synapse``.

    Parameters
    ----------
    code
        A custom connectivity update's ``row_update_code``.
    """
    return _ADD_SYNAPSE.search(code) is not None


def guarded_additions(code: str, defaults: List[str], failed_var: str, owner: str,
                      backend: str) -> str:
    """``code`` with every ``add_synapse(id_post, values...)`` made to keep the IR's promises
    on GeNN, whose ``add_synapse`` takes every value and assumes the row has room:

    * values left out get ``defaults`` (the initial values the cpu backend gives them);
    * a synapse is added only where the row has room and ``id_post`` is a target; otherwise
      pre var ``failed_var`` counts the refusal (``num_failed_additions``), as on the cpu
      backend, instead of GeNN writing past the row (or failing an assertion).

    Parameters
    ----------
    code
        The row update code.
    defaults
        A C literal for each value ``add_synapse`` takes after ``id_post`` (the update's own
        per-synapse vars, then its var refs, in declaration order).
    failed_var
        The (unsigned int) pre var counting refused additions.
    owner, backend
        For the error raised when a call passes more values than there are.
    """
    out, pos = [], 0
    for match in _ADD_SYNAPSE.finditer(code):
        if match.start() < pos:
            continue
        parsed = _call_arguments(code, match.end())
        if parsed is None or not parsed[1]:
            continue            # malformed: GeNN reports it
        end, args = parsed
        values = [a.strip() for a in args[1:]]
        if len(values) > len(defaults):
            raise UnsupportedOnGeNNError(
                f"{owner}: add_synapse({', '.join(a.strip() for a in args)}) passes "
                f"{len(values)} values, but the update has {len(defaults)} per-synapse vars and "
                f"var refs to set; GeNN (backend '{backend}') needs exactly one value for each "
                f"(the cpu backend ignores the extra ones)")
        values += defaults[len(values):]
        post = "mlgNewPost"
        call = f"add_synapse({', '.join([post] + values)})"
        out.append(code[pos:match.start()])
        # A do-while(false) is one statement wherever the call stood (the ';' follows it)
        out.append(f"do {{ const unsigned int {post} = ({args[0].strip()}); "
                   f"if ((row_length < row_stride) && ({post} < num_post)) {{ {call}; }} "
                   f"else {{ {failed_var}++; }} }} while (false)")
        pos = end
    out.append(code[pos:])
    return "".join(out)


def _literal(v: Any) -> Optional[str]:
    """A C literal of ``v``'s constant initial value, or None where it has none (an array
    or ``init_var``: a new synapse's value is then 0 on both backends)."""
    init = v.init
    if isinstance(init, VarInit) or init is None or np.size(init) != 1:
        return None
    value = np.asarray(init).reshape(-1)[0]
    if not (np.issubdtype(np.asarray(value).dtype, np.number) or isinstance(value, (bool, np.bool_))):
        return None
    if v.type in ("scalar", "float", "double"):
        return repr(float(value))
    return str(int(value))


class _Translator:
    def __init__(self, spec: Any, backend_name: str, preferences: Dict[str, Any]):
        import pygenn
        self.pg = pygenn
        self.spec = spec
        self.backend = backend_name
        self.preferences = preferences
        self.names = Names()
        self.fingerprint: List[str] = []
        self.deferred: List[Tuple[str, str, str, str]] = []
        self.ng: Dict[str, Any] = {}
        self.sg: Dict[str, Any] = {}
        self.cu: Dict[str, Any] = {}
        self.ccu: Dict[str, Any] = {}
        self.failed_additions: Dict[str, str] = {}
        self.keep_alive: List[Any] = []

    # ------------------------------------------------------------------ helpers
    def keep(self, obj: Any) -> Any:
        """``obj``, kept referenced for the model's lifetime (GeNN holds a raw pointer to it:
        a model or snippet collected by Python would leave GeNN reading freed memory)."""
        self.keep_alive.append(obj)
        return obj

    def note(self, *parts: Any) -> None:
        self.fingerprint.append(repr(parts))

    def var_values(self, kind: str, group: Any, attr: str, specs: Dict[str, Any]) -> Dict[str, Any]:
        """pygenn initial values: numbers stay numbers, init_var snippets are translated,
        arrays become uninitialised (None) and are written after loading."""
        out = {}
        for name, v in specs.items():
            init = v.init
            if isinstance(init, VarInit):
                snippet = init.snippet
                values = self.spec._param_values(f"{v.description} (init_var)", snippet,
                                                 init.params)
                out[name] = self.pg.init_var(self.var_init_snippet(snippet),
                                             _param_values(snippet, values))
                self.note("init_var", kind, group.name, attr, name, snippet.class_name,
                          snippet.var_init_code, sorted(values.items()))
            elif np.ndim(init) == 0 or np.size(init) == 1:
                value = np.asarray(init).reshape(()).item()
                out[name] = value
                self.note("var", kind, group.name, attr, name, value)
            else:
                out[name] = None
                self.deferred.append((kind, group.name, attr, name))
                self.note("array_var", kind, group.name, attr, name, np.shape(init))
        return out

    def var_init_snippet(self, snippet: Any) -> Any:
        return self.keep(self.pg.create_var_init_snippet(
            snippet.class_name, params=_params(snippet),
            var_init_code=snippet.var_init_code,
            extra_global_params=_egps(f"init_var({snippet.class_name})",
                                      snippet.extra_global_params, self.backend) or None))

    def var_ref(self, ref: Any) -> Any:
        pg, g = self.pg, ref.group
        if ref.kind == R.NEURON:
            return pg.create_var_ref(self.ng[g.name], ref.var_name)
        if ref.kind == R.CUSTOM_UPDATE:
            if g.kind == "wu":
                return pg.create_wu_var_ref(self.cu[g.name], ref.var_name)
            return pg.create_var_ref(self.cu[g.name], ref.var_name)
        if ref.kind == R.PSM:
            return pg.create_psm_var_ref(self.sg[g.name], ref.var_name)
        if ref.kind == R.WU:
            if ref.transpose_group is not None:
                return pg.create_wu_var_ref(self.sg[g.name], ref.var_name,
                                            self.sg[ref.transpose_group.name],
                                            ref.transpose_var_name)
            return pg.create_wu_var_ref(self.sg[g.name], ref.var_name)
        if ref.kind == R.WU_PRE:
            return pg.create_wu_pre_var_ref(self.sg[g.name], ref.var_name)
        if ref.kind == R.WU_POST:
            return pg.create_wu_post_var_ref(self.sg[g.name], ref.var_name)
        if ref.kind == R.CCU:
            return pg.create_wu_var_ref(self.ccu[g.name], ref.var_name)
        if ref.kind == R.CCU_PRE:
            return pg.create_pre_var_ref(self.ccu[g.name], ref.var_name)
        if ref.kind == R.CCU_POST:
            return pg.create_post_var_ref(self.ccu[g.name], ref.var_name)
        raise TypeError(f"unknown var ref kind {ref.kind!r}")

    def egp_ref(self, ref: Any) -> Any:
        pg, g = self.pg, ref.group
        if ref.kind == "neuron":
            return pg.create_egp_ref(self.ng[g.name], ref.egp_name)
        if ref.kind == "custom_update":
            return pg.create_egp_ref(self.cu[g.name], ref.egp_name)
        if ref.kind == "custom_connectivity_update":
            return pg.create_egp_ref(self.ccu[g.name], ref.egp_name)
        if ref.kind == "wu":
            return pg.create_wu_egp_ref(self.sg[g.name], ref.egp_name)
        if ref.kind == "psm":
            return pg.create_psm_egp_ref(self.sg[g.name], ref.egp_name)
        raise TypeError(f"unknown egp ref kind {ref.kind!r}")

    def set_egp_values(self, group: Any, pg_egps: Dict[str, Any], egps: Dict[str, Any]) -> None:
        for name, e in egps.items():
            if e.values is not None:
                pg_egps[name].set_init_values(np.asarray(e.values).reshape(-1))
                self.note("egp", group.name, name, np.shape(e.values))

    # ------------------------------------------------------------------ groups
    def check_model(self) -> None:
        spec, backend = self.spec, self.backend
        if backend == "single_threaded_cpu" and spec.batch_size != 1:
            raise UnsupportedOnGeNNError(
                f"Model '{spec.model_name}': batch_size {spec.batch_size} cannot run on GeNN's "
                f"'single_threaded_cpu' backend, which simulates batch_size 1 only; use "
                f"batch_size=1, a GPU backend ('cuda', 'hip') or backend='cpu'")
        for s in spec.synapse_populations.values():
            if s.matrix_type is SynapseMatrixType.TOEPLITZ and \
                    s.connectivity_init.snippet.builtin_kind not in TOEPLITZ_BUILTINS:
                raise UnsupportedOnGeNNError(
                    f"{s.describe()}: toeplitz snippet '{s.connectivity_init.snippet.class_name}' "
                    f"has no GeNN equivalent on backend '{backend}'")
            if s.matrix_type is SynapseMatrixType.SPARSE and s.connectivity_init is None \
                    and s.sparse_pre_inds is None:
                raise UnsupportedOnGeNNError(
                    f"{s.describe()}: SPARSE connectivity needs a snippet or indices")

    def neuron(self, g: Any) -> None:
        pg, m = self.pg, g.model
        model = self.keep(pg.create_neuron_model(
            m.class_name, params=_params(m), vars=_vars(pg, m.vars),
            sim_code=_code(m.sim_code), threshold_condition_code=_code(m.threshold_condition_code),
            reset_code=_code(m.reset_code),
            extra_global_params=_egps(g.describe(), m.extra_global_params, self.backend) or None,
            additional_input_vars=[tuple(a) for a in m.additional_input_vars] or None,
            auto_refractory_required=m.auto_refractory_required))
        self.note("neuron", g.name, g.num_neurons, m.class_name, m.code_fields(), m.params,
                  sorted(g.param_values.items()), _vars(pg, m.vars), m.extra_global_params,
                  m.additional_input_vars, sorted(g.dynamic_params.get("neuron", ())),
                  g.spike_recording_enabled, g.spike_event_recording_enabled)
        group = self.model.add_neuron_population(
            self.names.group(g.name), g.num_neurons, model, _param_values(m, g.param_values),
            self.var_values("neuron", g, "vars", g.vars))
        for name in sorted(g.dynamic_params.get("neuron", ())):
            group.set_param_dynamic(name)
        group.spike_recording_enabled = bool(g.spike_recording_enabled)
        group.spike_event_recording_enabled = bool(g.spike_event_recording_enabled)
        self.set_egp_values(g, group.extra_global_params, g.extra_global_params)
        self.ng[g.name] = group

    def synapse(self, s: Any) -> None:
        pg, wu, ps = self.pg, s.wu_model, s.ps_model
        wu_model = self.keep(pg.create_weight_update_model(
            wu.class_name, params=_params(wu), vars=_vars(pg, wu.vars),
            pre_vars=_vars(pg, wu.pre_vars), post_vars=_vars(pg, wu.post_vars),
            pre_neuron_var_refs=_refs(pg, wu.pre_neuron_var_refs),
            post_neuron_var_refs=_refs(pg, wu.post_neuron_var_refs),
            extra_global_params=_egps(s.describe(), wu.extra_global_params, self.backend) or None,
            **{f: _code(integer_delays(c)) for f, c in wu.code_fields().items()}))
        ps_model = self.keep(pg.create_postsynaptic_model(
            ps.class_name, params=_params(ps), vars=_vars(pg, ps.vars),
            neuron_var_refs=_refs(pg, ps.neuron_var_refs), sim_code=_code(ps.sim_code),
            extra_global_params=_egps(s.describe(), ps.extra_global_params, self.backend) or None))
        src, trg = self.ng[s.source.name], self.ng[s.target.name]
        wu_init = pg.init_weight_update(
            wu_model, _param_values(wu, s.wu_param_values),
            self.var_values("synapse", s, "vars", s.vars),
            self.var_values("synapse", s, "pre_vars", s.pre_vars),
            self.var_values("synapse", s, "post_vars", s.post_vars),
            {n: pg.create_var_ref(src, t.name) for n, (_, t) in s.pre_var_ref_targets.items()},
            {n: pg.create_var_ref(trg, t.name) for n, (_, t) in s.post_var_ref_targets.items()})
        ps_init = pg.init_postsynaptic(
            ps_model, _param_values(ps, s.ps_param_values),
            self.var_values("synapse", s, "psm_vars", s.psm_vars),
            {n: pg.create_var_ref(trg, t.name) for n, (_, t) in s.psm_var_ref_targets.items()})
        connectivity = None
        if s.matrix_type is SynapseMatrixType.TOEPLITZ:
            snippet = s.connectivity_init.snippet
            names = [n for n, _ in snippet.params]
            connectivity = pg.init_toeplitz_connectivity(
                TOEPLITZ_BUILTINS[snippet.builtin_kind],
                {n: s.conn_param_values[n] for n in names})
        elif s.matrix_type is SynapseMatrixType.SPARSE and s.sparse_pre_inds is None:
            snippet = s.connectivity_init.snippet
            connectivity = pg.init_sparse_connectivity(
                self.keep(pg.create_sparse_connect_init_snippet(
                    snippet.class_name, params=_params(snippet),
                    row_build_code=snippet.row_build_code,
                    calc_max_row_len_func=snippet.calc_max_row_len_func,
                    calc_max_col_len_func=snippet.calc_max_col_len_func,
                    extra_global_params=_egps(s.describe(), snippet.extra_global_params,
                                              self.backend) or None)),
                _param_values(snippet, s.conn_param_values))
        self.note("synapse", s.name, s.matrix_type.name, s.source.name, s.target.name,
                  wu.class_name, wu.code_fields(), wu.params, sorted(s.wu_param_values.items()),
                  _vars(pg, wu.vars), _vars(pg, wu.pre_vars), _vars(pg, wu.post_vars),
                  _refs(pg, wu.pre_neuron_var_refs), _refs(pg, wu.post_neuron_var_refs),
                  ps.class_name, ps.code_fields(), ps.params, sorted(s.ps_param_values.items()),
                  _vars(pg, ps.vars), s.axonal_delay_steps, s.max_dendritic_delay_timesteps,
                  s.post_target_var, s.pre_target_var, s.max_row_length,
                  sorted(s.conn_param_values.items()) if hasattr(s, "conn_param_values") else None,
                  {r: sorted(v) for r, v in s.dynamic_params.items()},
                  getattr(s.connectivity_init, "snippet", None) and
                  getattr(s.connectivity_init.snippet, "row_build_code", None))
        group = self.model.add_synapse_population(
            self.names.group(s.name), s.matrix_type.name, src, trg, wu_init, ps_init, connectivity)
        if s.axonal_delay_steps:
            group.axonal_delay_steps = s.axonal_delay_steps
        if s.max_dendritic_delay_timesteps > 1:
            group.max_dendritic_delay_timesteps = s.max_dendritic_delay_timesteps
        if s.post_target_var != "Isyn":
            group.post_target_var = s.post_target_var
        if s.pre_target_var != "Isyn":
            group.pre_target_var = s.pre_target_var
        if s.matrix_type is SynapseMatrixType.SPARSE:
            # The cpu backend's row capacity, so per-synapse storage has the same layout
            group.max_connections = max(1, int(s.max_row_length))
            if s.sparse_pre_inds is not None:
                self._sparse_indices(s, group)
        for role, names in s.dynamic_params.items():
            setter = group.set_wu_param_dynamic if role == "wu" else group.set_ps_param_dynamic
            for name in sorted(names):
                setter(name)
        self.set_egp_values(s, group.extra_global_params, s.extra_global_params)
        self.set_egp_values(s, group.psm_extra_global_params, s.psm_extra_global_params)
        self.sg[s.name] = group

    @staticmethod
    def _sparse_indices(s: Any, group: Any) -> None:
        """Connectivity from indices, in the cpu backend's row order: rows ascending, each
        row's synapses in the order given (pygenn's ``set_sparse_connections`` would sort
        them by postsynaptic index). pygenn copies these into the model when it loads."""
        pre, post = s.sparse_pre_inds, s.sparse_post_inds
        order = s.sparse_order
        group.synapse_order = order
        group.row_lengths = np.bincount(pre, minlength=s.source.num_neurons).astype(np.uint32)
        group.ind = post[order]
        group.connections_set = True

    def custom_update(self, c: Any) -> None:
        pg, m = self.pg, c.model
        model = self.keep(pg.create_custom_update_model(
            m.class_name, params=_params(m), vars=_vars(pg, m.vars),
            var_refs=_refs(pg, m.var_refs), update_code=_code(m.update_code),
            extra_global_params=_egps(c.describe(), m.extra_global_params, self.backend) or None,
            extra_global_param_refs=[(e.name, e.type) for e in m.extra_global_param_refs] or None))
        self.note("custom_update", c.name, c.update_group_name, m.class_name, m.update_code,
                  m.params, sorted(c.param_values.items()), _vars(pg, m.vars),
                  _refs(pg, m.var_refs),
                  {n: (r.group.name, r.var_name, r.kind, getattr(r.transpose_group, "name", None))
                   for n, r in c.var_refs.items()},
                  {n: (r.group.name, r.egp_name, r.kind) for n, r in c.egp_refs.items()},
                  sorted(c.dynamic_params.get("cu", ())))
        group = self.model.add_custom_update(
            self.names.group(c.name), self.names.update_group(c.update_group_name), model,
            _param_values(m, c.param_values), self.var_values("custom_update", c, "vars", c.vars),
            {n: self.var_ref(r) for n, r in c.var_refs.items()},
            {n: self.egp_ref(r) for n, r in c.egp_refs.items()})
        for name in sorted(c.dynamic_params.get("cu", ())):
            group.set_param_dynamic(name)
        self.set_egp_values(c, group.extra_global_params, c.extra_global_params)
        self.cu[c.name] = group

    def custom_connectivity_update(self, c: Any) -> None:
        pg, m = self.pg, c.model
        row_code, failed_var = m.row_update_code, None
        pre_vars = _vars(pg, m.pre_vars)
        pre_values = self.var_values("ccu", c, "pre_vars", c.pre_vars)
        if adds_synapses(row_code):
            taken = {n for n, _ in _params(m)} | {d.name for d in (
                *m.vars, *m.pre_vars, *m.post_vars, *m.var_refs, *m.pre_var_refs,
                *m.post_var_refs, *m.extra_global_params, *m.extra_global_param_refs)}
            failed_var = _identifier("mlgFailedAdditions", taken)
            row_code = guarded_additions(row_code, self.addition_defaults(c), failed_var,
                                         c.describe(), self.backend)
            pre_vars.append((failed_var, "unsigned int"))
            pre_values[failed_var] = 0
            self.failed_additions[c.name] = failed_var
        model = self.keep(pg.create_custom_connectivity_update_model(
            m.class_name, params=_params(m), vars=_vars(pg, m.vars),
            pre_vars=pre_vars, post_vars=_vars(pg, m.post_vars),
            var_refs=_refs(pg, m.var_refs), pre_var_refs=_refs(pg, m.pre_var_refs),
            post_var_refs=_refs(pg, m.post_var_refs), row_update_code=_code(row_code),
            host_update_code=_code(m.host_update_code),
            extra_global_params=_egps(c.describe(), m.extra_global_params, self.backend) or None,
            extra_global_param_refs=[(e.name, e.type) for e in m.extra_global_param_refs] or None))
        self.note("custom_connectivity_update", c.name, c.update_group_name,
                  c.synapse_group.name, m.class_name, m.code_fields(), row_code,
                  sorted(c.param_values.items()), _vars(pg, m.vars), _refs(pg, m.var_refs),
                  pre_vars)
        group = self.model.add_custom_connectivity_update(
            self.names.group(c.name), self.names.update_group(c.update_group_name),
            self.sg[c.synapse_group.name], model, _param_values(m, c.param_values),
            self.var_values("ccu", c, "vars", c.vars), pre_values,
            self.var_values("ccu", c, "post_vars", c.post_vars),
            {n: self.var_ref(r) for n, r in c.var_refs.items()},
            {n: self.var_ref(r) for n, r in c.pre_var_refs.items()},
            {n: self.var_ref(r) for n, r in c.post_var_refs.items()},
            {n: self.egp_ref(r) for n, r in c.egp_refs.items()})
        for name in sorted(c.dynamic_params.get("ccu", ())):
            group.set_param_dynamic(name)
        self.set_egp_values(c, group.extra_global_params, c.extra_global_params)
        self.ccu[c.name] = group

    def addition_defaults(self, c: Any) -> List[str]:
        """What ``add_synapse`` of custom connectivity update ``c`` gives a new synapse's
        per-synapse variables where the call leaves them out: each its constant initial
        value (0 without one), as the cpu backend does (GeNN itself requires them all)."""
        explicit = [c.vars[d.name] for d in c.model.vars] + \
            [c.resolved_var_refs[d.name][1] for d in c.model.var_refs]
        defaults = []
        for v in explicit:
            literal = _literal(v)
            if literal is not None and not np.isfinite(float(literal)):
                raise UnsupportedOnGeNNError(
                    f"{c.describe()}: {v.description} starts at {literal}, which GeNN (backend "
                    f"'{self.backend}') cannot give a synapse added by add_synapse without a "
                    f"value; pass the value to add_synapse")
            defaults.append(literal or "0")
        # Every other per-synapse variable of the group is zeroed by GeNN, as by the cpu
        # backend
        return defaults

    def updates_in_dependency_order(self) -> List[Any]:
        """Custom updates and custom connectivity updates, each after every update it refers
        to (pygenn needs a group to exist before a reference to it is made)."""
        pending = list(self.spec.custom_connectivity_updates.values()) + \
            list(self.spec.custom_updates.values())
        done: set = set()
        ordered = []
        while pending:
            progress = False
            for c in list(pending):
                refs = list(c.var_refs.values()) + list(c.egp_refs.values()) + \
                    list(getattr(c, "pre_var_refs", {}).values()) + \
                    list(getattr(c, "post_var_refs", {}).values())
                needs = {id(r.group) for r in refs
                         if getattr(r.group, "group_kind", None) in
                         ("custom_update", "custom_connectivity_update")} - {id(c)}
                if needs <= done:
                    ordered.append(c)
                    done.add(id(c))
                    pending.remove(c)
                    progress = True
            if not progress:
                raise UnsupportedOnGeNNError(
                    f"Custom updates {[c.name for c in pending]} refer to each other in a cycle; "
                    f"GeNN (backend '{self.backend}') needs each referenced update to exist first")
        return ordered

    def translate(self) -> Translation:
        spec, pg = self.spec, self.pg
        self.check_model()
        self.model = pg.GeNNModel(spec.precision, _identifier(spec.model_name, set()),
                                  backend=self.backend, **self.preferences)
        self.model.dt = float(spec.dt)
        self.model.batch_size = int(spec.batch_size)
        self.model.seed = int(spec.seed)
        self.model.timing_enabled = bool(spec.timing_enabled)
        # The seed is part of GeNN's generated code (0: GeNN draws one when loading)
        self.note("model", spec.precision, spec.model_name, self.backend, float(spec.dt),
                  spec.batch_size, int(spec.seed), bool(spec.timing_enabled),
                  sorted(self.preferences.items()))
        for g in spec.neuron_populations.values():
            self.neuron(g)
        for s in spec.synapse_populations.values():
            self.synapse(s)
        for c in self.updates_in_dependency_order():
            if c.group_kind == "custom_update":
                self.custom_update(c)
            else:
                self.custom_connectivity_update(c)
        return Translation(self.model, self.names, self.ng, self.sg, self.cu, self.ccu,
                           self.deferred, self.fingerprint, self.keep_alive,
                           self.failed_additions)


def translate(spec: Any, backend_name: str,
              preferences: Optional[Dict[str, Any]] = None) -> Translation:
    """Build the pygenn ``GeNNModel`` of a finalized :class:`ml_genn.engine.ModelSpec`.

    Parameters
    ----------
    spec
        The finalized model.
    backend_name
        GeNN backend module name (``"single_threaded_cpu"``, ``"cuda"``, ``"hip"``).
    preferences
        pygenn backend preferences (``GeNNModel``'s ``**preference_kwargs``).
    """
    return _Translator(spec, backend_name, dict(preferences or {})).translate()
