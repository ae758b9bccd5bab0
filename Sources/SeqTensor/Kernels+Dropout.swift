extension Kernels {
    /// Inverted dropout through a packed keep mask (bit `i & 7` of `bits[i >> 3]`, as
    /// ``SeededGenerator/fillKeepBits(_:count:dropping:)`` draws it): `y = x · scale` where the bit is set,
    /// else 0, with `scale = 1/(1 − p)`.
    package static func dropout(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, keepBits bits: UnsafePointer<UInt8>, _ n: Int,
        scale: Float
    ) {
        // Ranges on multiples of 16 elements start on whole bytes of the mask.
        Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in
            for e in r { y[e] = (bits[e &>> 3] &>> UInt8(e & 7)) & 1 != 0 ? x[e] * scale : 0 }
        }
    }

    /// Backward of ``dropout(_:_:keepBits:_:scale:)``: `dx += dy · scale` where the bit is set.
    package static func dropoutBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, keepBits bits: UnsafePointer<UInt8>, _ n: Int,
        scale: Float
    ) {
        Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in
            for e in r where (bits[e &>> 3] &>> UInt8(e & 7)) & 1 != 0 { dx[e] += dy[e] * scale }
        }
    }
}
