extension Kernels {
    /// Inverted dropout: each element is kept with probability `1 − p` and scaled by `1/(1 − p)`.
    /// Writes the scaled mask (0 or `1/(1 − p)`) to `mask` for the backward pass.
    public static func dropout(
        _ y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
        p: Float, using rng: inout SeededGenerator
    ) {
        let keep = 1 / (1 - p)
        for i in 0..<n {
            mask[i] = rng.nextUniform() < p ? 0 : keep
            y[i] = x[i] * mask[i]
        }
    }

    /// Backward of ``dropout(_:mask:_:_:p:using:)``: `dx += dy · mask`.
    public static func dropoutBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, mask: UnsafePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { dx[i] += dy[i] * mask[i] }
    }
}
