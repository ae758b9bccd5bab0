import SeqTensor

extension Variable {
    /// The same elements with another shape (no copy of the forward value).
    ///
    /// `x.reshaped([B * T, C])`
    public func reshaped(_ newShape: [Int]) -> Variable {
        let y = value.reshaped(newShape)
        return Variable(y, parents: [self]) { [node] g in
            node.accumulate(adopting: g)  // the same elements: the gradient passes through
        }
    }

    /// Swaps two axes (copies): `(B, T, H, d).transposed(1, 2) → (B, H, T, d)`.
    public func transposed(_ axis0: Int, _ axis1: Int) -> Variable {
        precondition(
            axis0 >= 0 && axis1 >= 0 && axis0 < shape.count && axis1 < shape.count,
            "transposed(\(axis0), \(axis1)) out of range for shape \(shape)")
        if axis0 == axis1 { return self }
        let (i, j) = (min(axis0, axis1), max(axis0, axis1))
        // View the tensor as (outer, A, mid, B, inner) and swap A with B.
        let outer = shape[..<i].reduce(1, *)
        let a = shape[i]
        let mid = shape[(i + 1)..<j].reduce(1, *)
        let b = shape[j]
        let inner = shape[(j + 1)...].reduce(1, *)
        var outShape = shape
        outShape.swapAt(i, j)
        let y = Tensor(uninitialized: outShape)  // axes i and j swapped
        Variable.permute(y.pointer, value.pointer, outer: outer, a: a, mid: mid, b: b, inner: inner, backward: false)
        return Variable(y, parents: [self]) { [node] g in
            Variable.permute(
                node.gradientStorage(), g.pointer, outer: outer, a: a, mid: mid, b: b, inner: inner, backward: true)
        }
    }

    /// (outer, a, mid, b, inner) → (outer, b, mid, a, inner); with `backward`, accumulates the inverse.
    private static func permute(
        _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, outer: Int, a: Int, mid: Int, b: Int,
        inner: Int, backward: Bool
    ) {
        if mid == 1 {
            if backward {
                Kernels.transposeBackward(dst, src, outer: outer, a: a, b: b, inner: inner)
            } else {
                Kernels.transpose(dst, src, outer: outer, a: a, b: b, inner: inner)
            }
            return
        }
        let block = a * mid * b * inner
        for o in 0..<outer {
            for x in 0..<a {
                for m in 0..<mid {
                    for z in 0..<b {
                        let forward = o * block + ((x * mid + m) * b + z) * inner  // index in (a, mid, b)
                        let swapped = o * block + ((z * mid + m) * a + x) * inner  // index in (b, mid, a)
                        if backward {
                            for t in 0..<inner { dst[forward + t] += src[swapped + t] }
                        } else {
                            (dst + swapped).update(from: src + forward, count: inner)
                        }
                    }
                }
            }
        }
    }

    /// The same elements in reverse order along `axis` (copies): `(B, T, C).reversed(axis: 1)` puts step
    /// `T − 1 − t` at `t`, as a backward-running recurrent layer reads its input.
    public func reversed(axis: Int) -> Variable {
        precondition(axis >= 0 && axis < shape.count, "reversed: axis \(axis) out of range for \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let y = Tensor(uninitialized: shape)  // same shape, `axis` reversed
        Variable.reverse(y.pointer, value.pointer, outer: outer, n: n, inner: inner, accumulate: false)
        return Variable(y, parents: [self]) { [node] g in
            Variable.reverse(node.gradientStorage(), g.pointer, outer: outer, n: n, inner: inner, accumulate: true)
        }
    }

    /// (outer, n, inner) with the n axis reversed: writes `dst` (forward), or adds into it (backward: the
    /// reversal is its own inverse, so the gradient is reversed the same way).
    private static func reverse(
        _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
        accumulate: Bool
    ) {
        for o in 0..<outer {
            for i in 0..<n {
                let from = src + (o * n + i) * inner
                let to = dst + (o * n + (n - 1 - i)) * inner
                if accumulate {
                    for j in 0..<inner { to[j] += from[j] }
                } else {
                    to.update(from: from, count: inner)
                }
            }
        }
    }

    /// Splits along `axis` into pieces of the given sizes: `(B, T, 3C).split(axis: 2, sizes: [C, C, C])`.
    public func split(axis: Int, sizes: [Int]) -> [Variable] {
        precondition(axis >= 0 && axis < shape.count, "split: axis \(axis) out of range for \(shape)")
        precondition(sizes.reduce(0, +) == shape[axis], "split: sizes \(sizes) do not add up to \(shape[axis])")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let total = shape[axis] * inner
        var start = 0
        var pieces: [Variable] = []
        for size in sizes {
            var pieceShape = shape
            pieceShape[axis] = size
            let y = Tensor(uninitialized: pieceShape)  // size along `axis`
            let (s, w) = (start * inner, size * inner)
            Kernels.copyColumns(
                y.pointer, value.pointer, outer: outer, total: total, start: s, width: w, accumulate: false)
            pieces.append(
                Variable(y, parents: [self]) { [node] g in
                    Kernels.placeColumns(
                        node.gradientStorage(), g.pointer, outer: outer, total: total, start: s, width: w,
                        accumulate: true)
                })
            start += size
        }
        return pieces
    }
}

/// Joins variables along `axis`; every other axis must match: `concat([a, b], axis: 1)`.
public func concat(_ parts: [Variable], axis: Int) -> Variable {
    precondition(!parts.isEmpty, "concat needs at least one variable")
    let first = parts[0].shape
    precondition(axis >= 0 && axis < first.count, "concat: axis \(axis) out of range for \(first)")
    var outShape = first
    outShape[axis] = 0
    for part in parts {
        var check = part.shape
        check[axis] = first[axis]
        precondition(check == first, "concat: shape \(part.shape) does not match \(first) off axis \(axis)")
        outShape[axis] += part.shape[axis]
    }
    let outer = first[..<axis].reduce(1, *)
    let inner = first[(axis + 1)...].reduce(1, *)
    let total = outShape[axis] * inner
    let y = Tensor(uninitialized: outShape)  // sizes along `axis` added
    var starts: [Int] = []
    var start = 0
    for part in parts {
        let w = part.shape[axis] * inner
        Kernels.placeColumns(
            y.pointer, part.value.pointer, outer: outer, total: total, start: start, width: w, accumulate: false)
        starts.append(start)
        start += w
    }
    let nodes = parts.map(\.node)
    return Variable(y, parents: parts) { g in
        for (part, s) in zip(nodes, starts) where part.requiresGrad {
            Kernels.copyColumns(
                part.gradientStorage(), g.pointer, outer: outer, total: total, start: s,
                width: part.shape[axis] * inner, accumulate: true)
        }
    }
}

/// Sets scores above the diagonal of the last two axes (…, T, T) to −∞, so position t attends to ≤ t.
///
/// `let att = causalMask(matmul(q, k, transposeB: true) * scale).softmax()`
public func causalMask(_ scores: Variable) -> Variable {
    let r = scores.shape.count
    precondition(
        r >= 2 && scores.shape[r - 1] == scores.shape[r - 2], "causalMask needs (…, T, T), got \(scores.shape)")
    let t = scores.shape[r - 1]
    let batch = scores.count / max(t * t, 1)
    let y = Tensor(uninitialized: scores.shape)  // (…, T, T)
    Kernels.causalMask(y.pointer, scores.value.pointer, batch: batch, t: t)
    return Variable(y, parents: [scores]) { [node = scores.node] g in
        Kernels.causalMaskBackward(node.gradientStorage(), g.pointer, batch: batch, t: t)
    }
}
