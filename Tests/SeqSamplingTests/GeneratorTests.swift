import Foundation
import SeqAutograd
import SeqModels
import SeqNN
import SeqSampling
import SeqTensor
import Testing
import _SeqTestSupport

/// A tiny model of each kind (vocabulary 7, context 6), as in the SeqModels tests.
func tinyConfig(_ kind: ModelKind, positional: PositionalEncoding = .learned, tie: Bool = false) -> ModelConfig {
    var config = ModelConfig()
    config.kind = kind
    config.vocabSize = 7
    config.contextLength = 6
    config.embeddingSize = kind == .transformer ? 8 : 5
    config.hiddenSize = kind == .transformer || tie ? 0 : 6
    config.layers = 2
    config.heads = 2
    config.tieWeights = tie
    config.positional = positional
    config.initStd = 0.5
    return config
}

let tinyConfigs: [ModelConfig] = [
    tinyConfig(.transformer), tinyConfig(.transformer, positional: .rotary, tie: true), tinyConfig(.rnn),
    tinyConfig(.lstm), tinyConfig(.gru),
]

/// Full-window logits (T, V) of one sequence.
func fullLogits(_ model: any LanguageModel, _ tokens: [Int]) -> [[Float]] {
    let (logits, _) = withoutGradients { model.forward(tokens, batch: 1, state: nil, context: .evaluation()) }
    let v = model.config.vocabSize
    let flat = logits.value.toArray()
    return (0..<tokens.count).map { Array(flat[($0 * v)..<($0 * v + v)]) }
}

func logSoftmax(_ row: [Float], _ t: Int) -> Double {
    let m = Double(row.max()!)
    return Double(row[t]) - m - Foundation.log(row.reduce(0) { $0 + Foundation.exp(Double($1) - m) })
}

func argmaxOf(_ row: [Float]) -> Int { row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! }

@Test(arguments: tinyConfigs)
func greedyEqualsTheArgmaxOfFullWindowLogits(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 21)
    var options = GenerationOptions()
    options.greedy = true
    options.maxTokens = 4  // prompt 2 + 4 = the context: every step is inside one window
    let prompt = [3, 1]
    var streamed: [Int] = []
    let result = try Generator(model: model).generate(prompt: prompt, options: options) { token, _ in
        streamed.append(token)
        return true
    }
    #expect(result.tokens.count == 4)
    #expect(streamed == result.tokens)
    var sequence = prompt
    for (i, token) in result.tokens.enumerated() {
        let last = fullLogits(model, sequence).last!
        #expect(token == argmaxOf(last), "\(config.kind) step \(i)")
        #expect(abs(Double(result.logProbabilities[i]) - logSoftmax(last, token)) < 1e-4)
        sequence.append(token)
    }
}

@Test(arguments: tinyConfigs)
func seededSamplingRepeatsExactly(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 22)
    let generator = Generator(model: model)
    var options = GenerationOptions()
    options.maxTokens = 30  // past the context of 6 for the transformer: it slides
    options.seed = 5
    let first = try generator.generate(prompt: [1], options: options)
    let again = try Generator(model: model).generate(prompt: [1], options: options)
    let reused = try generator.generate(prompt: [1], options: options)
    #expect(first.tokens.count == 30)
    #expect(first == again)
    #expect(first == reused)
    options.seed = 6
    #expect(try generator.generate(prompt: [1], options: options).tokens != first.tokens)
}

