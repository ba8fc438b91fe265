"""Spike queues and spike recording: the C that appends a neuron's spikes and spike-like events
to its group's queues during the neuron update and writes the step's recording rows."""
from __future__ import annotations

from ..c_support import LOG_COUNT_STRIDE, SPIKE_LOG_IDS_PER_WORD


class SpikeQueueMixin:
    """Spike queue and recording code of neuron updates (part of
    :class:`.generator.Generator`)."""

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
