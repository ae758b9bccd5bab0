import SeqAutograd
import SeqTensor

/// The keys and values a transformer block has seen, for decoding one token at a time.
///
/// Buffers are allocated once for `batch` sequences of up to `capacity` positions.
public final class KeyValueCache {
    /// (B, capacity, C) keys, one row per position.
    let keys: Tensor
    /// (B, capacity, C) values.
    let values: Tensor
    /// Sequences.
    public let batch: Int
    /// Positions that fit.
    public let capacity: Int
    /// Model width C.
    public let width: Int

    /// Empty caches for `batch` sequences of `capacity` positions of width `width`.
    public init(batch: Int, capacity: Int, width: Int) {
        self.batch = batch
        self.capacity = capacity
        self.width = width
        keys = Tensor(zeros: [batch, capacity, width])  // (B, capacity, C)
        values = Tensor(zeros: [batch, capacity, width])  // (B, capacity, C)
    }

    /// Makes sequence `b` a copy of sequence `parents[b]` over the first `positions` positions.
    package func reorder(_ parents: [Int], positions: Int) {
        precondition(
            parents.count == batch && parents.allSatisfy { (0..<batch).contains($0) }, "bad parents \(parents)")
        gatherRows(keys.pointer, parents, rowStride: capacity * width, count: positions * width)
        gatherRows(values.pointer, parents, rowStride: capacity * width, count: positions * width)
    }
}

/// Gathers blocks in place: block `b` (at `base + b·rowStride`, `count` floats) becomes a copy of block
/// `parents[b]` as it was before the call.
package func gatherRows(_ base: UnsafeMutablePointer<Float>, _ parents: [Int], rowStride: Int, count: Int) {
    if count == 0 || parents.enumerated().allSatisfy({ $0.offset == $0.element }) { return }
    let copy = UnsafeMutablePointer<Float>.allocate(capacity: parents.count * count)
    defer { copy.deallocate() }
    for b in 0..<parents.count { (copy + b * count).update(from: base + b * rowStride, count: count) }
    for (b, parent) in parents.enumerated() { (base + b * rowStride).update(from: copy + parent * count, count: count) }
}

/// Scratch buffers for a transformer block's graph-free passes, sized once: ``Block/step(_:cache:position:scratch:)``
/// (one row per sequence), ``Block/prefill(_:time:cache:start:scratch:)`` (B·T rows) and the encoders' whole
/// windows. Left uninitialized: every pass writes what it reads.
public final class BlockScratch {
    let h: Tensor  // (rows, C) normalized input
    let qkv: Tensor  // (rows, 3C)
    let attended: Tensor  // (rows, C)
    let projected: Tensor  // (rows, C)
    let wide: Tensor  // (rows, ratio·C)
    let scores: Tensor  // (heads, capacity) one query's attention scores
    let stats: Tensor  // (2·rows) layer-norm mean and rstd

    /// Buffers for `rows` rows of width `width`, MLP width `hidden`, attention over up to `capacity` positions
    /// of `heads` heads.
    public init(rows: Int, width: Int, hidden: Int, capacity: Int, heads: Int) {
        h = Tensor(uninitialized: [rows, width])
        qkv = Tensor(uninitialized: [rows, 3 * width])
        attended = Tensor(uninitialized: [rows, width])
        projected = Tensor(uninitialized: [rows, width])
        wide = Tensor(uninitialized: [rows, hidden])
        scores = Tensor(uninitialized: [heads, capacity])
        stats = Tensor(uninitialized: [2 * rows])
    }
}

extension Block {
    /// Width of the MLP's inner layer.
    public var hiddenWidth: Int { mlp.c_fc.outFeatures }

    /// Advances the residual stream `x` (B, C) of one new token per sequence at `position`, reading and
    /// extending `cache`. Gives the same numbers as the full-window forward at that position.
    public func step(_ x: UnsafeMutablePointer<Float>, cache: KeyValueCache, position: Int, scratch s: BlockScratch) {
        let (b, c) = (cache.batch, cache.width)
        ln_1.infer(s.h.pointer, x, rows: b, scratch: s.stats.pointer)
        attn.step(s.attended.pointer, s.h.pointer, cache: cache, position: position, scratch: s)
        residuals(x, rows: b, width: c, scratch: s)
    }

