import CSeqKernels
import RealModule

/// Sizes of one multi-head attention call over a fused (B, T, 3C) q/k/v tensor.
public struct AttentionShape: Sendable, Equatable {
    /// Batch size B.
    public let batch: Int
    /// Sequence length T.
    public let time: Int
    /// Number of heads H.
    public let heads: Int
    /// Width of one head d = C / H.
    public let headSize: Int
    /// True when position t may only attend to positions ≤ t.
    public let causal: Bool

    /// The shape of an attention call; `heads` must divide `width`.
    public init(batch: Int, time: Int, width: Int, heads: Int, causal: Bool) {
        precondition(heads > 0 && width % heads == 0, "attention: \(heads) heads do not divide width \(width)")
        self.batch = batch
        self.time = time
        self.heads = heads
        self.headSize = width / heads
        self.causal = causal
    }

    /// C = H · d.
    public var width: Int { heads &* headSize }
    /// Elements of the saved probabilities (B, H, T, T).
    public var probabilityCount: Int { batch &* heads &* time &* time }
}

extension Kernels {
    /// Multi-head scaled dot-product attention over fused q/k/v (B, T, 3C) → y (B, T, C):
    /// for each batch entry and head, `P = softmax(mask(Q Kᵀ / √d))`, `Y = P V`. Heads are
    /// addressed in place through leading dimensions (no copies) and run in parallel over B·H.
    /// `probabilities` (B, H, T, T) receives P (inference reads it; training uses
    /// ``attention(_:logSumExp:keep:keepScale:qkv:shape:)``, which keeps only a log-sum-exp per row).
    ///
    /// With dropout, `keep` (B, H, T, T) holds 1 for a kept weight and 0 for a dropped one, and
    /// `Y = (P ⊙ M) V` with `M = keep / (1 − p)` given as `keepScale = 1/(1 − p)`. The mask is not stored:
    /// a dropped weight is saved as −P in `probabilities` (P ≥ 0, and where P = 0 the mask never matters),
    /// so one (B, H, T, T) buffer carries both.
    package static func attention(
        _ y: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>, keep: UnsafePointer<UInt8>?,
        keepScale: Float, qkv: UnsafePointer<Float>, shape s: AttentionShape
    ) {
        let (t, d, c) = (s.time, s.headSize, s.width)
        let scale = 1 / Float(d).squareRoot()
        let count = s.batch &* s.heads
        // One (T, T) buffer of P ⊙ M per worker, made once per call, when there is dropout.
        let workers = keep == nil ? count : min(Threads.count, count)
        let dropped = keep == nil ? nil : TensorStorage(capacity: workers &* t &* t, zeroed: false)
        Threads.parallelFor(workers) { worker in
            for bh in (count &* worker / workers)..<(count &* (worker &+ 1) / workers) {
                let (b, h) = (bh / s.heads, bh % s.heads)
                let q = qkv + (b &* t &* 3 &* c &+ h &* d)
                let p = probabilities + bh &* t &* t
                gemm(p, q, q + c, m: t, n: t, k: d, transposeB: true, alpha: scale, lda: 3 &* c, ldb: 3 &* c)
                for i in 0..<t {
                    let row = p + i &* t
                    let valid = s.causal ? i &+ 1 : t
                    softmax(row, row, rows: 1, n: valid)
                    if valid < t { (row + valid).update(repeating: 0, count: t &- valid) }
                }
                let out = y + (b &* t &* c &+ h &* d)
                guard let keep, let dropped else {
                    gemm(out, p, q + 2 &* c, m: t, n: d, k: t, lda: t, ldb: 3 &* c, ldc: c)
                    continue
                }
                let w = dropped.base + worker &* t &* t  // P ⊙ M of this head
                let k = keep + bh &* t &* t
                for i in 0..<(t &* t) {
                    let kept = k[i] != 0
                    w[i] = kept ? p[i] * keepScale : 0
                    if !kept { p[i] = -p[i] }
                }
                gemm(out, w, q + 2 &* c, m: t, n: d, k: t, lda: t, ldb: 3 &* c, ldc: c)
            }
        }
    }

