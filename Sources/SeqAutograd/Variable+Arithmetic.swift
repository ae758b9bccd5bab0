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
        return Variable(y, parents: [a]) { g in
            Kernels.addScaled(a.gradientStorage(), g.pointer, g.count, s)
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
        return Variable(y, parents: [a, b]) { g in
            // Each operand's gradient is the output gradient (times the other operand for a product),
            // summed over the axes it was stretched along: a 0-stride destination accumulates.
            if a.requiresGrad {
                Kernels.strided(
                    op == .multiply ? .accumulateProduct : .accumulate, shape: plan.shape,
                    dst: a.gradientStorage(), dstStrides: plan.stridesA, x: g.pointer, xStrides: contiguous,
                    y: b.value.pointer, yStrides: plan.stridesB)
            }
            if b.requiresGrad {
                let opB: Kernels.StridedOp =
                    switch op {
                    case .multiply: .accumulateProduct
                    case .subtract: .accumulateNegated
                    default: .accumulate
                    }
                Kernels.strided(
                    opB, shape: plan.shape, dst: b.gradientStorage(), dstStrides: plan.stridesB,
                    x: g.pointer, xStrides: contiguous, y: a.value.pointer, yStrides: plan.stridesA)
            }
        }
    }

    private static func sameShapeBinary(_ a: Variable, _ b: Variable, _ op: Kernels.StridedOp) -> Variable {
        let n = a.value.count
        let y = Tensor(uninitialized: a.shape)  // same shape as a and b
        Kernels.elementwise(op, y.pointer, a.value.pointer, b.value.pointer, n)
        return Variable(y, parents: [a, b]) { g in
            switch op {
            case .multiply:
                if a.requiresGrad {
                    Kernels.elementwise(.accumulateProduct, a.gradientStorage(), g.pointer, b.value.pointer, n)
                }
                if b.requiresGrad {
                    Kernels.elementwise(.accumulateProduct, b.gradientStorage(), g.pointer, a.value.pointer, n)
                }
            default:
                if a.requiresGrad { Kernels.elementwise(.accumulate, a.gradientStorage(), g.pointer, nil, n) }
                if b.requiresGrad {
                    Kernels.elementwise(
                        op == .subtract ? .accumulateNegated : .accumulate, b.gradientStorage(), g.pointer, nil, n)
                }
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
        return Variable(y, parents: [self]) { [self] g in
            Kernels.sumAxisBackward(self.gradientStorage(), g.pointer, outer: outer, n: n, inner: inner, scale: s)
        }
    }
}
