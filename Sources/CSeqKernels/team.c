// A team of persistent worker threads for short parallel sections (seqkit_team_run), and the matrix-vector
// product that decoding splits over it. Dispatch's concurrentPerform costs several microseconds per call;
// a decoding step makes about twenty calls of 10–40 µs each, so the hand-off has to cost far less than that.
// Workers spin on a generation counter for a while after each task, then sleep on a condition variable.
#include "CSeqKernels.h"
#include "vector_math.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>

#define SEQKIT_TEAM_MAX 64
/// Pause instructions a worker spins through before it sleeps: about 0.1–0.3 ms, long enough to bridge
/// the gaps inside a decoding step or a recurrent time loop, short enough not to steal a core from
/// OpenBLAS for long.
#define SEQKIT_TEAM_SPINS 8192

static inline void team_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/// The claim word: the call's generation in the high bits, the next unclaimed part in the low 16.
#define PART_BITS 16
#define PART_MASK ((1ul << PART_BITS) - 1)

static struct {
    pthread_mutex_t caller;  // held by the one thread whose call the workers serve
    pthread_mutex_t sleep;   // guards the condition variable
    pthread_cond_t wake;
    long started;  // workers created so far (only the caller holding `caller` changes it)
    seqkit_team_task task;
    void *context;
    long parts;
    _Atomic unsigned long claim;  // generation << PART_BITS | next part; a new generation starts each call
    _Atomic long finished;        // parts of the current call that have returned
    _Atomic int sleepers;         // workers waiting on `wake`
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

/// Set on worker threads, and on a caller while its parts run: a nested call runs serially.
static _Thread_local int inside_team;

/// Claims and runs parts of generation `generation` until none is left or a newer call has begun. Any
/// thread may run any part, so a caller whose workers were descheduled (a busy machine) does the parts
/// itself instead of waiting for them to wake.
static void run_parts(unsigned long generation) {
    unsigned long word = atomic_load_explicit(&team.claim, memory_order_acquire);
    for (;;) {
        if (word >> PART_BITS != generation) return;
        long part = (long)(word & PART_MASK);
        if (part >= team.parts) return;
        if (!atomic_compare_exchange_weak_explicit(
                &team.claim, &word, word + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        // The call cannot finish (and its task change) before this part is counted as finished.
        team.task(team.context, part, team.parts);
        atomic_fetch_add_explicit(&team.finished, 1, memory_order_release);
        word = atomic_load_explicit(&team.claim, memory_order_acquire);
    }
}

static void *team_worker(void *argument) {
    unsigned long seen = *(unsigned long *)argument;
    free(argument);
    inside_team = 1;
    seqkit_flush_denormals_to_zero();
    for (;;) {
        unsigned long generation;
        int spins = 0;
        while ((generation = atomic_load_explicit(&team.claim, memory_order_acquire) >> PART_BITS) == seen) {
            if (++spins < SEQKIT_TEAM_SPINS) {
                team_pause();
                continue;
            }
            pthread_mutex_lock(&team.sleep);
            atomic_fetch_add(&team.sleepers, 1);
            while (atomic_load(&team.claim) >> PART_BITS == seen) pthread_cond_wait(&team.wake, &team.sleep);
            atomic_fetch_sub(&team.sleepers, 1);
            pthread_mutex_unlock(&team.sleep);
            spins = 0;
        }
        seen = generation;
        run_parts(generation);
    }
    return NULL;
}

static void run_serially(seqkit_team_task task, void *context, long parts) {
    for (long p = 0; p < parts; p++) task(context, p, parts);
}

void seqkit_team_run(seqkit_team_task task, void *context, long parts) {
    if (parts > SEQKIT_TEAM_MAX) parts = SEQKIT_TEAM_MAX;
    if (parts <= 1 || inside_team || pthread_mutex_trylock(&team.caller) != 0) {
        run_serially(task, context, parts < 1 ? 1 : parts);
        return;
    }
    unsigned long generation = atomic_load(&team.claim) >> PART_BITS;
    while (team.started < parts - 1) {
        unsigned long *seen = malloc(sizeof *seen);
        pthread_t thread;
        if (seen == NULL) break;
        *seen = generation;
        if (pthread_create(&thread, NULL, team_worker, seen) != 0) {
            free(seen);
            break;
        }
        pthread_detach(thread);
        team.started += 1;
    }
    if (team.started == 0) {  // no worker thread could be made: the caller does it all
        pthread_mutex_unlock(&team.caller);
        run_serially(task, context, parts);
        return;
    }
    team.task = task;
    team.context = context;
    team.parts = parts;
    atomic_store(&team.finished, 0);
    generation += 1;
    atomic_store(&team.claim, generation << PART_BITS);  // publishes task, context and parts
    if (atomic_load(&team.sleepers) > 0) {
        pthread_mutex_lock(&team.sleep);
        pthread_cond_broadcast(&team.wake);
        pthread_mutex_unlock(&team.sleep);
    }
    inside_team = 1;
    run_parts(generation);
    inside_team = 0;
    // Parts a worker claimed and is still running; on a busy machine that worker may be descheduled.
    for (long spins = 0; atomic_load_explicit(&team.finished, memory_order_acquire) < parts; spins++) {
        if (spins < SEQKIT_TEAM_SPINS) team_pause();
        else sched_yield();
    }
    pthread_mutex_unlock(&team.caller);
}

// MARK: Matrix-vector product over a range of rows

/// y = s, or s + β·y when β ≠ 0 (y is not read when β = 0, as BLAS does).
static inline void store_row(float *y, float s, float beta) { *y = beta == 0 ? s : s + beta * *y; }

static void gemv_rows_scalar(
    float *y, const float *a, const float *x, long from, long to, long n, long lda, float beta) {
    for (long r = from; r < to; r++) {
        const float *row = a + r * lda;
        float s = 0;
        for (long j = 0; j < n; j++) s += row[j] * x[j];
        store_row(y + r, s, beta);
    }
}

#ifdef SEQKIT_HAS_AVX2_PATH
static inline SEQKIT_AVX2 float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Four rows at a time (x read once per four rows), two accumulators per row to hide the FMA latency.
/// Handles rows [from, to) whole; returns nothing left for the scalar code unless n is not a multiple of 16.
static SEQKIT_AVX2 long gemv_rows_avx2(
    float *y, const float *a, const float *x, long from, long to, long n, long lda, float beta) {
    if (n % 16 != 0) return from;
    long r = from;
    for (; r + 4 <= to; r += 4) {
        const float *r0 = a + r * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        for (long j = 0; j < n; j += 16) {
            __m256 xa = _mm256_loadu_ps(x + j), xb = _mm256_loadu_ps(x + j + 8);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), xa, s0);
            t0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j + 8), xb, t0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + j), xa, s1);
            t1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + j + 8), xb, t1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + j), xa, s2);
            t2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + j + 8), xb, t2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + j), xa, s3);
            t3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + j + 8), xb, t3);
        }
        store_row(y + r, horizontal_sum(_mm256_add_ps(s0, t0)), beta);
        store_row(y + r + 1, horizontal_sum(_mm256_add_ps(s1, t1)), beta);
        store_row(y + r + 2, horizontal_sum(_mm256_add_ps(s2, t2)), beta);
        store_row(y + r + 3, horizontal_sum(_mm256_add_ps(s3, t3)), beta);
    }
    for (; r < to; r++) {
        const float *r0 = a + r * lda;
        __m256 s0 = _mm256_setzero_ps(), t0 = s0;
        for (long j = 0; j < n; j += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), _mm256_loadu_ps(x + j), s0);
            t0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j + 8), _mm256_loadu_ps(x + j + 8), t0);
        }
        store_row(y + r, horizontal_sum(_mm256_add_ps(s0, t0)), beta);
    }
    return to;
}
#endif

