"""Fixed C text of every generated model: what it starts with (types, RNG, helpers) and what it
ends with (the recording decoders)."""
from __future__ import annotations

PRELUDE = r"""
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <float.h>
#include <tgmath.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef @SCALAR@ scalar;
#define DT ((scalar)@DT@)

/* Counter-based RNG: every draw is a pure function of (seed, stream, step, element,
   call index), so results never depend on how work is split across threads. */
static inline uint64_t _mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
typedef struct { uint64_t key; uint64_t ctr; } _rng_t;
static inline _rng_t _rng_make(uint64_t seed, uint64_t stream, uint64_t step, uint64_t elem) {
    _rng_t r;
    r.key = _mix64(_mix64(_mix64(seed ^ (stream * 0xA24BAED4963EE407ULL)) ^ step) ^ elem);
    r.ctr = 0;
    return r;
}
static inline uint64_t _rng_next(_rng_t *r) {
    r->ctr++;
    return _mix64(r->key ^ (r->ctr * 0xD1B54A32D192ED03ULL));
}
/* Uniform in the open interval (0, 1) in the model's precision. */
static inline scalar _rng_uniform(_rng_t *r) {
#if @DOUBLE@
    return (scalar)((double)(_rng_next(r) >> 12) * 0x1.0p-52 + 0x1.0p-53);
#else
    return (scalar)((float)(_rng_next(r) >> 41) * 0x1.0p-23f + 0x1.0p-24f);
#endif
}
/* Uniform in the open interval (0, 1) in double, whatever the model's precision. */
static inline double _rng_uniform_d(_rng_t *r) {
    return (double)(_rng_next(r) >> 11) * 0x1.0p-53 + 0x1.0p-54;
}
/* Standard normal (Box-Muller, one of the pair) in double. */
static inline double _rng_normal_d(_rng_t *r) {
    const double u1 = _rng_uniform_d(r);
    const double u2 = (double)(_rng_next(r) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
static inline scalar _rng_normal(_rng_t *r) {
    return (scalar)_rng_normal_d(r);
}
static inline scalar _rng_exponential(_rng_t *r) {
    return (scalar)(-log(_rng_uniform_d(r)));
}
/* exp of a normal with mean `mean` and standard deviation `sd` (std::lognormal_distribution,
   which GeNN 5's gennrand_log_normal is). */
static inline scalar _rng_log_normal(_rng_t *r, double mean, double sd) {
    return (scalar)exp(mean + sd * _rng_normal_d(r));
}
/* Gamma with shape a and scale 1 (std::gamma_distribution(a, 1), GeNN 5's gennrand_gamma):
   Marsaglia and Tsang's squeeze-and-reject method (ACM TOMS 26(3), 2000), exact for a >= 1;
   a < 1 draws Gamma(a + 1) and multiplies by U^(1/a), their boost. a <= 0 has no gamma
   distribution: NaN. */
static inline double _rng_gamma_d(_rng_t *r, double a) {
    if (!(a > 0.0)) return NAN;
    double boost = 1.0;
    if (a < 1.0) {
        boost = pow(_rng_uniform_d(r), 1.0 / a);
        a += 1.0;
    }
    const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do { x = _rng_normal_d(r); v = 1.0 + c * x; } while (v <= 0.0);
        v = v * v * v;
        const double u = _rng_uniform_d(r), x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v * boost;
    }
}
static inline scalar _rng_gamma(_rng_t *r, double a) {
    return (scalar)_rng_gamma_d(r, a);
}
/* Binomial(n, p) for p <= 0.5 and a small mean, by inversion: walk the probabilities
   P(0) = (1-p)^n, P(x) = P(x-1) * ((n+1)/x - 1) * p/(1-p) until they cover a uniform. Where
   round-off leaves the uniform above their total, it is drawn again (exact, conditioned on
   the same event). */
static inline uint32_t _rng_binomial_inversion(_rng_t *r, uint32_t n, double p) {
    const double q = 1.0 - p, s = p / q, a = ((double)n + 1.0) * s;
    for (;;) {
        double f = pow(q, (double)n), u = _rng_uniform_d(r);
        uint32_t x = 0;
        while (u > f && x <= n) {
            u -= f;
            x++;
            f *= a / (double)x - s;
        }
        if (x <= n) return x;
    }
}
/* Binomial(n, p) (std::binomial_distribution, GeNN 5's gennrand_binomial), exact: while the
   mean of the smaller side is large, the a-th smallest of n uniforms, X ~ Beta(a, b) with
   a = 1 + n/2 and b = n + 1 - a (from two gamma draws), splits the problem in two (Knuth,
   TAOCP vol. 2, 3.4.1): if X >= p, the a-1 uniforms below X are uniform on (0, X) and the
   count is Binomial(a-1, p/X); otherwise those a count and the n-a above X, uniform on
   (X, 1), add Binomial(n-a, (p-X)/(1-X)). Halving n each time, what is left is small enough
   for inversion (on the smaller side: Binomial(n, p) = n - Binomial(n, 1-p)). */
static inline uint32_t _rng_binomial(_rng_t *r, uint32_t n, double p) {
    if (!(p > 0.0) || n == 0) return 0;
    if (p >= 1.0) return n;
    uint32_t k = 0;
    while ((double)n * (p < 0.5 ? p : 1.0 - p) >= 16.0) {
        const uint32_t a = 1 + n / 2, b = n + 1 - a;
        const double ga = _rng_gamma_d(r, (double)a), gb = _rng_gamma_d(r, (double)b);
        const double x = ga / (ga + gb);
        if (x >= p) {
            n = a - 1;
            p = p / x;
        } else {
            k += a;
            n = b - 1;
            p = (p - x) / (1.0 - x);
        }
        if (!(p > 0.0) || n == 0) return k;
        if (p >= 1.0) return k + n;
    }
    return k + ((p <= 0.5) ? _rng_binomial_inversion(r, n, p) : n - _rng_binomial_inversion(r, n, 1.0 - p));
}
/* GeNN 5's random functions (RNG_FUNCTIONS in c_support.py names them for the code check) */
#define gennrand_uniform() _rng_uniform(&_rng)
#define gennrand_normal() _rng_normal(&_rng)
#define gennrand_exponential() _rng_exponential(&_rng)
#define gennrand_log_normal(mean, sd) _rng_log_normal(&_rng, (double)(mean), (double)(sd))
#define gennrand_gamma(a) _rng_gamma(&_rng, (double)(a))
#define gennrand_binomial(n, p) _rng_binomial(&_rng, (uint32_t)(n), (double)(p))
#define gennrand() ((uint32_t)(_rng_next(&_rng) >> 32))

/* Control slots shared with Python (ctl array). */
#define CTL_TIMESTEP 0
#define CTL_RNG_STEP 1
#define CTL_SEED 2
#define CTL_NUM_REC 3
#define CTL_OVERFLOW 4
#define CTL_CU_STEP 5
#define CTL_VAR_REC 6
/* This step's rows of the spike and variable recording rings (timestep % CTL_NUM_REC and
   % CTL_VAR_REC): set when a run starts and advanced with each step, so that no population
   divides by a run-time ring length every step */
#define CTL_REC_ROW 7
#define CTL_VAR_REC_ROW 8

int ml_genn_has_openmp(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}
void ml_genn_set_num_threads(int n) {
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads(n);
#else
    (void)n;
#endif
}
int ml_genn_get_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
"""


