extension Kernels {
    /// Inverted dropout: each element is kept with probability `1 − p` and scaled by `1/(1 − p)`.
    /// Writes the keep decisions (1 kept, 0 dropped: a byte each, a quarter of a float mask) to `keep`
    /// for the backward pass.
    public static func dropout(
        _ y: UnsafeMutablePointer<Float>, keep: UnsafeMutablePointer<UInt8>, _ x: UnsafePointer<Float>, _ n: Int,
        p: Float, using rng: inout SeededGenerator
    ) {
        let scale = 1 / (1 - p)
        for i in 0..<n {
            let kept = rng.nextUniform() >= p
            keep[i] = kept ? 1 : 0
            y[i] = kept ? x[i] * scale : 0
        }
    }

    /// Backward of ``dropout(_:keep:_:_:p:using:)``: `dx += dy · keep / (1 − p)`, with `scale = 1/(1 − p)`.
    public static func dropoutBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, keep: UnsafePointer<UInt8>, _ n: Int,
        scale: Float
    ) {
        for i in 0..<n where keep[i] != 0 { dx[i] += dy[i] * scale }
    }
}
