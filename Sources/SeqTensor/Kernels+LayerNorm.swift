import RealModule

extension Kernels {
    /// Layer norm over the last axis of (rows, n): `y = (x − μ)/√(σ² + ε) · w + b` (`b` optional).
    /// Saves each row's mean and reciprocal standard deviation for the backward pass.
    public static func layerNorm(
        _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, n: Int, epsilon: Float
    ) {
        let invN = 1 / Float(n)
        for r in 0..<rows {
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

    /// Backward of ``layerNorm(_:mean:rstd:_:weight:bias:rows:n:epsilon:)``, with `x̂ = (x − μ)·rstd`:
    /// `dw += Σ dy·x̂`, `db += Σ dy`, `dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂))` where `dx̂ = dy·w`.
    public static func layerNormBackward(
        dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, n: Int
    ) {
        let invN = 1 / Float(n)
        for r in 0..<rows {
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
                if let dWeight { dWeight[i] += dy[o &+ i] * xhat }
                if let dBias { dBias[i] += dy[o &+ i] }
            }
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
