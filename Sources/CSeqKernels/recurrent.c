// The per-time-step product of a recurrent layer: (B, H) h_{t−1} against a weight that stays the same for the
// whole sequence. At B·H·G·H ≈ 3.3M multiply-adds (char-lstm) OpenBLAS spends a fifth of the time re-packing
// the weight on every step; here the weight is packed once per sequence into column panels (256 KB that stays
// in L2 and is read front to back) and the rows of h are broadcast against it, h itself read in place.
#include <stdatomic.h>
#include "CSeqKernels.h"
#include "vector_math.h"

#include <stdlib.h>

/// Columns per panel: two 8-lane vectors.
#define PANEL 16
/// Rows of C per tile: 6 × 2 accumulators + 2 panel vectors + 1 broadcast fit the 16 AVX2 registers.
#define TILE_ROWS 6

long seqkit_panel_size(long k, long n) { return k * PANEL * ((n + PANEL - 1) / PANEL); }

void seqkit_pack_panels(float *packed, const float *b, long ldb, long k, long n, int transposed) {
    for (long j0 = 0; j0 < n; j0 += PANEL) {
        float *panel = packed + j0 * k;  // (k, PANEL)
        long width = n - j0 < PANEL ? n - j0 : PANEL;
        for (long p = 0; p < k; p++) {
            float *row = panel + p * PANEL;
            for (long j = 0; j < width; j++) row[j] = transposed ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
            for (long j = width; j < PANEL; j++) row[j] = 0;
        }
    }
}

/// Writes (or adds) the first `width` columns of an (rows, PANEL) tile to C.
static inline void store_tile(float *c, long ldc, const float *tile, long rows, long width, int accumulate) {
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < width; j++)
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r * PANEL + j] : tile[r * PANEL + j];
}

// MARK: Portable version (other CPUs; also the reference the vector code must agree with)

static void panel_gemm_scalar(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate) {
    float tile[PANEL];
    for (long j0 = 0; j0 < n; j0 += PANEL) {
        const float *panel = packed + j0 * k;
        long width = n - j0 < PANEL ? n - j0 : PANEL;
        for (long r = 0; r < m; r++) {
            for (long j = 0; j < PANEL; j++) tile[j] = 0;
            for (long p = 0; p < k; p++) {
                float x = a[r * lda + p];
                for (long j = 0; j < PANEL; j++) tile[j] += x * panel[p * PANEL + j];
            }
            store_tile(c + r * ldc + j0, ldc, tile, 1, width, accumulate);
        }
    }
}

// MARK: AVX2 + FMA

#if SEQKIT_HAS_AVX2_PATH
/// One (mr, PANEL) tile of C summed over all k; with mr a constant after inlining, the 2·mr accumulators live in
/// registers. Per k: two panel loads and mr broadcasts feed 2·mr fused multiply-adds.
static inline __attribute__((always_inline)) SEQKIT_AVX2 void tile_avx2(
    long mr, float *c, long ldc, const float *a, long lda, const float *panel, long k, long width, int accumulate) {
    __m256 lo[TILE_ROWS], hi[TILE_ROWS];
    for (long r = 0; r < mr; r++) lo[r] = hi[r] = _mm256_setzero_ps();
    for (long p = 0; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(panel + p * PANEL), b1 = _mm256_loadu_ps(panel + p * PANEL + 8);
        for (long r = 0; r < mr; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + p);
            lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);
            hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);
        }
    }
    if (width == PANEL) {
        for (long r = 0; r < mr; r++) {
            float *cr = c + r * ldc;
            if (accumulate) {
                lo[r] = _mm256_add_ps(lo[r], _mm256_loadu_ps(cr));
                hi[r] = _mm256_add_ps(hi[r], _mm256_loadu_ps(cr + 8));
            }
            _mm256_storeu_ps(cr, lo[r]);
            _mm256_storeu_ps(cr + 8, hi[r]);
        }
        return;
    }
    float tile[TILE_ROWS * PANEL];
    for (long r = 0; r < mr; r++) {
        _mm256_storeu_ps(tile + r * PANEL, lo[r]);
        _mm256_storeu_ps(tile + r * PANEL + 8, hi[r]);
    }
    store_tile(c, ldc, tile, mr, width, accumulate);
}

/// Every panel for one band of `mr` ≤ 6 rows.
static inline __attribute__((always_inline)) SEQKIT_AVX2 void band_avx2(
    long mr, float *c, long ldc, const float *a, long lda, const float *packed, long n, long k, int accumulate) {
    for (long j0 = 0; j0 < n; j0 += PANEL) {
        long width = n - j0 < PANEL ? n - j0 : PANEL;
        tile_avx2(mr, c + j0, ldc, a, lda, packed + j0 * k, k, width, accumulate);
    }
}

