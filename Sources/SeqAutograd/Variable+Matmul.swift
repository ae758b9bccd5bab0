import SeqTensor

/// Matrix product through BLAS.
///
/// - `a` (…, M, K) with a 2-D `b` (K, N): the leading axes of `a` are flattened into rows → (…, M, N).
///   A `Linear` layer is `matmul(x, weight, transposeB: true)` with `weight` stored (out, in).
/// - `a` (…, M, K) with `b` (…, K, N) and equal leading axes: one product per leading index (batched).
///
/// `transposeA` / `transposeB` use the operand transposed over its last two axes without copying it
/// (`transposeA` needs a 2-D `b` only when `a` is 2-D).
///
/// ```swift
/// let y = matmul(x, w, transposeB: true)      // (B, T, C) · (D, C)ᵀ → (B, T, D)
/// let s = matmul(q, k, transposeB: true)      // (B, H, T, d) · (B, H, T, d)ᵀ → (B, H, T, T)
/// ```
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (ra, rb) = (a.shape.count, b.shape.count)
    precondition(ra >= 2 && rb >= 2, "matmul needs operands of rank ≥ 2, got \(a.shape) and \(b.shape)")
    let (m, k) = transposeA ? (a.shape[ra - 1], a.shape[ra - 2]) : (a.shape[ra - 2], a.shape[ra - 1])
    let (kb, n) = transposeB ? (b.shape[rb - 1], b.shape[rb - 2]) : (b.shape[rb - 2], b.shape[rb - 1])
    precondition(
        k == kb, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let lead = Array(a.shape[..<(ra - 2)])
    let batch = lead.reduce(1, *)

    if rb == 2 && !transposeA {
        // Flatten every leading axis of `a` into rows: one (batch·M, K) · (K, N) product.
        let rows = batch * m
        let y = Tensor(uninitialized: lead + [m, n])  // (…, M, N)
        Kernels.gemm(y.pointer, a.value.pointer, b.value.pointer, m: rows, n: n, k: k, transposeB: transposeB)
        let (na, nb, va, vb) = (a.node, b.node, a.value, b.value)
        return Variable(y, parents: [a, b]) { g in
            Kernels.gemmBackward(
                gradA: na.requiresGrad ? na.gradientStorage() : nil,
                gradB: nb.requiresGrad ? nb.gradientStorage() : nil,
                gradC: g.pointer, a: va.pointer, b: vb.pointer, m: rows, n: n, k: k,
                transposeA: false, transposeB: transposeB)
        }
    }
    let shared = rb == 2
    precondition(
        shared || Array(b.shape[..<(rb - 2)]) == lead,
        "matmul: batch axes differ: \(a.shape) and \(b.shape)")
    let y = Tensor(uninitialized: lead + [m, n])  // (…, M, N)
    let (sa, sb, sc) = (m * k, shared ? 0 : k * n, m * n)
    Kernels.batchedGemm(
        y.pointer, a.value.pointer, b.value.pointer, batch: batch, m: m, n: n, k: k,
        strideA: sa, strideB: sb, strideC: sc, transposeA: transposeA, transposeB: transposeB)
    let (na, nb, va, vb) = (a.node, b.node, a.value, b.value)
    return Variable(y, parents: [a, b]) { g in
        Kernels.batchedGemmBackward(
            gradA: na.requiresGrad ? na.gradientStorage() : nil, gradB: nb.requiresGrad ? nb.gradientStorage() : nil,
            gradC: g.pointer, a: va.pointer, b: vb.pointer, batch: batch, m: m, n: n, k: k,
            strideA: sa, strideB: sb, strideC: sc, transposeA: transposeA, transposeB: transposeB)
    }
}

/// Rows per pass of the fused primitives below, for inputs `k` wide: each forms its (rows, in) input in a
/// scratch of about 4 MiB rather than a copy of the whole input (gpt-10m's MLP: 682 rows of 1536), so the
/// scratch stays small, while a small model's whole input is one pass (tiny-gpt: all 768 rows), which keeps
/// its products as large as the unfused ones. 512-row passes cost tiny-gpt about a fifth of its speed.
func fusedChunkRows(width k: Int) -> Int { max(256, (4 << 20) / (4 * max(k, 1))) }

