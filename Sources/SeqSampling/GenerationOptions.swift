/// Settings for ``Generator/generate(prompt:options:onToken:)``. Unset optional filters (`nil`) are off.
///
/// ```swift
/// var options = GenerationOptions()
/// options.maxTokens = 200
/// options.temperature = 0.8
/// options.topK = 40
/// ```
public struct GenerationOptions: Sendable, Equatable {
    /// New tokens to generate per sequence (≥ 0).
    public var maxTokens = 256
    /// Softmax temperature T > 0; logits are divided by it.
    public var temperature: Double = 1
    /// Keep only the k most likely tokens (k ≥ 1); nil = off.
    public var topK: Int? = nil
    /// Nucleus: keep the most likely tokens up to probability mass p in (0, 1]; nil = off.
    public var topP: Double? = nil
    /// Drop tokens less likely than minP × the most likely, minP in [0, 1); nil = off.
    public var minP: Double? = nil
    /// CTRL repetition penalty (> 0; 1 = none) over the last ``penaltyWindow`` tokens.
    public var repetitionPenalty: Double = 1
    /// Subtracted once from the logit of each token in the last ``penaltyWindow`` tokens (0 = none).
    public var presencePenalty: Double = 0
    /// Subtracted per occurrence in the last ``penaltyWindow`` tokens (0 = none).
    public var frequencyPenalty: Double = 0
    /// Tokens of history (prompt included) the penalties look at (≥ 1).
    public var penaltyWindow = 64
    /// Forbid any token that would repeat an n-gram of this many tokens already in the prompt or the text so
    /// far (Hugging Face's `no_repeat_ngram_size`), in sampling and in beam search; 0 = off.
    public var noRepeatNgram = 0
    /// Seed of the sampling generator: the same seed, model and options give the same tokens.
    public var seed: UInt64 = 1337
    /// Argmax decoding instead of sampling (penalties still apply; temperature must stay 1).
    public var greedy = false
    /// Beam-search width (≥ 1); more than 1 runs
    /// ``Generator/beamSearch(prompt:beams:maxTokens:lengthPenalty:noRepeatNgram:stopTokens:)``.
    public var beams = 1
    /// Beam search ranks a hypothesis of n tokens by `Σ log p / n^lengthPenalty` (0 = raw sum).
    public var lengthPenalty: Double = 1
    /// The characters of text each token id stands for (one entry per id); beam search then counts `n` in
    /// characters rather than tokens (`seqsample` passes its tokenizer's). nil = every token counts 1.
    public var tokenLengths: [Int]? = nil
    /// Independent samples generated side by side as one batch (≥ 1).
    public var numSamples = 1
    /// Token ids that end a sequence when chosen (not emitted, not in the result).
    public var stopTokens: Set<Int> = []
    /// Only ids below this are ever chosen: for a model whose vocabulary is padded past its tokenizer's (nil = all).
    public var allowedTokens: Int? = nil

    /// Defaults: 256 tokens, categorical sampling at temperature 1, no filters or penalties.
    public init() {}

