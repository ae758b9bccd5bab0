#ifndef CSEQKERNELS_TEAM_H
#define CSEQKERNELS_TEAM_H

/// One part of a team task: `part` in 0..<parts, all parts running at once on different threads.
typedef void (*seqkit_team_task)(void *context, long part, long parts);

/// Runs `task(context, p, parts)` for every p in 0..<parts and returns when all are done. Part 0 runs on the
/// calling thread, the others on SeqKit's persistent worker threads (created on first use, at most 63), which
/// spin for a short while after each task so that a run of small tasks (one per layer of a decoding step, one
/// per time step of a recurrent loop) pays a hand-off of well under a microsecond instead of a thread wake-up;
/// then they sleep. A call made from inside a task, or while another thread's call is running, runs every
/// part on the calling thread, one after another, so callers never wait on each other.
void seqkit_team_run(seqkit_team_task task, void *context, long parts);

/// y (m) = A (m, n; row stride lda) · x (n) + β·y for rows [row_begin, row_end) (y is not read when β = 0):
/// AVX2+FMA when the CPU has it, portable scalar code otherwise. Memory-bound; the rows of A are read once.
void seqkit_gemv_rows(
    float *y, const float *a, const float *x, long row_begin, long row_end, long n, long lda, float beta);

/// y (m) = A (m, n; row stride lda) · x (n) + β·y with the rows split over `parts` team threads
/// (seqkit_team_run), in blocks of four rows.
void seqkit_gemv_parallel(
    float *y, const float *a, const float *x, long m, long n, long lda, float beta, long parts);

#endif
