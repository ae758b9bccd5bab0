import RealModule

extension Kernels {
    /// Sums over the middle axis of an (outer, n, inner) layout: `y[o, j] = s · Σᵢ x[o, i, j]`
    /// (`s = 1` for a sum, `1/n` for a mean).
    package static func sumAxis(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, scale s: Float
    ) {
        y.update(repeating: 0, count: outer &* inner)
        for o in 0..<outer {
            let row = y + o &* inner
            for i in 0..<n {
                let src = x + (o &* n &+ i) &* inner
                for j in 0..<inner { row[j] = Relaxed.sum(row[j], src[j]) }
            }
            if s != 1 { for j in 0..<inner { row[j] *= s } }
        }
    }

    /// Backward of ``sumAxis(_:_:outer:n:inner:scale:)``: `dx[o, i, j] += s · dy[o, j]`.
    package static func sumAxisBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, scale s: Float
    ) {
        for o in 0..<outer {
            let g = dy + o &* inner
            for i in 0..<n {
                let dst = dx + (o &* n &+ i) &* inner
                for j in 0..<inner { dst[j] += s * g[j] }
            }
        }
    }
}
