import CSeqKernels

/// A weight matrix W (n, k) of `y = x·Wᵀ + b`, packed once into column panels (`seqkit_pack_panels`, the
/// layout of the recurrent step product) for ``Kernels/packedProduct(_:ldy:_:ldx:_:bias:rows:epilogue:)``: the
/// form for inference on few rows (a sentence, a few samples), where a BLAS call would pack W again on every
/// call. Several matrices with the same k pack as one (a block's query, key and value projections become one
/// product of 3C columns).
///
/// The values are copied: after W changes, pack it again.
///
/// ```swift
/// let packed = PackedWeights([(weights: w.pointer, rows: 384)], k: 384)
/// ```
package final class PackedWeights: @unchecked Sendable {
    /// Output columns (rows of W, in all).
    package let n: Int
    /// Input width.
    package let k: Int
    /// Whether `storage` holds column panels for `seqkit_panel_gemm`, or (on a CPU without its vector code, where
    /// BLAS is faster than the portable loop) the stacked rows of W as they were.
    let panelled: Bool
    let storage: UnsafeMutablePointer<Float>

    /// Packs the row blocks `parts` (each row-major with rows `k` apart), stacked in order; `panelled` chooses the
    /// layout (tests set it to run both).
    package init(
        _ parts: [(weights: UnsafePointer<Float>, rows: Int)], k: Int, panelled: Bool = seqkit_panel_kernel() >= 1
    ) {
        let n = parts.reduce(0) { $0 + $1.rows }
        let count = panelled ? seqkit_panel_size(k, n) : n * k
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        if parts.count == 1 && panelled {
            seqkit_pack_panels(storage, parts[0].weights, k, k, n, 1)
        } else {
            // (n, k) the parts one after another: the stored form without panels, else the panels' source.
            let stacked = panelled ? UnsafeMutablePointer<Float>.allocate(capacity: n * k) : storage
            var row = 0
            for part in parts {
                (stacked + row * k).update(from: part.weights, count: part.rows * k)
                row += part.rows
            }
            if panelled {
                seqkit_pack_panels(storage, stacked, k, k, n, 1)
                stacked.deallocate()
            }
        }
        self.n = n
        self.k = k
        self.panelled = panelled
    }

    deinit { storage.deallocate() }

    /// Columns of y per panel: what `seqkit_pack_panels` lays out for one row of one column.
    static let panel = seqkit_panel_size(1, 1)
}

extension Kernels {
    /// What ``packedProduct(_:ldy:_:ldx:_:bias:rows:epilogue:)`` does with `x·Wᵀ + b`.
    package enum PackedEpilogue: Sendable {
        /// `y = x·Wᵀ + b`
        case store
        /// `y += x·Wᵀ + b`: a residual connection in the same pass.
        case accumulate
        /// `y = gelu(x·Wᵀ + b)` in the given form.
        case gelu(GELU)
    }

    /// `y (rows, n) = x (rows, k) · Wᵀ + bias` for packed W, rows of y `ldy` apart and of x `ldx` apart, with
    /// `epilogue`. The columns go in chunks of a few panels, each chunk (under 100 KiB) read from cache by every
    /// band of rows; from ``Threads/gemvThreshold`` weights up the chunks are split over the worker team.
    package static func packedProduct(
        _ y: UnsafeMutablePointer<Float>, ldy: Int, _ x: UnsafePointer<Float>, ldx: Int, _ w: PackedWeights,
        bias: UnsafePointer<Float>?, rows: Int, epilogue: PackedEpilogue = .store
    ) {
        if rows == 0 || w.n == 0 { return }
        let panel = PackedWeights.panel
        // Split like a matrix-vector product, by the weights read (the rows add work, not reads): a decode step of
        // a few sequences has too little work for BLAS's threshold but reads the same weights as one sequence.
        let threads = w.n &* w.k >= Threads.gemvThreshold && seqkit_in_parallel() == 0 ? Threads.count : 1
        let panels = (w.n + panel - 1) / panel
        // Columns whose packed weights take about 96 KiB, fewer when that would leave a thread idle.
        let chunk = max(1, min(24_576 / w.k / panel, (panels + threads - 1) / threads)) * panel
        let chunks = (w.n + chunk - 1) / chunk
        let parts = min(threads, chunks)
        Threads.team(max(parts, 1)) { p in
            let mine = Threads.range(p, of: max(parts, 1), chunks, grain: 1)
            for c in mine {
                let (first, width) = (c &* chunk, min(chunk, w.n &- c &* chunk))
                let out = y + first
                let accumulate: Bool
                switch (epilogue, bias) {
                case (.accumulate, nil): accumulate = true
                case (.accumulate, let b?):
                    for r in 0..<rows { addScaled(out + r &* ldy, b + first, width, 1) }
                    accumulate = true
                case (_, let b?):
                    for r in 0..<rows { (out + r &* ldy).update(from: b + first, count: width) }
                    accumulate = true
                case (_, nil): accumulate = false
                }
                if w.panelled {
                    seqkit_panel_gemm(out, ldy, x, ldx, w.storage + first &* w.k, rows, width, w.k, accumulate ? 1 : 0)
                } else {
                    gemm(
                        out, x, w.storage + first &* w.k, m: rows, n: width, k: w.k, transposeB: true,
                        beta: accumulate ? 1 : 0, lda: ldx, ldb: w.k, ldc: ldy)
                }
                if case .gelu(let form) = epilogue {
                    for r in 0..<rows { gelu(out + r &* ldy, out + r &* ldy, width, form) }
                }
            }
        }
    }
}
