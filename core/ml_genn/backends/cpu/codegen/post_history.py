"""Delayed reads of postsynaptic neuron variables (``X_post[d]`` in synapse code): one C reader
per history ring that neuron updates fill."""
from __future__ import annotations

from typing import List

from ..c_text import c_comment


class PostHistoryMixin:
    """History ring readers (part of :class:`.generator.Generator`)."""

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
                      f"uint32_t b, uint32_t id) {{ {c_comment(f'{g.name}.{name}')}",
                      "    if (d <= 0) return live;",
                      f"    if (d > {D - 1}) d = {D - 1};",
                      f"    return h[((size_t)b * {D} + (size_t)((ptr + {D} - (uint64_t)d) % {D})) * {N} + id];",
                      "}"]
        return L
