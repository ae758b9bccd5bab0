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