@Test(arguments: tinyConfigs)
func batchedSamplesReportTheModelsLogProbabilities(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 23)
    var options = GenerationOptions()
    options.maxTokens = 3
    options.numSamples = 4
    options.temperature = 1.5
    options.topK = 5
    var seen = [[Int]](repeating: [], count: 4)
    let result = try Generator(model: model).generate(prompt: [2, 5, 0], options: options) { sample, token, _ in
        seen[sample].append(token)
        return true
    }
    #expect(result.samples.count == 4)
    #expect(Set(result.samples.map(\.tokens)).count > 1, "four samples should not all agree")
    for (i, sample) in result.samples.enumerated() {
        #expect(seen[i] == sample.tokens)
        var sequence = [2, 5, 0]
        for (token, logProb) in zip(sample.tokens, sample.logProbabilities) {
            let last = fullLogits(model, sequence).last!
            #expect(abs(Double(logProb) - logSoftmax(last, token)) < 1e-4, "\(config.kind) sample \(i)")
            sequence.append(token)
        }
    }
}

@Test func stopTokensAndTheCallbackEndGeneration() throws {
    let model = try makeModel(tinyConfig(.lstm), seed: 24)
    let generator = Generator(model: model)
    var options = GenerationOptions()
    options.greedy = true
    options.maxTokens = 12
    let free = try generator.generate(prompt: [0], options: options).tokens
    // Stop at the third token's id: generation ends before its first occurrence.
    let stop = free[2]
    let cut = free.firstIndex(of: stop)!
    options.stopTokens = [stop]
    let stopped = try generator.generate(prompt: [0], options: options)
    #expect(stopped.tokens == Array(free[..<cut]))
    #expect(stopped.samples[0].finishReason == .stopToken(stop))
    // The callback returning false keeps that token and ends.
    options.stopTokens = []
    var calls = 0
    let early = try generator.generate(prompt: [0], options: options) { _, _ in
        calls += 1
        return calls < 5
    }
    #expect(early.tokens == Array(free[..<5]))
    #expect(early.samples[0].finishReason == .stoppedByCaller)
}

@Test(arguments: tinyConfigs)
func beamSearchWithOneBeamEqualsGreedy(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 25)
    let generator = Generator(model: model)
    var options = GenerationOptions()
    options.greedy = true
    options.maxTokens = 10
    let greedy = try generator.generate(prompt: [4, 2], options: options)
    let beam = try generator.beamSearch(prompt: [4, 2], beams: 1, maxTokens: 10)
    #expect(beam.best.tokens == greedy.tokens)
    #expect(beam.best.logProbabilities == greedy.logProbabilities)
    // With a stop token in the greedy path, both stop at it.
    let stop = greedy.tokens[3]
    options.stopTokens = [stop]
    let greedyStopped = try generator.generate(prompt: [4, 2], options: options)
    let beamStopped = try generator.beamSearch(prompt: [4, 2], beams: 1, maxTokens: 10, stopTokens: [stop])
    #expect(beamStopped.best.tokens == greedyStopped.tokens)
    #expect(beamStopped.best.finishReason == .stopToken(stop))
}

@Test(arguments: [tinyConfig(.transformer), tinyConfig(.gru)])
func beamSearchWithEveryBeamIsExhaustive(config: ModelConfig) throws {
    // 49 beams over a vocabulary of 7 keep every 2-token prefix, so for 3 tokens the best hypothesis (raw
    // sum, lengthPenalty 0) is the best of all 343 continuations, found here by brute force. The third step
    // only sees the right states if the decoder was reordered after the second.
    let model = try makeModel(config, seed: 26)
    let prompt = [1, 3]
    let first = fullLogits(model, prompt).last!
    var best = (score: -Double.infinity, tokens: [Int]())
    for a in 0..<7 {
        let second = fullLogits(model, prompt + [a]).last!
        for b in 0..<7 {
            let third = fullLogits(model, prompt + [a, b]).last!
            for c in 0..<7 {
                let s = logSoftmax(first, a) + logSoftmax(second, b) + logSoftmax(third, c)
                if s > best.score { best = (s, [a, b, c]) }
            }
        }
    }
    let result = try Generator(model: model).beamSearch(prompt: prompt, beams: 49, maxTokens: 3, lengthPenalty: 0)
    #expect(result.best.tokens == best.tokens)
    #expect(abs(result.scores[0] - best.score) < 1e-4)
    #expect(result.hypotheses.count == 49)
    #expect(result.scores == result.scores.sorted(by: >))
    // Through generate() with beams: the same best, streamed once the search ends.
    var options = GenerationOptions()
    options.beams = 49
    options.maxTokens = 3
    options.lengthPenalty = 0
    #expect(try Generator(model: model).generate(prompt: prompt, options: options).tokens == best.tokens)
}

