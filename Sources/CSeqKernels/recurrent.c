// The per-time-step product of a recurrent layer: (B, H) h_{t−1} against a weight that stays the same for the
// whole sequence. At B·H·G·H ≈ 3.3M multiply-adds (char-lstm) OpenBLAS spends a fifth of the time re-packing
// the weight on every step; here the weight is packed once per sequence into column panels (256 KB that stays
// in L2 and is read front to back) and the rows of h are broadcast against it, h itself read in place.
#include "CSeqKernels.h"
#include "vector_math.h"

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
        for (long j = 0; j < width; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r * PANEL + j] : tile[r * PANEL + j];
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
static SEQKIT_AVX2 long panel_gemm_avx2(
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
    return 1;
}
#endif

// MARK: Entry point

void seqkit_panel_gemm(
    float *c, long ldc, const float *a, long lda, const float *packed, long m, long n, long k, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (SEQKIT_VECTOR(panel_gemm_avx2(c, ldc, a, lda, packed, m, n, k, accumulate))) return;
    panel_gemm_scalar(c, ldc, a, lda, packed, m, n, k, accumulate);
}
