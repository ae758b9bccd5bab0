import RealModule
import SeqTensor

/// How the next token is picked from a processed row of logits.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let token = Sampler.categorical.choose(row, rng: &rng)
/// ```
public enum Sampler: Sendable, Equatable {
    /// The most likely token (the first on ties): `argmax_i x_i`.
    case greedy
    /// A draw from `softmax(x)`: one uniform `u ∈ [0, 1)`, then the first `i` with `Σ_{j≤i} π_j > u`.
    case categorical

    /// Chooses a token from `logits`; `categorical` overwrites them with unnormalised probabilities.
    public func choose(_ logits: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator) -> Int {
        switch self {
        case .greedy: argmax(UnsafeBufferPointer(logits))
        case .categorical: sampleCategorical(logits, rng: &rng)
        }
    }
}

/// Index of the largest value, the first one on ties (0 for an empty or all-NaN row).
func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    var value = -Float.infinity
    for i in x.indices where x[i] > value {
        value = x[i]
        best = i
    }
    return best
}

/// One draw from `softmax(x)`, computed in place: `x_i ← e^(x_i − max)`, then one uniform draw against
/// the running sum. Falls back to the argmax if every logit is `-∞` (nothing left to draw from).
func sampleCategorical(_ x: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator) -> Int {
    let best = argmax(UnsafeBufferPointer(x))
    let total = exponentials(x, of: x)
    if !(total > 0) { return best }
    let u = rng.nextUniformDouble() * Double(total)
    var cumulative: Double = 0
    var last = best
    for i in x.indices where x[i] > 0 {
        cumulative += Double(x[i])
        last = i
        if u < cumulative { return i }
    }
    return last  // u rounded up to the total: the last token with mass
}

/// `log softmax(x)_t = x_t − log Σ e^x`.
func logProbability(_ x: UnsafeBufferPointer<Float>, of t: Int) -> Float {
    x[t] - logSumExp(x)
}

/// `log Σ e^x`, stable; `-∞` for an empty row.
func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Float {
    guard let base = x.baseAddress, !x.isEmpty else { return -.infinity }
    return Kernels.logSumExp(base, x.count)
}
