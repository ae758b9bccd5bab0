import CBLAS
import CSeqKernels

extension Kernels {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C` through `cblas_sgemm`, where `op(A)` is
    /// (M, K) and `op(B)` is (K, N). `A` is stored (M, K), or (K, M) when `transposeA`;
    /// `B` is stored (K, N), or (N, K) when `transposeB`. Leading dimensions are the stored row lengths.
    ///
    /// `lda`, `ldb`, `ldc` default to packed rows; pass them to address a sub-matrix (one head of a
    /// fused q/k/v tensor, say). Large products are split over every thread, small ones run on one
    /// (see ``blasProduct(_:ldc:_:lda:_:ldb:m:n:k:transposeA:transposeB:alpha:beta:)``).
    package static func gemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        if m == 0 || n == 0 { return }
        let ldc = ldc ?? n
        if k == 0 {
            for i in 0..<m {
                let row = c + i &* ldc
                if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 { scale(row, n, beta) }
            }
            return
        }
        blasProduct(
            c, ldc: ldc, a, lda: lda ?? (transposeA ? m : k), b, ldb: ldb ?? (transposeB ? k : n), m: m, n: n, k: k,
            transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
    }

    /// The one call into `cblas_sgemm` (m, n, k > 0), with SeqKit's thread policy: a product of
    /// ``Threads/gemmThreshold`` multiply-adds or more, outside a parallel section, is cut along its longer
    /// side of C into one slab per thread (multiples of 16 rows or columns), and the slabs run on the worker
    /// team, each a one-thread `cblas_sgemm`. OpenBLAS's own threads stay unused: after each threaded product
    /// they yield-spin for a long while, which took a core from the team's recurrent loops and attention
    /// workers. Anything smaller, or inside a parallel section, is one single-thread call.
    static func blasProduct(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>,
        ldb: Int, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float
    ) {
        let threads = Threads.blasThreads(forMultiplyAdds: m &* n &* k)
        let alongRows = m >= n
        let extent = alongRows ? m : n
        let parts = min(threads, extent / 16)
        let (ta, tb) = (transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans)
        if parts <= 1 || !Threads.splitProducts {
            Threads.setBLASThreads(parts > 1 ? threads : 1)
            cblas_sgemm(
                CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c,
                Int32(ldc))
            return
        }
        Threads.team(parts) { p in
            let slab = Threads.range(p, of: parts, extent, grain: 16)
            let (lo, hi) = (slab.lowerBound, slab.upperBound)
            if hi <= lo { return }
            if alongRows {
                cblas_sgemm(
                    CblasRowMajor, ta, tb, Int32(hi &- lo), Int32(n), Int32(k), alpha,
                    transposeA ? a + lo : a + lo &* lda, Int32(lda), b, Int32(ldb), beta, c + lo &* ldc, Int32(ldc))
            } else {
                cblas_sgemm(
                    CblasRowMajor, ta, tb, Int32(m), Int32(hi &- lo), Int32(k), alpha, a, Int32(lda),
                    transposeB ? b + lo &* ldb : b + lo, Int32(ldb), beta, c + lo, Int32(ldc))
            }
        }
    }

    /// Backward of ``gemm(_:_:_:m:n:k:transposeA:transposeB:alpha:beta:)`` with `alpha = 1`:
    /// accumulates `dA += dC · op(B)ᵀ` and `dB += op(A)ᵀ · dC` in the stored layouts of `A` and `B`.
    /// Pass nil for a gradient that is not needed.
    package static func gemmBackward(
        gradA: UnsafeMutablePointer<Float>?, gradB: UnsafeMutablePointer<Float>?,
        gradC: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
    ) {
        if let gradA {
            if transposeA {  // A stored (K, M): dA (K, M) += op(B) · dCᵀ
                gemm(gradA, b, gradC, m: k, n: m, k: n, transposeA: transposeB, transposeB: true, beta: 1)
            } else {  // dA (M, K) += dC (M, N) · op(B)ᵀ
                gemm(gradA, gradC, b, m: m, n: k, k: n, transposeA: false, transposeB: !transposeB, beta: 1)
            }
        }
        if let gradB {
            if transposeB {  // B stored (N, K): dB (N, K) += dCᵀ · op(A)
                gemm(gradB, gradC, a, m: n, n: k, k: m, transposeA: true, transposeB: transposeA, beta: 1)
            } else {  // dB (K, N) += op(A)ᵀ · dC
                gemm(gradB, a, gradC, m: k, n: n, k: m, transposeA: !transposeA, transposeB: false, beta: 1)
            }
        }
    }

    /// `batch` independent products, operand `i` at `a + i·strideA` and so on (stride 0 reuses one
    /// operand for every batch entry). `beta` as in ``gemm(_:_:_:m:n:k:transposeA:transposeB:alpha:beta:)``.
    package static func batchedGemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        batch: Int, m: Int, n: Int, k: Int, strideA: Int, strideB: Int, strideC: Int,
        transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) {
        for i in 0..<batch {
            gemm(
                c + i &* strideC, a + i &* strideA, b + i &* strideB, m: m, n: n, k: k,
                transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        }
    }

    /// Backward of ``batchedGemm(_:_:_:batch:m:n:k:strideA:strideB:strideC:transposeA:transposeB:alpha:beta:)``;
    /// with a zero stride the gradients of the shared operand are summed over the batch.
    package static func batchedGemmBackward(
        gradA: UnsafeMutablePointer<Float>?, gradB: UnsafeMutablePointer<Float>?,
        gradC: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        batch: Int, m: Int, n: Int, k: Int, strideA: Int, strideB: Int, strideC: Int,
        transposeA: Bool, transposeB: Bool
    ) {
        for i in 0..<batch {
            gemmBackward(
                gradA: gradA.map { $0 + i &* strideA }, gradB: gradB.map { $0 + i &* strideB },
                gradC: gradC + i &* strideC, a: a + i &* strideA, b: b + i &* strideB,
                m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        }
    }
}

extension Kernels {
    /// `y = A · x (+ β·y)` for a row-major (M, N) matrix `A` stored with row length `lda`; `y` is not read
    /// when β = 0. With `gelu`, `y = gelu(A · x)` in that form (β must be 0), the activation applied as each
    /// part of `y` is written. SeqKit's own AVX2 kernel rather than `sgemv`: at batch 1 the product is bound by reading
    /// `A`, so from ``Threads/gemvThreshold`` elements up the rows are split over the worker team
    /// (``Threads/team(_:_:)``) and each core streams its share.
    package static func gemv(
        _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, m: Int, n: Int,
        beta: Float = 0, lda: Int? = nil, gelu: GELU? = nil
    ) {
        precondition(gelu == nil || beta == 0, "gemv: GELU applies to A·x alone (beta 0)")
        if m == 0 { return }
        let parts = m &* n >= Threads.gemvThreshold ? Threads.count : 1
        let activation: Int32  // seqkit_gemv_parallel's code: 0 none, 1 tanh GELU, 2 exact GELU
        switch gelu {
        case nil: activation = 0
        case .tanh: activation = 1
        case .exact: activation = 2
        }
        seqkit_gemv_parallel(y, a, x, m, n, lda ?? n, beta, activation, parts)
    }

    /// One query's causal attention over `positions` cached keys and values, every head:
    /// `y_h = Σ_j softmax_j(scale · q_h · k_jh) · v_jh`. `q` and `y` hold (heads·d); `keys` and `values`
    /// (positions, rowStride) rows, head `h` at columns `h·d..<(h+1)·d`; `scores` is scratch of
    /// heads·positions floats. The heads are split over the worker team once the cache is large enough.
    package static func attendQuery(
        _ y: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, keys: UnsafePointer<Float>,
        values: UnsafePointer<Float>, positions: Int, heads: Int, headSize d: Int, rowStride: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        if positions == 0 {
            y.update(repeating: 0, count: heads &* d)
            return
        }
        let parts = 2 &* positions &* heads &* d >= Threads.gemvThreshold ? Threads.count : 1
        seqkit_attend_query(
            y, q, keys, values, positions, heads, d, rowStride, 1 / Float(d).squareRoot(), scores, parts)
    }
}
