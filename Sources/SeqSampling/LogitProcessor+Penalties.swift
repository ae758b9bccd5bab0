/// CTRL-style repetition penalty over the last `window` tokens of the history: each distinct token seen
/// there has its logit divided by `penalty` when positive and multiplied by it when negative (so
/// `penalty > 1` always makes it less likely), once however often it appears.
///
/// `try RepetitionPenalty(2, window: 64).process(row, history: [0, 1, 1])   // [4, -1, 3] → [2, -2, 3]`
public struct RepetitionPenalty: LogitProcessor {
    /// penalty > 0 (1 = none).
    public let penalty: Float
    /// Tokens of history looked at, most recent first.
    public let window: Int
    let scratch = Scratch()

    /// Throws unless `penalty > 0` and `window ≥ 1`.
    public init(_ penalty: Double, window: Int) throws {
        guard penalty > 0, penalty.isFinite else {
            throw SamplingError.invalidSetting(
                name: "repetition penalty", value: "\(penalty)", rule: "must be > 0 (1 = none, > 1 discourages)")
        }
        try checkWindow(window)
        self.penalty = Float(penalty)
        self.window = window
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if penalty == 1 { return }
        let seen = scratch.counts(logits.count)
        let recent = history.suffix(window)
        for t in recent where t >= 0 && t < logits.count && seen[t] == 0 {
            seen[t] = 1
            logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty
        }
        for t in recent where t >= 0 && t < logits.count { seen[t] = 0 }
    }
}

/// OpenAI-style presence penalty over the last `window` tokens: `x_i ← x_i − α` for every token that
/// appears there at least once (`α < 0` encourages repeats).
///
/// `try PresencePenalty(0.5, window: 64).process(row, history: [2, 2])   // x_2 ← x_2 − 0.5`
public struct PresencePenalty: LogitProcessor {
    /// α, subtracted once per distinct recent token.
    public let penalty: Float
    /// Tokens of history looked at, most recent first.
    public let window: Int
    let scratch = Scratch()

    /// Throws unless `penalty` is finite and `window ≥ 1`.
    public init(_ penalty: Double, window: Int) throws {
        guard penalty.isFinite else {
            throw SamplingError.invalidSetting(name: "presence penalty", value: "\(penalty)", rule: "must be finite")
        }
        try checkWindow(window)
        self.penalty = Float(penalty)
        self.window = window
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if penalty == 0 { return }
        let seen = scratch.counts(logits.count)
        let recent = history.suffix(window)
        for t in recent where t >= 0 && t < logits.count && seen[t] == 0 {
            seen[t] = 1
            logits[t] -= penalty
        }
        for t in recent where t >= 0 && t < logits.count { seen[t] = 0 }
    }
}

/// OpenAI-style frequency penalty over the last `window` tokens: `x_i ← x_i − β · count_i`, where
/// `count_i` is how often token `i` appears there.
///
/// `try FrequencyPenalty(0.5, window: 64).process(row, history: [2, 2])   // x_2 ← x_2 − 1`
public struct FrequencyPenalty: LogitProcessor {
    /// β, subtracted once per occurrence.
    public let penalty: Float
    /// Tokens of history looked at, most recent first.
    public let window: Int

    /// Throws unless `penalty` is finite and `window ≥ 1`.
    public init(_ penalty: Double, window: Int) throws {
        guard penalty.isFinite else {
            throw SamplingError.invalidSetting(name: "frequency penalty", value: "\(penalty)", rule: "must be finite")
        }
        try checkWindow(window)
        self.penalty = Float(penalty)
        self.window = window
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        if penalty == 0 { return }
        for t in history.suffix(window) where t >= 0 && t < logits.count { logits[t] -= penalty }
    }
}

func checkWindow(_ window: Int) throws {
    guard window >= 1 else {
        throw SamplingError.invalidSetting(
            name: "penalty window", value: "\(window)", rule: "must be ≥ 1 tokens of recent history")
    }
}

/// Hugging Face's `no_repeat_ngram_size`: forbids (`x_i ← −∞`) every token that would complete an n-gram
/// already present in the history (prompt and generated tokens), so no n tokens in a row ever appear twice.
/// If every token would be forbidden it forbids none, so a tiny vocabulary cannot leave nothing to choose.
///
/// `try NoRepeatNgram(2).process(row, history: [5, 7, 5])   // x_7 ← −∞: "5 7" must not repeat`
public struct NoRepeatNgram: LogitProcessor {
    /// n ≥ 1 (1 forbids any token seen before).
    public let size: Int

    /// Throws unless `size ≥ 1`.
    public init(_ size: Int) throws {
        guard size >= 1 else {
            throw SamplingError.invalidSetting(
                name: "no-repeat n-gram", value: "\(size)", rule: "must be ≥ 1 tokens (0 turns it off)")
        }
        self.size = size
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        var banned = bannedTokens(history, vocabSize: logits.count)
        if banned.count >= logits.count { banned.removeAll() }
        for t in banned { logits[t] = -.infinity }
    }

    /// The tokens that would repeat an n-gram of `history`: each token that followed an earlier occurrence of
    /// the last `size − 1` tokens. O(history · size).
    public func bannedTokens(_ history: [Int], vocabSize: Int) -> Set<Int> {
        let prefix = size - 1
        let count = history.count
        guard count >= prefix else { return [] }
        var banned = Set<Int>()
        history.withUnsafeBufferPointer { h in
            // Earlier n-grams start at i with i + size ≤ count; their first size − 1 tokens must equal the tail.
            var i = 0
            while i + size <= count {
                var match = true
                var j = 0
                while j < prefix {
                    if h[i + j] != h[count - prefix + j] {
                        match = false
                        break
                    }
                    j += 1
                }
                let next = h[i + prefix]
                if match && next >= 0 && next < vocabSize { banned.insert(next) }
                i += 1
            }
        }
        return banned
    }
}
