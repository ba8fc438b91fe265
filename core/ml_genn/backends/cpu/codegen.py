"""Generate one C source for a finalized :class:`ModelSpec`.

Layout conventions (Python allocates, see :mod:`.array_table`):

* a batched per-element variable is ``[batch][element]``; shared ones drop ``batch``;
* spike queues are ``[batch][delay slot][neuron]`` with counts ``[batch][delay slot]``;
* SPARSE rows are ragged: ``ind[pre * max_row_length + k]`` for ``k < row_length[pre]``;
* dendritic delay buffers are ``[batch][slot][post]``; spike recording is
  ``[batch][timestep % num_recording_timesteps][words]`` with bit ``id % 32`` of word ``id / 32``,
  plus the number of set bits per row in ``[batch][timestep % num_recording_timesteps]``, and a
  spike log ``[batch][capacity]`` of the ids of the current ring cycle (restarted at ring row 0)
  in queue order, with its count per batch element; both are written from the step's spike
  queue once the neuron loop is done;
* a neuron variable recorded natively (switched on at runtime, NULL otherwise) is
  ``[timestep % ctl[CTL_VAR_REC]][batch][neuron]``.

Threads: batch elements are independent within a run, so with a batch ``ml_genn_run(n)`` opens
one OpenMP region in which each thread takes a contiguous slice of batch elements and runs each
of them through all ``n`` steps, with its own copy of the step counters (timestep, RNG step,
queue and delay pointers, which depend on the step alone). There is no synchronisation per
step, an element's state stays in cache across steps, and a descheduled thread delays only its
own elements. A batch of one instead parallelises each step over neurons and, where nothing
presynaptic is written, over target ranges of spike propagation (bit-equal to serial).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from ...engine.errors import ModelSpecError
from ...engine.initialisers import VarInit
from ...engine.synapse_matrix_type import SynapseMatrixType
from .array_table import ArrayTable
from .c_support import LOG_COUNT_STRIDE, SPIKE_LOG_IDS_PER_WORD, epilogue, prelude
from .timing import (MAX_TIMING_THREADS, TICK_SLOT_STRIDE, TIMING_CATEGORIES, TIMING_NEURON,
                     TIMING_POSTSYNAPTIC, TIMING_PRESYNAPTIC, TIMING_SYNAPSE_DYNAMICS,
                     timing_support)
from .code_block import (CodeEmitter, const_expr, delayed_macro, resolve_line_marks,
                         rewrite_delayed_reads, uses_rng)

DENSE, SPARSE, TOEPLITZ = SynapseMatrixType.DENSE, SynapseMatrixType.SPARSE, SynapseMatrixType.TOEPLITZ
SOURCE_NAME = "model.c"
NUM_FIXED_CTL = 9
CTL_CU_STEP = 5
CTL_VAR_REC = 6


def stream_id(*parts) -> int:
    """Stable RNG stream id for a code context (independent of Python's hash seed)."""
    return zlib.crc32("/".join(str(p) for p in parts).encode()) & 0xFFFFFFFF


@dataclass
class GeneratedModel:
    """The generated source with everything the loader needs to drive it."""
    source: str
    table: ArrayTable
    ctl_slots: Dict[tuple, int]
    num_ctl: int
    update_groups: List[str]
    code_labels: Dict[str, str]
    block_ends: Dict[int, str] = field(default_factory=dict)


class Generator:
    """Turns a finalized spec into C (one instance per build)."""

    def __init__(self, spec):
        self.spec = spec
        self.B = spec.batch_size
        self.table = ArrayTable()
        self.emit = CodeEmitter()
        self.ctl_slots: Dict[tuple, int] = {}
        self.var_slot: Dict[int, object] = {}   # id(VarSpec) -> ArraySlot
        self.egp_slot: Dict[int, object] = {}   # id(EGPSpec) -> ArraySlot
        self.history_readers: Dict[tuple, str] = {}   # (group, var) -> C reader of its history
        self.sc = "scalar"
        self._dyn_locals = None   # dynamic params read on entry to the kernel being generated
        # With a batch, each thread owns a slice of batch elements for a whole run_timesteps
        # call (batch elements are independent within a run): one parallel region per call, no
        # barrier per timestep. A batch of one keeps per-step parallel loops over neurons and
        # targets instead.
        self.slice_mode = spec.batch_size > 1

    # ------------------------------------------------------------------ layout
    def _ctl(self, key) -> int:
        self.ctl_slots[key] = NUM_FIXED_CTL + len(self.ctl_slots)
        return self.ctl_slots[key]

    def _add_var(self, key, v):
        slot = self.table.add(key, v.dtype, self.spec.var_shape(v))
        self.var_slot[id(v)] = slot
        return slot

    def _add_egps(self, kind, group_name, egps):
        for e in egps.values():
            vt = e.decl.value_type
            from ...engine.types import numpy_dtype
            dtype = numpy_dtype(vt, self.spec.precision)
            n = 1 if not e.decl.is_pointer else (0 if e.values is None else int(np.asarray(e.values).size))
            slot = self.table.add(("egp", kind, group_name, e.name), dtype, (n,))
            self.egp_slot[id(e)] = slot

    def _add_dyn(self, kind, group):
        names = sorted(group.dynamic_params.get(kind, ()))
        if names:
            self.table.add(("dyn", kind, group.name), np.float64, (len(names),))
        return names

    def layout(self):
        spec, B = self.spec, self.B
        t = self.table
        t.add(("ctl",), np.uint64, (0,))       # size fixed after layout
        t.add(("time",), np.float64, (1,))
        if spec.timing_enabled:
            groups = {c.update_group_name for c in spec.custom_updates.values()}
            t.add(("timing_ticks",), np.uint64, (MAX_TIMING_THREADS * TICK_SLOT_STRIDE,))
            t.add(("timing",), np.float64, (TIMING_CATEGORIES + len(groups),))
        for g in spec.neuron_populations.values():
            N, D = g.num_neurons, g.num_delay_slots
            for v in g.vars.values():
                self._add_var(("nvar", g.name, v.name), v)
            t.add(("spkcnt", g.name), np.uint32, (B, D), zero_on_reset=True)
            t.add(("spk", g.name), np.uint32, (B, D, N))
            if not self.slice_mode:
                # Spike flags for the second, per-batch compaction pass (slices queue directly)
                t.add(("flags", g.name), np.uint32, (B, N))
            t.add(("rec_spk", g.name), np.uint32, (0,))
            t.add(("rec_evt", g.name), np.uint32, (0,))
            # Set bits per recorded row, [timestep % num_recording_timesteps][batch]: decoding
            # then needs no counting pass and stops scanning a row at its last spike
            t.add(("rec_spk_n", g.name), np.uint32, (0,))
            t.add(("rec_evt_n", g.name), np.uint32, (0,))
            # The spike ids of each batch element's current ring cycle, in the order queued
            # (room for SPIKE_LOG_IDS_PER_WORD per row word), and how many there were: a
            # recorder reading a batch from ring row 0 copies them instead of scanning bits
            t.add(("rec_log", g.name), np.uint32, (0,))
            t.add(("rec_log_n", g.name), np.uint64, (0,))
            for v in g.vars.values():
                # Native recording of this variable after every step: empty (NULL) until a
                # recorder switches it on, so recording nothing costs one untaken branch
                t.add(("vrec", g.name, v.name), v.dtype, (0,))
            if g.history_vars:
                # Past values of variables synapse code reads with a delay (X_post[d]):
                # [batch][slot][neuron], slot advanced once per step by the neuron update.
                # Cleared with the other in-flight state (like dendritic delay buffers).
                for name, v in g.history_vars.items():
                    t.add(("posthist", g.name, name), v.dtype, (B, g.history_slots, N), zero_on_reset=True)
                self._ctl(("histptr", g.name))
            self._add_egps("neuron", g.name, g.extra_global_params)
            g._dyn_names = self._add_dyn("neuron", g)
            if D > 1:
                self._ctl(("qptr", g.name))
        for s in spec.synapse_populations.values():
            npre, npost = s.source.num_neurons, s.target.num_neurons
            for v in s.vars.values():
                self._add_var(("wu", s.name, v.name), v)
            for v in s.pre_vars.values():
                self._add_var(("wu_pre", s.name, v.name), v)
            for v in s.post_vars.values():
                self._add_var(("wu_post", s.name, v.name), v)
            for v in s.psm_vars.values():
                self._add_var(("psm", s.name, v.name), v)
            t.add(("insyn", s.name), self._scalar_dtype(), (B, npost), zero_on_reset=True)
            if s.uses_dendritic_delay:
                t.add(("den", s.name), self._scalar_dtype(), (B, s.max_dendritic_delay_timesteps, npost),
                      zero_on_reset=True)
                self._ctl(("denptr", s.name))
            if s.uses_add_to_pre:
                t.add(("outpre", s.name), self._scalar_dtype(), (B, npre), zero_on_reset=True)
            if s.matrix_type is SPARSE:
                t.add(("rowlen", s.name), np.uint32, (npre,))
                t.add(("ind", s.name), np.uint32, (npre * s.max_row_length,))
                t.add(("collen", s.name), np.uint32, (npost,))
                t.add(("remap", s.name), np.uint32, (0,))
                if s.wu_model.post_spike_syn_code:
                    # Column lengths are known only once connectivity is built at load.
                    self._ctl(("maxcol", s.name))
            if s.wu_model.pre_event_threshold_condition_code:
                t.add(("evcnt", s.name), np.uint32, (B, s.source.num_delay_slots), zero_on_reset=True)
                t.add(("ev", s.name), np.uint32, (B, s.source.num_delay_slots, npre))
            self._add_egps("wu", s.name, s.extra_global_params)
            self._add_egps("psm", s.name, s.psm_extra_global_params)
            s._dyn_wu = self._add_dyn("wu", s)
            s._dyn_psm = self._add_dyn("psm", s)
        for c in spec.custom_updates.values():
            for v in c.vars.values():
                self._add_var(("cuvar", c.name, v.name), v)
            self._add_egps("custom_update", c.name, c.extra_global_params)
            c._dyn_names = self._add_dyn("cu", c)
        if spec.timing_enabled:
            # Each run call's ticks accumulate in its own control block (a per-thread copy in
            # slice mode), so a timer costs two time-stamp reads and one add to local memory
            for k in range(TIMING_CATEGORIES):
                self._ctl(("tick", k))
        t["ctl",].shape = (NUM_FIXED_CTL + len(self.ctl_slots),)

    @staticmethod
    def _presynaptic_only(s) -> bool:
        """Whether a synapse group's update function does presynaptic propagation only: then
        ``_step`` times the whole call, sharing time-stamp reads with its neighbours."""
        wu = s.wu_model
        return not (wu.synapse_dynamics_code or wu.post_spike_syn_code)

    def _tick_slots(self) -> List[int]:
        return [self.ctl_slots[("tick", k)] for k in range(TIMING_CATEGORIES)]

    def _timed(self, category: int, lines: List[str]) -> List[str]:
        """``lines`` wrapped in a timer adding their ticks to this thread's ``category``
        (kernel profiling only; see :mod:`.timing`)."""
        if not self.spec.timing_enabled:
            return lines
        return (["    { const uint64_t _ts = _ml_genn_ticks();"] + lines
                + [f"    _ctl[{self.ctl_slots[('tick', category)]}] += _ml_genn_ticks() - _ts; }}"])

    def _par(self, pragma: str) -> List[str]:
        """An OpenMP pragma line, only outside slice mode (there the caller owns the threads)."""
        return [] if self.slice_mode else [pragma]

    def _hoist_dynamic_params(self, lines: List[str], head_length: int) -> List[str]:
        """Declare the dynamic params the kernel ``lines`` used right after its head."""
        decls = [f"    const double {local} = {value};" for local, value in self._dyn_locals.items()]
        self._dyn_locals = None
        return lines[:head_length] + decls + lines[head_length:]

    def _kernel_head(self, name: str, comment: str) -> List[str]:
        """Signature and prologue of a timestep kernel: it reads the step counters from
        ``_ctl`` (a thread's own copy in slice mode) and handles batch elements [_b0, _b1)."""
        return [f"static void {name}(Ctx *_c, uint64_t *const _ctl, const double _time, "
                f"const uint32_t _b0, const uint32_t _b1) {{ /* {comment} */",
                self.table.locals_decl(),
                "    const scalar t = (scalar)_time;",
                "    const uint64_t _step = _ctl[CTL_RNG_STEP], _seed = _ctl[CTL_SEED];",
                "    (void)_step; (void)_seed; (void)t; (void)_b0; (void)_b1;"]

    def _scalar_dtype(self):
        return np.float32 if self.spec.precision == "float" else np.float64

    # ----------------------------------------------------------- environments
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

    # ------------------------------------------------------------------ neurons
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
        # Incoming synapse groups: dendritic delay front, postsynaptic model, post dynamics
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
            if s.wu_model.post_dynamics_code:
                L += self.emit.block(self._wu_post_env(s, base), s.wu_model.post_dynamics_code,
                                     f"{s.wu_model.class_name}.post_dynamics_code", "        ")
        for s in g.out_syn:
            if s.uses_add_to_pre:
                outpre = f"{T['outpre', s.name].cname}[(size_t)_b * {N} + _i]"
                L.append(f"        {s.pre_target_var} += {outpre}; {outpre} = 0;")
            if s.wu_model.pre_dynamics_code:
                L += self.emit.block(self._wu_pre_env(s, base), s.wu_model.pre_dynamics_code,
                                     f"{s.wu_model.class_name}.pre_dynamics_code", "        ")
        genv = dict(base)
        genv.update(self._param_env(nm, g.param_values, g._dyn_names, ("dyn", "neuron", g.name)))
        genv.update(self._egp_env(g.extra_global_params))
        genv.update(nvars)
        if nm.sim_code:
            # As in GeNN, what sim_code declares (e.g. a threshold computed each step) is
            # visible to the threshold condition and reset code of the same neuron
            L += self.emit.block(genv, nm.sim_code, f"{nm.class_name}.sim_code", "        ",
                                 scoped=False)
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

    def _spike_queue_code(self, g, event_groups):
        """C lines that queue (and record) batch element ``_b``'s spikes and spike-like events:
        set-up per element, the append for neuron ``_i`` with flags ``_f`` (bit 0 spike, bit 1
        any event, bit 2 + k event of outgoing group k), and the counts written at the end.

        Recording rings are laid out ``[batch][ring row][words]`` (counts ``[batch][ring
        row]``): an element's rows lie together, written by the one thread that runs it and
        read in order when a recorder decodes it."""
        T, N, D = self.table, g.num_neurons, g.num_delay_slots
        W = (N + 31) // 32
        spk, cnt = T["spk", g.name].cname, T["spkcnt", g.name].cname
        rs, re_ = T["rec_spk", g.name].cname, T["rec_evt", g.name].cname
        rec_s, rec_e = g.spike_recording_enabled, g.spike_event_recording_enabled
        head = [f"        uint32_t *_spk = &{spk}[((size_t)_b * {D} + _slot) * {N}]; uint32_t _n = 0;"]
        if rec_e:
            head.append(f"        uint32_t *_re = (_nrec && {re_}) ? &{re_}[((size_t)_b * _nrec + _rt) * {W}] : NULL; uint32_t _nre = 0;")
            head.append(f"        if (_re) memset(_re, 0, {W} * sizeof(uint32_t));")
        for k, s in enumerate(event_groups):
            head.append(f"        uint32_t *_ev{k} = &{T['ev', s.name].cname}[((size_t)_b * {D} + _slot) * {N}]; uint32_t _ne{k} = 0;")
        # Spikes are recorded from the queue once the step's are all in it: the neuron loop
        # then does what it does unrecorded, and the recording is two short loops
        append = ["            if (_f & 1u) _spk[_n++] = _i;"]
        if event_groups:
            append.append("            if (_f & 2u) {" + (" if (_re) { _re[_i >> 5] |= 1u << (_i & 31); _nre++; }" if rec_e else ""))
            for k in range(len(event_groups)):
                append.append(f"                if (_f & (4u << {k})) _ev{k}[_ne{k}++] = _i;")
            append.append("            }")
        tail = [f"        {cnt}[(size_t)_b * {D} + _slot] = _n;"]
        if rec_s:
            # All of the recording happens here, in one block after the neuron loop: the loop
            # and what comes before it are then the unrecorded ones. The row is cleared, then
            # one pass sets the bits and logs the ids (a copy loop of its own would be compiled
            # into a library call per step and population, which cost more than the copying).
            # The log restarts with each ring cycle; ids past its capacity are counted, not
            # kept, and readers then decode the bits.
            log, log_n = T["rec_log", g.name].cname, T["rec_log_n", g.name].cname
            tail += [
                f"        if (_nrec && {rs}) {{",
                f"            uint32_t *const _rs = &{rs}[((size_t)_b * _nrec + _rt) * {W}];",
                f"            {self._clear_words('_rs', W)}",
                f"            const uint64_t _rlcap = _nrec * {SPIKE_LOG_IDS_PER_WORD * W}u;",
                f"            const uint64_t _rlc = ({log} && _rt) ? {log_n}[(size_t)_b * {LOG_COUNT_STRIDE}] : 0;",
                "            const uint64_t _room = _rlc < _rlcap ? _rlcap - _rlc : 0;",
                f"            const uint32_t _logged = {log} ? (uint32_t)(_n < _room ? _n : _room) : 0;",
                f"            uint32_t *const _rl = {log} ? &{log}[(size_t)_b * _rlcap + (_rlc < _rlcap ? _rlc : _rlcap)] : NULL;",
                "            for (uint32_t _k = 0; _k < _logged; _k++) { const uint32_t _j = _spk[_k]; "
                "_rs[_j >> 5] |= 1u << (_j & 31); _rl[_k] = _j; }",
                "            for (uint32_t _k = _logged; _k < _n; _k++) { const uint32_t _j = _spk[_k]; "
                "_rs[_j >> 5] |= 1u << (_j & 31); }",
                f"            {T['rec_spk_n', g.name].cname}[(size_t)_b * _nrec + _rt] = _n;",
                f"            if ({log}) {log_n}[(size_t)_b * {LOG_COUNT_STRIDE}] = _rlc + _n;",
                "        }"]
        if rec_e:
            tail.append(f"        if (_re) {T['rec_evt_n', g.name].cname}[(size_t)_b * _nrec + _rt] = _nre;")
        for k, s in enumerate(event_groups):
            tail.append(f"        {T['evcnt', s.name].cname}[(size_t)_b * {D} + _slot] = _ne{k};")
        return head, append, tail

    @staticmethod
    def _clear_words(pointer: str, words: int) -> str:
        """C statements zeroing ``words`` words at ``pointer``: a short row as single stores
        (a loop or memset of a few words becomes a library call per step and population),
        a long one with memset."""
        if words <= 32:
            return " ".join(f"{pointer}[{w}] = 0;" for w in range(words))
        return f"memset({pointer}, 0, {words} * sizeof(uint32_t));"

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

    # ----------------------------------------------------------------- synapses
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

    def history_reader_functions(self) -> List[str]:
        """One C reader per history ring: ``d <= 0`` gives the live value, larger ``d`` the
        value ``d`` steps back, clamped to the oldest one kept."""
        L = []
        self.history_readers = {}
        for gi, g in enumerate(self.spec.neuron_populations.values()):
            D, N = g.history_slots, g.num_neurons
            for k, (name, v) in enumerate(g.history_vars.items()):
                fn = f"_history_read_{gi}_{k}"
                self.history_readers[(g.name, name)] = fn
                ct = self.table["posthist", g.name, name].ctype
                L += [f"static inline {ct} {fn}(const {ct} *h, {ct} live, int64_t d, uint64_t ptr, "
                      f"uint32_t b, uint32_t id) {{ /* {g.name}.{name} */",
                      "    if (d <= 0) return live;",
                      f"    if (d > {D - 1}) d = {D - 1};",
                      f"    return h[((size_t)b * {D} + (size_t)((ptr + {D} - (uint64_t)d) % {D})) * {N} + id];",
                      "}"]
        return L

    def _syn_prologue(self, s) -> List[str]:
        L = []
        if s.uses_dendritic_delay:
            L.append(f"    const uint32_t _denptr = (uint32_t)_ctl[{self.ctl_slots[('denptr', s.name)]}];")
        return L

    @staticmethod
    def _can_split_targets(s) -> bool:
        """Whether spike propagation of ``s`` may be split across target ranges: its code writes
        nothing presynaptic (no addToPre, no pre vars or pre neuron var refs), so each thread's
        writes stay on its own targets."""
        wu = s.wu_model
        if s.uses_add_to_pre or wu.pre_vars or wu.pre_neuron_var_refs:
            return False
        # A convolution kernel entry serves many targets: only split if nothing writes it
        return s.matrix_type is not TOEPLITZ or all(v.access.read_only for v in wu.vars)

    def _synapse_element_indices(self, sg, indent: str) -> List[str]:
        """C lines turning element ``_e`` of synapse group ``sg`` into ``_id_pre``/``_id_post``
        (SPARSE padding elements ``continue``; kernel elements have no single pre/post)."""
        T = self.table
        if sg.matrix_type is DENSE:
            npost = sg.target.num_neurons
            lines = [f"const uint32_t _id_pre = (uint32_t)(_e / {npost}), _id_post = (uint32_t)(_e % {npost});"]
        elif sg.matrix_type is SPARSE:
            M = max(sg.max_row_length, 1)
            lines = [f"const uint32_t _id_pre = (uint32_t)(_e / {M});",
                     f"if ((_e % {M}) >= {T['rowlen', sg.name].cname}[_id_pre]) continue;",
                     f"const uint32_t _id_post = {T['ind', sg.name].cname}[_e];"]
        else:
            lines = ["const uint32_t _id_pre = 0, _id_post = 0;"]
        lines.append("(void)_id_pre; (void)_id_post;")
        return [indent + line for line in lines]

    def _row_loop(self, s, body: List[str], indent: str, pre_accumulator: bool = False
                  ) -> List[str]:
        """Loop over the targets of presynaptic neuron ``_id_pre`` (in batch ``_b``).

        With ``pre_accumulator`` the body's ``addToPre`` adds to a local ``_pre_acc`` that is
        written once after the row: a sum over the row instead of a read-modify-write of one
        memory cell per target, whose chain of dependent additions kept the loop scalar. Dense
        rows sum it as an OpenMP SIMD reduction (a fixed order for a given build, so results
        do not depend on the thread count)."""
        if pre_accumulator:
            npre = s.source.num_neurons
            outpre = self.table["outpre", s.name].cname
            inner = self._row_loop(s, body, indent + "  ")
            if s.matrix_type is DENSE:
                inner = [f"{indent}  #pragma omp simd reduction(+:_pre_acc)"] + inner
            return ([f"{indent}{{ {self.sc} _pre_acc = 0;"] + inner
                    + [f"{indent}  {outpre}[(size_t)_b * {npre} + _id_pre] += _pre_acc; }}"])
        npost = s.target.num_neurons
        T, L = self.table, []
        if s.matrix_type is DENSE:
            L.append(f"{indent}for (uint32_t _id_post = 0; _id_post < {npost}; _id_post++) {{")
            L.append(f"{indent}    const size_t _id_syn = (size_t)_id_pre * {npost} + _id_post;")
            L += body
            L.append(f"{indent}}}")
        elif s.matrix_type is SPARSE:
            M = s.max_row_length
            L.append(f"{indent}for (uint32_t _k = 0; _k < {T['rowlen', s.name].cname}[_id_pre]; _k++) {{")
            L.append(f"{indent}    const size_t _id_syn = (size_t)_id_pre * {M} + _k;")
            L.append(f"{indent}    const uint32_t _id_post = {T['ind', s.name].cname}[_id_syn];")
            L += body
            L.append(f"{indent}}}")
        else:
            L += self._toeplitz_loop(s, body, indent)
        return L

    def _toeplitz_loop(self, s, body, indent):
        p = s.conn_param_values
        kind = s.connectivity_init.snippet.builtin_kind
        KH, KW, IH, IW, IC = (int(p[k]) for k in ("conv_kh", "conv_kw", "conv_ih", "conv_iw", "conv_ic"))
        OH, OW, OC = int(p["conv_oh"]), int(p["conv_ow"]), int(p["conv_oc"])
        PH, PW = ((OH - 1) + KH - IH) // 2, ((OW - 1) + KW - IW) // 2
        L = []
        conv = [f"{indent}    for (int _ky = 0; _ky < {KH}; _ky++) {{",
                f"{indent}      const int _oy = _iy - _ky + {PH}; if (_oy < 0 || _oy >= {OH}) continue;",
                f"{indent}      for (int _kx = 0; _kx < {KW}; _kx++) {{",
                f"{indent}        const int _ox = _ix - _kx + {PW}; if (_ox < 0 || _ox >= {OW}) continue;",
                f"{indent}        for (uint32_t _oc = 0; _oc < {OC}; _oc++) {{",
                f"{indent}          const uint32_t _id_post = (uint32_t)((_oy * {OW} + _ox) * {OC}) + _oc;",
                f"{indent}          const size_t _id_syn = (size_t)(((_ky * {KW} + _kx) * {IC} + _ic) * {OC}) + _oc;",
                f"{indent}          const size_t id_kernel = _id_syn; (void)id_kernel;"]
        conv += body
        conv += [f"{indent}        }}", f"{indent}      }}", f"{indent}    }}"]
        if kind == "Conv2D":
            L.append(f"{indent}{{ const int _iy = (int)(_id_pre / {IW * IC}), _ix = (int)((_id_pre / {IC}) % {IW}), _ic = (int)(_id_pre % {IC});")
            L += conv
            L.append(f"{indent}}}")
        else:
            PKH, PKW, PSH, PSW = (int(p[k]) for k in ("pool_kh", "pool_kw", "pool_sh", "pool_sw"))
            PIW, PIC = int(p["pool_iw"]), int(p["pool_ic"])
            L.append(f"{indent}{{ const int _py = (int)(_id_pre / {PIW * PIC}), _px = (int)((_id_pre / {PIC}) % {PIW}), _ic = (int)(_id_pre % {PIC});")
            # Every pooling window containing this pixel feeds one conv input.
            L.append(f"{indent}  for (int _iy = 0; _iy < {IH}; _iy++) {{ if (_py < _iy * {PSH} || _py >= _iy * {PSH} + {PKH}) continue;")
            L.append(f"{indent}  for (int _ix = 0; _ix < {IW}; _ix++) {{ if (_px < _ix * {PSW} || _px >= _ix * {PSW} + {PKW}) continue;")
            L += conv
            L.append(f"{indent}  }} }}")
            L.append(f"{indent}}}")
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

    # ----------------------------------------------------------- custom updates
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
        L = [f"static void _custom_update_{ci}(Ctx *_c) {{ /* {c.name} */", T.locals_decl(),
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

    # ------------------------------------------------------------- initialisation
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
        from ...engine.types import C_TYPES
        return C_TYPES[v.type]

    # -------------------------------------------------------------------- main
    def generate(self) -> GeneratedModel:
        spec = self.spec
        self.layout()
        T = self.table
        src: List[str] = prelude(spec.precision, spec.dt).splitlines()
        src += T.struct_decl().splitlines()
        if spec.timing_enabled:
            src += timing_support(T["timing_ticks",].cname, T["timing",].cname).splitlines()
        src += self.history_reader_functions()
        src += self.init_functions()
        groups = list(spec.neuron_populations.values())
        syns = list(spec.synapse_populations.values())
        syn_fns = []
        for si, s in enumerate(syns):
            fn = self.synapse_update(si, s)
            if fn:
                syn_fns.append(si)
                src += fn
        for gi, g in enumerate(groups):
            src += self.neuron_update(gi, g)
        update_groups = []
        cus = list(spec.custom_updates.values())
        for ci, c in enumerate(cus):
            src += self.custom_update(ci, c)
            if c.update_group_name not in update_groups:
                update_groups.append(c.update_group_name)
        num_ctl, B = NUM_FIXED_CTL + len(self.ctl_slots), self.B
        src.append("/* One timestep of batch elements [_b0, _b1), advancing the counters in _ctl. */")
        src.append("static void _step(Ctx *_c, uint64_t *const _ctl, double *const _time, "
                   "const uint32_t _b0, const uint32_t _b1) {")
        for s in syns:
            if s.uses_dendritic_delay:
                p = self.ctl_slots[("denptr", s.name)]
                src.append(f"    _ctl[{p}] = (_ctl[{p}] + 1) % {s.max_dendritic_delay_timesteps};")
        neuron_calls = [f"    _neuron_update_{gi}(_c, _ctl, *_time, _b0, _b1);"
                        for gi in range(len(groups))]
        if spec.timing_enabled:
            # One time-stamp read per boundary: each presynaptic-only update and the neuron
            # updates end where the next begins (updates timing themselves re-read it)
            pre, neuron = (self.ctl_slots[("tick", k)] for k in (TIMING_PRESYNAPTIC, TIMING_NEURON))
            src.append("    { uint64_t _t0 = _ml_genn_ticks(), _t1;")
            for si in syn_fns:
                src.append(f"    _synapse_update_{si}(_c, _ctl, *_time, _b0, _b1);")
                if self._presynaptic_only(syns[si]):
                    src.append(f"    _t1 = _ml_genn_ticks(); _ctl[{pre}] += _t1 - _t0; _t0 = _t1;")
                else:
                    src.append("    _t0 = _ml_genn_ticks();")
            src += neuron_calls
            src.append(f"    _t1 = _ml_genn_ticks(); _ctl[{neuron}] += _t1 - _t0; }}")
        else:
            src += [f"    _synapse_update_{si}(_c, _ctl, *_time, _b0, _b1);" for si in syn_fns]
            src += neuron_calls
        src.append("    _ctl[CTL_TIMESTEP]++; _ctl[CTL_RNG_STEP]++;")
        # The rings' rows advance without a division (a 64-bit one per population and step
        # measurably slowed recording); a ring length of 0 keeps its row at 0
        src.append("    if (++_ctl[CTL_REC_ROW] >= _ctl[CTL_NUM_REC]) _ctl[CTL_REC_ROW] = 0;")
        src.append("    if (++_ctl[CTL_VAR_REC_ROW] >= _ctl[CTL_VAR_REC]) _ctl[CTL_VAR_REC_ROW] = 0;")
        src.append(f"    *_time = (double)_ctl[CTL_TIMESTEP] * {float(spec.dt)!r};")
        src.append("}")
        src.append("void ml_genn_run(Ctx *_c, uint64_t n) {")
        src.append(f"    uint64_t *const _gctl = _c->{T['ctl',].cname};")
        src.append(f"    double *const _gtime = _c->{T['time',].cname};")
        # Python may have set the timestep or a ring length since the last run
        src.append("    _gctl[CTL_REC_ROW] = _gctl[CTL_NUM_REC] ? _gctl[CTL_TIMESTEP] % _gctl[CTL_NUM_REC] : 0;")
        src.append("    _gctl[CTL_VAR_REC_ROW] = _gctl[CTL_VAR_REC] ? _gctl[CTL_TIMESTEP] % _gctl[CTL_VAR_REC] : 0;")
        if self.slice_mode:
            # Each thread runs its batch elements one after the other through all n steps (an
            # element's state stays in cache), from its own copy of the step counters; every
            # counter is a function of the step alone, so all copies agree. The shared counters
            # then advance once, by n steps over an empty range.
            src += ["    #pragma omp parallel",
                    "    {",
                    "        uint32_t _nt = 1, _tid = 0;",
                    "#ifdef _OPENMP",
                    "        _nt = (uint32_t)omp_get_num_threads(); _tid = (uint32_t)omp_get_thread_num();",
                    "#endif",
                    f"        const uint32_t _b0 = (uint32_t)((uint64_t){B} * _tid / _nt), "
                    f"_b1 = (uint32_t)((uint64_t){B} * (_tid + 1) / _nt);",
                    f"        uint64_t _lctl[{num_ctl}]; double _ltime;",
                    "        for (uint32_t _b = _b0; _b < _b1; _b++) {",
                    "            memcpy(_lctl, _gctl, sizeof _lctl); _ltime = _gtime[0];",
                    *([f"            {' '.join(f'_lctl[{k}] = 0;' for k in self._tick_slots())}"]
                      if spec.timing_enabled else []),
                    "            for (uint64_t _k = 0; _k < n; _k++) _step(_c, _lctl, &_ltime, _b, _b + 1);",
                    *(["            { uint64_t *const _tacc = ml_genn_thread_ticks(_c, _tid); "
                       + " ".join(f"_tacc[{j}] += _lctl[{k}];"
                                  for j, k in enumerate(self._tick_slots())) + " }"]
                      if spec.timing_enabled else []),
                    "        }",
                    "    }",
                    "    for (uint64_t _k = 0; _k < n; _k++) _step(_c, _gctl, _gtime, 0, 0);",
                    # The shared counters' empty-range steps timed nothing worth keeping
                    *([f"    {' '.join(f'_gctl[{k}] = 0;' for k in self._tick_slots())}"]
                      if spec.timing_enabled else [])]
        else:
            if spec.timing_enabled:
                src.append("    " + " ".join(f"_gctl[{k}] = 0;" for k in self._tick_slots()))
            src.append(f"    for (uint64_t _k = 0; _k < n; _k++) _step(_c, _gctl, _gtime, 0, {B});")
            if spec.timing_enabled:
                src.append("    { uint64_t *const _tacc = ml_genn_thread_ticks(_c, 0); "
                           + " ".join(f"_tacc[{j}] += _gctl[{k}]; _gctl[{k}] = 0;"
                                      for j, k in enumerate(self._tick_slots())) + " }")
        if spec.timing_enabled:
            src.append("    ml_genn_collect_ticks(_c);")
        src.append("}")
        src.append("void ml_genn_step(Ctx *_c) { ml_genn_run(_c, 1); }")
        src.append("int ml_genn_custom_update(Ctx *_c, int group) {")
        if spec.timing_enabled:
            src.append("    const uint64_t _ts = _ml_genn_ticks();")
        src.append("    switch (group) {")
        for ui, name in enumerate(update_groups):
            src.append(f"    case {ui}: /* {name} */")
            for ci, c in enumerate(cus):
                if c.update_group_name == name:
                    src.append(f"        _custom_update_{ci}(_c);")
            src.append("        break;")
        src.append("    default: return -1;")
        src.append("    }")
        src.append(f"    _c->{T['ctl',].cname}[CTL_CU_STEP]++;")
        if spec.timing_enabled:
            src.append(f"    _c->{T['timing',].cname}[{TIMING_CATEGORIES} + group] += "
                       f"(double)(_ml_genn_ticks() - _ts);")
        src.append("    return 0;")
        src.append("}")
        src += epilogue().splitlines()
        source, block_ends = resolve_line_marks(src, SOURCE_NAME)
        return GeneratedModel(source, T, dict(self.ctl_slots), NUM_FIXED_CTL + len(self.ctl_slots),
                              update_groups, dict(self.emit.labels), block_ends)
