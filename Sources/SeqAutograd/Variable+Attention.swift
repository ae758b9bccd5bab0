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
    precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0, "attention needs (B, T, 3C), got \(qkv.shape)")
    let (b, t, c) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let s = AttentionShape(batch: b, time: t, width: c, heads: heads, causal: causal)
    let y = Tensor(uninitialized: [b, t, c])  // (B, T, C)
    // (B, H, T): each score row's log-sum-exp, from which the backward rebuilds P one head at a time.
    let lse = Tensor(uninitialized: [b, heads, t])
    let keepScale = p > 0 ? 1 / (1 - p) : 1
    var keep: [UInt8] = []  // (B, H, T, T) bits, set where a weight is kept
    if p > 0 {
        let n = b * heads * t * t
        keep = [UInt8](repeating: 0, count: (n + 7) / 8)
        for e in 0..<n where rng.nextUniform() >= p { keep[e >> 3] |= 1 << UInt8(e & 7) }
    }
    keep.withUnsafeBufferPointer { bits in
        Kernels.attention(
            y.pointer, logSumExp: lse.pointer, keep: p > 0 ? bits.baseAddress : nil, keepScale: keepScale,
            qkv: qkv.value.pointer, shape: s)
    }
    let (node, value) = (qkv.node, qkv.value)
    return Variable(y, parents: [qkv]) { g in
        keep.withUnsafeBufferPointer { bits in
            Kernels.attentionBackward(
                node.gradientStorage(), dy: g.pointer, qkv: value.pointer, logSumExp: lse.pointer,
                keep: p > 0 ? bits.baseAddress : nil, keepScale: keepScale, shape: s)
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
