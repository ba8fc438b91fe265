"""Custom connectivity update functions: GeNN 5's ``row_update_code``, run on demand by update
group over the rows of a SPARSE synapse group, that may remove and add synapses.

A row is ``ind[id_pre * max_row_length + k]`` for ``k < row_length[id_pre]`` (see
:mod:`.layout`), and every per-synapse variable of the group is stored in the same slots. So:

* ``remove_synapse()`` (inside ``for_each_synapse``) copies the row's last synapse, its target
  and every per-synapse variable (all batch copies), into the current slot, shortens the row and
  visits the current slot again, as GeNN 5 does;
* ``add_synapse(id_post, values...)`` appends at the row's end: ``values`` go to this update's
  own per-synapse vars, then to its var refs, in declaration order (one left out gets its
  constant initial value, 0 where it has none); every other per-synapse variable of the group
  (weights, optimiser moments, traces the update does not name) is set to 0, as GeNN 5
  does. A row never grows past
  ``max_row_length``: a full row (or an ``id_post`` out of range) counts a failed addition in
  this update's per-row counter instead (read from Python as ``num_failed_additions``).

Rows are independent and run in parallel; each has its own random number stream (seeded by
update name, custom update call count and row), so results do not depend on the thread count.

``host_update_code`` (GeNN 5's host stage, ``_ccu_host_<ci>``) runs once, single threaded,
each time the update runs. As in GeNN 5, an update group runs the host stages of all its
custom connectivity updates first, then its custom updates, then the rows (see
:meth:`.run_loop.RunLoopMixin.custom_update_dispatch`), so a host stage sees the row lengths
of before any of the group's rows ran. It sees whole arrays, not one row: pre and post
vars and extra global params as pointers, ``row_length`` (read only), ``row_stride``,
``num_pre``, ``num_post``, params, ``t``, ``dt`` and its own random number stream (seeded by
update name and custom update call count). GeNN's ``push<Name>ToDevice()`` /
``pull<Name>FromDevice()`` calls compile to nothing: host and "device" share one memory.
"""
from __future__ import annotations

from typing import List

import numpy as np

from ....engine.initialisers import VarInit
from ....engine.types import C_TYPES
from ..c_text import c_comment
from ..code_block import const_expr, uses_rng
from .kernel_frame import stream_id


def _default_value(v) -> str:
    """C expression of the value a new synapse's variable ``v`` starts with: its constant
    initial value, or 0 where it is initialised from an array or a snippet (as GeNN 5 zeroes
    such "dependent" variables)."""
    init = v.init
    zero = f"(({C_TYPES[v.type]})0)"
    if isinstance(init, VarInit) or init is None:
        return zero
    arr = np.asarray(init)
    if arr.size != 1 or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return zero
    value = float(arr.reshape(-1)[0])
    return const_expr(value, v.type)