    /// The rest of a block after attention, over `rows` rows of width `c`, in place on `x`:
    /// `x += c_proj(s.attended)`, then `x += mlp(ln_2(x))`, through the scratch's other row buffers. GELU is the
    /// training kernel's, so every graph-free path gives the graph's numbers.
    func residuals(_ x: UnsafeMutablePointer<Float>, rows: Int, width c: Int, scratch s: BlockScratch) {
        let (h, wide, projected) = (s.h.pointer, s.wide.pointer, s.projected.pointer)
        attn.c_proj.infer(projected, s.attended.pointer, rows: rows)
        for i in 0..<(rows &* c) { x[i] += projected[i] }  // x = x + attn(ln_1(x))
        ln_2.infer(h, x, rows: rows, scratch: s.stats.pointer)
        mlp.c_fc.infer(wide, h, rows: rows, gelu: mlp.gelu)  // (rows, ratio·C)
        mlp.c_proj.infer(projected, wide, rows: rows)
        for i in 0..<(rows &* c) { x[i] += projected[i] }  // x = x + mlp(ln_2(x))
    }
}

extension CausalSelfAttention {
    /// Attention output (B, C) for one new token per sequence whose normalized input is `h` (B, C).
    func step(
        _ y: UnsafeMutablePointer<Float>, _ h: UnsafePointer<Float>, cache: KeyValueCache, position: Int,
        scratch s: BlockScratch
    ) {
        let (b, c) = (cache.batch, cache.width)
        let qkv = s.qkv.pointer
        c_attn.infer(qkv, h, rows: b)
        if rotary {
            Kernels.rotary(
                qkv, qkv, batch: b, time: 1, width: c, heads: heads, positionOffset: position, base: 10_000,
                inverse: false, accumulate: false)
        }
        for sequence in 0..<b {
            let q = qkv + sequence &* 3 &* c
            let keys = cache.keys.pointer + sequence &* cache.capacity &* c
            let values = cache.values.pointer + sequence &* cache.capacity &* c
            (keys + position &* c).update(from: q + c, count: c)
            (values + position &* c).update(from: q + 2 &* c, count: c)
            attend(y + sequence &* c, q, keys: keys, values: values, through: position, scores: s.scores.pointer)
        }
    }

    /// Attention outputs (B·T, C) for T new tokens per sequence at positions `start..<start+T` whose
    /// normalized inputs are `h` (B·T, C), rows sequence-major; writes their keys and values into `cache`.
    func prefill(
        _ y: UnsafeMutablePointer<Float>, _ h: UnsafePointer<Float>, time t: Int, cache: KeyValueCache, start: Int,
        scratch s: BlockScratch
    ) {
        let (b, c) = (cache.batch, cache.width)
        let qkv = s.qkv.pointer
        c_attn.infer(qkv, h, rows: b &* t)  // (B·T, 3C)
        if rotary {
            Kernels.rotary(
                qkv, qkv, batch: b, time: t, width: c, heads: heads, positionOffset: start, base: 10_000,
                inverse: false, accumulate: false)
        }
        for sequence in 0..<b {
            let keys = cache.keys.pointer + sequence &* cache.capacity &* c
            let values = cache.values.pointer + sequence &* cache.capacity &* c
            for i in 0..<t {
                let q = qkv + (sequence &* t &+ i) &* 3 &* c
                (keys + (start &+ i) &* c).update(from: q + c, count: c)
                (values + (start &+ i) &* c).update(from: q + 2 &* c, count: c)
            }
            for i in 0..<t {
                let row = sequence &* t &+ i
                attend(
                    y + row &* c, qkv + row &* 3 &* c, keys: keys, values: values, through: start &+ i,
                    scores: s.scores.pointer)
            }
        }
    }

    /// One query's attention over cached positions `0...last`, every head:
    /// `y_h = Σ_j softmax_j(q_h · k_jh / √d) · v_jh`, with `keys` and `values` rows of width C.
    private func attend(
        _ y: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, keys: UnsafePointer<Float>,
        values: UnsafePointer<Float>, through last: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let c = c_attn.inFeatures
        Kernels.attendQuery(
            y, q, keys: keys, values: values, positions: last &+ 1, heads: heads, headSize: c / heads, rowStride: c,
            scores: scores)
    }
}

extension Block {
    /// Advances the residual stream `x` (B·T, C, sequence-major) of T new tokens per sequence at positions
    /// `start..<start+T` in one pass (matrix-matrix products), extending `cache`: the same numbers as T
    /// calls of ``step(_:cache:position:scratch:)``.
    public func prefill(
        _ x: UnsafeMutablePointer<Float>, time t: Int, cache: KeyValueCache, start: Int, scratch s: BlockScratch
    ) {
        let (n, c) = (cache.batch &* t, cache.width)
        ln_1.infer(s.h.pointer, x, rows: n, scratch: s.stats.pointer)
        attn.prefill(s.attended.pointer, s.h.pointer, time: t, cache: cache, start: start, scratch: s)
        residuals(x, rows: n, width: c, scratch: s)
    }
}
