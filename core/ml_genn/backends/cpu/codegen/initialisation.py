"""Initialisation functions: building SPARSE connectivity from its snippet
(``ml_genn_init_connectivity``) and initialising variables from their snippets
(``ml_genn_init_vars``)."""
from __future__ import annotations

from typing import List

from ....engine.initialisers import VarInit
from ....engine.synapse_matrix_type import SynapseMatrixType
from ....engine.types import C_TYPES
from .kernel_frame import stream_id

SPARSE = SynapseMatrixType.SPARSE


class InitialisationMixin:
    """Initialisation functions (part of :class:`.generator.Generator`)."""

    def init_functions(self) -> List[str]:
        T, B = self.table, self.B
        L = ["void ml_genn_init_connectivity(Ctx *_c) {", T.locals_decl(),
             "    uint64_t *const _ctl = _c->" + T["ctl",].cname + ";",
             "    const uint64_t _seed = _ctl[CTL_SEED]; (void)_seed;"]
        for si, s in enumerate(self.spec.synapse_populations.values()):
            if s.matrix_type is not SPARSE or s.sparse_pre_inds is not None:
                continue
            sn = s.connectivity_init.snippet
            M = s.max_row_length
            env = {"id_pre": "_id_pre", "num_pre": str(s.source.num_neurons), "num_post": str(s.target.num_neurons),
                   "num_batch": str(B), "dt": "DT"}
            env.update(self._param_env(sn, s.conn_param_values, [], None))
            env["addSynapse(_j)"] = (f"do {{ if (_rl < {M}) {{ {T['ind', s.name].cname}[(size_t)_id_pre * {M} + _rl] = "
                                     f"(uint32_t)(_j); }} _rl++; }} while (0)")
            L.append("    #pragma omp parallel for schedule(static)")
            L.append(f"    for (uint32_t _id_pre = 0; _id_pre < {s.source.num_neurons}; _id_pre++) {{")
            L.append(f"      _rng_t _rng = _rng_make(_seed, {stream_id('conn', s.name)}u, 0, _id_pre); (void)_rng;")
            L.append("      uint32_t _rl = 0;")
            L += self.emit.block(env, sn.row_build_code, f"{sn.class_name}.row_build_code", "      ")
            L.append(f"      if (_rl > {M}) {{ _ctl[CTL_OVERFLOW] = {si + 1}; _rl = {M}; }}")
            L.append(f"      {T['rowlen', s.name].cname}[_id_pre] = _rl;")
            L.append("    }")
        L.append("}")
        L += ["void ml_genn_init_vars(Ctx *_c) {", T.locals_decl(),
              "    uint64_t *const _ctl = _c->" + T["ctl",].cname + ";",
              "    const uint64_t _seed = _ctl[CTL_SEED]; (void)_seed;"]
        for g in self.spec.neuron_populations.values():
            for v in g.vars.values():
                L += self._init_var(v, g.describe(), {"num_neurons": str(g.num_neurons)}, None)
        for s in self.spec.synapse_populations.values():
            ext = {"num_pre": str(s.source.num_neurons), "num_post": str(s.target.num_neurons)}
            for v in s.vars.values():
                L += self._init_var(v, s.describe(), ext, s)
            for vs in (s.pre_vars, s.post_vars, s.psm_vars):
                for v in vs.values():
                    L += self._init_var(v, s.describe(), dict(ext, num_neurons=str(v.num_elements)), None)
        for c in self.spec.custom_updates.values():
            sg = c.synapse_group if c.kind == "wu" else None
            for v in c.vars.values():
                L += self._init_var(v, c.describe(), {"num_neurons": str(c.num_elements)}, sg)
        for c in self.spec.custom_connectivity_updates.values():
            sg = c.synapse_group
            ext = {"num_pre": str(sg.source.num_neurons), "num_post": str(sg.target.num_neurons)}
            for v in c.vars.values():
                L += self._init_var(v, c.describe(), ext, sg)
            for vs in (c.pre_vars, c.post_vars):
                for v in vs.values():
                    L += self._init_var(v, c.describe(), dict(ext, num_neurons=str(v.num_elements)), None)
        for g in self.spec.neuron_populations.values():
            # Every past value starts as the initial one, as GeNN initialises all delay slots
            D, N = g.history_slots, g.num_neurons
            for name, v in g.history_vars.items():
                hist = T["posthist", g.name, name].cname
                L.append(f"    for (uint32_t _b = 0; _b < {B}; _b++) for (uint32_t _k = 0; _k < {D}; _k++) "
                         f"for (uint32_t _i = 0; _i < {N}; _i++)")
                L.append(f"        {hist}[((size_t)_b * {D} + _k) * {N} + _i] = {self._var_expr(v, '_b', '_i')};")
        L.append("}")
        return L

    def _init_var(self, v, owner, extra_env, sg) -> List[str]:
        if not isinstance(v.init, VarInit):
            return []
        sn = v.init.snippet
        pv = self.spec._param_values(f"{v.description} (init_var)", sn, v.init.params)
        env = {"batch": "_b", "num_batch": str(self.B), "dt": "DT", "id": "_e"}
        env.update(extra_env)
        env.update(self._param_env(sn, pv, [], None))
        Bv = self.B if v.batched else 1
        E = v.num_elements if v.per_element else 1
        L = ["    #pragma omp parallel for collapse(2) schedule(static)",
             f"    for (uint32_t _b = 0; _b < {Bv}; _b++) for (size_t _e = 0; _e < {E}; _e++) {{"]
        if sg is not None:
            env.update({"id_pre": "_id_pre", "id_post": "_id_post", "id_syn": "_e", "id_kernel": "_e"})
            L += self._synapse_element_indices(sg, "      ")
        L.append(f"      _rng_t _rng = _rng_make(_seed, {stream_id('init', owner, v.name)}u, 0, (uint64_t)_b * {E} + _e); (void)_rng;")
        L.append(f"      {self.sc} value = 0;")
        L += self.emit.block(env, sn.var_init_code, f"{sn.class_name}.var_init_code", "      ")
        L.append(f"      {self._var_expr(v, '_b', '_e')} = ({self._ctype(v)})value;")
        L.append("    }")
        return L

    def _ctype(self, v):
        return C_TYPES[v.type]
