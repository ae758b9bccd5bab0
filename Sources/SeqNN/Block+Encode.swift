import SeqTensor

/// Buffers for ``Block/encode(_:batch:time:scratch:)`` over `batch` sequences of `time` tokens: the
/// row buffers (``BlockScratch``) and the attention probabilities of whole windows.
package final class EncodeScratch {
    let rows: BlockScratch  // B·T rows
    let probabilities: Tensor  // (B, heads, T, T)

    /// Buffers for `batch` sequences of `time` tokens of width `width`, MLP width `hidden`, `heads` heads.
    package init(batch: Int, time: Int, width: Int, hidden: Int, heads: Int) {
        rows = BlockScratch(rows: batch * time, width: width, hidden: hidden, capacity: time, heads: heads)
        probabilities = Tensor(uninitialized: [batch, heads, time, time])
    }
}

extension Block {
    /// The block's forward pass without the graph, in place on the residual stream `x` (B·T, C,
    /// sequence-major) of whole windows from position 0: the same equations as
    /// ``callAsFunction(_:_:)`` in evaluation, causal or not, for encoders.
    package func encode(_ x: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, scratch: EncodeScratch) {
        let c = attn.c_proj.outFeatures
        let n = b &* t
        let r = scratch.rows
        ln_1.infer(r.h.pointer, x, rows: n, scratch: r.stats.pointer)
        attn.c_attn.infer(r.qkv.pointer, r.h.pointer, rows: n)  // (B·T, 3C)
        if attn.rotary {
            Kernels.rotary(
                r.qkv.pointer, r.qkv.pointer, batch: b, time: t, width: c, heads: attn.heads, positionOffset: 0,
                base: 10_000, inverse: false, accumulate: false)
        }
        let shape = AttentionShape(batch: b, time: t, width: c, heads: attn.heads, causal: attn.causal)
        Kernels.attention(
            r.attended.pointer, probabilities: scratch.probabilities.pointer, keep: nil, keepScale: 1,
            qkv: r.qkv.pointer, shape: shape)  // (B·T, C)
        residuals(x, rows: n, width: c, scratch: r)
    }
}