/// A linear map after a GELU, `gelu(h) · Wᵀ` with `W` stored (out, in) and the GELU in the given form (exact
/// by default, as ``Variable/gelu(_:)``), as one primitive that saves only `h`: the backward rebuilds
/// `gelu(h)` for the weight's gradient instead of keeping a second (…, in) tensor alive from forward to
/// backward (a transformer MLP's widest activation).
///
/// ```swift
/// let y = geluMatmul(c_fc(x), c_proj.weight.variable())   // (B, T, 4C) · (C, 4C)ᵀ → (B, T, C)
/// ```
public func geluMatmul(_ h: Variable, _ weight: Variable, gelu form: GELU = .exact) -> Variable {
    let k = h.shape.last ?? 1
    precondition(
        weight.shape.count == 2 && weight.shape[1] == k, "geluMatmul: weight \(weight.shape) for input \(h.shape)")
    let n = weight.shape[0]
    let rows = h.count / max(k, 1)
    let y = Tensor(uninitialized: Array(h.shape.dropLast()) + [n])  // (…, out)
    let (vh, vw) = (h.value, weight.value)
    let chunk = min(fusedChunkRows(width: k), rows)
    do {
        let g = Tensor(uninitialized: [chunk, k])  // gelu(h) of one chunk of rows
        for r in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - r)
            Kernels.gelu(g.pointer, vh.pointer + r * k, m * k, form)
            Kernels.gemm(y.pointer + r * n, g.pointer, vw.pointer, m: m, n: n, k: k, transposeB: true)
        }
    }
    let (nh, nw) = (h.node, weight.node)
    let saved = SavedInput(vh)
    return Variable(y, parents: [h, weight]) { dy in
        // When this pullback holds the only reference to h's storage, h's gradient is written over h chunk by
        // chunk (each chunk of h is spent once its gradient is known) and handed on: no second (…, in) buffer.
        let (vh, reusable) = saved.take()
        let g = Tensor(uninitialized: [chunk, k])  // gelu(h), then its gradient, one chunk of rows
        let d = reusable && nh.requiresGrad ? Tensor(zeros: [chunk, k]) : nil  // h's gradient, one chunk
        let dw = nw.requiresGrad ? nw.gradientStorage() : nil
        let dh = nh.requiresGrad && d == nil ? nh.gradientStorage() : nil
        for r in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - r)
            if let dw {
                Kernels.gelu(g.pointer, vh.pointer + r * k, m * k, form)
                // dW (out, in) += dYᵀ · gelu(h)
                Kernels.gemm(dw, dy.pointer + r * n, g.pointer, m: n, n: k, k: m, transposeA: true, beta: 1)
            }
            guard nh.requiresGrad else { continue }
            Kernels.gemm(g.pointer, dy.pointer + r * n, vw.pointer, m: m, n: k, k: n)  // d gelu(h) = dY · W
            if let d {
                d.pointer.update(repeating: 0, count: m * k)
                Kernels.geluBackward(d.pointer, g.pointer, vh.pointer + r * k, m * k, form)
                (vh.pointer + r * k).update(from: d.pointer, count: m * k)
            } else if let dh {
                Kernels.geluBackward(dh + r * k, g.pointer, vh.pointer + r * k, m * k, form)
            }
        }
        if d != nil { nh.accumulate(adopting: vh) }
    }
}

/// A forward value that one pullback reads, held so that the pullback can tell whether it holds the only
/// reference to the storage (then the storage may be overwritten, or handed on as a gradient).
private final class SavedInput {
    private var storage: TensorStorage?
    private let shape: [Int]
    private let offset: Int

    init(_ tensor: Tensor) {
        storage = tensor.storage
        shape = tensor.shape
        offset = tensor.offset
    }

