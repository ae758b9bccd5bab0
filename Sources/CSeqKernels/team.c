// A team of persistent worker threads that runs every parallel part of SeqKit (seqkit_team_run_on; Swift's
// Threads.team): a decoding step's twenty calls of a few microseconds each, a recurrent pass's chunks of whole
// time loops, and the slabs of a training step's products. Dispatch's concurrentPerform cost several
// microseconds per call and a third thread; this hand-off costs well under one. Workers spin on a generation
// counter for a while after each call, then sleep on a condition variable.
#include "CSeqKernels.h"
#include "vector_math.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdatomic.h>
#include <time.h>

#define SEQKIT_TEAM_MAX 64  // threads, the caller included
/// Pause instructions a worker spins through before it sleeps: about 0.1–0.3 ms, long enough to bridge
/// the gaps inside a decoding step or a recurrent time loop, short enough not to steal a core from
/// OpenBLAS for long.
#define SEQKIT_TEAM_SPINS 8192
/// When the workers are not getting a core (other processes busy on it), handing them work only makes the
/// caller wait: after a call whose worker was descheduled mid-part, or SEQKIT_TEAM_MISSES calls in a row in
/// which no awake worker took a part, the calls of the next SEQKIT_TEAM_BACKOFF_NS run on the caller alone.
/// The backoff is a time, not a count of calls, so it never sends a run of long calls (a training step's
/// products) to one core. A worker that was asleep when the call began is still waking: its misses do not
/// count, or the team could never come back from a backoff, whose end always finds the workers asleep.
///
/// A worker counts as descheduled when the caller, done with its own parts, waits longer than
/// SEQKIT_TEAM_WAIT_NS and more than twice as long as its parts took. Waiting for a part as long as the
/// caller's own is only the call's imbalance: a recurrent pass hands out chunks of whole time loops (a
/// millisecond each), and counting that wait as a miss once sent char-lstm's training to one core for
/// hundreds of calls at a time.
#define SEQKIT_TEAM_WAIT_NS 50000
/// Pauses the waiting caller spins before it yields its core instead.
#define SEQKIT_TEAM_WAIT_SPINS 2048
#define SEQKIT_TEAM_MISSES 8
#define SEQKIT_TEAM_BACKOFF_NS 1000000

static inline long long team_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

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
    // The call's task: written before its generation is published, read after a part of it is claimed (atomics,
    // so that a worker looking at a call that has just ended races with nothing).
    _Atomic(seqkit_team_task) task;
    _Atomic(void *) context;
    _Atomic long parts;
    _Atomic long threads;  // threads that take parts this call: the caller and workers 1 ..< threads
    _Atomic unsigned long claim;  // generation << PART_BITS | next part; a new generation starts each call
    _Atomic long finished;        // parts of the current call that have returned
    _Atomic int sleepers;         // workers waiting on `wake`
    long long serial_until;       // until this time (ns) calls run on the caller alone (backing off a busy machine)
    long misses;                  // calls in a row in which no worker took a part
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

/// Set on worker threads, and on a caller while its parts run: a nested call runs serially.
static _Thread_local int inside_team;

