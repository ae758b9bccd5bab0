import SeqTensor

/// Multi-head scaled dot-product attention as one fused primitive: fused q/k/v `(B, T, 3C)` →
/// `(B, T, C)`, each head `softmax(Q Kᵀ/√d (+ causal mask)) V`, with optional dropout on the
/// attention weights drawn from `rng`.
///
/// ```swift
/// let y = attention(c_attn(x), heads: 4, causal: true)   // (B, T, 3C) → (B, T, C)
/// ```
public func attention(
    _ qkv: Variable, heads: Int, causal: Bool, dropout p: Float = 0, rng: inout SeededGenerator
) -> Variable {
    let call = AttentionCall(qkv, heads: heads, causal: causal, dropout: p, rng: &rng)
    let y = Tensor(uninitialized: [call.shape.batch, call.shape.time, call.shape.width])  // (B, T, C)
    call.forward(y)
    return Variable(y, parents: [qkv]) { g in call.backward(dy: g) }
}

/// `attention(qkv, …)` followed by a linear map `· Wᵀ` with `W` stored (out, C) (the output projection),
/// as one primitive that keeps no (B, T, C) attention output from forward to backward: the backward runs
/// the attention forward again (same weights, same dropout mask) for the weight's gradient.
///
/// ```swift
/// let y = attentionMatmul(qkv, heads: 4, causal: true, rng: &rng, c_proj.weight.variable())  // (B, T, out)
/// ```
public func attentionMatmul(
    _ qkv: Variable, heads: Int, causal: Bool, dropout p: Float = 0, rng: inout SeededGenerator, _ w: Variable
) -> Variable {
    let call = AttentionCall(qkv, heads: heads, causal: causal, dropout: p, rng: &rng)
    let (rows, c) = (call.shape.batch * call.shape.time, call.shape.width)
    precondition(w.shape.count == 2 && w.shape[1] == c, "attentionMatmul: weight \(w.shape) for width \(c)")
    let n = w.shape[0]
    let y = Tensor(uninitialized: [call.shape.batch, call.shape.time, n])  // (B, T, out)
    let vw = w.value
    do {
        let attended = Tensor(uninitialized: [rows, c])  // for this call only
        call.forward(attended)
        Kernels.gemm(y.pointer, attended.pointer, vw.pointer, m: rows, n: n, k: c, transposeB: true)
    }
    let nw = w.node
    return Variable(y, parents: [qkv, w]) { dy in
        let scratch = Tensor(uninitialized: [rows, c])  // the attention output again, then its gradient
        if nw.requiresGrad {
            call.forward(scratch)
            // dW (out, C) += dYᵀ · attention output
            Kernels.gemm(
                nw.gradientStorage(), dy.pointer, scratch.pointer, m: n, n: c, k: rows, transposeA: true, beta: 1)
        }
        guard call.node.requiresGrad else { return }
        Kernels.gemm(scratch.pointer, dy.pointer, vw.pointer, m: rows, n: c, k: n)  // d attention output = dY · W
        call.backward(dy: scratch)
    }
}

/// What one attention call keeps for its backward: q/k/v, each score row's log-sum-exp and the dropout mask.
private final class AttentionCall {
    let shape: AttentionShape
    let node: Node
    let qkv: Tensor  // (B, T, 3C)
    let lse: Tensor  // (B, H, T): the backward rebuilds P one head at a time from it
    let keep: [UInt8]  // (B, H, T, T) bits, set where a weight is kept; empty without dropout
    let keepScale: Float

    init(_ qkv: Variable, heads: Int, causal: Bool, dropout p: Float, rng: inout SeededGenerator) {
        precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0, "attention needs (B, T, 3C), got \(qkv.shape)")
        let (b, t, c) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        shape = AttentionShape(batch: b, time: t, width: c, heads: heads, causal: causal)
        node = qkv.node
        self.qkv = qkv.value
        lse = Tensor(uninitialized: [b, heads, t])
        keepScale = p > 0 ? 1 / (1 - p) : 1
        var keep: [UInt8] = []
        if p > 0 {
            let n = b * heads * t * t
            keep = [UInt8](repeating: 0, count: (n + 7) / 8)
            keep.withUnsafeMutableBufferPointer { bits in
                if let base = bits.baseAddress { rng.fillKeepBits(base, count: n, dropping: p) }
            }
        }
        self.keep = keep
    }

    /// Writes the attention output (B, T, C) into `y` (and the log-sum-exps, the same each time).
    func forward(_ y: Tensor) {
        keep.withUnsafeBufferPointer { bits in
            Kernels.attention(
                y.pointer, logSumExp: lse.pointer, keep: keep.isEmpty ? nil : bits.baseAddress, keepScale: keepScale,
                qkv: qkv.pointer,
                shape: shape)
        }
    }

    /// Accumulates the gradient of q/k/v from that of the output (B, T, C).
    func backward(dy: Tensor) {
        keep.withUnsafeBufferPointer { bits in
            Kernels.attentionBackward(
                node.gradientStorage(), dy: dy.pointer, qkv: qkv.pointer, logSumExp: lse.pointer,
                keep: keep.isEmpty ? nil : bits.baseAddress, keepScale: keepScale, shape: shape)
        }
    }
}

/// Attention without dropout: `attention(qkv, heads: 4, causal: true)`.
public func attention(_ qkv: Variable, heads: Int, causal: Bool) -> Variable {
    var unused = SeededGenerator(seed: 0)
    return attention(qkv, heads: heads, causal: causal, dropout: 0, rng: &unused)
}

/// Rotary position embedding on the q and k parts of fused q/k/v `(B, T, 3C)`; v passes through.
/// Positions start at `positionOffset` (the number of tokens already in a KV cache).
///
/// `let qkv = rotary(c_attn(x), heads: 4)`
public func rotary(_ qkv: Variable, heads: Int, positionOffset: Int = 0, base: Float = 10_000) -> Variable {
    precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0, "rotary needs (B, T, 3C), got \(qkv.shape)")
    let (b, t, c) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    precondition(c % heads == 0 && (c / heads) % 2 == 0, "rotary needs an even head size, got \(c) / \(heads)")
    let y = Tensor(uninitialized: qkv.shape)  // (B, T, 3C)
    Kernels.rotary(
        y.pointer, qkv.value.pointer, batch: b, time: t, width: c, heads: heads, positionOffset: positionOffset,
        base: base, inverse: false, accumulate: false)
    return Variable(y, parents: [qkv]) { [node = qkv.node] g in
        Kernels.rotary(
            node.gradientStorage(), g.pointer, batch: b, time: t, width: c, heads: heads,
            positionOffset: positionOffset, base: base, inverse: true, accumulate: true)
    }
}