#: GeNN 5's random functions, which code strings may call (each a macro of :data:`PRELUDE`);
#: any other ``gennrand*(...)`` is refused before compiling
RNG_FUNCTIONS = frozenset({"gennrand", "gennrand_uniform", "gennrand_normal", "gennrand_exponential",
                           "gennrand_log_normal", "gennrand_gamma", "gennrand_binomial"})


# The recording decoders come after the model's kernels, so that changing them does not move
# the kernels' code or constants.
#: Capacity of a population's spike log per batch element: this many ids per word of a
#: recorded row (a firing rate of 1 in 8 averaged over the ring). A busier ring cycle keeps
#: what fits, and readers decode its bits instead.
SPIKE_LOG_IDS_PER_WORD = 4
#: Entries between two batch elements' log counts: a cache line each, as threads own elements
LOG_COUNT_STRIDE = 8

EPILOGUE = r"""
/* Decoding bit-packed recording rows (layout: [batch][buffer_steps][words]) of engine timesteps
   [first_step, end_step) for the batch slots `slots`, keeping neurons whose bit is set in
   `mask` (packed like a row). Spikes come out grouped by slot (slot k's spikes are entries
   [offsets[k], offsets[k + 1])), ordered by time then neuron id, as a time (step * dt) and an
   id. `row_counts` ([batch][buffer_steps] set bits per row, or NULL) is only valid with an
   all-ones mask; it replaces the popcount and lets empty rows be skipped unread. Where the
   population's spike log holds a batch element's whole window (a ring cycle from row 0), the
   ids are copied from the log instead.
   Counting and filling are separate calls so that the caller can allocate exactly the memory
   the spikes need, from wherever it keeps them; ml_genn_stream_recordings does both for a
   run's recorders at once, appending to memory they were given. */

/* One decoding request, filled in by the caller (recording_decoder.py mirrors this layout):
   one pointer argument keeps the per-batch call from Python cheap. */
typedef struct {
    const uint32_t *buf;          /* [batch_size][buffer_steps][words] */
    uint64_t buffer_steps, batch_size, words;
    uint64_t first_step, end_step;
    const int64_t *slots;         /* batch slots to read, in output order */
    uint64_t num_slots;
    const uint32_t *mask;         /* [words] neurons kept */
    const uint32_t *row_counts;   /* [batch_size][buffer_steps] or NULL */
    double dt;
    int64_t *offsets;             /* [num_slots + 1], written by ml_genn_count_recording */
    double *out_time;             /* [offsets[num_slots]] */
    int64_t *out_id;
    /* ml_genn_stream_recordings appends batch after batch to these, from entry stream_used
       (and example stream_examples) on; a batch that does not fit is not written */
    double *stream_times;         /* [stream_capacity] */
    int64_t *stream_ids;          /* [stream_capacity] */
    uint64_t stream_capacity, stream_used;
    int64_t *stream_ends;         /* [ends_capacity]: per example, its end in stream_times */
    uint64_t ends_capacity, stream_examples;
    uint64_t needed;              /* the last batch's spikes, after a batch that did not fit */
    uint64_t written;             /* whether the last batch fitted */
    /* The population's spike log ([batch_size][log_capacity] ids, restarted at ring row 0)
       and its row counts, or NULL: a window that starts at ring row 0 is copied from it */
    const uint32_t *log;
    uint64_t log_capacity;
    const uint32_t *log_row_counts;   /* [batch_size][buffer_steps] */
} MlGennDecodeRequest;

/* Whether batch element b's spikes in the request's window are all in the spike log (the
   window starts a ring cycle, when the log restarts, and the log had room for them);
   *logged gets their number, before the neuron mask */
static inline int ml_genn_log_covers(const MlGennDecodeRequest *d, uint64_t b, uint64_t *logged) {
    if (!d->log || d->first_step % d->buffer_steps != 0) return 0;
    const uint32_t *const counts = d->log_row_counts + b * d->buffer_steps;
    const uint64_t rows = d->end_step - d->first_step;
    uint64_t n = 0;
    for (uint64_t r = 0; r < rows; r++) n += counts[r];
    *logged = n;
    return n <= d->log_capacity;
}

/* Spikes of batch element b from the spike log, into entries [n, limit) of the output: a
   copy with the ids widened, without scanning a bit of the rows. Without a neuron mask the ids
   are one copy; each row's time is written four at a time (past a row's spikes the next row
   overwrites them, and a row without spikes writes four too), where that stays inside the
   element's part of the output. */
static void ml_genn_fill_slot_from_log(const MlGennDecodeRequest *d, uint64_t b, uint64_t n,
                                       uint64_t limit, double *restrict out_time,
                                       int64_t *restrict out_id) {
    const uint32_t *restrict ids = d->log + b * d->log_capacity;
    const uint32_t *restrict counts = d->log_row_counts + b * d->buffer_steps;
    const uint32_t *restrict mask = d->mask;
    const uint64_t rows = d->end_step - d->first_step;
    if (d->row_counts) {   /* every neuron */
        int64_t *restrict const id = out_id + n;
        for (uint64_t k = 0; k < limit - n; k++) id[k] = (int64_t)ids[k];
        for (uint64_t r = 0; r < rows; r++) {
            const uint64_t count = counts[r];
            const double time = (double)(d->first_step + r) * d->dt;
            double *restrict const t = out_time + n;
            if (n + count + 4 <= limit) {
                /* at least one group of four, so that rows without spikes (most, in a
                   sparse population) cost no test of their own */
                uint64_t k = 0;
                do { t[k] = time; t[k + 1] = time; t[k + 2] = time; t[k + 3] = time; k += 4; } while (k < count);
            } else {
                for (uint64_t k = 0; k < count; k++) t[k] = time;
            }
            n += count;
        }
        return;
    }
    for (uint64_t r = 0; r < rows; r++) {
        const uint64_t count = counts[r];
        const double time = (double)(d->first_step + r) * d->dt;
        for (uint64_t k = 0; k < count; k++) {
            const uint32_t i = ids[k];
            if ((mask[i >> 5] >> (i & 31)) & 1u) { out_time[n] = time; out_id[n] = (int64_t)i; n++; }
        }
        ids += count;
    }
}

/* Fills d->offsets[0..num_slots] and returns the number of spikes */
uint64_t ml_genn_count_recording(const MlGennDecodeRequest *d) {
    const uint64_t num_slots = d->num_slots, words = d->words;
    int64_t *const offsets = d->offsets;
    for (uint64_t s = 0; s <= num_slots; s++) offsets[s] = 0;
    for (uint64_t s = 0; s < num_slots; s++) {
        const uint64_t b = (uint64_t)d->slots[s];
        uint64_t logged;
        if (ml_genn_log_covers(d, b, &logged)) {
            uint64_t n = logged;
            if (!d->row_counts) {   /* a neuron mask: count the kept ids */
                const uint32_t *const ids = d->log + b * d->log_capacity;
                n = 0;
                for (uint64_t k = 0; k < logged; k++) n += (d->mask[ids[k] >> 5] >> (ids[k] & 31)) & 1u;
            }
            offsets[s + 1] = (int64_t)n;
            continue;
        }
        uint64_t ring_row = d->first_step % d->buffer_steps, n = 0;
        for (uint64_t step = d->first_step; step < d->end_step; step++) {
            const uint64_t r = ring_row;
            if (++ring_row == d->buffer_steps) ring_row = 0;
            if (d->row_counts) { n += d->row_counts[b * d->buffer_steps + r]; continue; }
            const uint32_t *const row = d->buf + (b * d->buffer_steps + r) * words;
            for (uint64_t w = 0; w < words; w++) n += (uint64_t)__builtin_popcount(row[w] & d->mask[w]);
        }
        offsets[s + 1] = (int64_t)n;
    }
    for (uint64_t s = 0; s < num_slots; s++) offsets[s + 1] += offsets[s];
    return (uint64_t)offsets[num_slots];
}

/* Writes the spikes of batch element b over steps [first_step, end_step) into out_time/out_id
   from entry n up to `limit` (the end of the slot's part of the output), in order.
   Bits are expanded without a branch per bit, which random spike patterns mispredict: a word
   holding one spike writes it directly; otherwise four entries are written unconditionally
   (past the word's spikes they are garbage that the slot's next spikes overwrite) and a loop
   writes any more. The unconditional writes are only used where they stay inside the slot's
   part of the output. A function of its own so that its pointers stay restrict-qualified
   (inside an OpenMP region they would be read through the region's shared-data block). */
#define ML_GENN_DECODE_UNCONDITIONAL 4
static void ml_genn_fill_slot(const uint32_t *restrict buf, uint64_t buffer_steps,
                              uint64_t words, uint64_t first_step,
                              uint64_t end_step, uint64_t b, const uint32_t *restrict mask,
                              const uint32_t *restrict row_counts, double dt, uint64_t n,
                              uint64_t limit, double *restrict out_time,
                              int64_t *restrict out_id) {
    uint64_t ring_row = first_step % buffer_steps;
    for (uint64_t step = first_step; step < end_step; step++) {
        const uint64_t r = ring_row;
        if (++ring_row == buffer_steps) ring_row = 0;
        if (row_counts && !row_counts[b * buffer_steps + r]) continue;
        const double time = (double)step * dt;
        const uint32_t *const row = buf + (b * buffer_steps + r) * words;
        /* Rows are sparse: find the non-zero words of each block of 64 without a branch per
           word (the compiler vectorises this), then visit only those */
        for (uint64_t w0 = 0; w0 < words; w0 += 64) {
            const uint64_t block = (words - w0 < 64) ? words - w0 : 64;
            uint64_t nonzero = 0;
            for (uint64_t k = 0; k < block; k++)
                nonzero |= (uint64_t)((row[w0 + k] & mask[w0 + k]) != 0) << k;
            while (nonzero) {
                const uint64_t w = w0 + (uint64_t)__builtin_ctzll(nonzero);
                nonzero &= nonzero - 1u;
                uint32_t bits = row[w] & mask[w];
                const int64_t first_id = (int64_t)(w * 32u);
                double *const t = out_time + n;
                int64_t *const id = out_id + n;
                if (!(bits & (bits - 1u))) {
                    t[0] = time;
                    id[0] = first_id + __builtin_ctz(bits);
                    n++;
                } else if (n + ML_GENN_DECODE_UNCONDITIONAL <= limit) {
                    const uint64_t count = (uint64_t)__builtin_popcount(bits);
                    for (int k = 0; k < ML_GENN_DECODE_UNCONDITIONAL; k++) {
                        /* the top bit keeps ctz defined once the word is used up */
                        t[k] = time;
                        id[k] = first_id + __builtin_ctz(bits | 0x80000000u);
                        bits &= bits - 1u;
                    }
                    for (uint64_t k = ML_GENN_DECODE_UNCONDITIONAL; bits; k++) {
                        t[k] = time;
                        id[k] = first_id + __builtin_ctz(bits);
                        bits &= bits - 1u;
                    }
                    n += count;
                } else {
                    do {
                        out_time[n] = time;
                        out_id[n] = first_id + __builtin_ctz(bits);
                        bits &= bits - 1u;
                        n++;
                    } while (bits);
                }
            }
        }
    }
}

#define ML_GENN_PARALLEL_DECODE_MIN_WORK 8192

/* Thread `thread` of `num_threads`: the slots of the batch elements that thread simulated (the
   split of a batch run: rows its core wrote are still in its cache) */
static void ml_genn_fill_share(const MlGennDecodeRequest *d, uint64_t thread, uint64_t num_threads) {
    const uint64_t b0 = d->batch_size * thread / num_threads;
    const uint64_t b1 = d->batch_size * (thread + 1) / num_threads;
    for (uint64_t s = 0; s < d->num_slots; s++) {
        const uint64_t b = (uint64_t)d->slots[s];
        uint64_t logged;
        if (b < b0 || b >= b1) continue;
        if (ml_genn_log_covers(d, b, &logged))
            ml_genn_fill_slot_from_log(d, b, (uint64_t)d->offsets[s], (uint64_t)d->offsets[s + 1],
                                       d->out_time, d->out_id);
        else
            ml_genn_fill_slot(d->buf, d->buffer_steps, d->words, d->first_step, d->end_step, b,
                              d->mask, d->row_counts, d->dt, (uint64_t)d->offsets[s],
                              (uint64_t)d->offsets[s + 1], d->out_time, d->out_id);
    }
}

/* Work: a write per spike, and a scan of every row's words (a row's words are checked several
   at a time, hence the division) */
static uint64_t ml_genn_fill_work(const MlGennDecodeRequest *d) {
    return (uint64_t)d->offsets[d->num_slots]
           + (d->end_step - d->first_step) * d->num_slots * d->words / 8;
}

/* Writes the spikes counted by ml_genn_count_recording (the same request, its `offsets`) into
   out_time/out_id, which hold offsets[num_slots] entries. Slot by slot, so that each slot's
   output is written in order: the output is new to the cache, and a handful of sequential
   write streams is what the hardware keeps up with (a cursor per slot walking the buffer in
   memory order measured almost twice as slow). The engine's threads are idle between
   batches, so when there is enough to share each decodes the slots of the batch elements it
   simulated. Returns 0. */
int ml_genn_fill_recording(const MlGennDecodeRequest *d) {
#ifdef _OPENMP
    #pragma omp parallel if (ml_genn_fill_work(d) >= ML_GENN_PARALLEL_DECODE_MIN_WORK && d->num_slots > 1)
    ml_genn_fill_share(d, (uint64_t)omp_get_thread_num(), (uint64_t)omp_get_num_threads());
#else
    ml_genn_fill_share(d, 0, 1);
#endif
    return 0;
}

/* Decode timesteps [first_step, end_step) of several requests (the spike recorders of one run)
   and append each to its stream: one call per batch for all of them keeps the per-batch cost
   low, and a run's spikes pile up without a Python object per batch. A request whose batch
   does not fit (its spikes, or one end per slot) gets nothing written: written = 0 and
   needed = its spike count, so that the caller can give it a larger stream and ask again.
   All that fit are filled in one parallel region. Returns the number that did not fit. */
uint64_t ml_genn_stream_recordings(MlGennDecodeRequest *const *requests, uint64_t num_requests,
                                   uint64_t first_step, uint64_t end_step) {
    uint64_t work = 0, not_fitted = 0;
    for (uint64_t k = 0; k < num_requests; k++) {
        MlGennDecodeRequest *const d = requests[k];
        d->first_step = first_step;
        d->end_step = end_step;
        const uint64_t total = ml_genn_count_recording(d);
        d->needed = total;
        d->written = d->stream_used + total <= d->stream_capacity
                     && d->stream_examples + d->num_slots <= d->ends_capacity;
        if (!d->written) { not_fitted++; continue; }
        d->out_time = d->stream_times + d->stream_used;
        d->out_id = d->stream_ids + d->stream_used;
        if (total) work += ml_genn_fill_work(d);
    }
    (void)work;   /* used by the parallel clause only */
#ifdef _OPENMP
    #pragma omp parallel if (work >= ML_GENN_PARALLEL_DECODE_MIN_WORK)
#endif
    {
#ifdef _OPENMP
        const uint64_t thread = (uint64_t)omp_get_thread_num(), num_threads = (uint64_t)omp_get_num_threads();
#else
        const uint64_t thread = 0, num_threads = 1;
#endif
        for (uint64_t k = 0; k < num_requests; k++)
            if (requests[k]->written && requests[k]->needed)
                ml_genn_fill_share(requests[k], thread, num_threads);
    }
    for (uint64_t k = 0; k < num_requests; k++) {
        MlGennDecodeRequest *const d = requests[k];
        if (!d->written) continue;
        int64_t *const ends = d->stream_ends + d->stream_examples;
        for (uint64_t s = 0; s < d->num_slots; s++)
            ends[s] = (int64_t)d->stream_used + d->offsets[s + 1];
        d->stream_used += d->needed;
        d->stream_examples += d->num_slots;
    }
    return not_fitted;
}

"""

def prelude(precision: str, dt: float) -> str:
    """The prelude for a model of ``precision`` with timestep ``dt``."""
    return (PRELUDE.replace("@SCALAR@", precision).replace("@DT@", repr(float(dt)))
            .replace("@DOUBLE@", "1" if precision == "double" else "0"))


def epilogue() -> str:
    """The C text every model ends with: the recording decoders."""
    return EPILOGUE
