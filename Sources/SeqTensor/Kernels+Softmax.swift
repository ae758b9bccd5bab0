import CSeqKernels
import RealModule

extension Kernels {
    /// Row-wise softmax over the last axis of (rows, n): `y = e^(x − max) / Σ e^(x − max)`.
    package static func softmax(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let xr = x + r &* n
            let yr = y + r &* n
            var m = -Float.infinity
            for i in 0..<n { m = max(m, xr[i]) }
            let s = seqkit_exp_sum(n, yr, xr, m)  // AVX2 where the CPU has it
            let inv = 1 / s
            for i in 0..<n { yr[i] *= inv }
        }
    }

    /// Backward of ``softmax(_:_:rows:n:)`` from its output: `dx += y ⊙ (dy − Σ dy·y)`.
    package static func softmaxBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, n: Int
    ) {
        for r in 0..<rows {
            let o = r &* n
            let d = dot(dy + o, y + o, n)
            for i in 0..<n { dx[o &+ i] += y[o &+ i] * (dy[o &+ i] - d) }
        }
    }

    /// Row-wise log-softmax: `y = x − max − log Σ e^(x − max)`.
    package static func logSoftmax(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let xr = x + r &* n
            let yr = y + r &* n
            let lse = logSumExp(xr, n)
            for i in 0..<n { yr[i] = xr[i] - lse }
        }
    }

    /// Backward of ``logSoftmax(_:_:rows:n:)`` from its output: `dx += dy − e^y · Σ dy`.
    package static func logSoftmaxBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, n: Int
    ) {
        for r in 0..<rows {
            let o = r &* n
            let s = sum(dy + o, n)
            for i in 0..<n { dx[o &+ i] += dy[o &+ i] - Float.exp(y[o &+ i]) * s }
        }
    }

    /// `log Σ e^x` over `n` values, stable.
    package static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        if m == -.infinity { return m }
        return m + Float.log(seqkit_exp_sum(n, nil, x, m))
    }

    /// Fused softmax + cross-entropy over (rows, n) logits: the mean of `lse(x_r) − x_r[t_r]` over rows
    /// whose target is not `ignoreIndex`. Writes each row's log-sum-exp to `lse` for the backward pass
    /// and returns (loss, counted rows). A target outside `0..<n` other than `ignoreIndex` is a
    /// programmer error (targets are token ids checked against the vocabulary earlier).
    package static func crossEntropy(
        lse: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, targets: UnsafePointer<Int>,
        rows: Int, n: Int, ignoreIndex: Int
    ) -> (loss: Float, count: Int) {
        var total: Double = 0
        var count = 0
        for r in 0..<rows {
            let t = targets[r]
            if t == ignoreIndex {
                lse[r] = 0
                continue
            }
            precondition(t >= 0 && t < n, "crossEntropy: target \(t) at row \(r) outside 0..<\(n)")
            let xr = logits + r &* n
            lse[r] = logSumExp(xr, n)
            total += Double(lse[r] - xr[t])
            count &+= 1
        }
        return (count == 0 ? 0 : Float(total / Double(count)), count)
    }

    /// Backward of ``crossEntropy(lse:logits:targets:rows:n:ignoreIndex:)`` for an upstream gradient `g`:
    /// `dx_r += g/count · (softmax(x_r) − onehot(t_r))` on counted rows.
    package static func crossEntropyBackward(
        _ dx: UnsafeMutablePointer<Float>, g: Float, lse: UnsafePointer<Float>, logits: UnsafePointer<Float>,
        targets: UnsafePointer<Int>, rows: Int, n: Int, ignoreIndex: Int, count: Int
    ) {
        if count == 0 { return }
        let s = g / Float(count)
        for r in 0..<rows {
            let t = targets[r]
            if t == ignoreIndex { continue }
            let o = r &* n
            let l = lse[r]
            seqkit_add_scaled_exp(n, dx + o, logits + o, l, s)
            dx[o &+ t] -= s
        }
    }
}
