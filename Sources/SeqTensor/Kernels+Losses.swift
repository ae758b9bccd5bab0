import RealModule

/// The losses of ``Kernels/regressionLoss(_:_:_:_:)`` and its kin: what a prediction is compared with how.
package enum LossKind: Sendable, Equatable {
    /// `(p − y)²`
    case squaredError
    /// `|p − y|`
    case absoluteError
    /// `−(y log p + (1 − y) log(1 − p))` with p clipped to [ε, 1 − ε] (Keras's `binary_crossentropy`).
    case binaryCrossEntropy
    /// The same from logits x: `max(x, 0) − x·y + log(1 + e^−|x|)`.
    case binaryCrossEntropyFromLogits
}

extension Kernels {
    /// Keras's ε: probabilities are clipped to [ε, 1 − ε] before a logarithm.
    package static let probabilityEpsilon: Float = 1e-7

    /// The mean over `n` elements of an element-wise loss between predictions `p` and targets `y`.
    package static func elementLoss(_ kind: LossKind, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int)
        -> Float
    {
        let eps = probabilityEpsilon
        var total = 0.0
        for i in 0..<n {
            let (x, t) = (p[i], y[i])
            let term: Float
            switch kind {
            case .squaredError: term = (x - t) * (x - t)
            case .absoluteError: term = abs(x - t)
            case .binaryCrossEntropy:
                let q = min(max(x, eps), 1 - eps)
                term = -(t * Float.log(q) + (1 - t) * Float.log(1 - q))
            case .binaryCrossEntropyFromLogits:
                term = max(x, 0) - x * t + Float.log(onePlus: Float.exp(-abs(x)))
            }
            total += Double(term)
        }
        return Float(total / Double(max(n, 1)))
    }

    /// Backward of ``elementLoss(_:_:_:_:)``: `dp[i] += g · ∂mean/∂p[i]` (a clipped probability gets none).
    package static func elementLossBackward(
        _ kind: LossKind, _ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ n: Int, _ g: Float
    ) {
        let scale = g / Float(max(n, 1))
        let eps = probabilityEpsilon
        for i in 0..<n {
            let (x, t) = (p[i], y[i])
            let d: Float
            switch kind {
            case .squaredError: d = 2 * (x - t)
            case .absoluteError: d = x > t ? 1 : (x < t ? -1 : 0)
            case .binaryCrossEntropy:
                d = x < eps || x > 1 - eps ? 0 : -t / x + (1 - t) / (1 - x)
            case .binaryCrossEntropyFromLogits:
                d = 1 / (1 + Float.exp(-x)) - t
            }
            dp[i] += scale * d
        }
    }

    /// Categorical cross-entropy averaged over `rows` rows of `k` classes: targets `y` are class probabilities
    /// (one-hot for hard labels). From logits: `−Σ y log softmax(x)`; from probabilities (Keras): the row is
    /// divided by its sum, clipped to [ε, 1 − ε], and `−Σ y log q`.
    package static func categoricalLoss(
        _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, k: Int, fromLogits: Bool
    ) -> Float {
        let eps = probabilityEpsilon
        var total = 0.0
        for r in 0..<rows {
            let (x, t) = (p + r &* k, y + r &* k)
            if fromLogits {
                var m = -Float.infinity
                for j in 0..<k { m = max(m, x[j]) }
                var s: Float = 0
                for j in 0..<k { s += Float.exp(x[j] - m) }
                let lse = m + Float.log(s)
                for j in 0..<k where t[j] != 0 { total += Double(t[j] * (lse - x[j])) }
            } else {
                var s: Float = 0
                for j in 0..<k { s += x[j] }
                for j in 0..<k where t[j] != 0 { total -= Double(t[j] * Float.log(min(max(x[j] / s, eps), 1 - eps))) }
            }
        }
        return Float(total / Double(max(rows, 1)))
    }

    /// Backward of ``categoricalLoss(_:_:rows:k:fromLogits:)`` with upstream gradient `g`: from logits
    /// `(softmax(x)·Σy − y)/rows`; from probabilities `(Σ_{j unclipped} y_j / s − y_i/p_i [i unclipped])/rows`.
    package static func categoricalLossBackward(
        _ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, k: Int,
        fromLogits: Bool, _ g: Float
    ) {
        let scale = g / Float(max(rows, 1))
        let eps = probabilityEpsilon
        for r in 0..<rows {
            let (x, t, d) = (p + r &* k, y + r &* k, dp + r &* k)
            if fromLogits {
                var m = -Float.infinity
                for j in 0..<k { m = max(m, x[j]) }
                var s: Float = 0
                for j in 0..<k { s += Float.exp(x[j] - m) }
                var mass: Float = 0
                for j in 0..<k { mass += t[j] }
                for j in 0..<k { d[j] += scale * (Float.exp(x[j] - m) / s * mass - t[j]) }
            } else {
                var s: Float = 0
                for j in 0..<k { s += x[j] }
                var live: Float = 0
                for j in 0..<k {
                    let q = x[j] / s
                    if q >= eps && q <= 1 - eps { live += t[j] }
                }
                for j in 0..<k {
                    let q = x[j] / s
                    let own: Float = q >= eps && q <= 1 - eps ? t[j] / x[j] : 0
                    d[j] += scale * (live / s - own)
                }
            }
        }
    }
}
