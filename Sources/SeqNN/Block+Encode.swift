import SeqTensor

/// Buffers for ``Block/encode(_:batch:time:scratch:)`` over `batch` sequences of `time` tokens.
package final class EncodeScratch {
    let h: Tensor  // (B·T, C)
    let qkv: Tensor  // (B·T, 3C)
    let attended: Tensor  // (B·T, C)
    let projected: Tensor  // (B·T, C)
    let wide: Tensor  // (B·T, ratio·C)
    let probabilities: Tensor  // (B, heads, T, T)
    let stats: Tensor  // (2·B·T)

    /// Buffers for `batch` sequences of `time` tokens of width `width`, MLP width `hidden`, `heads` heads.
    package init(batch: Int, time: Int, width: Int, hidden: Int, heads: Int) {
        let n = batch * time
        h = Tensor(uninitialized: [n, width])
        qkv = Tensor(uninitialized: [n, 3 * width])
        attended = Tensor(uninitialized: [n, width])
        projected = Tensor(uninitialized: [n, width])
        wide = Tensor(uninitialized: [n, hidden])
        probabilities = Tensor(uninitialized: [batch, heads, time, time])
        stats = Tensor(uninitialized: [2 * n])
    }
}

extension Block {
    /// The block's forward pass without the graph, in place on the residual stream `x` (B·T, C,
    /// sequence-major) of whole windows from position 0: the same equations as
    /// ``callAsFunction(_:_:)`` in evaluation, causal or not, for encoders.
    package func encode(_ x: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, scratch s: EncodeScratch) {
        let c = attn.c_proj.outFeatures
        let n = b &* t
        ln_1.infer(s.h.pointer, x, rows: n, scratch: s.stats.pointer)
        attn.c_attn.infer(s.qkv.pointer, s.h.pointer, rows: n)  // (B·T, 3C)
        if attn.rotary {
            Kernels.rotary(
                s.qkv.pointer, s.qkv.pointer, batch: b, time: t, width: c, heads: attn.heads, positionOffset: 0,
                base: 10_000, inverse: false, accumulate: false)
        }
        let shape = AttentionShape(batch: b, time: t, width: c, heads: attn.heads, causal: attn.causal)
        Kernels.attention(
            s.attended.pointer, probabilities: s.probabilities.pointer, keep: nil, keepScale: 1,
            qkv: s.qkv.pointer, shape: shape)  // (B·T, C)
        residuals(
            x, rows: n, width: c, attended: s.attended.pointer, h: s.h.pointer, wide: s.wide.pointer,
            projected: s.projected.pointer, stats: s.stats.pointer)
    }
}