class CustomConnectivityUpdateMixin:
    """Custom connectivity update functions (part of :class:`.generator.Generator`)."""

    def _ccu_slot_expr(self, v, batch: str, slot: str) -> str:
        return self._var_expr(v, batch, slot)

    def _ccu_helpers(self, ci, c) -> List[str]:
        """``_ccu_remove_<ci>`` and ``_ccu_add_<ci>``: move or create one synapse slot."""
        T, B = self.table, self.B
        sg = c.synapse_group
        M, npost = sg.max_row_length, sg.target.num_neurons
        ind, fail = T["ind", sg.name].cname, T["ccufail", c.name].cname

        def all_batches(v):
            return range(B) if v.batched else (0,)

        L = [f"static void _ccu_remove_{ci}(Ctx *_c, const size_t _dst, const size_t _src) {{ "
             f"{c_comment(c.name)}", T.locals_decl(),
             f"    {ind}[_dst] = {ind}[_src];"]
        for v in c.dependent_vars:
            for b in all_batches(v):
                L.append(f"    {self._ccu_slot_expr(v, str(b), '_dst')} = {self._ccu_slot_expr(v, str(b), '_src')};")
        L.append("}")
        explicit = list(c.vars.values()) + [t for _, t in c.resolved_var_refs.values()]
        L += [f"static void _ccu_add_{ci}(Ctx *_c, const uint32_t _id_pre, uint32_t *const _rl, "
              f"const double *const _a, const size_t _n) {{ {c_comment(c.name)}", T.locals_decl(),
              f"    if (!(_a[0] >= 0.0 && _a[0] < {npost}.0) || *_rl >= {M}u) {{ {fail}[_id_pre]++; return; }}",
              f"    const size_t _s = (size_t)_id_pre * {M} + *_rl;",
              f"    {ind}[_s] = (uint32_t)_a[0];"]
        explicit_ids = {id(v) for v in explicit}
        for v in c.dependent_vars:
            if id(v) in explicit_ids:
                continue
            zero = f"(({C_TYPES[v.type]})0)"
            for b in all_batches(v):
                L.append(f"    {self._ccu_slot_expr(v, str(b), '_s')} = {zero};")
        for k, v in enumerate(explicit):
            value = f"((_n > {k + 1}) ? ({C_TYPES[v.type]})_a[{k + 1}] : {_default_value(v)})"
            for b in all_batches(v):
                L.append(f"    {self._ccu_slot_expr(v, str(b), '_s')} = {value};")
        L += ["    (*_rl)++;", "}"]
        return L

    def _ccu_host(self, ci, c) -> List[str]:
        """``_ccu_host_<ci>``: the update's ``host_update_code``, run once per call."""
        T = self.table
        m, sg = c.model, c.synapse_group
        rowlen = T["rowlen", sg.name].cname
        env = {"dt": "DT", "num_pre": str(sg.source.num_neurons),
               "num_post": str(sg.target.num_neurons), "row_stride": str(sg.max_row_length),
               # Read only, as in GeNN: row lengths change through add/remove_synapse alone
               "row_length": f"((const uint32_t *){rowlen})",
               "pullRowLengthFromDevice(...)": "((void)0)"}
        env.update(self._param_env(m, c.param_values, c._dyn_names, ("dyn", "ccu", c.name)))
        env.update(self._egp_env(c.extra_global_params))
        # Pre and post vars are whole arrays here, indexed by the code (NumDormant[i])
        for v in list(c.pre_vars.values()) + list(c.post_vars.values()):
            env[v.name] = self.var_slot[id(v)].cname
        # GeNN's copies take no argument for vars and the element count for extra global
        # params (GeNN 4 took one for both): accept either form
        for name in list(c.pre_vars) + list(c.post_vars) + list(c.extra_global_params):
            env[f"push{name}ToDevice(...)"] = "((void)0)"
            env[f"pull{name}FromDevice(...)"] = "((void)0)"
        L = [f"static void _ccu_host_{ci}(Ctx *_c) {{ {c_comment(c.name)}", T.locals_decl(),
             "    uint64_t *const _ctl = _c->" + T["ctl",].cname + ";",
             f"    const scalar t = (scalar){T['time',].cname}[0];",
             "    const uint64_t _cu_step = _ctl[CTL_CU_STEP], _seed = _ctl[CTL_SEED];",
             "    (void)_cu_step; (void)_seed; (void)t;", "    {"]
        if uses_rng(m.host_update_code):
            # One stream per call, its own id: independent of the rows' streams and of threads
            L.append(f"    _rng_t _rng = _rng_make(_seed, {stream_id('ccu_host', c.name)}u, _cu_step, 0);")
        # GeNN gives host code no per-synapse names or references. Each is declared here as
        # a null pointer to an incomplete type whose name says so: a use as a value or an
        # array (NumDormant[i], as host code uses its own pre vars) fails at the user's line
        # naming it, while a local of the same name in the code's own scope still compiles
        # (as in GeNN); a local, so nothing is left to link.
        for kind, names in (("per_synapse_var", c.vars), ("var_ref", c.resolved_var_refs),
                            ("pre_var_ref", c.resolved_pre_var_refs),
                            ("post_var_ref", c.resolved_post_var_refs),
                            ("egp_ref", c.resolved_egp_refs)):
            for name in names:
                L.append(f"    struct {name}__is_a_{kind}_which_host_update_code_cannot_access "
                         f"*const {name} __attribute__((unused)) = 0;")
        L += self.emit.block(env, m.host_update_code, f"{m.class_name}.host_update_code", "    ")
        L += ["    }", "}"]
        return L

    def custom_connectivity_update(self, ci, c) -> List[str]:
        """The host stage ``_ccu_host_<ci>`` (where it has host code), the helpers and the row
        kernel ``_ccu_update_<ci>`` (where it has row code) of custom connectivity update ``c``."""
        T = self.table
        m, sg = c.model, c.synapse_group
        M, npre, npost = sg.max_row_length, sg.source.num_neurons, sg.target.num_neurons
        ind, rowlen = T["ind", sg.name].cname, T["rowlen", sg.name].cname
        syn = f"((size_t)_id_pre * {M} + (size_t)_k)"
        env = {"dt": "DT", "num_pre": str(npre), "num_post": str(npost), "num_batch": str(self.B),
               "id_pre": "_id_pre", "row_stride": str(M)}
        env.update(self._param_env(m, c.param_values, c._dyn_names, ("dyn", "ccu", c.name)))
        env.update(self._egp_env(c.extra_global_params))
        for name, (decl, egp) in c.resolved_egp_refs.items():
            slot = self.egp_slot[id(egp)]
            env[name] = slot.cname if egp.decl.is_pointer else f"({slot.cname}[0])"
        # Per-row names
        env.update(self._vars_env(c.pre_vars, "0", "_id_pre"))
        env.update(self._refs_env(c.resolved_pre_var_refs, "0", "_id_pre"))
        # Per-synapse names: only meaningful inside for_each_synapse (where _k exists)
        env["id_post"] = f"((uint32_t){ind}[{syn}])"
        env["id_syn"] = f"((size_t){syn})"
        env.update(self._vars_env(c.vars, "0", syn))
        env.update(self._refs_env(c.resolved_var_refs, "0", syn))
        # Postsynaptic names are read-only (unary plus makes an rvalue): rows run in parallel
        # and share their targets, so a write would race
        post = f"{ind}[{syn}]"
        for name, v in c.post_vars.items():
            env[name] = f"(+{self._var_expr(v, '0', post)})"
        for name, (decl, t) in c.resolved_post_var_refs.items():
            env[name] = f"(+{self._var_expr(t, '0', post)})"
        env["for_each_synapse"] = "for (int64_t _k = 0; _k < (int64_t)_rl; _k++)"
        env["remove_synapse()"] = (f"do {{ _ccu_remove_{ci}(_c, {syn}, (size_t)_id_pre * {M} + _rl - 1); "
                                   f"_rl--; _k--; }} while (0)")
        # At most one value per own var and var ref after id_post (GeNN 5 refuses more): a
        # compile-time check, reported at the user's line
        most = 1 + len(c.vars) + len(c.resolved_var_refs)
        count = "(sizeof((const double[]){__VA_ARGS__}) / sizeof(double))"
        env["add_synapse(...)"] = (
            f"do {{ _Static_assert({count} <= {most}, \"add_synapse takes id_post and at most "
            f"{most - 1} values (the update's own per-synapse vars, then its var refs)\"); "
            f"_ccu_add_{ci}(_c, _id_pre, &_rl, (const double[]){{__VA_ARGS__}}, {count}); }} "
            f"while (0)")
        rng = uses_rng(m.row_update_code)
        L = self._ccu_host(ci, c) if m.host_update_code.strip() else []
        if not m.row_update_code.strip():
            # A host stage alone (GeNN 5 allows it): no row kernel, nothing dispatched for rows
            return L
        L += self._ccu_helpers(ci, c)
        L += [f"static void _ccu_update_{ci}(Ctx *_c) {{ {c_comment(c.name)}", T.locals_decl(),
              "    uint64_t *const _ctl = _c->" + T["ctl",].cname + ";",
              f"    const scalar t = (scalar){T['time',].cname}[0];",
              "    const uint64_t _cu_step = _ctl[CTL_CU_STEP], _seed = _ctl[CTL_SEED];",
              "    (void)_cu_step; (void)_seed; (void)t;"]
        L += ["    #pragma omp parallel for schedule(static)",
              f"    for (uint32_t _id_pre = 0; _id_pre < {npre}; _id_pre++) {{",
              f"      uint32_t _rl = {rowlen}[_id_pre];"]
        if rng:
            # One stream per row: the same numbers whichever thread runs the row
            L.append(f"      _rng_t _rng = _rng_make(_seed, {stream_id('ccu', c.name)}u, _cu_step, _id_pre);")
        L += self.emit.block(env, m.row_update_code, f"{m.class_name}.row_update_code", "      ")
        L += [f"      {rowlen}[_id_pre] = _rl;", "    }", "}"]
        return L