void seqkit_gemv_rows(
    float *y, const float *a, const float *x, long row_begin, long row_end, long n, long lda, float beta) {
    long done = row_begin;
#ifdef SEQKIT_HAS_AVX2_PATH
    if (seqkit_has_avx2_fma()) done = gemv_rows_avx2(y, a, x, row_begin, row_end, n, lda, beta);
#endif
    gemv_rows_scalar(y, a, x, done, row_end, n, lda, beta);
}

struct gemv_job {
    float *y;
    const float *a, *x;
    long m, n, lda;
    float beta;
};

static void gemv_part(void *context, long part, long parts) {
    const struct gemv_job *job = context;
    // Split on multiples of 4 rows so every part but the last runs the four-row loop only.
    long blocks = (job->m + 3) / 4;
    long from = 4 * (blocks * part / parts), to = 4 * (blocks * (part + 1) / parts);
    if (to > job->m) to = job->m;
    if (from < to) seqkit_gemv_rows(job->y, job->a, job->x, from, to, job->n, job->lda, job->beta);
}

void seqkit_gemv_parallel(
    float *y, const float *a, const float *x, long m, long n, long lda, float beta, long parts) {
    struct gemv_job job = {y, a, x, m, n, lda, beta};
    if (parts > (m + 3) / 4) parts = (m + 3) / 4;
    seqkit_team_run(gemv_part, &job, parts);
}
