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
    /// `probabilities` (B, H, T, T) receives P for the backward pass.
    ///
    /// With dropout, `keep` (B, H, T, T) holds 1 for a kept weight and 0 for a dropped one, and
    /// `Y = (P ⊙ M) V` with `M = keep / (1 − p)` given as `keepScale = 1/(1 − p)`. The mask is not stored:
    /// a dropped weight is saved as −P in `probabilities` (P ≥ 0, and where P = 0 the mask never matters),
    /// so one (B, H, T, T) buffer carries both for ``attentionBackward(_:dy:qkv:probabilities:keepScale:scratch:shape:)``.
    public static func attention(
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

    /// Backward of ``attention(_:probabilities:keep:keepScale:qkv:shape:)``: accumulates into `dqkv`
    /// (B, T, 3C) from `dy` (B, T, C). `probabilities` is what the forward saved (dropped weights
    /// negative); `keepScale` the same 1/(1 − p), exactly 1 without dropout. `scratch` holds B·H·T·T floats.
    public static func attentionBackward(
        _ dqkv: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        probabilities: UnsafePointer<Float>, keepScale: Float, scratch: UnsafeMutablePointer<Float>,
        shape s: AttentionShape
    ) {
        let (t, d, c) = (s.time, s.headSize, s.width)
        let scale = 1 / Float(d).squareRoot()
        Threads.parallelFor(s.batch &* s.heads) { bh in
            let (b, h) = (bh / s.heads, bh % s.heads)
            let q = qkv + (b &* t &* 3 &* c &+ h &* d)
            let dq = dqkv + (b &* t &* 3 &* c &+ h &* d)
            let dyh = dy + (b &* t &* c &+ h &* d)
            let p = probabilities + bh &* t &* t
            let dp = scratch + bh &* t &* t
            // dV += (P ⊙ M)ᵀ dY, with the weights the forward used (P where kept — saved ≥ 0 — scaled, 0
            // where dropped) rebuilt in dP's scratch before dP needs it.
            let dropout = keepScale != 1
            if dropout {
                for i in 0..<(t &* t) { dp[i] = p[i] > 0 ? p[i] * keepScale : 0 }
            }
            gemm(
                dq + 2 &* c, dropout ? UnsafePointer(dp) : p, dyh, m: t, n: d, k: t, transposeA: true, beta: 1,
                lda: t, ldb: c, ldc: 3 &* c)
            // dP = dY Vᵀ.
            gemm(dp, dyh, q + 2 &* c, m: t, n: t, k: d, transposeB: true, lda: c, ldb: 3 &* c)
            if dropout {
                for i in 0..<(t &* t) { dp[i] = p[i] > 0 ? dp[i] * keepScale : 0 }
            }
            // dS = P ⊙ (dP − Σ dP·P) · scale, row by row (masked entries have P = 0). A dropped weight has
            // dP = 0, so its sign in the saved P does not reach the row sum; its own dS needs |P|.
            for i in 0..<t {
                let o = i &* t
                let valid = s.causal ? i &+ 1 : t
                let r = dot(dp + o, p + o, valid)
                for j in 0..<valid { dp[o &+ j] = abs(p[o &+ j]) * (dp[o &+ j] - r) * scale }
                for j in valid..<t { dp[o &+ j] = 0 }
            }
            // dQ += dS K ; dK += dSᵀ Q.
            gemm(dq, dp, q + c, m: t, n: d, k: t, beta: 1, lda: t, ldb: 3 &* c, ldc: 3 &* c)
            gemm(dq + c, dp, q, m: t, n: d, k: t, transposeA: true, beta: 1, lda: t, ldb: 3 &* c, ldc: 3 &* c)
        }
    }

    /// Rotary position embedding ("rotate half", GPT-NeoX / LLaMA) applied in place of a copy to the
    /// q and k parts of fused (B, T, 3C) q/k/v: in each head, the pair (xᵢ, xᵢ₊d/2) at position
    /// `p = offset + t` turns by the angle `p · base^(−2i/d)`. `inverse` turns the other way (the backward).
    public static func rotary(
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