@Test func badPromptsAreOneLineErrors() throws {
    let gpt = Generator(model: try makeModel(tinyConfig(.transformer), seed: 27))
    let options = GenerationOptions()
    #expect(throws: SamplingError.emptyPrompt) { try gpt.generate(prompt: [], options: options) }
    #expect(throws: SamplingError.promptTooLong(count: 7, contextLength: 6)) {
        try gpt.generate(prompt: [1, 1, 1, 1, 1, 1, 1], options: options)
    }
    #expect(throws: SamplingError.tokenOutOfRange(input: "prompt", index: 1, token: 7, vocabSize: 7)) {
        try gpt.generate(prompt: [1, 7], options: options)
    }
    #expect(throws: SamplingError.emptyPrompt) { try gpt.beamSearch(prompt: [], beams: 2, maxTokens: 3) }
    // Recurrent models carry state: a long prompt is fine.
    let lstm = Generator(model: try makeModel(tinyConfig(.lstm), seed: 27))
    var short = GenerationOptions()
    short.maxTokens = 2
    #expect(try lstm.generate(prompt: Array(repeating: 1, count: 20), options: short).tokens.count == 2)
    for error in [
        SamplingError.emptyPrompt, .promptTooLong(count: 7, contextLength: 6),
        .tokenOutOfRange(input: "prompt", index: 1, token: 7, vocabSize: 7), .textTooShort(count: 1),
        .emptyStopString,
    ] {
        #expect(!"\(error)".contains("\n") && "\(error)".count > 20)
    }
}

@Test(arguments: tinyConfigs)
func reorderedDecodersContinueFromTheirParents(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 28)
    let decoder = model.makeDecoder(batch: 3)
    let histories = [[1, 2], [3, 4], [5, 6]]
    for t in 0..<2 { _ = decoder.step(histories.map { $0[t] }) }
    decoder.reorder([2, 0, 0])
    let logits = Array(decoder.step([1, 2, 3]))
    let v = config.vocabSize
    for (b, (parent, token)) in zip([2, 0, 0], [1, 2, 3]).enumerated() {
        let expected = fullLogits(model, histories[parent] + [token]).last!
        #expect(relativeError(Array(logits[(b * v)..<(b * v + v)]), expected) < 1e-5, "\(config.kind) row \(b)")
    }
}

@Test(arguments: [
    tinyConfig(.transformer), tinyConfig(.transformer, positional: .rotary, tie: true),
    tinyConfig(.transformer, positional: .sinusoidal),
])
func slidingPastTheContextReencodesTheKeptSuffix(config: ModelConfig) throws {
    // Context 6 keeps 3 tokens at a slide: the 7th token slides, keeping tokens 3...5 re-encoded in one
    // pass; tokens 7 to 9 follow, so the logits equal a full-window forward over tokens 3...8.
    let model = try makeModel(config, seed: 29)
    let decoder = model.makeDecoder(batch: 2)
    let sequences = [[1, 4, 6, 0, 2, 2, 5, 3, 3], [0, 0, 6, 1, 2, 3, 4, 5, 6]]
    var last: [Float] = []
    for t in 0..<9 { last = Array(decoder.step(sequences.map { $0[t] })) }
    let v = config.vocabSize
    for b in 0..<2 {
        let expected = fullLogits(model, Array(sequences[b][3...])).last!
        #expect(relativeError(Array(last[(b * v)..<(b * v + v)]), expected) < 1e-5, "\(config.positional) row \(b)")
    }
}