    /// Throws a one-line ``SamplingError`` for the first setting out of range or contradicting another.
    ///
    /// `try options.validate(vocabSize: 65)`
    public func validate(vocabSize: Int) throws {
        func invalid(_ name: String, _ value: Any, _ rule: String) -> SamplingError {
            .invalidSetting(name: name, value: "\(value)", rule: rule)
        }
        guard maxTokens >= 0 else { throw invalid("max tokens", maxTokens, "must be ≥ 0") }
        guard numSamples >= 1 else { throw invalid("samples", numSamples, "must be ≥ 1") }
        guard beams >= 1 else { throw invalid("beams", beams, "must be ≥ 1") }
        guard lengthPenalty.isFinite else { throw invalid("length penalty", lengthPenalty, "must be finite") }
        if let tokenLengths, tokenLengths.count != vocabSize || tokenLengths.contains(where: { $0 < 0 }) {
            throw invalid(
                "token lengths", "\(tokenLengths.count) entries",
                "must give a length ≥ 0 for each of the \(vocabSize) ids")
        }
        guard noRepeatNgram >= 0 else { throw invalid("no-repeat n-gram", noRepeatNgram, "must be ≥ 0 (0 = off)") }
        _ = try makePipeline()  // every processor checks its own range
        if let bad = stopTokens.first(where: { $0 < 0 || $0 >= vocabSize }) {
            throw invalid("stop token", bad, "must be a token id in 0..<\(vocabSize)")
        }
        if greedy {
            if temperature != 1 {
                throw SamplingError.contradictory(
                    first: "greedy", second: "temperature \(temperature)",
                    reason: "argmax ignores the temperature; drop one of them")
            }
            for (name, set) in [("top-k", topK != nil), ("top-p", topP != nil), ("min-p", minP != nil)] where set {
                throw SamplingError.contradictory(
                    first: "greedy", second: name,
                    reason: "the argmax is always kept, so the filter does nothing; drop it")
            }
            if numSamples > 1 {
                throw SamplingError.contradictory(
                    first: "greedy", second: "\(numSamples) samples",
                    reason: "greedy samples are all identical; ask for 1")
            }
        }
        if beams > 1 {
            if greedy {
                throw SamplingError.contradictory(
                    first: "beams \(beams)", second: "greedy", reason: "beam search is deterministic; drop greedy")
            }
            let sampling = [
                ("temperature", temperature != 1), ("top-k", topK != nil), ("top-p", topP != nil),
                ("min-p", minP != nil), ("samples", numSamples != 1), ("repetition penalty", repetitionPenalty != 1),
                ("presence penalty", presencePenalty != 0), ("frequency penalty", frequencyPenalty != 0),
            ]
            for (name, set) in sampling where set {
                throw SamplingError.contradictory(
                    first: "beams \(beams)", second: name,
                    reason: "beam search ranks the unprocessed log-probabilities; drop \(name) or use 1 beam")
            }
        }
    }

    /// The processors these options ask for, in the pipeline's fixed order.
    func makePipeline() throws -> LogitPipeline {
        var processors: [any LogitProcessor] = []
        if let allowedTokens { processors.append(VocabularyLimit(allowedTokens)) }
        if repetitionPenalty != 1 || !repetitionPenalty.isFinite {
            processors.append(try RepetitionPenalty(repetitionPenalty, window: penaltyWindow))
        }
        if presencePenalty != 0 || !presencePenalty.isFinite {
            processors.append(try PresencePenalty(presencePenalty, window: penaltyWindow))
        }
        if frequencyPenalty != 0 || !frequencyPenalty.isFinite {
            processors.append(try FrequencyPenalty(frequencyPenalty, window: penaltyWindow))
        }
        try checkWindow(penaltyWindow)
        if noRepeatNgram > 0 { processors.append(try NoRepeatNgram(noRepeatNgram)) }
        let temperature = try Temperature(temperature)
        if temperature.value != 1 { processors.append(temperature) }
        if let topK { processors.append(try TopK(topK)) }
        if let topP { processors.append(try TopP(topP)) }
        if let minP { processors.append(try MinP(minP)) }
        return LogitPipeline(processors)
    }
}

/// Masks every id from `count` on (−∞), so a model whose vocabulary is padded past its tokenizer's never picks an
/// id the tokenizer cannot decode.
public struct VocabularyLimit: LogitProcessor {
    /// The number of ids that may be chosen.
    public let count: Int

    /// A mask of every id from `count` on.
    public init(_ count: Int) { self.count = max(count, 1) }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        guard count < logits.count else { return }
        for i in count..<logits.count { logits[i] = -.infinity }
    }
}

/// Processors applied one after another. Built from ``GenerationOptions`` the order is fixed:
/// repetition, presence and frequency penalties (on the raw logits), the no-repeat n-gram mask, then
/// temperature, then the masks top-k, top-p and min-p (each on what the previous left, so top-p renormalises over the top k).
///
/// ```swift
/// let pipeline = LogitPipeline([try RepetitionPenalty(1.3, window: 64), try Temperature(0.8), try TopK(40)])
/// pipeline.process(row, history: history)
/// ```
public struct LogitPipeline: LogitProcessor {
    /// The processors, first applied first.
    public let processors: [any LogitProcessor]

    /// A pipeline running `processors` in the given order.
    public init(_ processors: [any LogitProcessor]) { self.processors = processors }

    /// The pipeline ``GenerationOptions`` ask for; throws if a setting is out of range.
    ///
    /// `let pipeline = try LogitPipeline(options: options)`
    public init(options: GenerationOptions) throws { self = try options.makePipeline() }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        for processor in processors { processor.process(logits, history: history) }
    }
}
