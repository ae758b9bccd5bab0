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

/// Scratch buffers for a transformer block's graph-free pass ``Block/infer(_:batch:time:cache:start:scratch:)``,
/// sized once for `rows` (B·T) rows. Left uninitialized: every pass writes what it reads.
public final class BlockScratch {
    let h: Tensor  // (rows, C) normalized input
    let qkv: Tensor  // (rows, 3C)
    let attended: Tensor  // (rows, C)
    let projected: Tensor  // (rows, C)
    let wide: Tensor  // (rows, ratio·C)
    let scores: Tensor  // (heads, capacity) one query's attention scores
    let stats: Tensor  // (2·rows) layer-norm mean and rstd
    let probabilities: Tensor?  // (B, heads, T, T) a whole window's attention, for passes without a cache

    /// Buffers for `rows` rows of width `width`, MLP width `hidden`, attention over up to `capacity` positions
    /// of `heads` heads; `windows` (B, T) adds the attention probabilities of passes without a cache.
    public init(rows: Int, width: Int, hidden: Int, capacity: Int, heads: Int, windows: (batch: Int, time: Int)? = nil)
    {
        h = Tensor(uninitialized: [rows, width])
        qkv = Tensor(uninitialized: [rows, 3 * width])
        attended = Tensor(uninitialized: [rows, width])
        projected = Tensor(uninitialized: [rows, width])
        wide = Tensor(uninitialized: [rows, hidden])
        scores = Tensor(uninitialized: [heads, capacity])
        stats = Tensor(uninitialized: [2 * rows])
        probabilities = windows.map { Tensor(uninitialized: [$0.batch, heads, $0.time, $0.time]) }
    }
}

/// A block's four matrices packed once (``PackedWeights``) for graph-free passes over several rows: a prompt's
/// prefill, or a decode step of several sequences. A copy: make it again after the weights change.
public struct PackedBlock: @unchecked Sendable {
    let qkv: PackedWeights  // c_attn (3C, C)
    let projection: PackedWeights  // attn.c_proj (C, C)
    let up: PackedWeights  // mlp.c_fc (ratio·C, C)
    let down: PackedWeights  // mlp.c_proj (C, ratio·C)

    /// Packs `block`'s weights as they are now.
    public init(_ block: Block) {
        func pack(_ linear: Linear) -> PackedWeights {
            PackedWeights([(UnsafePointer(linear.weight.value.pointer), linear.outFeatures)], k: linear.inFeatures)
        }
        qkv = pack(block.attn.c_attn)
        projection = pack(block.attn.c_proj)
        up = pack(block.mlp.c_fc)
        down = pack(block.mlp.c_proj)
    }
}

extension Block {
    /// Width of the MLP's inner layer.
    public var hiddenWidth: Int { mlp.c_fc.outFeatures }

    /// The block without the graph, in place on the residual stream `x` (B·T, C, sequence-major) of T tokens per
    /// sequence at positions `start..<start+T`: `x += attn(ln_1(x))`, then `x += mlp(ln_2(x))`, the numbers of
    /// ``callAsFunction(_:_:)`` in evaluation. With a `cache` the tokens attend to the cached positions and
    /// their own, and their keys and values extend it (T = 1 is a decode step, T > 1 a prompt prefill); without
    /// one, a whole window from position 0 is encoded (causal or not) and `scratch` needs its `windows`.
    ///
    /// With `packed` (this block's weights packed, ``PackedBlock``), the four products read the packed weights and
    /// add their residuals in the same call: the form for passes over several rows.
    public func infer(
        _ x: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, cache: KeyValueCache?, start: Int,
        scratch s: BlockScratch, packed: PackedBlock? = nil
    ) {
        let (n, c) = (b &* t, attn.c_proj.outFeatures)
        ln_1.infer(s.h.pointer, x, rows: n, scratch: s.stats.pointer)
        attn.infer(
            s.attended.pointer, s.h.pointer, batch: b, time: t, cache: cache, start: start, scratch: s,
            packed: packed?.qkv)
        if let packed {
            let w = hiddenWidth
            Kernels.packedProduct(
                x, ldy: c, s.attended.pointer, ldx: c, packed.projection, bias: attn.c_proj.bias?.value.pointer,
                rows: n,
                epilogue: .accumulate)  // x = x + attn(ln_1(x))
            ln_2.infer(s.h.pointer, x, rows: n, scratch: s.stats.pointer)
            Kernels.packedProduct(
                s.wide.pointer, ldy: w, s.h.pointer, ldx: c, packed.up, bias: mlp.c_fc.bias?.value.pointer, rows: n,
                epilogue: .gelu(mlp.gelu))  // (rows, ratio·C)
            Kernels.packedProduct(
                x, ldy: c, s.wide.pointer, ldx: w, packed.down, bias: mlp.c_proj.bias?.value.pointer, rows: n,
                epilogue: .accumulate)  // x = x + mlp(ln_2(x))
            return
        }
        attn.c_proj.infer(s.projected.pointer, s.attended.pointer, rows: n)
        add(x, s.projected.pointer, count: n &* c)  // x = x + attn(ln_1(x))
        ln_2.infer(s.h.pointer, x, rows: n, scratch: s.stats.pointer)
        mlp.c_fc.infer(s.wide.pointer, s.h.pointer, rows: n, gelu: mlp.gelu)  // (rows, ratio·C)
        mlp.c_proj.infer(s.projected.pointer, s.wide.pointer, rows: n)
        add(x, s.projected.pointer, count: n &* c)  // x = x + mlp(ln_2(x))
    }

    private func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}

extension CausalSelfAttention {
    /// Attention outputs (B·T, C) of normalized inputs `h` (B·T, C, sequence-major) at positions
    /// `start..<start+T`: with a `cache`, each query attends to the cached positions and those before it, and the
    /// new keys and values are written into the cache; without one, over the window itself (`start` 0).
    func infer(
        _ y: UnsafeMutablePointer<Float>, _ h: UnsafePointer<Float>, batch b: Int, time t: Int, cache: KeyValueCache?,
        start: Int, scratch s: BlockScratch, packed: PackedWeights? = nil
    ) {
        let c = c_attn.inFeatures
        let qkv = s.qkv.pointer
        if let packed {
            Kernels.packedProduct(
                qkv, ldy: 3 &* c, h, ldx: c, packed, bias: c_attn.bias?.value.pointer,
                rows: b &* t)  // (B·T, 3C)
        } else {
            c_attn.infer(qkv, h, rows: b &* t)  // (B·T, 3C)
        }
        if rotary {
            Kernels.rotary(
                qkv, qkv, batch: b, time: t, width: c, heads: heads, positionOffset: start, base: 10_000,
                inverse: false, accumulate: false)
        }
        guard let cache else {
            guard let probabilities = s.probabilities else {
                preconditionFailure("Block.infer without a cache needs a BlockScratch made with its windows")
            }
            let shape = AttentionShape(batch: b, time: t, width: c, heads: heads, causal: causal)
            Kernels.attention(
                y, probabilities: probabilities.pointer, keep: nil, keepScale: 1, qkv: qkv, shape: shape)
            return
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
                // One query over cached positions 0...start+i, every head.
                Kernels.attendQuery(
                    y + row &* c, qkv + row &* 3 &* c, keys: keys, values: values, positions: start &+ i &+ 1,
                    heads: heads, headSize: c / heads, rowStride: c, scores: s.scores.pointer)
            }
        }
    }
}
