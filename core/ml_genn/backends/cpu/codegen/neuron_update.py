"""Neuron update kernels: one per neuron group, running its incoming postsynaptic models, its
synapse groups' pre/post dynamics, ``sim_code``, the threshold test and, on a spike, the reset
and pre/post spike code; then spikes are queued and recorded (see :mod:`.spike_queue`)."""
from __future__ import annotations

from typing import List

from ....engine.errors import ModelSpecError
from ..code_block import const_expr, uses_rng
from .kernel_frame import stream_id


class NeuronUpdateMixin:
    """Neuron update kernels (part of :class:`.generator.Generator`)."""

    def neuron_update(self, gi, g) -> List[str]:
        B, N, D = self.B, g.num_neurons, g.num_delay_slots
        T, L = self.table, []
        nm = g.model
        base = {"id": "_i", "batch": "_b", "num_neurons": str(N), "num_batch": str(B), "dt": "DT"}
        codes = [nm.sim_code, nm.threshold_condition_code, nm.reset_code]
        for s in g.in_syn:
            codes += [s.ps_model.sim_code, s.wu_model.post_dynamics_code, s.wu_model.post_spike_code]
        for s in g.out_syn:
            codes += [s.wu_model.pre_dynamics_code, s.wu_model.pre_spike_code,
                      s.wu_model.pre_event_threshold_condition_code]
        rng = uses_rng(*codes)
        event_groups = [s for s in g.out_syn if s.wu_model.pre_event_threshold_condition_code]
        if len(event_groups) > 28:
            raise ModelSpecError(f"{g.describe()}: more than 28 outgoing synapse groups use spike-like events")
        L += self._kernel_head(f"_neuron_update_{gi}", g.name)
        head_length = len(L)
        self._dyn_locals = {}
        if D > 1:
            q = self.ctl_slots[("qptr", g.name)]
            L.append(f"    const uint32_t _slot = (uint32_t)((_ctl[{q}] + 1) % {D}); _ctl[{q}] = _slot;")
        else:
            L.append("    const uint32_t _slot = 0;")
        if g.history_vars:
            h = self.ctl_slots[("histptr", g.name)]
            L.append(f"    const uint32_t _hslot = (uint32_t)((_ctl[{h}] + 1) % {g.history_slots}); _ctl[{h}] = _hslot;")
        queue_head, queue_append, queue_tail = self._spike_queue_code(g, event_groups)
        L.append("    const uint64_t _nrec = _ctl[CTL_NUM_REC];")
        L.append("    const uint64_t _rt = _ctl[CTL_REC_ROW];")
        L.append("    const uint64_t _nvrec = _ctl[CTL_VAR_REC];")
        L.append("    const uint64_t _vrt = _ctl[CTL_VAR_REC_ROW]; (void)_vrt;")
        if self.slice_mode and self._is_spike_source(g, rng, event_groups):
            L += self._spike_source_loop(g, base, queue_head, queue_append, queue_tail)
            L.append("}")
            return self._hoist_dynamic_params(L, head_length)
        if self.slice_mode:
            # One thread walks one batch element's neurons in ascending order, so spikes are
            # queued (and recorded) as they are detected: no flags array and no second pass
            L.append("    for (uint32_t _b = _b0; _b < _b1; _b++) {")
            L += queue_head
            L.append(f"    for (uint32_t _i = 0; _i < {N}; _i++) {{")
        else:
            L.append("    #pragma omp parallel for collapse(2) schedule(static)")
            L.append(f"    for (uint32_t _b = _b0; _b < _b1; _b++) for (uint32_t _i = 0; _i < {N}; _i++) {{")
        if rng:
            L.append(f"        _rng_t _rng = _rng_make(_seed, {stream_id('neuron', g.name)}u, _step, (uint64_t)_b * {N} + _i);")
        L.append(f"        {self.sc} Isyn = 0; uint32_t _flag = 0;")
        for name, type_name, init in nm.additional_input_vars:
            L.append(f"        {type_name} {name} = {const_expr(init, type_name)};")
        nvars = self._vars_env(g.vars, "_b", "_i")
        # Incoming synapse groups: dendritic delay front, postsynaptic model
        for s in g.in_syn:
            insyn = f"{T['insyn', s.name].cname}[(size_t)_b * {N} + _i]"
            if s.uses_dendritic_delay:
                DD = s.max_dendritic_delay_timesteps
                den = T["den", s.name].cname
                p = self.ctl_slots[("denptr", s.name)]
                L.append(f"        {{ {self.sc} *_front = &{den}[((size_t)_b * {DD} + _ctl[{p}]) * {N} + _i]; "
                         f"{insyn} += *_front; *_front = 0; }}")
            if s.ps_model.sim_code:
                env = dict(base)
                env.update(self._param_env(s.ps_model, s.ps_param_values, s._dyn_psm, ("dyn", "psm", s.name)))
                env.update(self._egp_env(s.psm_extra_global_params))
                env.update(self._vars_env(s.psm_vars, "_b", "_i"))
                env.update(self._refs_env(s.psm_var_ref_targets, "_b", "_i"))
                env["inSyn"] = f"({insyn})"
                env["injectCurrent(_x)"] = f"({s.post_target_var} += (_x))"
                L += self.emit.block(env, s.ps_model.sim_code, f"{s.ps_model.class_name}.sim_code", "        ")
        for s in g.out_syn:
            if s.uses_add_to_pre:
                outpre = f"{T['outpre', s.name].cname}[(size_t)_b * {N} + _i]"
                L.append(f"        {s.pre_target_var} += {outpre}; {outpre} = 0;")
        # Weight update models' pre and post dynamics run after the neuron's sim_code and
        # before its threshold test, as in GeNN 5: they see this step's updated (not yet reset)
        # neuron variables
        dynamics = []
        for s in g.out_syn:
            if s.wu_model.pre_dynamics_code:
                dynamics += self.emit.block(self._wu_pre_env(s, base), s.wu_model.pre_dynamics_code,
                                            f"{s.wu_model.class_name}.pre_dynamics_code", "        ")
        for s in g.in_syn:
            if s.wu_model.post_dynamics_code:
                dynamics += self.emit.block(self._wu_post_env(s, base), s.wu_model.post_dynamics_code,
                                            f"{s.wu_model.class_name}.post_dynamics_code", "        ")
        genv = dict(base)
        genv.update(self._param_env(nm, g.param_values, g._dyn_names, ("dyn", "neuron", g.name)))
        genv.update(self._egp_env(g.extra_global_params))
        genv.update(nvars)
        if nm.sim_code:
            # As in GeNN, what sim_code declares (e.g. a threshold computed each step) is
            # visible to the threshold condition and reset code of the same neuron
            L += self.emit.block(genv, nm.sim_code, f"{nm.class_name}.sim_code", "        ",
                                 scoped=False)
        L += dynamics
        for k, s in enumerate(event_groups):
            L.append("        { bool _ev;")
            L += self.emit.block(self._wu_pre_env(s, base), s.wu_model.pre_event_threshold_condition_code,
                                 f"{s.wu_model.class_name}.pre_event_threshold_condition_code", "        ",
                                 expression=True, target="_ev")
            L.append(f"          if (_ev) _flag |= 2u | (4u << {k}); }}")
        if nm.threshold_condition_code:
            L.append("        { bool _spike;")
            L += self.emit.block(genv, nm.threshold_condition_code, f"{nm.class_name}.threshold_condition_code",
                                 "        ", expression=True, target="_spike")
            # Spikes are rare: keep the path without one straight, whatever the spike path
            # holds (recording made the compiler move the common path out of line: +25%)
            L.append("        if (__builtin_expect(_spike, 0)) {")
            L.append("            _flag |= 1u;")
            L += self._spike_code(g, genv, base)
            L.append("        } }")
        for name, v in g.history_vars.items():
            hist = T["posthist", g.name, name].cname
            L.append(f"        {hist}[((size_t)_b * {g.history_slots} + _hslot) * {N} + _i] = {nvars[name]};")
        var_record = self._var_record_code(g, nvars)
        if self.slice_mode:
            L.append("        { const uint32_t _f = _flag; if (__builtin_expect(_f != 0, 0)) {")
            L += ["    " + line for line in queue_append]
            L.append("        } }")
            L.append("    }")
            L += var_record
            L += queue_tail
            L.append("    }")
        else:
            flags = T["flags", g.name].cname
            L.append(f"        {flags}[(size_t)_b * {N} + _i] = _flag;")
            L.append("    }")
            # Serial-per-batch compaction keeps spike order (ascending id) independent of threads.
            L.append(f"    #pragma omp parallel for schedule(static) if({B} > 1)")
            L.append("    for (uint32_t _b = _b0; _b < _b1; _b++) {")
            L += queue_head
            L.append(f"        for (uint32_t _i = 0; _i < {N}; _i++) {{")
            L.append(f"            const uint32_t _f = {flags}[(size_t)_b * {N} + _i];")
            L.append("            if (!_f) continue;")
            L += queue_append
            L.append("        }")
            L += var_record
            L += queue_tail
            L.append("    }")
        L.append("}")
        return self._hoist_dynamic_params(L, head_length)

    def _var_record_code(self, g, env) -> List[str]:
        """Copies of batch element ``_b``'s recorded variables into their rings (rows
        ``[_b][timestep % _nvrec]``), after the neuron loop: a per-variable branch inside the
        loop halved EventProp's speed."""
        T, N = self.table, g.num_neurons
        return [f"        if (_nvrec && {T['vrec', g.name, name].cname}) "
                f"for (uint32_t _i = 0; _i < {N}; _i++) "
                f"{T['vrec', g.name, name].cname}[((size_t)_b * _nvrec + _vrt) * {N} + _i] "
                f"= {env[name]};" for name in g.vars]

    def _spike_code(self, g, genv, base) -> List[str]:
        """What a neuron of ``g`` runs when it spikes: its reset, then its synapse groups'
        presynaptic and postsynaptic spike code."""
        nm, L = g.model, []
        if nm.reset_code:
            L += self.emit.block(genv, nm.reset_code, f"{nm.class_name}.reset_code", "            ")
        for s in g.out_syn:
            if s.wu_model.pre_spike_code:
                L += self.emit.block(self._wu_pre_env(s, base), s.wu_model.pre_spike_code,
                                     f"{s.wu_model.class_name}.pre_spike_code", "            ")
        for s in g.in_syn:
            if s.wu_model.post_spike_code:
                L += self.emit.block(self._wu_post_env(s, base), s.wu_model.post_spike_code,
                                     f"{s.wu_model.class_name}.post_spike_code", "            ")
        return L

    @staticmethod
    def _is_spike_source(g, rng, event_groups) -> bool:
        """Whether ``g`` only tests a threshold each step: no sim code, no input, no random
        numbers, no spike-like events, nothing per neuron besides the threshold test (spike
        inputs are). Its neurons are then tested many at a time (see _spike_source_loop)."""
        nm = g.model
        return (bool(nm.threshold_condition_code) and not (nm.sim_code or "").strip()
                and not g.in_syn and not rng and not event_groups and not g.history_vars
                and not nm.additional_input_vars
                and not any(s.uses_add_to_pre or s.wu_model.pre_dynamics_code for s in g.out_syn))

    def _spike_source_loop(self, g, base, queue_head, queue_append, queue_tail) -> List[str]:
        """Slice-mode loop of a spike source: per block of 64 neurons, the threshold test of all
        of them into a bit mask (a loop without branches, which the compiler vectorises), then
        reset and queue only the neurons whose bit is set, in ascending order as the plain loop
        would. The plain loop's branch per neuron cost 4-7 cycles a neuron on the benchmark
        input layer, and its speed swung by a third with where unrelated code happened to lie
        (branch-predictor aliasing); the mask is cheap and does not depend on layout."""
        N = g.num_neurons
        nm = g.model
        genv = dict(base)
        genv.update(self._param_env(nm, g.param_values, g._dyn_names, ("dyn", "neuron", g.name)))
        genv.update(self._egp_env(g.extra_global_params))
        genv.update(self._vars_env(g.vars, "_b", "_i"))
        L = ["    for (uint32_t _b = _b0; _b < _b1; _b++) {"]
        L += queue_head
        L.append(f"    for (uint32_t _i0 = 0; _i0 < {N}; _i0 += 64) {{")
        L.append(f"        const uint32_t _i1 = ({N} - _i0 < 64) ? {N} : _i0 + 64;")
        L.append("        uint64_t _fired = 0;")
        L.append("        for (uint32_t _i = _i0; _i < _i1; _i++) { bool _spike;")
        L += self.emit.block(genv, nm.threshold_condition_code,
                             f"{nm.class_name}.threshold_condition_code", "        ",
                             expression=True, target="_spike")
        L.append("            _fired |= (uint64_t)_spike << (_i - _i0); }")
        L.append("        while (_fired) {")
        L.append("            const uint32_t _i = _i0 + (uint32_t)__builtin_ctzll(_fired);")
        L.append("            _fired &= _fired - 1u;")
        L += self._spike_code(g, genv, base)
        L.append("            { const uint32_t _f = 1u;")
        L += ["    " + line for line in queue_append]
        L.append("            }")
        L.append("        }")
        L.append("    }")
        L += self._var_record_code(g, genv)
        L += queue_tail
        L.append("    }")
        return L
