"""The entry points of a generated model: ``_step`` (one timestep of every kernel, in GeNN's
order), ``ml_genn_run``/``ml_genn_step`` (a run of timesteps, threads over batch elements or
neurons) and ``ml_genn_custom_update`` (custom updates by update group)."""
from __future__ import annotations

from typing import List

from ..c_text import c_comment
from ..timing import TIMING_CATEGORIES, TIMING_NEURON, TIMING_PRESYNAPTIC
from .layout import NUM_FIXED_CTL


class RunLoopMixin:
    """Entry points of the generated model (part of :class:`.generator.Generator`)."""

    def step_function(self, syns, syn_fns: List[int]) -> List[str]:
        """``_step``: the synapse updates ``syn_fns`` (indices into ``syns``), then every neuron
        update, then the step counters advance."""
        spec, src = self.spec, []
        groups = list(spec.neuron_populations.values())
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
        return src

    def run_function(self) -> List[str]:
        """``ml_genn_run`` and ``ml_genn_step``: ``n`` calls of ``_step``, over slices of the
        batch (one OpenMP region per call) or over the whole batch with threads inside."""
        spec, src = self.spec, []
        T, B = self.table, self.B
        num_ctl = NUM_FIXED_CTL + len(self.ctl_slots)
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
        return src

    def custom_update_dispatch(self, update_groups: List[str], cus, ccus=()) -> List[str]:
        """``ml_genn_custom_update``: runs update group number ``group`` (an index into
        ``update_groups``) in GeNN 5's order: the host stage (``host_update_code``) of each of
        its custom connectivity updates ``ccus``, then its custom updates ``cus``, then the row
        updates of its custom connectivity updates (which see what both computed)."""
        spec, src, T = self.spec, [], self.table
        src.append("int ml_genn_custom_update(Ctx *_c, int group) {")
        if spec.timing_enabled:
            src.append("    const uint64_t _ts = _ml_genn_ticks();")
        src.append("    switch (group) {")
        for ui, name in enumerate(update_groups):
            src.append(f"    case {ui}: {c_comment(name)}")
            # Every host stage first, as GeNN 5 does: a host stage sees the rows as the
            # previous call left them, even where an earlier update of the group changes them
            for ci, c in enumerate(ccus):
                if c.update_group_name == name and c.model.host_update_code.strip():
                    src.append(f"        _ccu_host_{ci}(_c);")
            for ci, c in enumerate(cus):
                if c.update_group_name == name:
                    src.append(f"        _custom_update_{ci}(_c);")
            for ci, c in enumerate(ccus):
                if c.update_group_name == name and c.model.row_update_code.strip():
                    src.append(f"        _ccu_update_{ci}(_c);")
            src.append("        break;")
        src.append("    default: return -1;")
        src.append("    }")
        src.append(f"    _c->{T['ctl',].cname}[CTL_CU_STEP]++;")
        if spec.timing_enabled:
            src.append(f"    _c->{T['timing',].cname}[{TIMING_CATEGORIES} + group] += "
                       f"(double)(_ml_genn_ticks() - _ts);")
        src.append("    return 0;")
        src.append("}")
        return src