    /// Attention for training that saves only the log-sum-exp of each score row, not the (B, H, T, T)
    /// probabilities: y (B, T, C) from fused q/k/v (B, T, 3C) as in
    /// ``attention(_:probabilities:keep:keepScale:qkv:shape:)``, with `logSumExp` (B, H, T) receiving
    /// `Lᵢ = log Σⱼ e^(Sᵢⱼ)` over the unmasked scores `S = Q Kᵀ / √d`, so that `Pᵢⱼ = e^(Sᵢⱼ − Lᵢ)`.
    /// Each worker forms one head's (T, T) scores in a buffer of its own, which stays in cache. Causal
    /// attention works in blocks of ``attentionRowBlock`` rows and computes no score right of a block's last
    /// column (at T = 256, 5/8 of the products).
    ///
    /// With dropout, `keep` holds one bit per (B, H, T, T) weight (bit `e & 7` of byte `e >> 3` for flat
    /// index e, set when kept) and `Y = (P ⊙ M) V` with `M = keep · keepScale`.
    package static func attention(
        _ y: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>, keep: UnsafePointer<UInt8>?,
        keepScale: Float, qkv: UnsafePointer<Float>, shape s: AttentionShape
    ) {
        attention(y, logSumExp: lse, keep: keep, keepScale: keepScale, qkv: qkv, shape: s, rowBlock: attentionRowBlock)
    }

    /// Rows per block of the causal training attention: blocks of 64 rows skip the products right of the
    /// diagonal block, while each block's products stay large enough for OpenBLAS.
    package static let attentionRowBlock = 64

    /// The rows of block `i0` and the columns they read: every column without a causal mask, else those up to
    /// the block's last row.
    @inline(__always)
    static func attentionBlock(_ i0: Int, _ s: AttentionShape, _ rowBlock: Int) -> (rows: Int, columns: Int) {
        let i1 = s.causal ? min(i0 &+ rowBlock, s.time) : s.time
        return (i1 &- i0, s.causal ? i1 : s.time)
    }

    /// The first row of every block: one block of all T rows without a causal mask.
    @inline(__always)
    static func attentionBlockStarts(_ s: AttentionShape, _ rowBlock: Int) -> StrideTo<Int> {
        stride(from: 0, to: s.time, by: s.causal ? rowBlock : max(s.time, 1))
    }

    /// For each row block of one head: its scaled scores `S = Q Kᵀ / √d` into the block's rows of `p` (T wide;
    /// the block's columns only), then `body(i0, rows, columns)`. `q` is the head's first query in the fused
    /// (B, T, 3C) q/k/v, its keys C further on.
    @inline(__always)
    static func scoreBlocks(
        _ p: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, shape s: AttentionShape, rowBlock: Int,
        _ body: (_ i0: Int, _ rows: Int, _ columns: Int) -> Void
    ) {
        let (t, c) = (s.time, s.width)
        for i0 in attentionBlockStarts(s, rowBlock) {
            let (rows, columns) = attentionBlock(i0, s, rowBlock)
            gemm(
                p + i0 &* t, q + i0 &* 3 &* c, q + c, m: rows, n: columns, k: s.headSize, transposeB: true,
                alpha: 1 / Float(s.headSize).squareRoot(), lda: 3 &* c, ldb: 3 &* c, ldc: t)
            body(i0, rows, columns)
        }
    }

    /// ``attention(_:logSumExp:keep:keepScale:qkv:shape:)`` with causal row blocks of `rowBlock` rows (tests
    /// pass small blocks and compare with one block of all T rows).
    package static func attention(
        _ y: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>, keep: UnsafePointer<UInt8>?,
        keepScale: Float, qkv: UnsafePointer<Float>, shape s: AttentionShape, rowBlock: Int
    ) {
        let (t, d, c) = (s.time, s.headSize, s.width)
        let count = s.batch &* s.heads
        let workers = min(Threads.count, count)
        let scratch = TensorStorage(capacity: workers &* t &* t, zeroed: false)  // (T, T) per worker
        Threads.parallelFor(workers) { worker in
            let p = scratch.base + worker &* t &* t
            for bh in (count &* worker / workers)..<(count &* (worker &+ 1) / workers) {
                let (b, h) = (bh / s.heads, bh % s.heads)
                let q = qkv + (b &* t &* 3 &* c &+ h &* d)
                let l = lse + bh &* t
                let out = y + (b &* t &* c &+ h &* d)
                scoreBlocks(p, q, shape: s, rowBlock: rowBlock) { i0, rows, columns in
                    for i in i0..<(i0 &+ rows) {
                        let row = p + i &* t
                        let valid = s.causal ? i &+ 1 : t
                        var m = -Float.infinity
                        for j in 0..<valid { m = max(m, row[j]) }
                        let sum = seqkit_exp_sum(valid, row, row, m)
                        l[i] = m + Float.log(sum)
                        let inverse = 1 / sum
                        if let keep {
                            let e = bh &* t &* t &+ i &* t
                            let kept = inverse * keepScale
                            for j in 0..<valid { row[j] = isKept(keep, e &+ j) ? row[j] * kept : 0 }
                        } else {
                            for j in 0..<valid { row[j] *= inverse }
                        }
                        if valid < columns { (row + valid).update(repeating: 0, count: columns &- valid) }
                    }
                    gemm(
                        out + i0 &* c, p + i0 &* t, q + 2 &* c, m: rows, n: d, k: columns, lda: t, ldb: 3 &* c,
                        ldc: c)
                }
            }
        }
    }

