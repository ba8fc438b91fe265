"""What every timestep kernel shares: its signature and prologue, the dynamic params it
reads on entry, its profiling timers and parallel pragmas, and the RNG stream ids of code
contexts."""
from __future__ import annotations

import zlib
from typing import List

from ..c_text import c_comment, utf8
from ..timing import TIMING_CATEGORIES


def stream_id(*parts) -> int:
    """Stable RNG stream id for a code context (independent of Python's hash seed).

    Parameters
    ----------
    *parts
        What identifies the context: its kind and group names (any text, so the hash is of
        their UTF-8 with lone surrogates allowed).
    """
    return zlib.crc32(utf8("/".join(str(p) for p in parts))) & 0xFFFFFFFF


class KernelFrameMixin:
    """Frame of the generated kernels (part of :class:`.generator.Generator`)."""

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
        (kernel profiling only; see :mod:`..timing`)."""
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
                f"const uint32_t _b0, const uint32_t _b1) {{ {c_comment(comment)}",
                self.table.locals_decl(),
                "    const scalar t = (scalar)_time;",
                "    const uint64_t _step = _ctl[CTL_RNG_STEP], _seed = _ctl[CTL_SEED];",
                "    (void)_step; (void)_seed; (void)t; (void)_b0; (void)_b1;"]
