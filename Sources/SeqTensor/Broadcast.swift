/// NumPy-style broadcasting of two shapes: sizes are matched from the right, and an axis of size 1
/// (or a missing leading axis) stretches to the other operand's size.
///
/// ```swift
/// let plan = try BroadcastPlan([4, 1, 3], [5, 3])   // output (4, 5, 3)
/// plan.stridesB == [0, 3, 1]
/// ```
public struct BroadcastPlan: Sendable, Equatable {
    /// The shape of the result.
    public let shape: [Int]
    /// Element strides of the left operand over `shape` (0 on stretched axes).
    public let stridesA: [Int]
    /// Element strides of the right operand over `shape` (0 on stretched axes).
    public let stridesB: [Int]

    /// Plans the broadcast of `a` with `b`; nil when the shapes are incompatible.
    public init?(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 0, count: rank)
        for i in 0..<rank {
            guard pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1 else { return nil }
            shape[i] = pa[i] == 1 ? pb[i] : pa[i]
        }
        self.shape = shape
        stridesA = BroadcastPlan.strides(pa, over: shape)
        stridesB = BroadcastPlan.strides(pb, over: shape)
    }

    /// Row-major strides of `padded`, with 0 where it is stretched to `shape`.
    static func strides(_ padded: [Int], over shape: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            result[i] = (padded[i] == 1 && shape[i] != 1) ? 0 : running
            running &*= padded[i]
        }
        return result
    }
}

extension Kernels {
    /// What a strided element-wise pass computes for each output element.
    public enum StridedOp: Sendable {
        /// `dst = x + y`
        case add
        /// `dst = x - y`
        case subtract
        /// `dst = x · y`
        case multiply
        /// `dst += x` (y unused): reduces a gradient onto a broadcast operand
        case accumulate
        /// `dst -= x` (y unused)
        case accumulateNegated
        /// `dst += x · y`
        case accumulateProduct
    }

    /// One element-wise pass over `shape`, every operand addressed through its own strides
    /// (strides of 0 repeat an element; with an accumulating op, a 0-stride destination sums).
    /// Runs the innermost axis as a tight loop; contiguous operands take a vectorizable path.
    package static func strided(
        _ op: StridedOp, shape: [Int],
        dst: UnsafeMutablePointer<Float>, dstStrides: [Int],
        x: UnsafePointer<Float>, xStrides: [Int],
        y: UnsafePointer<Float>?, yStrides: [Int]
    ) {
        let rank = shape.count
        let total = Tensor.elementCount(shape)
        if total == 0 { return }
        if rank == 0 {
            elementwise(op, dst, x, y, 1)
            return
        }
        let inner = shape[rank - 1]
        let sd = dstStrides[rank - 1]
        let sx = xStrides[rank - 1]
        let sy = y == nil ? 0 : yStrides[rank - 1]
        let rows = total / inner
        var counter = [Int](repeating: 0, count: rank)
        var od = 0
        var ox = 0
        var oy = 0
        for _ in 0..<rows {
            if sd == 1 && sx == 1 && (sy == 1 || y == nil) {
                elementwise(op, dst + od, x + ox, y.map { $0 + oy }, inner)
            } else {
                apply(op, dst + od, sd, x + ox, sx, y.map { $0 + oy }, sy, inner)
            }
            // Advance the counter over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                counter[axis] &+= 1
                od &+= dstStrides[axis]
                ox &+= xStrides[axis]
                if y != nil { oy &+= yStrides[axis] }
                if counter[axis] < shape[axis] { break }
                od &-= dstStrides[axis] &* shape[axis]
                ox &-= xStrides[axis] &* shape[axis]
                if y != nil { oy &-= yStrides[axis] &* shape[axis] }
                counter[axis] = 0
                axis &-= 1
            }
        }
    }

    /// One contiguous element-wise pass: `d[i] = x[i] op y[i]` (or `d[i] += …` for the accumulating ops);
    /// also the inner loop of ``strided(_:shape:dst:dstStrides:x:xStrides:y:yStrides:)``.
    @inline(__always)
    package static func elementwise(
        _ op: StridedOp, _ d: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
        _ y: UnsafePointer<Float>?, _ n: Int
    ) {
        switch op {
        case .add: for i in 0..<n { d[i] = x[i] + y.unsafelyUnwrapped[i] }
        case .subtract: for i in 0..<n { d[i] = x[i] - y.unsafelyUnwrapped[i] }
        case .multiply: for i in 0..<n { d[i] = x[i] * y.unsafelyUnwrapped[i] }
        case .accumulate: for i in 0..<n { d[i] += x[i] }
        case .accumulateNegated: for i in 0..<n { d[i] -= x[i] }
        case .accumulateProduct: for i in 0..<n { d[i] += x[i] * y.unsafelyUnwrapped[i] }
        }
    }

    /// Strided inner loop of ``strided(_:shape:dst:dstStrides:x:xStrides:y:yStrides:)``.
    @inline(__always)
    static func apply(
        _ op: StridedOp, _ d: UnsafeMutablePointer<Float>, _ sd: Int, _ x: UnsafePointer<Float>, _ sx: Int,
        _ y: UnsafePointer<Float>?, _ sy: Int, _ n: Int
    ) {
        var (id, ix, iy) = (0, 0, 0)
        for _ in 0..<n {
            switch op {
            case .add: d[id] = x[ix] + y.unsafelyUnwrapped[iy]
            case .subtract: d[id] = x[ix] - y.unsafelyUnwrapped[iy]
            case .multiply: d[id] = x[ix] * y.unsafelyUnwrapped[iy]
            case .accumulate: d[id] += x[ix]
            case .accumulateNegated: d[id] -= x[ix]
            case .accumulateProduct: d[id] += x[ix] * y.unsafelyUnwrapped[iy]
            }
            id &+= sd
            ix &+= sx
            iy &+= sy
        }
    }

    /// Contiguous row-major strides of `shape`.
    package static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            result[i] = running
            running &*= shape[i]
        }
        return result
    }
}