    /// Backward of ``attention(_:logSumExp:keep:keepScale:qkv:shape:)``: accumulates into `dqkv` (B, T, 3C)
    /// from `dy` (B, T, C), recomputing each head's `P = e^(Q Kᵀ/√d − L)` in a (T, T) buffer of its worker;
    /// `keep` and `keepScale` as the forward had them. Causal attention skips the same blocks as the forward.
    package static func attentionBackward(
        _ dqkv: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        logSumExp lse: UnsafePointer<Float>, keep: UnsafePointer<UInt8>?, keepScale: Float, shape s: AttentionShape
    ) {
        attentionBackward(
            dqkv, dy: dy, qkv: qkv, logSumExp: lse, keep: keep, keepScale: keepScale, shape: s,
            rowBlock: attentionRowBlock)
    }

    /// ``attentionBackward(_:dy:qkv:logSumExp:keep:keepScale:shape:)`` with causal row blocks of `rowBlock`
    /// rows.
    package static func attentionBackward(
        _ dqkv: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        logSumExp lse: UnsafePointer<Float>, keep: UnsafePointer<UInt8>?, keepScale: Float, shape s: AttentionShape,
        rowBlock: Int
    ) {
        let (t, d, c) = (s.time, s.headSize, s.width)
        let scale = 1 / Float(d).squareRoot()
        let count = s.batch &* s.heads
        let workers = min(Threads.count, count)
        let scratch = TensorStorage(capacity: workers &* 2 &* t &* t, zeroed: false)  // P and dP per worker
        Threads.parallelFor(workers) { worker in
            let p = scratch.base + worker &* 2 &* t &* t  // (T, T)
            let dp = p + t &* t  // (T, T)
            for bh in (count &* worker / workers)..<(count &* (worker &+ 1) / workers) {
                let (b, h) = (bh / s.heads, bh % s.heads)
                let q = qkv + (b &* t &* 3 &* c &+ h &* d)
                let dq = dqkv + (b &* t &* 3 &* c &+ h &* d)
                let dyh = dy + (b &* t &* c &+ h &* d)
                let l = lse + bh &* t
                let e0 = bh &* t &* t  // flat index of this head's first weight in `keep`
                // Three passes. By row blocks, P = e^(S − L) (0 right of the diagonal up to the block's last
                // column) and, with dropout, the weights P ⊙ M in dP's buffer. By column blocks, dV += (P ⊙ M)ᵀ dY.
                // By row blocks again, dP = (dY Vᵀ) ⊙ M over those weights, dS = P ⊙ (dP − Σ dP·P) · scale in its
                // place, and dQ += dS K; then by column blocks dK += dSᵀ Q.
                scoreBlocks(p, q, shape: s, rowBlock: rowBlock) { i0, rows, columns in
                    for i in i0..<(i0 &+ rows) {
                        let row = p + i &* t
                        let valid = s.causal ? i &+ 1 : t
                        _ = seqkit_exp_sum(valid, row, row, l[i])
                        if valid < columns { (row + valid).update(repeating: 0, count: columns &- valid) }
                        if let keep {
                            let w = dp + i &* t
                            for j in 0..<columns { w[j] = isKept(keep, e0 &+ i &* t &+ j) ? row[j] * keepScale : 0 }
                        }
                    }
                }
                // dV += (P ⊙ M)ᵀ dY: the rows of column block j0 are j0 and below (P is 0 above the diagonal).
                let weights = keep == nil ? UnsafePointer(p) : UnsafePointer(dp)
                for j0 in attentionBlockStarts(s, rowBlock) {
                    let columns = s.causal ? min(rowBlock, t &- j0) : t
                    gemm(
                        dq + 2 &* c + j0 &* 3 &* c, weights + (j0 &* t &+ j0), dyh + j0 &* c, m: columns, n: d,
                        k: t &- j0, transposeA: true, beta: 1, lda: t, ldb: c, ldc: 3 &* c)
                }
                for i0 in attentionBlockStarts(s, rowBlock) {
                    let (rows, columns) = attentionBlock(i0, s, rowBlock)
                    gemm(
                        dp + i0 &* t, dyh + i0 &* c, q + 2 &* c, m: rows, n: columns, k: d, transposeB: true,
                        lda: c, ldb: 3 &* c, ldc: t)
                    for i in i0..<(i0 &+ rows) {
                        let o = i &* t
                        let valid = s.causal ? i &+ 1 : t
                        if let keep {
                            for j in 0..<valid { dp[o &+ j] = isKept(keep, e0 &+ o &+ j) ? dp[o &+ j] * keepScale : 0 }
                        }
                        let r = dot(dp + o, p + o, valid)
                        for j in 0..<valid { dp[o &+ j] = p[o &+ j] * (dp[o &+ j] - r) * scale }
                        for j in valid..<columns { dp[o &+ j] = 0 }
                    }
                    // dQ += dS K for this block's rows.
                    gemm(
                        dq + i0 &* 3 &* c, dp + i0 &* t, q + c, m: rows, n: d, k: columns, beta: 1, lda: t,
                        ldb: 3 &* c, ldc: 3 &* c)
                }
                // dK += dSᵀ Q, by column blocks as dV.
                for j0 in attentionBlockStarts(s, rowBlock) {
                    let columns = s.causal ? min(rowBlock, t &- j0) : t
                    gemm(
                        dq + c + j0 &* 3 &* c, dp + (j0 &* t &+ j0), q + j0 &* 3 &* c, m: columns, n: d, k: t &- j0,
                        transposeA: true, beta: 1, lda: t, ldb: 3 &* c, ldc: 3 &* c)
                }
            }
        }
    }

