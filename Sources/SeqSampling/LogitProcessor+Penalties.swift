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
