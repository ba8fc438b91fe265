"""Environments of code strings: what each bare name in a user's code expands to (params,
extra global params, vars and var refs of the code's group and element)."""
from __future__ import annotations

from ..code_block import const_expr


class EnvironmentMixin:
    """Macro environments for code strings (part of :class:`.generator.Generator`)."""

    def _param_env(self, model, values, dyn_names, dyn_key, ptype_of=None):
        env = {}
        types = dict(model.params)
        for name, value in values.items():
            if name in dyn_names:
                k = dyn_names.index(name)
                value = f"{self.table[dyn_key].cname}[{k}]"
                if self._dyn_locals is not None:
                    # Inside a timestep kernel: read once on entry (a dynamic param cannot change
                    # during a run, and the compiler cannot always prove the array unaliased)
                    local = f"_dp_{self.table[dyn_key].cname}_{k}"
                    self._dyn_locals[local] = value
                    value = local
                env[name] = f"(({types.get(name, 'scalar')}){value})"
            else:
                env[name] = const_expr(value, types.get(name, "scalar"))
        return env

    def _egp_env(self, egps):
        env = {}
        for e in egps.values():
            slot = self.egp_slot[id(e)]
            env[e.name] = slot.cname if e.decl.is_pointer else f"({slot.cname}[0])"
        return env

    @staticmethod
    def _index(v, batch, elem, n):
        parts = []
        if v.batched:
            parts.append(f"(size_t)({batch})*{n}" if v.per_element else f"({batch})")
        if v.per_element:
            parts.append(f"({elem})")
        return " + ".join(parts) if parts else "0"

    def _var_expr(self, v, batch, elem):
        slot = self.var_slot[id(v)]
        return f"({slot.cname}[{self._index(v, batch, elem, v.num_elements)}])"

    def _vars_env(self, var_specs, batch, elem):
        return {v.name: self._var_expr(v, batch, elem) for v in var_specs.values()}

    def _refs_env(self, resolved, batch, elem):
        return {name: self._var_expr(target, batch, elem) for name, (decl, target) in resolved.items()}

    def _wu_common_env(self, s, base):
        env = dict(base)
        env.update(self._param_env(s.wu_model, s.wu_param_values, s._dyn_wu, ("dyn", "wu", s.name)))
        env.update(self._egp_env(s.extra_global_params))
        env.update({"num_pre": str(s.source.num_neurons), "num_post": str(s.target.num_neurons)})
        return env

    def _wu_pre_env(self, s, base):
        env = self._wu_common_env(s, base)
        env["id_pre"] = "_i"
        env.update(self._vars_env(s.pre_vars, "_b", "_i"))
        env.update(self._refs_env(s.pre_var_ref_targets, "_b", "_i"))
        return env

    def _wu_post_env(self, s, base):
        env = self._wu_common_env(s, base)
        env["id_post"] = "_i"
        env.update(self._vars_env(s.post_vars, "_b", "_i"))
        env.update(self._refs_env(s.post_var_ref_targets, "_b", "_i"))
        return env