    /// The tensor, and whether nothing else refers to its storage, which it fills entirely (once only).
    func take() -> (Tensor, reusable: Bool) {
        guard var s = storage else { preconditionFailure("SavedInput taken twice") }
        storage = nil
        let unique = isKnownUniquelyReferenced(&s)  // before `tensor` below adds a reference
        let tensor = Tensor(shape: shape, storage: s, offset: offset)
        return (tensor, unique && offset == 0 && tensor.count == s.capacity)
    }
}

/// A linear map after a layer norm, `layerNorm(x) · Wᵀ` with `W` stored (out, in), as one primitive that
/// saves `x` and each row's mean and 1/σ but not the normalized rows: the backward rebuilds them for the
/// weight's gradient. (In a pre-norm transformer `x` is the residual stream, kept anyway.)
///
/// ```swift
/// let qkv = layerNormMatmul(x, weight: ln_1.weight.variable(), bias: nil, c_attn.weight.variable())
/// ```
public func layerNormMatmul(
    _ x: Variable, weight: Variable, bias: Variable?, epsilon: Float = 1e-5, _ w: Variable
) -> Variable {
    let k = x.shape.last ?? 1
    precondition(weight.shape == [k], "layerNormMatmul: norm weight \(weight.shape) for last axis \(k) of \(x.shape)")
    precondition(bias == nil || bias!.shape == [k], "layerNormMatmul: norm bias \(bias!.shape) for last axis \(k)")
    precondition(w.shape.count == 2 && w.shape[1] == k, "layerNormMatmul: weight \(w.shape) for input \(x.shape)")
    let n = w.shape[0]
    let rows = x.count / max(k, 1)
    let y = Tensor(uninitialized: Array(x.shape.dropLast()) + [n])  // (…, out)
    let mean = Tensor(uninitialized: [rows])
    let rstd = Tensor(uninitialized: [rows])
    let (vx, vg, vb, vw) = (x.value, weight.value, bias?.value, w.value)
    let chunk = min(fusedChunkRows(width: k), rows)
    // layerNorm of rows r..<r+m into `out` (the same mean and 1/σ are written each time).
    func normalize(_ out: UnsafeMutablePointer<Float>, rows r: Int, _ m: Int) {
        Kernels.layerNorm(
            out, mean: mean.pointer + r, rstd: rstd.pointer + r, vx.pointer + r * k, weight: vg.pointer,
            bias: vb?.pointer, rows: m, n: k, epsilon: epsilon)
    }
    do {
        let normalized = Tensor(uninitialized: [chunk, k])  // layerNorm(x) of one chunk of rows
        for r in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - r)
            normalize(normalized.pointer, rows: r, m)
            Kernels.gemm(y.pointer + r * n, normalized.pointer, vw.pointer, m: m, n: n, k: k, transposeB: true)
        }
    }
    let (nx, ng, nb, nw) = (x.node, weight.node, bias?.node, w.node)
    return Variable(y, parents: [x, weight, w] + (bias.map { [$0] } ?? [])) { dy in
        let scratch = Tensor(uninitialized: [chunk, k])  // layerNorm(x), then its gradient, one chunk of rows
        let dw = nw.requiresGrad ? nw.gradientStorage() : nil
        let dx = nx.requiresGrad ? nx.gradientStorage() : nil
        let dg = ng.requiresGrad ? ng.gradientStorage() : nil
        let db = (nb?.requiresGrad ?? false) ? nb!.gradientStorage() : nil
        for r in stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - r)
            if let dw {
                normalize(scratch.pointer, rows: r, m)
                // dW (out, in) += dYᵀ · layerNorm(x)
                Kernels.gemm(dw, dy.pointer + r * n, scratch.pointer, m: n, n: k, k: m, transposeA: true, beta: 1)
            }
            guard dx != nil || dg != nil || db != nil else { continue }
            Kernels.gemm(scratch.pointer, dy.pointer + r * n, vw.pointer, m: m, n: k, k: n)  // d layerNorm = dY · W
            Kernels.layerNormBackward(
                dx: dx.map { $0 + r * k }, dWeight: dg, dBias: db, dy: scratch.pointer, x: vx.pointer + r * k,
                weight: vg.pointer, mean: mean.pointer + r, rstd: rstd.pointer + r, rows: m, n: k)
        }
    }
}
