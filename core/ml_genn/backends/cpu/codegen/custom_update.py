"""Custom update functions: one per custom update, run on demand by update group, with batch
and neuron reductions and transposed weight refs."""
from __future__ import annotations

from typing import List

from ....engine.errors import ModelSpecError
from ....engine.synapse_matrix_type import SynapseMatrixType
from ..c_text import c_comment
from ..code_block import uses_rng
from .kernel_frame import stream_id

DENSE, SPARSE = SynapseMatrixType.DENSE, SynapseMatrixType.SPARSE


class CustomUpdateMixin:
    """Custom update functions (part of :class:`.generator.Generator`)."""

    def custom_update(self, ci, c) -> List[str]:
        B, T = self.B, self.table
        m = c.model
        env = {"batch": "_b", "num_batch": str(B), "dt": "DT"}
        env.update(self._param_env(m, c.param_values, c._dyn_names, ("dyn", "cu", c.name)))
        env.update(self._egp_env(c.extra_global_params))
        for name, (decl, egp) in c.resolved_egp_refs.items():
            slot = self.egp_slot[id(egp)]
            env[name] = slot.cname if egp.decl.is_pointer else f"({slot.cname}[0])"
        batch_red = [v for v in c.vars.values() if v.reduction and v.reduction[0] == "batch"]
        batch_red_refs = {n: r for n, r in c.resolved_refs.items() if r[0].access.reduction}
        neuron_red = [v for v in c.vars.values() if v.reduction and v.reduction[0] == "neuron"]
        if (batch_red or batch_red_refs) and neuron_red:
            raise ModelSpecError(f"{c.describe()}: mixes batch and neuron reductions; split it into two custom updates")
        sg = c.synapse_group
        E = c.num_elements
        Bc = B if c.batched else 1
        # Element -> indices
        idx = []
        if c.kind == "wu":
            npre, npost = sg.source.num_neurons, sg.target.num_neurons
            env["num_pre"], env["num_post"] = str(npre), str(npost)
            env["id_pre"], env["id_post"], env["id_syn"] = "_id_pre", "_id_post", "_e"
            idx += self._synapse_element_indices(sg, "")
            if sg.matrix_type not in (DENSE, SPARSE):
                env["id_kernel"] = "_e"
        else:
            env["id"] = "_e"
            env["num_neurons"] = str(E)
        rng = uses_rng(m.update_code)
        rng_line = (f"_rng_t _rng = _rng_make(_seed, {stream_id('cu', c.name)}u, _cu_step, (uint64_t)_b * {E} + _e);"
                    if rng else "")
        L = [f"static void _custom_update_{ci}(Ctx *_c) {{ {c_comment(c.name)}", T.locals_decl(),
             "    uint64_t *const _ctl = _c->" + T["ctl",].cname + ";",
             f"    const scalar t = (scalar){T['time',].cname}[0];",
             "    const uint64_t _cu_step = _ctl[CTL_CU_STEP], _seed = _ctl[CTL_SEED];",
             "    (void)_cu_step; (void)_seed; (void)t;"]
        red_vars = batch_red or neuron_red
        plain = {n: v for n, v in c.vars.items() if not v.reduction}
        env.update(self._vars_env(plain, "_b", "_e"))
        plain_refs = {n: (d, t) for n, (d, r, t) in c.resolved_refs.items() if not d.access.reduction}
        env.update(self._refs_env(plain_refs, "_b", "_e"))
        red_targets = []   # (local name, op, store expression)
        for v in red_vars:
            op = v.reduction[1]
            store = self._var_expr(v, "_b", "_e")
            red_targets.append((v.name, op, store, v.type))
        for n, (d, r, t) in batch_red_refs.items():
            red_targets.append((n, d.access.reduction, self._var_expr(t, "_b", "_e"), d.type))
        for name, op, store, type_name in red_targets:
            env[name] = f"_le_{name}"
        tp = []
        for n, (d, r, t) in c.resolved_refs.items():
            if r.transpose_group is not None:
                tv = r.transpose_group.vars[r.transpose_var_name]
                tn = r.group.source.num_neurons
                tp.append(f"{self._var_expr(tv, '_b', f'(size_t)_id_post * {tn} + _id_pre')} = {env[n]};")

        def ident(op, type_name):
            return "0" if op == "sum" else ("-INFINITY" if type_name in ("scalar", "float", "double") else "0")

        def combine(op, acc, x):
            return f"{acc} += {x};" if op == "sum" else f"if ({x} > {acc}) {acc} = {x};"

        body = [rng_line] if rng else []
        for name, op, store, type_name in red_targets:
            body.append(f"{type_name} _le_{name} = {ident(op, type_name)};")
        body += self.emit.block(env, m.update_code, f"{m.class_name}.update_code", "        ")
        body += tp
        if batch_red or batch_red_refs:
            # Elements in parallel, batches serially so each element's sum order is fixed.
            # Elements go in tiles so that each batch row is read contiguously: walking one
            # element's batch copies (a stride of E) misses the cache on every read.
            tile = 256
            L.append("    #pragma omp parallel for schedule(static)")
            L.append(f"    for (size_t _e0 = 0; _e0 < {E}; _e0 += {tile}) {{")
            L.append(f"      const size_t _e1 = (_e0 + {tile} < {E}) ? _e0 + {tile} : {E};")
            for name, op, store, type_name in red_targets:
                L.append(f"      {type_name} _lr_{name}[{tile}];")
                L.append(f"      for (size_t _e = _e0; _e < _e1; _e++) _lr_{name}[_e - _e0] = {ident(op, type_name)};")
            L.append(f"      for (uint32_t _b = 0; _b < {Bc}; _b++) {{")
            L.append("       for (size_t _e = _e0; _e < _e1; _e++) {")
            L += ["        " + x for x in idx]
            L += body
            for name, op, store, type_name in red_targets:
                L.append("        " + combine(op, f"_lr_{name}[_e - _e0]", f"_le_{name}"))
            L.append("       }")
            L.append("      }")
            L.append("      for (size_t _e = _e0; _e < _e1; _e++) {")
            L.append("        const uint32_t _b = 0; (void)_b;")
            for name, op, store, type_name in red_targets:
                L.append(f"        {store} = _lr_{name}[_e - _e0];")
            L.append("      }")
            L.append("    }")
        elif neuron_red:
            L.append(f"    #pragma omp parallel for schedule(static) if({Bc} > 1)")
            L.append(f"    for (uint32_t _b = 0; _b < {Bc}; _b++) {{")
            for name, op, store, type_name in red_targets:
                L.append(f"      {type_name} _lr_{name} = {ident(op, type_name)};")
            L.append(f"      for (size_t _e = 0; _e < {E}; _e++) {{")
            L += ["        " + x for x in idx]
            L += body
            for name, op, store, type_name in red_targets:
                L.append("        " + combine(op, f"_lr_{name}", f"_le_{name}"))
            L.append("      }")
            L.append("      { const size_t _e = 0; (void)_e;")
            for name, op, store, type_name in red_targets:
                L.append(f"        {store} = _lr_{name};")
            L.append("      }")
            L.append("    }")
        else:
            L.append("    #pragma omp parallel for collapse(2) schedule(static)")
            L.append(f"    for (uint32_t _b = 0; _b < {Bc}; _b++) for (size_t _e = 0; _e < {E}; _e++) {{")
            L += ["      " + x for x in idx]
            L += body
            L.append("    }")
        L.append("}")
        return L
