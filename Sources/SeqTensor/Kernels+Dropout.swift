extension Kernels {
    /// Inverted dropout through a packed keep mask (bit `i & 7` of `bits[i >> 3]`, as
    /// ``SeededGenerator/fillKeepBits(_:count:dropping:)`` draws it): `y = x · scale` where the bit is set,
    /// else 0, with `scale = 1/(1 − p)`.
    public static func dropout(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, keepBits bits: UnsafePointer<UInt8>, _ n: Int,
        scale: Float
    ) {
        for o in 0..<((n &+ 7) / 8) {
            let b = bits[o]
            for j in 0..<min(8, n &- o &* 8) {
                let e = o &* 8 &+ j
                y[e] = (b &>> UInt8(j)) & 1 != 0 ? x[e] * scale : 0
            }
        }
    }

    /// Backward of ``dropout(_:_:keepBits:_:scale:)``: `dx += dy · scale` where the bit is set.
    public static func dropoutBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, keepBits bits: UnsafePointer<UInt8>, _ n: Int,
        scale: Float
    ) {
        for o in 0..<((n &+ 7) / 8) {
            let b = bits[o]
            if b == 0 { continue }
            for j in 0..<min(8, n &- o &* 8) where (b &>> UInt8(j)) & 1 != 0 {
                dx[o &* 8 &+ j] += dy[o &* 8 &+ j] * scale
            }
        }
    }
}
