"""Where a model's state lives: the array table and the control slots.

Python allocates every array (see :mod:`..array_table`); this part of the generator decides
which arrays a model has, their shapes, and which control slots (queue, delay and history
pointers, profiling ticks) follow the fixed ones.
"""
from __future__ import annotations

import numpy as np

from ....engine.synapse_matrix_type import SynapseMatrixType
from ....engine.types import numpy_dtype
from ..timing import MAX_TIMING_THREADS, TICK_SLOT_STRIDE, TIMING_CATEGORIES

SPARSE = SynapseMatrixType.SPARSE
#: Control slots every model has (the ``CTL_*`` macros of :mod:`..c_support`)
NUM_FIXED_CTL = 9
CTL_CU_STEP = 5
CTL_VAR_REC = 6


class LayoutMixin:
    """Builds ``self.table`` and ``self.ctl_slots`` for ``self.spec`` (part of
    :class:`.generator.Generator`)."""

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
            groups = {c.update_group_name for c in spec.custom_updates.values()} | \
                {c.update_group_name for c in spec.custom_connectivity_updates.values()}
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
        for c in spec.custom_connectivity_updates.values():
            for v in c.vars.values():
                self._add_var(("ccuvar", c.name, v.name), v)
            for v in c.pre_vars.values():
                self._add_var(("ccupre", c.name, v.name), v)
            for v in c.post_vars.values():
                self._add_var(("ccupost", c.name, v.name), v)
            # Additions refused because the row was full, counted per row (no atomics)
            t.add(("ccufail", c.name), np.uint64, (c.synapse_group.source.num_neurons,))
            self._add_egps("custom_connectivity_update", c.name, c.extra_global_params)
            c._dyn_names = self._add_dyn("ccu", c)
        if spec.timing_enabled:
            # Each run call's ticks accumulate in its own control block (a per-thread copy in
            # slice mode), so a timer costs two time-stamp reads and one add to local memory
            for k in range(TIMING_CATEGORIES):
                self._ctl(("tick", k))
        t["ctl",].shape = (NUM_FIXED_CTL + len(self.ctl_slots),)

    def _scalar_dtype(self):
        return np.float32 if self.spec.precision == "float" else np.float64
