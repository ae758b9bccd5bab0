import SeqModels
import SeqTensor

/// Why a generated sequence ended.
public enum FinishReason: Sendable, Equatable {
    /// It reached ``GenerationOptions/maxTokens``.
    case maxTokens
    /// The model chose one of ``GenerationOptions/stopTokens``.
    case stopToken(Int)
    /// The `onToken` callback returned false (e.g. the caller saw a stop string).
    case stoppedByCaller
}

/// One generated continuation: the new tokens (prompt excluded, stop token excluded) and, per token,
/// `log π(token)` under the model's **unprocessed** distribution `softmax(logits)` — before penalties,
/// temperature and filters — so the numbers compare across sampling settings and with ``score(_:model:window:stride:)``.
public struct GeneratedSequence: Sendable, Equatable {
    /// New token ids, in order.
    public var tokens: [Int] = []
    /// `log softmax(raw logits)[token]` for each of ``tokens``.
    public var logProbabilities: [Float] = []
    /// Why it ended.
    public var finishReason = FinishReason.maxTokens

    /// Sum of ``logProbabilities``: `log P(tokens | prompt)` under the model.
    public var totalLogProbability: Double { logProbabilities.reduce(0) { $0 + Double($1) } }
}

/// The result of ``Generator/generate(prompt:options:onToken:)``: one sequence per requested sample
/// (or the best beam).
public struct GenerationResult: Sendable, Equatable {
    /// One entry per sample, in sample order.
    public var samples: [GeneratedSequence]

    /// The first sample's tokens: `result.tokens == result.samples[0].tokens`.
    public var tokens: [Int] { samples.first?.tokens ?? [] }
    /// The first sample's log-probabilities.
    public var logProbabilities: [Float] { samples.first?.logProbabilities ?? [] }
}

/// Generates continuations of a prompt with a ``LanguageModel``'s incremental decoder: the prompt is fed
/// once, then one step per new token (KV cache for transformers, which slide past the context; carried
/// state for recurrent models). Several samples run as one batch through one decoder.
///
/// ```swift
/// let generator = Generator(model: model)
/// var options = GenerationOptions()
/// options.maxTokens = 100
/// let result = try generator.generate(prompt: [0], options: options) { token, logProb in
///     print(token); return true   // false stops
/// }
/// ```
///
/// The API needs at least one prompt token; for an empty user prompt the caller passes a start token
/// of its tokenizer (the CLI's choice, e.g. the newline id).
public final class Generator {
    /// The model generated from.
    public let model: any LanguageModel
    private var decoders: [Int: any IncrementalDecoder] = [:]
    private var row: UnsafeMutableBufferPointer<Float>  // (V) processed logits

    /// A generator for `model`; decoders are made on first use per batch size and reused.
    public init(model: any LanguageModel) {
        self.model = model
        row = .allocate(capacity: model.config.vocabSize)
    }

    deinit { row.deallocate() }

    /// A reset decoder for `batch` sequences, reused across calls.
    func decoder(batch: Int) -> any IncrementalDecoder {
        if let decoder = decoders[batch] {
            decoder.reset()
            return decoder
        }
        let decoder = model.makeDecoder(batch: batch)
        decoders[batch] = decoder
        return decoder
    }

    /// Checks the prompt: non-empty, in the vocabulary and, for a transformer, within the context.
    func checkPrompt(_ prompt: [Int]) throws {
        guard !prompt.isEmpty else { throw SamplingError.emptyPrompt }
        let config = model.config
        try checkTokens(prompt, vocabSize: config.vocabSize, input: "prompt")
        if let limit = config.contextLimit, prompt.count > limit {
            throw SamplingError.promptTooLong(count: prompt.count, contextLength: limit)
        }
    }

