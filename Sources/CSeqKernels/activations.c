// Element-wise activations for training, forward and backward: an AVX2+FMA version picked at run time,
// the scalar formulas for other CPUs and for the tail past a multiple of 8.
#include "CSeqKernels.h"
#include "vector_math.h"

#define GELU_SCALE 0.7978845608028654f  // √(2/π)
#define GELU_CUBIC 0.044715f

static void gelu_scalar(long from, long n, float *y, const float *x) {
    for (long i = from; i < n; i++) {
        float v = x[i];
        float t = seqkit_scalar_tanh(GELU_SCALE * (v + GELU_CUBIC * v * v * v));
        y[i] = 0.5f * v * (1.0f + t);
    }
}

static void gelu_backward_scalar(long from, long n, float *dx, const float *dy, const float *x) {
    for (long i = from; i < n; i++) {
        float v = x[i];
        float t = seqkit_scalar_tanh(GELU_SCALE * (v + GELU_CUBIC * v * v * v));
        float dt = (1.0f - t * t) * GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * v * v);
        dx[i] += dy[i] * (0.5f * (1.0f + t) + 0.5f * v * dt);
    }
}

static void tanh_scalar(long from, long n, float *y, const float *x) {
    for (long i = from; i < n; i++) y[i] = seqkit_scalar_tanh(x[i]);
}

static void sigmoid_scalar(long from, long n, float *y, const float *x) {
    for (long i = from; i < n; i++) y[i] = seqkit_scalar_logistic(x[i]);
}

#if SEQKIT_HAS_AVX2_PATH
static SEQKIT_AVX2 long gelu_avx2(long n, float *y, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 cubic = _mm256_mul_ps(_mm256_mul_ps(seqkit_splat(GELU_CUBIC), v), _mm256_mul_ps(v, v));
        __m256 t = seqkit_v_tanh(_mm256_mul_ps(seqkit_splat(GELU_SCALE), _mm256_add_ps(v, cubic)));
        __m256 half_x = _mm256_mul_ps(seqkit_splat(0.5f), v);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(half_x, _mm256_add_ps(seqkit_splat(1.0f), t)));
    }
    return i;
}

static SEQKIT_AVX2 long gelu_backward_avx2(long n, float *dx, const float *dy, const float *x) {
    __m256 one = seqkit_splat(1.0f), half = seqkit_splat(0.5f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 v2 = _mm256_mul_ps(v, v);
        __m256 inner = _mm256_mul_ps(
            seqkit_splat(GELU_SCALE), _mm256_fmadd_ps(_mm256_mul_ps(seqkit_splat(GELU_CUBIC), v), v2, v));
        __m256 t = seqkit_v_tanh(inner);
        __m256 dt = _mm256_mul_ps(
            _mm256_mul_ps(_mm256_fnmadd_ps(t, t, one), seqkit_splat(GELU_SCALE)),
            _mm256_fmadd_ps(seqkit_splat(3.0f * GELU_CUBIC), v2, one));
        __m256 d = _mm256_fmadd_ps(_mm256_mul_ps(half, v), dt, _mm256_mul_ps(half, _mm256_add_ps(one, t)));
        _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(dy + i), d, _mm256_loadu_ps(dx + i)));
    }
    return i;
}

static SEQKIT_AVX2 long tanh_avx2(long n, float *y, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, seqkit_v_tanh(_mm256_loadu_ps(x + i)));
    return i;
}

static SEQKIT_AVX2 long sigmoid_avx2(long n, float *y, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, seqkit_v_logistic(_mm256_loadu_ps(x + i)));
    return i;
}
#endif

void seqkit_gelu(long n, float *y, const float *x) {
    long done = SEQKIT_VECTOR(gelu_avx2(n, y, x));
    gelu_scalar(done, n, y, x);
}

void seqkit_gelu_backward(long n, float *dx, const float *dy, const float *x) {
    long done = SEQKIT_VECTOR(gelu_backward_avx2(n, dx, dy, x));
    gelu_backward_scalar(done, n, dx, dy, x);
}

void seqkit_tanh(long n, float *y, const float *x) {
    long done = SEQKIT_VECTOR(tanh_avx2(n, y, x));
    tanh_scalar(done, n, y, x);
}

void seqkit_sigmoid(long n, float *y, const float *x) {
    long done = SEQKIT_VECTOR(sigmoid_avx2(n, y, x));
    sigmoid_scalar(done, n, y, x);
}

// MARK: Shifted exponentials for softmax, log-sum-exp and the cross-entropy gradient

#if SEQKIT_HAS_AVX2_PATH
/// e^(x − shift), exactly 0 where x − shift is below e^x's float range (so −∞ logits give 0), NaN kept.
static inline SEQKIT_AVX2 __m256 shifted_exp(__m256 x, __m256 shift) {
    __m256 v = _mm256_sub_ps(x, shift);
    __m256 e = seqkit_v_exp(v);
    return _mm256_andnot_ps(_mm256_cmp_ps(v, seqkit_splat(-87.3f), _CMP_LT_OQ), e);
}

static SEQKIT_AVX2 long exp_sum_avx2(long n, float *y, const float *x, float shift, float *sum) {
    __m256 s = _mm256_set1_ps(shift), acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = shifted_exp(_mm256_loadu_ps(x + i), s);
        if (y) _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    *sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    return i;
}

static SEQKIT_AVX2 long add_scaled_exp_avx2(long n, float *dx, const float *x, float shift, float scale) {
    __m256 s = _mm256_set1_ps(shift), k = _mm256_set1_ps(scale);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = shifted_exp(_mm256_loadu_ps(x + i), s);
        _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(k, e, _mm256_loadu_ps(dx + i)));
    }
    return i;
}
#endif

float seqkit_exp_sum(long n, float *y, const float *x, float shift) {
    float sum = 0;
    long done = SEQKIT_VECTOR(exp_sum_avx2(n, y, x, shift, &sum));
    for (long i = done; i < n; i++) {
        float e = expf(x[i] - shift);
        if (y) y[i] = e;
        sum += e;
    }
    return sum;
}

void seqkit_add_scaled_exp(long n, float *dx, const float *x, float shift, float scale) {
    long done = SEQKIT_VECTOR(add_scaled_exp_avx2(n, dx, x, shift, scale));
    for (long i = done; i < n; i++) dx[i] += scale * expf(x[i] - shift);
}
