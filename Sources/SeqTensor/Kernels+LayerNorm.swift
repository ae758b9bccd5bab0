import RealModule

extension Kernels {
    /// Layer norm over the last axis of (rows, n): `y = (x − μ)/√(σ² + ε) · w + b` (`b` optional).
    /// Saves each row's mean and reciprocal standard deviation for the backward pass.
    package static func layerNorm(
        _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, n: Int, epsilon: Float
    ) {
        let invN = 1 / Float(n)
        Threads.split(rows, minimum: max(1, Threads.elementwiseSplitMinimum / max(n, 1)), grain: 1) { part in
            for r in part {
                let xr = x + r &* n
                let yr = y + r &* n
                let mu = sum(xr, n) * invN
                var v: Float = 0
                for i in 0..<n {
                    let d = xr[i] - mu
                    v = Relaxed.multiplyAdd(d, d, v)
                }
                let rs = 1 / (v * invN + epsilon).squareRoot()
                mean[r] = mu
                rstd[r] = rs
                if let bias {
                    for i in 0..<n { yr[i] = (xr[i] - mu) * rs * weight[i] + bias[i] }
                } else {
                    for i in 0..<n { yr[i] = (xr[i] - mu) * rs * weight[i] }
                }
            }
        }
    }

    /// Backward of ``layerNorm(_:mean:rstd:_:weight:bias:rows:n:epsilon:)``, with `x̂ = (x − μ)·rstd`:
    /// `dw += Σ dy·x̂`, `db += Σ dy`, `dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂))` where `dx̂ = dy·w`.
    package static func layerNormBackward(
        dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, n: Int
    ) {
        let parts = Threads.parts(for: rows, minimum: max(1, Threads.elementwiseSplitMinimum / max(n, 1)))
        if parts <= 1 {
            layerNormBackwardRows(
                0..<rows, dx: dx, dWeight: dWeight, dBias: dBias, dy: dy, x: x, weight: weight, mean: mean, rstd: rstd,
                n: n)
            return
        }
        // Each part sums its rows' weight and bias gradients apart (2n floats), added in after.
        let sums = TensorStorage(capacity: parts &* 2 &* n, zeroed: true)
        Threads.team(parts) { p in
            let part = sums.base + p &* 2 &* n
            layerNormBackwardRows(
                Threads.range(p, of: parts, rows, grain: 1), dx: dx, dWeight: dWeight == nil ? nil : part,
                dBias: dBias == nil ? nil : part + n, dy: dy, x: x, weight: weight, mean: mean, rstd: rstd, n: n)
        }
        for p in 0..<parts {
            let part = sums.base + p &* 2 &* n
            if let dWeight { for i in 0..<n { dWeight[i] += part[i] } }
            if let dBias { for i in 0..<n { dBias[i] += part[n &+ i] } }
        }
    }

    /// ``layerNormBackward(dx:dWeight:dBias:dy:x:weight:mean:rstd:rows:n:)`` for the rows `rows`.
    static func layerNormBackwardRows(
        _ rows: Range<Int>, dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, n: Int
    ) {
        let invN = 1 / Float(n)
        for r in rows {
            let o = r &* n
            let mu = mean[r]
            let rs = rstd[r]
            var sumG: Float = 0
            var sumGX: Float = 0
            for i in 0..<n {
                let xhat = (x[o &+ i] - mu) * rs
                let g = dy[o &+ i] * weight[i]
                sumG = Relaxed.sum(sumG, g)
                sumGX = Relaxed.multiplyAdd(g, xhat, sumGX)
            }
            if let dWeight { for i in 0..<n { dWeight[i] += dy[o &+ i] * ((x[o &+ i] - mu) * rs) } }
            if let dBias { for i in 0..<n { dBias[i] += dy[o &+ i] } }
            if let dx {
                let mg = sumG * invN
                let mgx = sumGX * invN
                for i in 0..<n {
                    let xhat = (x[o &+ i] - mu) * rs
                    dx[o &+ i] += rs * (dy[o &+ i] * weight[i] - mg - xhat * mgx)
                }
            }
        }
    }
}
