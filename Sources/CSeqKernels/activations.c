// Element-wise activations for training, forward and backward: an AVX2+FMA version picked at run time,
// the scalar formulas for other CPUs and for the tail past a multiple of 8.
#include "CSeqKernels.h"
#include "vector_math.h"

#define GELU_SCALE 0.7978845608028654f  // √(2/π)
#define GELU_CUBIC 0.044715f

// MARK: erf and the normal CDF Φ(x) = ½(1 + erf(x/√2)) for the exact GELU x·Φ(x)
//
// Two fits, derived for these kernels by minimax (Lawson) over a dense grid against 40-digit erf / erfc:
//   |z| < 0.75:  erf(z) = z·P(z²), degree 4 in z², relative error 7e-8;
//   |z| ≥ 0.75:  erfc(|z|) = e^(−z²)·Q(t), t = 1/(1 + |z|/2), degree 8, relative error 1.4e-8 up to |z| = 9.4,
//                past which erfc is below float's normal range and counts as 0.
// Φ for x < 0 comes from erfc directly (½·erfc(|z|)), never from 1 + erf, so a GELU far into the negative tail
// keeps its relative accuracy. e^(−z²) is formed from z² split exactly into hi + lo (z² = x²/2 from x itself,
// not from a rounded x/√2), since e^(−z²) magnifies an error in z² by z², up to 87 here. With float rounding
// Φ is within about 3e-7 relative, erf within 2e-7.
#define ERF_SPLIT 0.75f
#define ERFC_T_SCALE 0.5f
#define ERFC_UNDERFLOW 87.3f     // z² past which e^(−z²) leaves float's normal range
#define SQRT_HALF 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f  // 1/√(2π), the normal density's scale

static const float erf_small[5] = {
    1.128379107e+00f, -3.761192858e-01f, 1.127373576e-01f, -2.636025473e-02f, 4.158828873e-03f};
static const float erfc_large[9] = {
    -1.099600104e-05f, 2.823668420e-01f, 2.792663872e-01f, 2.627969384e-01f, 1.241076663e-01f,
    1.780450493e-01f, -6.944795698e-02f, -1.167951450e-01f, 5.989945680e-02f};

/// erf(z)/z for |z| < ERF_SPLIT, from s = z².
static inline float erf_small_scalar(float s) {
    float p = erf_small[4];
    for (int k = 3; k >= 0; k--) p = p * s + erf_small[k];
    return p;
}

/// erfc(a)·e^(a²) for a = |z| ≥ ERF_SPLIT.
static inline float erfc_scaled_scalar(float a) {
    float t = 1.0f / (1.0f + ERFC_T_SCALE * a);
    float q = erfc_large[8];
    for (int k = 7; k >= 0; k--) q = q * t + erfc_large[k];
    return q;
}

/// e^(−s) for s = a·b·scale given as floats (the product exact in double), 0 past float's normal range.
static inline float gaussian_scalar(float a, float b, double scale) {
    double s = (double)a * (double)b * scale;
    return s < ERFC_UNDERFLOW ? (float)exp(-s) : 0.0f;
}

static inline float erf_scalar(float z) {
    float a = fabsf(z);
    if (a < ERF_SPLIT) return z * erf_small_scalar(z * z);
    float r = 1.0f - gaussian_scalar(z, z, 1.0) * erfc_scaled_scalar(a);
    return z < 0 ? -r : r;
}

/// Φ(x) = ½(1 + erf(x/√2)); `gauss` receives e^(−x²/2) (the density without its 1/√(2π)).
static inline float normal_cdf_scalar(float x, float *gauss) {
    float z = x * SQRT_HALF, a = fabsf(z);
    *gauss = gaussian_scalar(x, x, 0.5);
    // ½ + ½·erf in one rounding (the vector code's FMA): it cancels down to 0.14 at z = −0.75.
    if (a < ERF_SPLIT) return (float)(0.5 + 0.5 * (double)z * (double)erf_small_scalar(z * z));
    float half_erfc = 0.5f * *gauss * erfc_scaled_scalar(a);
    return x < 0 ? half_erfc : 1.0f - half_erfc;
}

static void erf_scalar_range(long from, long n, float *y, const float *x) {
    for (long i = from; i < n; i++) y[i] = erf_scalar(x[i]);
}

static void gelu_exact_scalar(long from, long n, float *y, const float *x) {
    for (long i = from; i < n; i++) {
        float gauss;
        y[i] = x[i] * normal_cdf_scalar(x[i], &gauss);
    }
}

/// gelu'(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
static void gelu_exact_backward_scalar(long from, long n, float *dx, const float *dy, const float *x) {
    for (long i = from; i < n; i++) {
        float gauss, v = x[i];
        float cdf = normal_cdf_scalar(v, &gauss);
        dx[i] += dy[i] * (cdf + v * INV_SQRT_2PI * gauss);
    }
}

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

