#ifndef CSEQKERNELS_DECODE_H
#define CSEQKERNELS_DECODE_H

// Kernels for decoding one token at a time (batch 1): bound by reading weights and the KV cache, so each is
// split over the worker team (seqkit_team_run) when `parts` > 1.

/// y (m) = A (m, n; row stride lda) · x (n) + β·y for rows [row_begin, row_end) (y is not read when β = 0):
/// AVX2+FMA when the CPU has it, portable scalar code otherwise. The rows of A are read once.
void seqkit_gemv_rows(
    float *y, const float *a, const float *x, long row_begin, long row_end, long n, long lda, float beta);

/// y (m) = A (m, n; row stride lda) · x (n) + β·y, the rows split over `parts` team threads in blocks of four.
/// With `gelu` = 1 each part then applies seqkit_gelu (tanh approximation) to its rows, with 2 seqkit_gelu_exact
/// (β must be 0), so the MLP's activation costs no pass of its own; 0 applies none.
void seqkit_gemv_parallel(
    float *y, const float *a, const float *x, long m, long n, long lda, float beta, int gelu, long parts);

/// One query's causal attention over cached positions 0..<positions, heads split over `parts` team threads:
/// for each head h, y_h = Σ_j softmax_j(scale · q_h · k_jh) · v_jh. `q`, `y` hold (heads·d); `keys` and
/// `values` rows of width `c` (≥ heads·d), position j at row j. `scores` is scratch of heads·positions floats.
void seqkit_attend_query(
    float *y, const float *q, const float *keys, const float *values, long positions, long heads, long d, long c,
    float scale, float *scores, long parts);

#endif
