// Decoding kernels at batch 1: the matrix-vector product (optionally with GELU on its output) and one
// query's attention over the KV cache, each with an AVX2+FMA path chosen at run time, a portable scalar path,
// and a split over the worker team (team.c).
#include "CSeqKernels.h"
#include "vector_math.h"

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

#if SEQKIT_HAS_AVX2_PATH
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

/// y (the first multiple of 8 of d) = inverse · Σ_j w_j v_j, eight columns at a time over all positions.
static SEQKIT_AVX2 long attend_values_avx2(
    float *y, const float *w, const float *v, long n, long d, long c, float inverse) {
    long i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 a = _mm256_setzero_ps(), b = a;
        for (long j = 0; j < n; j++) {
            __m256 wj = _mm256_set1_ps(w[j]);
            a = _mm256_fmadd_ps(wj, _mm256_loadu_ps(v + j * c + i), a);
            b = _mm256_fmadd_ps(wj, _mm256_loadu_ps(v + j * c + i + 8), b);
        }
        _mm256_storeu_ps(y + i, _mm256_mul_ps(a, _mm256_set1_ps(inverse)));
        _mm256_storeu_ps(y + i + 8, _mm256_mul_ps(b, _mm256_set1_ps(inverse)));
    }
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_setzero_ps();
        for (long j = 0; j < n; j++) a = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), _mm256_loadu_ps(v + j * c + i), a);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(a, _mm256_set1_ps(inverse)));
    }
    return i;
}
#endif

void seqkit_gemv_rows(
    float *y, const float *a, const float *x, long row_begin, long row_end, long n, long lda, float beta) {
    long done = row_begin;
#if SEQKIT_HAS_AVX2_PATH
    if (seqkit_has_avx2_fma()) done = gemv_rows_avx2(y, a, x, row_begin, row_end, n, lda, beta);
#endif
    gemv_rows_scalar(y, a, x, done, row_end, n, lda, beta);
}

struct gemv_job {
    float *y;
    const float *a, *x;
    long m, n, lda;
    float beta;
    int gelu;
};

static void gemv_part(void *context, long part, long parts) {
    const struct gemv_job *job = context;
    // Split on multiples of 4 rows so every part but the last runs the four-row loop only.
    long blocks = (job->m + 3) / 4;
    long from = 4 * (blocks * part / parts), to = 4 * (blocks * (part + 1) / parts);
    if (to > job->m) to = job->m;
    if (from >= to) return;
    seqkit_gemv_rows(job->y, job->a, job->x, from, to, job->n, job->lda, job->beta);
    if (job->gelu == 1) seqkit_gelu(to - from, job->y + from, job->y + from);
    if (job->gelu == 2) seqkit_gelu_exact(to - from, job->y + from, job->y + from);
}

void seqkit_gemv_parallel(
    float *y, const float *a, const float *x, long m, long n, long lda, float beta, int gelu, long parts) {
    struct gemv_job job = {y, a, x, m, n, lda, beta, gelu};
    if (parts > (m + 3) / 4) parts = (m + 3) / 4;
    seqkit_team_run(gemv_part, &job, parts);
}

// MARK: One query's attention over the cache

struct attend_job {
    float *y;
    const float *q, *keys, *values;
    long positions, heads, d, c;
    float scale;
    float *scores;
};

/// Head h: scores s_j = scale · q_h · k_jh, weights e^(s_j − max) through seqkit_exp_sum (the training
/// softmax's exponential), y_h = Σ_j e_j v_jh / Σ_j e_j.
static void attend_head(const struct attend_job *job, long h) {
    long n = job->positions, d = job->d, c = job->c;
    const float *q = job->q + h * d;
    float *s = job->scores + h * n, *y = job->y + h * d;
    seqkit_gemv_rows(s, job->keys + h * d, q, 0, n, d, c, 0);
    float top = -INFINITY;
    for (long j = 0; j < n; j++) {
        s[j] *= job->scale;
        if (s[j] > top) top = s[j];
    }
    float inverse = 1.0f / seqkit_exp_sum(n, s, s, top);
    long i = 0;
#if SEQKIT_HAS_AVX2_PATH
    if (seqkit_has_avx2_fma()) i = attend_values_avx2(y, s, job->values + h * d, n, d, c, inverse);
#endif
    for (; i < d; i++) {
        float acc = 0;
        for (long j = 0; j < n; j++) acc += s[j] * job->values[j * c + h * d + i];
        y[i] = acc * inverse;
    }
}

static void attend_part(void *context, long part, long parts) {
    const struct attend_job *job = context;
    for (long h = job->heads * part / parts; h < job->heads * (part + 1) / parts; h++) attend_head(job, h);
}

void seqkit_attend_query(
    float *y, const float *q, const float *keys, const float *values, long positions, long heads, long d, long c,
    float scale, float *scores, long parts) {
    struct attend_job job = {y, q, keys, values, positions, heads, d, c, scale, scores};
    if (parts > heads) parts = heads;
    seqkit_team_run(attend_part, &job, parts);
}
