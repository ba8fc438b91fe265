"""Kernel profiling of generated models (``kernel_profiling=True``), pygenn's timers.

When a model spec has ``timing_enabled``, the generator times each kind of kernel with tick
reads (the time-stamp counter on x86-64, a monotonic clock elsewhere): neuron updates,
presynaptic (spike and spike-like event) propagation, postsynaptic learning, synapse dynamics,
and each custom update group. Within a timestep, consecutive kernels share their boundary
reads (a synapse group doing presynaptic work only is timed by ``_step`` around its call), and
ticks accumulate in slots of the run's control block, which in slice mode is each thread's
own copy: with a batch a timestep of one batch element lasts well under a microsecond, so
anything more per timer showed in the total. After each batch element (or run) a thread adds
its ticks to its own slots, padded to a cache line; after a run the slots are averaged over the
threads that ran elements and added to the model's ``timing`` array, so a kind's total is the
wall time it took. The runtime converts ticks to seconds with a rate it measures once. Without
profiling none of this code is generated.
"""
from __future__ import annotations

#: Kinds of kernel timed in ``_step`` (slots of the per-thread tick arrays and of ``timing``)
TIMING_NEURON, TIMING_PRESYNAPTIC, TIMING_POSTSYNAPTIC, TIMING_SYNAPSE_DYNAMICS = 0, 1, 2, 3
TIMING_CATEGORIES = 4
#: Per-thread tick slots (threads beyond share the last slot, so their times are approximate)
MAX_TIMING_THREADS = 256
TICK_SLOT_STRIDE = 8      # uint64 per thread: one 64-byte cache line


def timing_support(ticks: str, timing: str) -> str:
    """C declarations of the profiling helpers, given the Ctx field names of the per-thread
    tick slots and of the accumulated ``timing`` array."""
    return f"""
/* Kernel profiling: see ml_genn/backends/cpu/timing.py */
#include <time.h>
static inline uint64_t _ml_genn_ticks(void) {{
#if defined(__x86_64__) || defined(__i386__)
    return (uint64_t)__builtin_ia32_rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}}
uint64_t ml_genn_ticks(void) {{ return _ml_genn_ticks(); }}
static uint64_t *ml_genn_thread_ticks(Ctx *_c, uint32_t tid) {{
    const uint32_t slot = (tid < {MAX_TIMING_THREADS}u) ? tid : {MAX_TIMING_THREADS - 1}u;
    return &_c->{ticks}[(size_t)slot * {TICK_SLOT_STRIDE}];
}}
static void ml_genn_collect_ticks(Ctx *_c) {{
    for (uint32_t k = 0; k < {TIMING_CATEGORIES}u; k++) {{
        double sum = 0.0; uint32_t active = 0;
        for (uint32_t t = 0; t < {MAX_TIMING_THREADS}u; t++) {{
            const uint64_t *slot = &_c->{ticks}[(size_t)t * {TICK_SLOT_STRIDE}];
            uint64_t any = 0;
            for (uint32_t j = 0; j < {TIMING_CATEGORIES}u; j++) any |= slot[j];
            if (any) {{ sum += (double)slot[k]; active++; }}
        }}
        if (active) _c->{timing}[k] += sum / (double)active;
    }}
    memset(_c->{ticks}, 0, sizeof(uint64_t) * {MAX_TIMING_THREADS * TICK_SLOT_STRIDE});
}}
"""
