#ifndef CSEQKERNELS_RECURRENT_KERNELS_H
#define CSEQKERNELS_RECURRENT_KERNELS_H

/// Floats that seqkit_pack_panels writes for a (k, n) operand: k · 16⌈n/16⌉ (columns in panels of 16, the last
/// one zero-padded).
long seqkit_panel_size(long k, long n);

/// Lays out B (k, n) for seqkit_panel_gemm: panel q holds columns [16q, 16q + 16) as k rows of 16 contiguous
/// floats. Reads B from `b` (k, n; row stride ldb), or when `transposed` is non-zero from its transpose
/// (n, k; row stride ldb), as a recurrent layer's W_hh (G·H, H) gives W_hhᵀ.
void seqkit_pack_panels(float *packed, const float *b, long ldb, long k, long n, int transposed);

/// C (m, n; row stride ldc) = A (m, k; row stride lda) · B, or C += A·B when `accumulate` is non-zero (C is not
/// read otherwise), with B packed by seqkit_pack_panels and A read in place. For the small product of each
/// recurrent time step against a weight packed once per sequence: AVX2+FMA when the CPU has it (rows in bands
/// of at most six), portable scalar code otherwise.
void seqkit_panel_gemm(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate);

/// seqkit_panel_gemm with the code chosen by the caller (2 AVX-512, 1 AVX2+FMA, 0 portable; lowered to what
/// this CPU has), so tests can check each against the same reference.
void seqkit_panel_gemm_with(
    int kernel, float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k,
    int accumulate);

/// Which code seqkit_panel_gemm runs: the best of this CPU (2 AVX-512, 1 AVX2+FMA, 0 portable), lowered to the cap
/// seqkit_set_panel_kernel_cap set, so tests and benchmarks can run each one.
int seqkit_panel_kernel(void);

/// Caps the code seqkit_panel_gemm may choose (0, 1 or 2; -1 removes the cap). Swift sets it from RuntimeOptions.
void seqkit_set_panel_kernel_cap(int cap);

#endif
