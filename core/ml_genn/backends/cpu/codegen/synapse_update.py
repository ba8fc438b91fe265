"""Synapse update kernels: one per synapse group with synaptic code, doing synapse dynamics,
presynaptic spike and spike-like event propagation (from the source group's spike queues,
with axonal and dendritic delays) and postsynaptic learning."""
from __future__ import annotations

from typing import List

from ....engine.errors import ModelSpecError
from ....engine.synapse_matrix_type import SynapseMatrixType
from ..code_block import delayed_macro, rewrite_delayed_reads, uses_rng
from ..timing import TIMING_POSTSYNAPTIC, TIMING_PRESYNAPTIC, TIMING_SYNAPSE_DYNAMICS
from .kernel_frame import stream_id

DENSE = SynapseMatrixType.DENSE


class SynapseUpdateMixin:
    """Synapse update kernels (part of :class:`.generator.Generator`)."""

    def _syn_env(self, s):
        """Per-synapse environment; loop code defines _b, id_pre, id_post, id_syn."""
        T = self.table
        npre, npost = s.source.num_neurons, s.target.num_neurons
        env = {"batch": "_b", "num_batch": str(self.B), "dt": "DT"}
        env.update(self._wu_common_env(s, {}))
        env["id_pre"], env["id_post"], env["id_syn"] = "_id_pre", "_id_post", "_id_syn"
        env.update(self._vars_env(s.vars, "_b", "_id_syn"))
        env.update(self._vars_env(s.pre_vars, "_b", "_id_pre"))
        env.update(self._vars_env(s.post_vars, "_b", "_id_post"))
        env.update(self._refs_env(s.pre_var_ref_targets, "_b", "_id_pre"))
        env.update(self._refs_env(s.post_var_ref_targets, "_b", "_id_post"))
        env["addToPost(_x)"] = "(_insyn_row[_id_post] += (_x))"
        if s.uses_dendritic_delay:
            DD = s.max_dendritic_delay_timesteps
            env["addToPostDelay(_x, _d)"] = (f"({T['den', s.name].cname}[((size_t)_b * {DD} + (_denptr + (uint32_t)(_d)) % {DD}) "
                                            f"* {npost} + _id_post] += (_x))")
        if s.uses_add_to_pre:
            env["addToPre(_x)"] = f"({T['outpre', s.name].cname}[(size_t)_b * {npre} + _id_pre] += (_x))"
        for name, target in s.delayed_post_refs.items():
            g = s.target
            h = self.ctl_slots[("histptr", g.name)]
            hist = T["posthist", g.name, target.name].cname
            live = self._var_expr(target, "_b", "_id_post")
            env[f"{delayed_macro(name)}(_d)"] = (f"{self.history_readers[(g.name, target.name)]}({hist}, {live}, "
                                                  f"(int64_t)(_d), _ctl[{h}], _b, _id_post)")
        return env

    def _syn_prologue(self, s) -> List[str]:
        L = []
        if s.uses_dendritic_delay:
            L.append(f"    const uint32_t _denptr = (uint32_t)_ctl[{self.ctl_slots[('denptr', s.name)]}];")
        return L

    def synapse_update(self, si, s) -> List[str]:
        B, T = self.B, self.table
        npre, npost = s.source.num_neurons, s.target.num_neurons
        wu = s.wu_model
        if not (wu.pre_spike_syn_code or wu.pre_event_syn_code or wu.post_spike_syn_code or wu.synapse_dynamics_code):
            return []
        L = self._kernel_head(f"_synapse_update_{si}", s.name)
        head_length = len(L)
        self._dyn_locals = {}
        L += self._syn_prologue(s)
        env = self._syn_env(s)
        D = s.source.num_delay_slots
        insyn = T["insyn", s.name].cname
        label = wu.class_name
        nsyn = s.num_synapse_slots
        if wu.synapse_dynamics_code:
            rng = uses_rng(wu.synapse_dynamics_code)
            body = []
            if rng:
                body.append(f"        _rng_t _rng = _rng_make(_seed, {stream_id('syndyn', s.name)}u, _step, (uint64_t)_b * {nsyn} + _id_syn);")
            body += self.emit.block(env, rewrite_delayed_reads(wu.synapse_dynamics_code, s.delayed_post_refs),
                                    f"{label}.synapse_dynamics_code", "        ")
            section = self._par("    #pragma omp parallel for schedule(static)")
            section.append("    for (uint32_t _b = _b0; _b < _b1; _b++) {")
            section.append(f"      {self.sc} *restrict const _insyn_row = &{insyn}[(size_t)_b * {npost}]; (void)_insyn_row;")
            section.append(f"      for (uint32_t _id_pre = 0; _id_pre < {npre}; _id_pre++) {{")
            section += self._row_loop(s, body, "        ")
            section.append("      }")
            section.append("    }")
            L += self._timed(TIMING_SYNAPSE_DYNAMICS, section)
        for code_field, queue, cntq, ctx in (("pre_spike_syn_code", "spk", "spkcnt", "presyn"),
                                              ("pre_event_syn_code", "ev", "evcnt", "preevt")):
            code = getattr(wu, code_field)
            if not code:
                continue
            if queue == "spk":
                qarr, carr = T["spk", s.source.name].cname, T["spkcnt", s.source.name].cname
            else:
                if not wu.pre_event_threshold_condition_code:
                    raise ModelSpecError(f"{s.describe()}: weight update model '{wu.class_name}' has "
                                         f"pre_event_syn_code but no pre_event_threshold_condition_code")
                qarr, carr = T["ev", s.name].cname, T["evcnt", s.name].cname
            if D > 1:
                q = self.ctl_slots[("qptr", s.source.name)]
                slot = f"(uint32_t)((_ctl[{q}] + {D - s.axonal_delay_steps}) % {D})"
            else:
                slot = "0"
            rng = uses_rng(code)
            body = []
            if rng:
                body.append(f"        _rng_t _rng = _rng_make(_seed, {stream_id(ctx, s.name)}u, _step, (uint64_t)_b * {nsyn} + _id_syn);")
            # One presynaptic neuron per row: its addToPre terms are summed locally
            row_env = dict(env, **{"addToPre(_x)": "(_pre_acc += (_x))"}) \
                if s.uses_add_to_pre else env
            body += self.emit.block(row_env, rewrite_delayed_reads(code, s.delayed_post_refs),
                                    f"{label}.{code_field}", "        ")
            presynaptic_start = len(L)
            L.append(f"    {{ const uint32_t _slot = {slot};")
            spike_loop_head = [
                f"      {self.sc} *restrict const _insyn_row = &{insyn}[(size_t)_b * {npost}]; (void)_insyn_row;",
                f"      const uint32_t _n = {carr}[(size_t)_b * {D} + _slot];",
                f"      const uint32_t *_q = &{qarr}[((size_t)_b * {D} + _slot) * {npre}];",
                "      for (uint32_t _k0 = 0; _k0 < _n; _k0++) {",
                "        const uint32_t _id_pre = _q[_k0];"]
            if self._can_split_targets(s) and not self.slice_mode:
                # Fewer batch elements than threads: each thread walks every spike over its own
                # contiguous range of targets. Writes land only on its targets (the code writes
                # nothing presynaptic), and each target sees spikes in the same order as serially,
                # so results equal the serial ones bit for bit.
                L.append("#ifdef _OPENMP")
                L.append(f"    if ({B} < omp_get_max_threads() && {npost} >= 64) {{")
                L.append("      #pragma omp parallel")
                L.append("      { const uint32_t _nt = (uint32_t)omp_get_num_threads(), _tid = (uint32_t)omp_get_thread_num();")
                L.append(f"        const uint32_t _j0 = (uint32_t)((uint64_t){npost} * _tid / _nt), _j1 = (uint32_t)((uint64_t){npost} * (_tid + 1) / _nt);")
                L.append("        for (uint32_t _b = _b0; _b < _b1; _b++) {")
                L += spike_loop_head
                if s.matrix_type is DENSE:
                    L.append("        for (uint32_t _id_post = _j0; _id_post < _j1; _id_post++) {")
                    L.append(f"            const size_t _id_syn = (size_t)_id_pre * {npost} + _id_post;")
                    L += body
                    L.append("        }")
                else:
                    # SPARSE rows and convolution kernels: every thread scans the row and keeps
                    # the targets in its range
                    keep_own = ["            if (_id_post < _j0 || _id_post >= _j1) continue;"]
                    L += self._row_loop(s, keep_own + body, "        ")
                L.append("        } } }")
                L.append("    } else")
                L.append("#endif")
            L.append("    {")
            L += self._par(f"    #pragma omp parallel for schedule(static) if({B} > 1)")
            L.append("    for (uint32_t _b = _b0; _b < _b1; _b++) {")
            L += spike_loop_head
            L += self._row_loop(s, body, "        ", pre_accumulator=s.uses_add_to_pre)
            L.append("      }")
            L.append("    } } }")
            if not self._presynaptic_only(s):
                L[presynaptic_start:] = self._timed(TIMING_PRESYNAPTIC, L[presynaptic_start:])
        if wu.post_spike_syn_code:
            Dp = s.target.num_delay_slots
            if Dp > 1:
                q = self.ctl_slots[("qptr", s.target.name)]
                slot = f"(uint32_t)_ctl[{q}]"
            else:
                slot = "0"
            rng = uses_rng(wu.post_spike_syn_code)
            body = []
            if rng:
                body.append(f"        _rng_t _rng = _rng_make(_seed, {stream_id('postsyn', s.name)}u, _step, (uint64_t)_b * {nsyn} + _id_syn);")
            body += self.emit.block(env, rewrite_delayed_reads(wu.post_spike_syn_code, s.delayed_post_refs),
                                    f"{label}.post_spike_syn_code", "        ")
            postsynaptic_start = len(L)
            L.append(f"    {{ const uint32_t _slot = {slot};")
            L += self._par(f"    #pragma omp parallel for schedule(static) if({B} > 1)")
            L.append("    for (uint32_t _b = _b0; _b < _b1; _b++) {")
            L.append(f"      {self.sc} *restrict const _insyn_row = &{insyn}[(size_t)_b * {npost}]; (void)_insyn_row;")
            L.append(f"      const uint32_t _n = {T['spkcnt', s.target.name].cname}[(size_t)_b * {Dp} + _slot];")
            L.append(f"      const uint32_t *_q = &{T['spk', s.target.name].cname}[((size_t)_b * {Dp} + _slot) * {npost}];")
            L.append("      for (uint32_t _k0 = 0; _k0 < _n; _k0++) {")
            L.append("        const uint32_t _id_post = _q[_k0];")
            if s.matrix_type is DENSE:
                L.append(f"        for (uint32_t _id_pre = 0; _id_pre < {npre}; _id_pre++) {{")
                L.append(f"          const size_t _id_syn = (size_t)_id_pre * {npost} + _id_post;")
                L += body
                L.append("        }")
            else:
                L.append(f"        for (uint32_t _k = 0; _k < {T['collen', s.name].cname}[_id_post]; _k++) {{")
                L.append(f"          const size_t _id_syn = {T['remap', s.name].cname}[(size_t)_id_post * _ctl[{self.ctl_slots[('maxcol', s.name)]}] + _k];")
                L.append(f"          const uint32_t _id_pre = (uint32_t)(_id_syn / {s.max_row_length});")
                L += body
                L.append("        }")
            L.append("      }")
            L.append("    } }")
            L[postsynaptic_start:] = self._timed(TIMING_POSTSYNAPTIC, L[postsynaptic_start:])
        L.append("}")
        return self._hoist_dynamic_params(L, head_length)