/// The rows go in bands of at most six, as even as possible (25 rows: five bands of 5, not four of 6 and a
/// lone row that would read every panel for one row's work).
static SEQKIT_AVX2 void panel_gemm_avx2(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate) {
    long bands = (m + TILE_ROWS - 1) / TILE_ROWS;
    for (long i = 0; i < bands; i++) {
        long from = m * i / bands, to = m * (i + 1) / bands;
        float *cb = c + from * ldc;
        const float *ab = a + from * lda;
        switch (to - from) {
        case 1: band_avx2(1, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 2: band_avx2(2, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 3: band_avx2(3, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 4: band_avx2(4, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 5: band_avx2(5, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        default: band_avx2(6, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        }
    }
}
#endif

// MARK: AVX-512

#if SEQKIT_HAS_AVX2_PATH
#define SEQKIT_AVX512 __attribute__((target("avx512f,avx2,fma")))
/// Rows of C per AVX-512 tile: 8 × 2 accumulators of 16 lanes out of 32 registers.
#define TILE_ROWS_512 8

/// 1 when this CPU has AVX-512F (asked once; a benign race, every thread finds the same).
static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && seqkit_has_avx2_fma();
    }
    return cached;
}

/// One (mr, 16·np) tile, np = 1 or 2 panels side by side, one 16-lane register per panel row: per k, np loads
/// and mr broadcasts feed mr·np fused multiply-adds, half the loads per multiply-add of the AVX2 tile.
static inline __attribute__((always_inline)) SEQKIT_AVX512 void tile_avx512(
    long mr, long np, float *c, long ldc, const float *a, long lda, const float *panels, long k, long width,
    int accumulate) {
    __m512 acc0[TILE_ROWS_512], acc1[TILE_ROWS_512];
    const float *p0 = panels, *p1 = panels + PANEL * k;
    for (long r = 0; r < mr; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (long p = 0; p < k; p++) {
        __m512 b0 = _mm512_loadu_ps(p0 + p * PANEL);
        __m512 b1 = np == 2 ? _mm512_loadu_ps(p1 + p * PANEL) : b0;
        for (long r = 0; r < mr; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + p]);
            acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
            if (np == 2) acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
        }
    }
    if (width == np * PANEL) {
        for (long r = 0; r < mr; r++) {
            float *cr = c + r * ldc;
            if (accumulate) {
                acc0[r] = _mm512_add_ps(acc0[r], _mm512_loadu_ps(cr));
                if (np == 2) acc1[r] = _mm512_add_ps(acc1[r], _mm512_loadu_ps(cr + PANEL));
            }
            _mm512_storeu_ps(cr, acc0[r]);
            if (np == 2) _mm512_storeu_ps(cr + PANEL, acc1[r]);
        }
        return;
    }
    float tile[TILE_ROWS_512 * 2 * PANEL];
    for (long r = 0; r < mr; r++) {
        _mm512_storeu_ps(tile + r * 2 * PANEL, acc0[r]);
        _mm512_storeu_ps(tile + r * 2 * PANEL + PANEL, acc1[r]);
    }
    for (long r = 0; r < mr; r++)
        for (long j = 0; j < width; j++)
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r * 2 * PANEL + j] : tile[r * 2 * PANEL + j];
}

/// Every pair of panels (and a last single one) for one band of `mr` ≤ 8 rows.
static inline __attribute__((always_inline)) SEQKIT_AVX512 void band_avx512(
    long mr, float *c, long ldc, const float *a, long lda, const float *packed, long n, long k, int accumulate) {
    long j0 = 0;
    for (; j0 + PANEL < n; j0 += 2 * PANEL) {
        long width = n - j0 < 2 * PANEL ? n - j0 : 2 * PANEL;
        tile_avx512(mr, 2, c + j0, ldc, a, lda, packed + j0 * k, k, width, accumulate);
    }
    if (j0 < n) tile_avx512(mr, 1, c + j0, ldc, a, lda, packed + j0 * k, k, n - j0, accumulate);
}

static SEQKIT_AVX512 void panel_gemm_avx512(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate) {
    long bands = (m + TILE_ROWS_512 - 1) / TILE_ROWS_512;
    for (long i = 0; i < bands; i++) {
        long from = m * i / bands, to = m * (i + 1) / bands;
        float *cb = c + from * ldc;
        const float *ab = a + from * lda;
        switch (to - from) {
        case 1: band_avx512(1, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 2: band_avx512(2, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 3: band_avx512(3, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 4: band_avx512(4, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 5: band_avx512(5, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 6: band_avx512(6, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        case 7: band_avx512(7, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        default: band_avx512(8, cb, ldc, ab, lda, packed, n, k, accumulate); break;
        }
    }
}
#endif

// MARK: Entry point

/// The most capable code this CPU runs: 2 for AVX-512, 1 for AVX2+FMA, 0 for the portable code. Found once.
static int best_panel_kernel(void) {
    static _Atomic int cached = -1;
    int best = atomic_load_explicit(&cached, memory_order_relaxed);
    if (best < 0) {
        best = 0;
#if SEQKIT_HAS_AVX2_PATH
        best = has_avx512() ? 2 : seqkit_has_avx2_fma() ? 1 : 0;
#endif
        atomic_store_explicit(&cached, best, memory_order_relaxed);
    }
    return best;
}

/// A cap set by the caller (RuntimeOptions.panelKernelCap), for measuring one code against another; -1 = none.
static _Atomic int panel_kernel_cap = -1;

void seqkit_set_panel_kernel_cap(int cap) { atomic_store_explicit(&panel_kernel_cap, cap, memory_order_relaxed); }

static int panel_kernel_choice(void) {
    int best = best_panel_kernel();
    int cap = atomic_load_explicit(&panel_kernel_cap, memory_order_relaxed);
    return cap >= 0 && cap < best ? cap : best;
}

int seqkit_panel_kernel(void) { return panel_kernel_choice(); }

void seqkit_panel_gemm_with(
    int kernel, float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k,
    int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (kernel > panel_kernel_choice()) kernel = panel_kernel_choice();
#if SEQKIT_HAS_AVX2_PATH
    if (kernel == 2) {
        panel_gemm_avx512(c, ldc, a, lda, packed, m, n, k, accumulate);
        return;
    }
    if (kernel == 1) {
        panel_gemm_avx2(c, ldc, a, lda, packed, m, n, k, accumulate);
        return;
    }
#endif
    panel_gemm_scalar(c, ldc, a, lda, packed, m, n, k, accumulate);
}

void seqkit_panel_gemm(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate) {
    seqkit_panel_gemm_with(panel_kernel_choice(), c, ldc, a, lda, packed, m, n, k, accumulate);
}