/// Claims and runs parts of generation `generation` until none is left or a newer call has begun; returns
/// how many it ran. Any thread may run any part, so a caller whose workers were descheduled (a busy machine)
/// does the parts itself instead of waiting for them to wake.
static long run_parts(unsigned long generation) {
    long ran = 0;
    unsigned long word = atomic_load_explicit(&team.claim, memory_order_acquire);
    for (;;) {
        if (word >> PART_BITS != generation) return ran;
        long part = (long)(word & PART_MASK), parts = atomic_load_explicit(&team.parts, memory_order_relaxed);
        if (part >= parts) return ran;
        if (!atomic_compare_exchange_weak_explicit(
                &team.claim, &word, word + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        // The call cannot finish (and its task change) before this part is counted as finished.
        seqkit_team_task task = atomic_load_explicit(&team.task, memory_order_relaxed);
        task(atomic_load_explicit(&team.context, memory_order_relaxed), part, parts);
        atomic_fetch_add_explicit(&team.finished, 1, memory_order_release);
        ran += 1;
        word = atomic_load_explicit(&team.claim, memory_order_acquire);
    }
}

struct worker_start {
    long index;  // 1, 2, ...: the caller is thread 0
    unsigned long seen;
};

static void *team_worker(void *argument) {
    struct worker_start start = *(struct worker_start *)argument;
    free(argument);
    unsigned long seen = start.seen;
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
        if (start.index < atomic_load_explicit(&team.threads, memory_order_relaxed)) run_parts(generation);
    }
    return NULL;
}

int seqkit_in_parallel(void) { return inside_team; }

int seqkit_parallel_enter(void) {
    int previous = inside_team;
    inside_team = 1;
    return previous;
}

void seqkit_parallel_leave(int previous) { inside_team = previous; }

static void run_serially(seqkit_team_task task, void *context, long parts) {
    for (long p = 0; p < parts; p++) task(context, p, parts);
}

void seqkit_team_run(seqkit_team_task task, void *context, long parts) {
    static long cores = 0;
    if (cores == 0) cores = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    seqkit_team_run_on(task, context, parts, cores);
}

void seqkit_team_run_on(seqkit_team_task task, void *context, long parts, long threads) {
    if (parts < 1) parts = 1;
    if (threads > parts) threads = parts;
    if (parts > (long)PART_MASK) threads = 1;  // more parts than the claim word counts: all on the caller
    if (threads > SEQKIT_TEAM_MAX) threads = SEQKIT_TEAM_MAX;
    if (threads <= 1 || inside_team || pthread_mutex_trylock(&team.caller) != 0) {
        run_serially(task, context, parts);
        return;
    }
    unsigned long generation = atomic_load(&team.claim) >> PART_BITS;
    while (team.started < threads - 1) {
        struct worker_start *start = malloc(sizeof *start);
        pthread_t thread;
        if (start == NULL) break;
        start->index = team.started + 1;
        start->seen = generation;
        if (pthread_create(&thread, NULL, team_worker, start) != 0) {
            free(start);
            break;
        }
        pthread_detach(thread);
        team.started += 1;
    }
    long long began = team_now_ns();
    if (began < team.serial_until) {
        pthread_mutex_unlock(&team.caller);
        run_serially(task, context, parts);
        return;
    }
    if (team.started == 0) {  // no worker thread could be made: the caller does it all
        pthread_mutex_unlock(&team.caller);
        run_serially(task, context, parts);
        return;
    }
    atomic_store_explicit(&team.task, task, memory_order_relaxed);
    atomic_store_explicit(&team.context, context, memory_order_relaxed);
    atomic_store_explicit(&team.parts, parts, memory_order_relaxed);
    atomic_store_explicit(&team.threads, threads, memory_order_relaxed);
    atomic_store(&team.finished, 0);
    generation += 1;
    atomic_store(&team.claim, generation << PART_BITS);  // publishes task, context and parts
    int waking = atomic_load(&team.sleepers) > 0;  // a sleeping worker takes a while to wake: not a miss
    if (waking) {
        pthread_mutex_lock(&team.sleep);
        pthread_cond_broadcast(&team.wake);
        pthread_mutex_unlock(&team.sleep);
    }
    inside_team = 1;
    long ran = run_parts(generation);
    inside_team = 0;
    // Parts a worker claimed and is still running; on a busy machine that worker may be descheduled.
    long long worked = 0, waited = 0;
    if (atomic_load_explicit(&team.finished, memory_order_acquire) < parts) {
        long long done = team_now_ns();
        for (long spins = 0; atomic_load_explicit(&team.finished, memory_order_acquire) < parts; spins++) {
            if (spins < SEQKIT_TEAM_WAIT_SPINS) team_pause();
            else sched_yield();
        }
        worked = done - began;
        waited = team_now_ns() - done;
    }
    if (ran < parts) team.misses = 0;
    else if (!waking) team.misses += 1;
    int descheduled = waited > SEQKIT_TEAM_WAIT_NS && waited > 2 * worked;
    if (descheduled || team.misses >= SEQKIT_TEAM_MISSES) {
        team.serial_until = team_now_ns() + SEQKIT_TEAM_BACKOFF_NS;
        team.misses = 0;
    }
    pthread_mutex_unlock(&team.caller);
}
