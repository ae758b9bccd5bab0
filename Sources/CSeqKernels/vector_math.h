// Shared by the kernel files of CSeqKernels (not part of the module's public header): scalar e^x-based σ
// and tanh, their 8-lane AVX2+FMA counterparts, and the run-time choice between the two.
#ifndef SEQKIT_VECTOR_MATH_H
#define SEQKIT_VECTOR_MATH_H

#include <math.h>

/// 1 / (1 + e^−x); e^−x overflows to +∞ for very negative x, giving exactly 0.
static inline float seqkit_scalar_logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

/// tanh within about 3e-7 relative: a Taylor polynomial below |x| = 1/8, (1 − e^−2|x|)/(1 + e^−2|x|) above.
static inline float seqkit_scalar_tanh(float x) {
    float a = fabsf(x);
    if (a < 0.125f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835)))));
    }
    float e = expf(-2.0f * a);
    float t = (1.0f - e) / (1.0f + e);
    return x < 0 ? -t : t;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SEQKIT_HAS_AVX2_PATH 1
#include <immintrin.h>
#define SEQKIT_AVX2 __attribute__((target("avx2,fma")))

/// 1 when this CPU has AVX2 and FMA (asked once per file; a benign race, every thread finds the same).
static inline int seqkit_has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

/// Runs a vector kernel (returning how many leading elements it did) when the CPU can, else does none.
#define SEQKIT_VECTOR(call) (seqkit_has_avx2_fma() ? (call) : 0)

static inline SEQKIT_AVX2 __m256 seqkit_splat(float x) { return _mm256_set1_ps(x); }

/// e^x for x in [−87.3, 88.3] (clamped outside): x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-6 polynomial
/// for e^r, 2^n put straight into the exponent bits. About 2 ulp; NaN in, NaN out.
static inline SEQKIT_AVX2 __m256 seqkit_v_exp(__m256 x) {
    // The bound goes first: max/min return their second operand when either is NaN, so a NaN stays NaN.
    x = _mm256_min_ps(seqkit_splat(88.3f), _mm256_max_ps(seqkit_splat(-87.3f), x));
    __m256 n = _mm256_round_ps(
        _mm256_mul_ps(x, seqkit_splat(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, seqkit_splat(0.693359375f), x);  // ln 2 in two parts: exact high, small low
    r = _mm256_fnmadd_ps(n, seqkit_splat(-2.12194440e-4f), r);
    __m256 p = seqkit_splat(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, seqkit_splat(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, seqkit_splat(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, seqkit_splat(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, seqkit_splat(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, seqkit_splat(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, seqkit_splat(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline SEQKIT_AVX2 __m256 seqkit_v_logistic(__m256 x) {
    __m256 one = seqkit_splat(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, seqkit_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// The scalar tanh's two branches, computed for all 8 lanes and blended.
static inline SEQKIT_AVX2 __m256 seqkit_v_tanh(__m256 x) {
    __m256 sign = _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
    __m256 a = _mm256_xor_ps(x, sign);
    __m256 e = seqkit_v_exp(_mm256_mul_ps(a, seqkit_splat(-2.0f)));
    __m256 one = seqkit_splat(1.0f);
    __m256 big = _mm256_or_ps(_mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e)), sign);
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 q = _mm256_fmadd_ps(x2, seqkit_splat(62.0f / 2835), seqkit_splat(-17.0f / 315));
    q = _mm256_fmadd_ps(x2, q, seqkit_splat(2.0f / 15));
    q = _mm256_fmadd_ps(x2, q, seqkit_splat(-1.0f / 3));
    q = _mm256_fmadd_ps(x2, q, one);
    __m256 small = _mm256_mul_ps(x, q);
    return _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, seqkit_splat(0.125f), _CMP_LT_OQ));
}
#else
#define SEQKIT_HAS_AVX2_PATH 0
#define SEQKIT_VECTOR(call) 0
#endif

#endif
