#ifndef CSEQKERNELS_TEAM_H
#define CSEQKERNELS_TEAM_H

/// One part of a team task: `part` in 0..<parts. Parts may run at the same time on different threads, or one
/// after another on the same thread, in any order: a part must not wait for another.
typedef void (*seqkit_team_task)(void *context, long part, long parts);

/// Runs `task(context, p, parts)` for every p in 0..<parts and returns when all are done, on at most `threads`
/// threads: the calling thread and SeqKit's persistent workers (created on first use, at most 63) claim parts
/// from a shared counter, so parts may outnumber threads. Workers spin for a short while after each call, so a
/// run of small calls (one per layer of a decoding step, one per time step of a recurrent loop) pays a hand-off
/// of well under a microsecond instead of a thread wake-up; then they sleep. When a worker is slow to wake (a
/// busy machine), the caller takes its parts, and for a while runs calls alone. A call made from inside a part,
/// or while another thread's call is running, runs every part on the calling thread.
void seqkit_team_run_on(seqkit_team_task task, void *context, long parts, long threads);

/// seqkit_team_run_on with as many threads as the machine has cores (and no more than `parts`).
void seqkit_team_run(seqkit_team_task task, void *context, long parts);

/// Nonzero on a thread that is running a part of a parallel section: a team call's part, a team worker, or a
/// thread between seqkit_parallel_enter and seqkit_parallel_leave. A BLAS call made there must run on one
/// thread, or the section's threads and OpenBLAS's would fight over the same cores.
int seqkit_in_parallel(void);

/// Marks the calling thread as running a part of a parallel section (so a team call made from it runs serially,
/// and its products stay on one BLAS thread); returns the previous mark for seqkit_parallel_leave.
int seqkit_parallel_enter(void);

/// Restores the mark seqkit_parallel_enter returned.
void seqkit_parallel_leave(int previous);

#endif
