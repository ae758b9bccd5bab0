import RealModule

/// Rewrites one row of `V` next-token logits in place before a token is chosen; `history` is every token
/// of the sequence so far (prompt included), oldest first. Masked tokens get `-∞`.
///
/// ```swift
/// let topK = try TopK(40)
/// logits.withUnsafeMutableBufferPointer { topK.process($0, history: [1, 2, 3]) }
/// ```
public protocol LogitProcessor {
    /// Rewrites `logits` (one row of V) in place.
    func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int])
}

/// Scratch memory a processor reuses from one call to the next (grown, never shrunk), so the
/// generation loop does not allocate per token.
final class Scratch {
    private(set) var floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private(set) var counts = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 0)

    /// At least `n` floats (contents unspecified).
    func floats(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
        if floats.count < n {
            floats.deallocate()
            floats = .allocate(capacity: n)
        }
        return floats
    }

    /// At least `n` counters, all zero: callers put back to zero what they raise.
    func counts(_ n: Int) -> UnsafeMutableBufferPointer<Int32> {
        if counts.count < n {
            counts.deallocate()
            counts = .allocate(capacity: n)
            counts.initialize(repeating: 0)
        }
        return counts
    }

    deinit {
        floats.deallocate()
        counts.deallocate()
    }
}

/// Divides every logit by the temperature: `x_i ← x_i / T`, so `T < 1` sharpens and `T > 1` flattens
/// `softmax(x)`. `T = 1` changes nothing.
///
/// `try Temperature(0.8).process(row, history: [])   // [2, 1] → [2.5, 1.25]`
public struct Temperature: LogitProcessor {
    /// T > 0.
    public let value: Float

    /// Throws unless `value > 0`.
    public init(_ value: Double) throws {
        guard value > 0, value.isFinite else {
            throw SamplingError.invalidSetting(
                name: "temperature", value: "\(value)", rule: "must be > 0 and finite (use greedy for argmax decoding)")
        }
        self.value = Float(value)
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if value == 1 { return }
        let inverse = 1 / value
        for i in logits.indices { logits[i] *= inverse }
    }
}

/// Keeps the `k` largest logits and masks the rest to `-∞`: `x_i ← -∞` when `x_i <` the k-th largest.
/// Ties with the k-th largest are kept (as Hugging Face does). Finds the k-th largest with a size-k
/// min-heap (partial selection, `O(V log k)`), no sort.
///
/// `try TopK(2).process(row, history: [])   // [1, 3, 2, 0] → [-∞, 3, 2, -∞]`
public struct TopK: LogitProcessor {
    /// k ≥ 1.
    public let k: Int
    let scratch = Scratch()

    /// Throws unless `k ≥ 1`.
    public init(_ k: Int) throws {
        guard k >= 1 else { throw SamplingError.invalidSetting(name: "top-k", value: "\(k)", rule: "must be ≥ 1") }
        self.k = k
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        let n = logits.count
        if k >= n { return }
        let threshold = kthLargest(logits, k, heap: scratch.floats(k))
        for i in 0..<n where logits[i] < threshold { logits[i] = -.infinity }
    }
}

/// The k-th largest of `values` (1 ≤ k < count) through a min-heap of the k largest seen so far.
func kthLargest(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int, heap: UnsafeMutableBufferPointer<Float>) -> Float
{
    for i in 0..<k {  // build a min-heap of the first k by sifting each up
        var child = i
        heap[child] = values[i]
        while child > 0 {
            let parent = (child &- 1) / 2
            if heap[parent] <= heap[child] { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }
    for i in k..<values.count where values[i] > heap[0] {
        heap[0] = values[i]  // replace the smallest and sift down
        var parent = 0
        while true {
            let left = 2 &* parent &+ 1
            if left >= k { break }
            let right = left &+ 1
            let smaller = right < k && heap[right] < heap[left] ? right : left
            if heap[parent] <= heap[smaller] { break }
            heap.swapAt(parent, smaller)
            parent = smaller
        }
    }
    return heap[0]
}

/// Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities sum to at least
/// `p` and masks the rest to `-∞`. With `π = softmax(x)` sorted descending, the kept set is every token
/// with `π_i ≥ π_(j)` where `j` is the first rank with `π_(1) + … + π_(j) ≥ p` (ties with it kept; the most
/// likely token is always kept). `p = 1` keeps everything.
///
/// `try TopP(0.7).process(row, history: [])   // π = [0.5, 0.3, 0.2] → keeps the first two`
public struct TopP: LogitProcessor {
    /// p in (0, 1].
    public let p: Float
    let scratch = Scratch()

    /// Throws unless `0 < p ≤ 1`.
    public init(_ p: Double) throws {
        guard p > 0, p <= 1 else {
            throw SamplingError.invalidSetting(name: "top-p", value: "\(p)", rule: "must be in (0, 1]")
        }
        self.p = Float(p)
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if p >= 1 { return }
        let n = logits.count
        var probabilities = UnsafeMutableBufferPointer(rebasing: scratch.floats(n)[0..<n])
        let total = exponentials(probabilities, of: logits)
        if total == 0 { return }
        probabilities.sort(by: >)  // descending, in place
        let target = p * total
        var cumulative: Float = 0
        var threshold = probabilities[0]
        for i in 0..<n {
            cumulative += probabilities[i]
            threshold = probabilities[i]
            if cumulative >= target { break }
        }
        let m = logits.max() ?? 0
        for i in 0..<n where Float.exp(logits[i] - m) < threshold { logits[i] = -.infinity }
    }
}

/// Min-p: masks every token whose probability is below `minP` times the most likely token's:
/// `x_i ← -∞` when `π_i < minP · max π`, i.e. when `x_i < max x + log minP`. `minP = 0` keeps everything.
///
/// `try MinP(0.5).process(row, history: [])   // π = [0.6, 0.3, 0.1] → keeps the first two`
public struct MinP: LogitProcessor {
    /// minP in [0, 1).
    public let minP: Float

    /// Throws unless `0 ≤ minP < 1`.
    public init(_ minP: Double) throws {
        guard minP >= 0, minP < 1 else {
            throw SamplingError.invalidSetting(name: "min-p", value: "\(minP)", rule: "must be in [0, 1)")
        }
        self.minP = Float(minP)
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if minP == 0 { return }
        let m = logits.max() ?? 0
        if m == -.infinity { return }
        for i in logits.indices where Float.exp(logits[i] - m) < minP { logits[i] = -.infinity }
    }
}

/// Writes `e^(x_i − max x)` into `out` and returns their sum (0 when every logit is `-∞`).
@discardableResult
func exponentials(_ out: UnsafeMutableBufferPointer<Float>, of x: UnsafeMutableBufferPointer<Float>) -> Float {
    var m = -Float.infinity
    for v in x { m = max(m, v) }
    if m == -.infinity { return 0 }
    var s: Float = 0
    for i in x.indices {
        let e = Float.exp(x[i] - m)
        out[i] = e
        s += e
    }
    return s
}
