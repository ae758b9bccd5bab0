#ifndef CSEQKERNELS_H
#define CSEQKERNELS_H

/// Sets flush-to-zero and denormals-are-zero for the calling thread (x86 MXCSR, arm64 FPCR.FZ),
/// so tiny gradients late in training do not fall onto the slow denormal path.
void seqkit_flush_denormals_to_zero(void);

/// The calling thread's floating-point control word (x86 MXCSR, arm64 FPCR), to restore later.
unsigned long long seqkit_fp_control(void);

/// Restores a control word saved by seqkit_fp_control.
void seqkit_set_fp_control(unsigned long long state);

/// Returns 1 when the calling thread flushes denormals to zero, 0 otherwise.
int seqkit_flushes_denormals(void);

#endif