    /// Bit `e` of a packed keep mask (bit `e & 7` of byte `e >> 3`).
    @inline(__always)
    static func isKept(_ bits: UnsafePointer<UInt8>, _ e: Int) -> Bool { (bits[e &>> 3] &>> UInt8(e & 7)) & 1 != 0 }

    /// Rotary position embedding ("rotate half", GPT-NeoX / LLaMA) applied in place of a copy to the
    /// q and k parts of fused (B, T, 3C) q/k/v: in each head, the pair (xᵢ, xᵢ₊d/2) at position
    /// `p = offset + t` turns by the angle `p · base^(−2i/d)`. `inverse` turns the other way (the backward).
    package static func rotary(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, batch: Int, time: Int, width c: Int, heads: Int,
        positionOffset: Int, base: Float, inverse: Bool, accumulate: Bool
    ) {
        let d = c / heads
        let half = d / 2
        for b in 0..<batch {
            for t in 0..<time {
                let row: Int = (b &* time &+ t) &* 3 &* c
                let position = Float(positionOffset &+ t)
                if !accumulate {
                    (y + (row &+ 2 &* c)).update(from: x + (row &+ 2 &* c), count: c)  // v passes through
                } else {
                    for i in 0..<c { y[row &+ 2 &* c &+ i] += x[row &+ 2 &* c &+ i] }
                }
                for part in 0..<2 {  // q, then k
                    for h in 0..<heads {
                        let o: Int = row &+ part &* c &+ h &* d
                        for i in 0..<half {
                            let exponent: Float = -2 * Float(i) / Float(d)
                            let angle: Float = position * Float.pow(base, exponent)
                            let cosine = Float.cos(angle)
                            let sine = inverse ? -Float.sin(angle) : Float.sin(angle)
                            let (x1, x2) = (x[o &+ i], x[o &+ i &+ half])
                            let r1 = x1 * cosine - x2 * sine
                            let r2 = x2 * cosine + x1 * sine
                            if accumulate {
                                y[o &+ i] += r1
                                y[o &+ i &+ half] += r2
                            } else {
                                y[o &+ i] = r1
                                y[o &+ i &+ half] = r2
                            }
                        }
                    }
                }
            }
        }
    }
}