static inline SEQKIT_AVX2 __m256 erf_small_avx2(__m256 s) {
    __m256 p = seqkit_splat(erf_small[4]);
    for (int k = 3; k >= 0; k--) p = _mm256_fmadd_ps(p, s, seqkit_splat(erf_small[k]));
    return p;
}

static inline SEQKIT_AVX2 __m256 erfc_scaled_avx2(__m256 a) {
    __m256 one = seqkit_splat(1.0f);
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(seqkit_splat(ERFC_T_SCALE), a, one));
    __m256 q = seqkit_splat(erfc_large[8]);
    for (int k = 7; k >= 0; k--) q = _mm256_fmadd_ps(q, t, seqkit_splat(erfc_large[k]));
    return q;
}

/// e^(−scale·v²) with v² split exactly into hi + lo by an FMA and e^(−lo) taken as 1 − lo; 0 past float's
/// normal range, NaN kept.
static inline SEQKIT_AVX2 __m256 gaussian_avx2(__m256 v, __m256 scale) {
    __m256 hi = _mm256_mul_ps(v, v);
    __m256 lo = _mm256_mul_ps(_mm256_fmsub_ps(v, v, hi), scale);  // v² − hi, exactly, then scaled
    hi = _mm256_mul_ps(hi, scale);  // scale is ½ or 1: exact
    __m256 e = seqkit_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), hi));
    e = _mm256_fnmadd_ps(e, lo, e);
    __m256 tiny = _mm256_cmp_ps(hi, seqkit_splat(ERFC_UNDERFLOW), _CMP_GE_OQ);
    return _mm256_andnot_ps(tiny, e);
}

static inline SEQKIT_AVX2 __m256 abs_avx2(__m256 v) {
    return _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), v);
}

static SEQKIT_AVX2 long erf_avx2(long n, float *y, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 z = _mm256_loadu_ps(x + i), a = abs_avx2(z);
        __m256 small = _mm256_mul_ps(z, erf_small_avx2(_mm256_mul_ps(z, z)));
        __m256 e = gaussian_avx2(z, seqkit_splat(1.0f));
        __m256 large = _mm256_fnmadd_ps(e, erfc_scaled_avx2(a), seqkit_splat(1.0f));  // 1 − erfc(|z|)
        large = _mm256_or_ps(large, _mm256_and_ps(z, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))));
        _mm256_storeu_ps(y + i, _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, seqkit_splat(ERF_SPLIT), _CMP_LT_OQ)));
    }
    return i;
}

/// Φ(x) for 8 lanes, as normal_cdf_scalar; `gauss` receives e^(−x²/2).
static inline SEQKIT_AVX2 __m256 normal_cdf_avx2(__m256 x, __m256 *gauss) {
    __m256 half = seqkit_splat(0.5f);
    __m256 z = _mm256_mul_ps(x, seqkit_splat(SQRT_HALF)), a = abs_avx2(z);
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(half, z), erf_small_avx2(_mm256_mul_ps(z, z)), half);
    *gauss = gaussian_avx2(x, half);
    __m256 half_erfc = _mm256_mul_ps(_mm256_mul_ps(half, *gauss), erfc_scaled_avx2(a));
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 large = _mm256_blendv_ps(_mm256_sub_ps(seqkit_splat(1.0f), half_erfc), half_erfc, negative);
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, seqkit_splat(ERF_SPLIT), _CMP_LT_OQ));
}

static SEQKIT_AVX2 long gelu_exact_avx2(long n, float *y, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), gauss;
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, normal_cdf_avx2(v, &gauss)));
    }
    return i;
}

static SEQKIT_AVX2 long gelu_exact_backward_avx2(long n, float *dx, const float *dy, const float *x) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), gauss;
        __m256 cdf = normal_cdf_avx2(v, &gauss);
        __m256 d = _mm256_fmadd_ps(_mm256_mul_ps(v, seqkit_splat(INV_SQRT_2PI)), gauss, cdf);
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

void seqkit_gelu_exact(long n, float *y, const float *x) {
    long done = SEQKIT_VECTOR(gelu_exact_avx2(n, y, x));
    gelu_exact_scalar(done, n, y, x);
}

void seqkit_gelu_exact_backward(long n, float *dx, const float *dy, const float *x) {
    long done = SEQKIT_VECTOR(gelu_exact_backward_avx2(n, dx, dy, x));
    gelu_exact_backward_scalar(done, n, dx, dy, x);
}

void seqkit_erf(long n, float *y, const float *x) {
    long done = SEQKIT_VECTOR(erf_avx2(n, y, x));
    erf_scalar_range(done, n, y, x);
}

void seqkit_gelu_exact_portable(long n, float *y, const float *x) { gelu_exact_scalar(0, n, y, x); }

void seqkit_gelu_exact_backward_portable(long n, float *dx, const float *dy, const float *x) {
    gelu_exact_backward_scalar(0, n, dx, dy, x);
}

void seqkit_erf_portable(long n, float *y, const float *x) { erf_scalar_range(0, n, y, x); }

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
