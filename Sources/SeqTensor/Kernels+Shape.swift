extension Kernels {
    /// Swaps the two middle axes of an (outer, a, b, inner) layout: `y[o, j, i, :] = x[o, i, j, :]`.
    /// Any transpose of two axes of a row-major tensor is this with suitable sizes.
    package static func transpose(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, outer: Int, a: Int, b: Int, inner: Int
    ) {
        for o in 0..<outer {
            let xo = x + o &* a &* b &* inner
            let yo = y + o &* a &* b &* inner
            for i in 0..<a {
                for j in 0..<b {
                    (yo + (j &* a &+ i) &* inner).update(from: xo + (i &* b &+ j) &* inner, count: inner)
                }
            }
        }
    }

    /// Backward of ``transpose(_:_:outer:a:b:inner:)``: `dx[o, i, j, :] += dy[o, j, i, :]`.
    package static func transposeBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, a: Int, b: Int, inner: Int
    ) {
        for o in 0..<outer {
            let xo = dx + o &* a &* b &* inner
            let yo = dy + o &* a &* b &* inner
            for i in 0..<a {
                for j in 0..<b {
                    let d = xo + (i &* b &+ j) &* inner
                    let s = yo + (j &* a &+ i) &* inner
                    for t in 0..<inner { d[t] += s[t] }
                }
            }
        }
    }

    /// Copies an (outer, width) block out of an (outer, total) layout starting at column `start`:
    /// the forward of split (one piece) and the backward of concat (one input).
    /// With `accumulate`, adds instead of copying.
    package static func copyColumns(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, outer: Int, total: Int, start: Int, width: Int,
        accumulate: Bool
    ) {
        for o in 0..<outer {
            let src = x + (o &* total &+ start)
            let dst = y + o &* width
            if accumulate { for i in 0..<width { dst[i] += src[i] } } else { dst.update(from: src, count: width) }
        }
    }

    /// Copies an (outer, width) block into an (outer, total) layout at column `start`:
    /// the forward of concat (one input) and the backward of split (one piece).
    /// With `accumulate`, adds instead of copying.
    package static func placeColumns(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, outer: Int, total: Int, start: Int, width: Int,
        accumulate: Bool
    ) {
        for o in 0..<outer {
            let src = x + o &* width
            let dst = y + (o &* total &+ start)
            if accumulate { for i in 0..<width { dst[i] += src[i] } } else { dst.update(from: src, count: width) }
        }
    }

    /// Causal mask over (batch, t, t) scores: `y[b, i, j] = x[b, i, j]` for `j ≤ i`, `−∞` above the diagonal.
    package static func causalMask(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, batch: Int, t: Int) {
        for b in 0..<batch {
            for i in 0..<t {
                let o = (b &* t &+ i) &* t
                for j in 0..<t { y[o &+ j] = j <= i ? x[o &+ j] : -.infinity }
            }
        }
    }

    /// Backward of ``causalMask(_:_:batch:t:)``: `dx[b, i, j] += dy[b, i, j]` for `j ≤ i`.
    package static func causalMaskBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, t: Int
    ) {
        for b in 0..<batch {
            for i in 0..<t {
                let o = (b &* t &+ i) &* t
                for j in 0...i { dx[o &+ j] += dy[o &+ j] }
            }
        }
    }
}