    /// Generates ``GenerationOptions/numSamples`` continuations of `prompt` side by side (or the best
    /// beam when ``GenerationOptions/beams`` > 1). `onToken(sample, token, logProb)` sees each new token
    /// as it is chosen; returning false ends that sample. Stop tokens end a sample without being reported.
    ///
    /// `let result = try generator.generate(prompt: ids, options: options) { sample, token, logProb in true }`
    public func generate(
        prompt: [Int], options: GenerationOptions, onToken: (_ sample: Int, _ token: Int, _ logProb: Float) -> Bool
    ) throws -> GenerationResult {
        try options.validate(vocabSize: model.config.vocabSize)
        try checkPrompt(prompt)
        try options.checkMemory(for: model.config, promptLength: prompt.count)
        if options.beams > 1 {
            var best = try beamSearch(
                prompt: prompt, beams: options.beams, maxTokens: options.maxTokens,
                lengthPenalty: options.lengthPenalty, noRepeatNgram: options.noRepeatNgram,
                tokenLengths: options.tokenLengths, stopTokens: options.stopTokens
            ).best
            for (i, token) in best.tokens.enumerated() where !onToken(0, token, best.logProbabilities[i]) {
                best.tokens.removeSubrange((i + 1)...)
                best.logProbabilities.removeSubrange((i + 1)...)
                best.finishReason = .stoppedByCaller
                break
            }
            return GenerationResult(samples: [best])
        }
        return sample(prompt: prompt, options: options, pipeline: try options.makePipeline(), onToken: onToken)
    }

    /// Single-sequence form: `onToken(token, logProb)` for the first sample.
    ///
    /// `let tokens = try generator.generate(prompt: [0], options: options).tokens`
    public func generate(
        prompt: [Int], options: GenerationOptions, onToken: (_ token: Int, _ logProb: Float) -> Bool = { _, _ in true }
    ) throws -> GenerationResult {
        try generate(prompt: prompt, options: options) { sample, token, logProb in
            sample == 0 ? onToken(token, logProb) : true
        }
    }

    /// The sampling loop over a batch of `numSamples` sequences; settings already validated.
    private func sample(
        prompt: [Int], options: GenerationOptions, pipeline: LogitPipeline,
        onToken: (Int, Int, Float) -> Bool
    ) -> GenerationResult {
        let b = options.numSamples
        let v = model.config.vocabSize
        let decoder = decoder(batch: b)
        let sampler: Sampler = options.greedy ? .greedy : .categorical
        var rng = SeededGenerator(seed: options.seed)
        var results = [GeneratedSequence](repeating: GeneratedSequence(), count: b)
        var histories = [[Int]](repeating: [], count: b)
        for i in 0..<b {
            histories[i].reserveCapacity(prompt.count + options.maxTokens)
            histories[i] += prompt
            results[i].tokens.reserveCapacity(options.maxTokens)
            results[i].logProbabilities.reserveCapacity(options.maxTokens)
        }
        var stepTokens = [Int](repeating: 0, count: b)
        var logits = decoder.prefill(Array([[Int]](repeating: prompt, count: b).joined()), time: prompt.count)
        if options.maxTokens == 0 { return GenerationResult(samples: results) }
        var active = [Bool](repeating: true, count: b)
        var remaining = b
        var generated = 0
        while true {
            for i in 0..<b where active[i] {
                let raw = UnsafeBufferPointer(rebasing: logits[(i * v)..<(i * v + v)])
                _ = row.update(fromContentsOf: raw)
                pipeline.process(row, history: histories[i])
                let token = sampler.choose(row, rng: &rng)
                stepTokens[i] = token
                if options.stopTokens.contains(token) {
                    results[i].finishReason = .stopToken(token)
                    active[i] = false
                    remaining -= 1
                    continue
                }
                let logProb = logProbability(raw, of: token)
                results[i].tokens.append(token)
                results[i].logProbabilities.append(logProb)
                histories[i].append(token)
                if !onToken(i, token, logProb) {
                    results[i].finishReason = .stoppedByCaller
                    active[i] = false
                    remaining -= 1
                }
            }
            generated += 1
            if remaining == 0 || generated == options.maxTokens { break }
            logits = decoder.step(stepTokens)  // finished samples keep stepping on their last token, unread
        }
        return GenerationResult(samples: results)
    }
}
