import SeqTensor

extension Variable {
    /// Element-wise sum with NumPy broadcasting: `(4, 1, 3) + (5, 3) → (4, 5, 3)`.
    public static func + (a: Variable, b: Variable) -> Variable { broadcastBinary(a, b, .add) }

    /// Element-wise difference with broadcasting.
    public static func - (a: Variable, b: Variable) -> Variable { broadcastBinary(a, b, .subtract) }

    /// Element-wise (Hadamard) product with broadcasting.
    public static func * (a: Variable, b: Variable) -> Variable { broadcastBinary(a, b, .multiply) }

    /// Multiplies by a constant: `y = s · x`.
    public static func * (a: Variable, s: Float) -> Variable {
        let y = Tensor(uninitialized: a.shape)  // same shape as a
        Kernels.scale(y.pointer, a.value.pointer, a.value.count, s)
        return Variable(y, parents: [a]) { [node = a.node] g in
            Kernels.addScaled(node.gradientStorage(), g.pointer, g.count, s)
        }
    }

    /// Multiplies by a constant: `y = s · x`.
    public static func * (s: Float, a: Variable) -> Variable { a * s }

    private static func broadcastBinary(_ a: Variable, _ b: Variable, _ op: Kernels.StridedOp) -> Variable {
        if a.shape == b.shape { return sameShapeBinary(a, b, op) }
        guard let plan = BroadcastPlan(a.shape, b.shape) else {
            preconditionFailure("cannot broadcast shapes \(a.shape) and \(b.shape)")
        }
        let y = Tensor(uninitialized: plan.shape)  // broadcast shape
        let contiguous = Kernels.contiguousStrides(plan.shape)
        Kernels.strided(
            op, shape: plan.shape, dst: y.pointer, dstStrides: contiguous,
            x: a.value.pointer, xStrides: plan.stridesA, y: b.value.pointer, yStrides: plan.stridesB)
        let (na, nb) = (a.node, b.node)
        // Only a product reads the operands again.
        let (va, vb) = op == .multiply ? (a.value, b.value) : (nil, nil)
        return Variable(y, parents: [a, b]) { g in
            // Each operand's gradient is the output gradient (times the other operand for a product),
            // summed over the axes it was stretched along: a 0-stride destination accumulates.
            if na.requiresGrad {
                Kernels.strided(
                    op == .multiply ? .accumulateProduct : .accumulate, shape: plan.shape,
                    dst: na.gradientStorage(), dstStrides: plan.stridesA, x: g.pointer, xStrides: contiguous,
                    y: vb?.pointer, yStrides: plan.stridesB)
            }
            if nb.requiresGrad {
                let opB: Kernels.StridedOp =
                    switch op {
                    case .multiply: .accumulateProduct
                    case .subtract: .accumulateNegated
                    default: .accumulate
                    }
                Kernels.strided(
                    opB, shape: plan.shape, dst: nb.gradientStorage(), dstStrides: plan.stridesB,
                    x: g.pointer, xStrides: contiguous, y: va?.pointer, yStrides: plan.stridesA)
            }
        }
    }

    private static func sameShapeBinary(_ a: Variable, _ b: Variable, _ op: Kernels.StridedOp) -> Variable {
        let n = a.value.count
        let y = Tensor(uninitialized: a.shape)  // same shape as a and b
        Kernels.elementwise(op, y.pointer, a.value.pointer, b.value.pointer, n)
        let (na, nb) = (a.node, b.node)
        // Only a product reads the operands again.
        let (va, vb) = op == .multiply ? (a.value, b.value) : (nil, nil)
        return Variable(y, parents: [a, b]) { g in
            switch op {
            case .multiply:
                if na.requiresGrad {
                    Kernels.elementwise(.accumulateProduct, na.gradientStorage(), g.pointer, vb?.pointer, n)
                }
                if nb.requiresGrad {
                    Kernels.elementwise(.accumulateProduct, nb.gradientStorage(), g.pointer, va?.pointer, n)
                }
            default:
                // b first: a may take `g` itself as its gradient, which b must not see change.
                if nb.requiresGrad {
                    Kernels.elementwise(
                        op == .subtract ? .accumulateNegated : .accumulate, nb.gradientStorage(), g.pointer, nil, n)
                }
                if na.requiresGrad { na.accumulate(adopting: g) }
            }
        }
    }

    /// Sum over one axis, which is removed: `(B, T, C).sum(axis: 1) → (B, C)`.
    public func sum(axis: Int) -> Variable { reduce(axis: axis, mean: false) }

    /// Mean over one axis, which is removed: `(B, T, C).mean(axis: 1) → (B, C)`.
    public func mean(axis: Int) -> Variable { reduce(axis: axis, mean: true) }

    /// Sum of every element, as a scalar (shape `[]`).
    public func sum() -> Variable { reshaped([count, 1]).sum(axis: 0).reshaped([]) }

    /// Mean of every element, as a scalar (shape `[]`).
    public func mean() -> Variable { reshaped([count, 1]).mean(axis: 0).reshaped([]) }

    /// Number of elements.
    public var count: Int { value.count }

    private func reduce(axis: Int, mean: Bool) -> Variable {
        precondition(axis >= 0 && axis < shape.count, "reduce: axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let s: Float = mean ? 1 / Float(max(n, 1)) : 1
        var outShape = shape
        outShape.remove(at: axis)
        let y = Tensor(uninitialized: outShape)  // shape without `axis`
        Kernels.sumAxis(y.pointer, value.pointer, outer: outer, n: n, inner: inner, scale: s)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.sumAxisBackward(node.gradientStorage(), g.pointer, outer: outer, n: n, inner: inner, scale: s)
        }
    }
}
