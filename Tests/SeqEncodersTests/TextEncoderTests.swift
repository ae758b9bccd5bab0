import Foundation
import SeqAutograd
import SeqConfig
import SeqEncoders
import SeqModels
import SeqNN
import SeqTensor
import SeqTokenizers
import SeqTraining
import Testing

private let corpus = """
    To be, or not to be, that is the question:
    Whether 'tis nobler in the mind to suffer
    The slings and arrows of outrageous fortune,
    Or to take arms against a sea of troubles
    """

private let sentences = [
    "To be, or not to be", "that is the question", "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows", "of outrageous fortune", "Or to take arms", "against a sea of troubles", "To be",
    "question", "the mind to suffer, to be or not",
]

private func charTokenizer() throws -> any Tokenizer {
    try trainTokenizer(TokenizerOptions(kind: .char), corpus: Array(corpus.utf8))
}

/// The shapes under test: causal GPT, non-causal transformer, bidirectional LSTM and GRU, plain GRU.
enum Shape: String, CaseIterable, CustomStringConvertible {
    case gpt, encoderTransformer, biLSTM, biGRU, gru
    var description: String { rawValue }

    func config(vocabulary: Int) -> ModelConfig {
        var c = ModelConfig()
        c.vocabSize = vocabulary
        c.embeddingSize = 16
        c.layers = 2
        c.heads = 2
        c.contextLength = 48
        switch self {
        case .gpt: break
        case .encoderTransformer: c.causal = false
        case .biLSTM: (c.kind, c.bidirectional, c.hiddenSize) = (.lstm, true, 12)
        case .biGRU: (c.kind, c.bidirectional, c.hiddenSize, c.tieWeights) = (.gru, true, 12, false)
        case .gru: (c.kind, c.hiddenSize, c.tieWeights) = (.gru, 12, false)
        }
        return c
    }
}

private func encoder(_ shape: Shape, seed: UInt64 = 7) throws -> TextEncoder {
    let tokenizer = try charTokenizer()
    let trunk = try makeEncoder(shape.config(vocabulary: tokenizer.vocabularySize), seed: seed)
    return try TextEncoder(trunk: trunk, tokenizer: tokenizer)
}

private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Test(arguments: Shape.allCases)
func meanPoolingIsTheMeanOfTheTokenStates(shape: Shape) throws {
    let encoder = try encoder(shape)
    for (i, text) in sentences.enumerated() {
        let states = try encoder.hiddenStates(text)
        #expect(states.count == text.count)  // one char token per character
        #expect(states.width == shape.config(vocabulary: 2).trunkWidth)
        var mean = [Float](repeating: 0, count: states.width)
        for t in 0..<states.count { for (j, v) in states[t].enumerated() { mean[j] += v / Float(states.count) } }
        let pooled = try encoder.embed(text)
        #expect(maxDifference(pooled, mean) < 1e-5, "\(shape) text \(i)")
        let last = try encoder.embed(text, options: EmbeddingOptions(pooling: .last))
        #expect(last == Array(states[states.count - 1]), "\(shape) text \(i)")
    }
}

@Test(arguments: Shape.allCases)
func batchedEqualsOneByOne(shape: Shape) throws {
    let encoder = try encoder(shape)
    for options in [EmbeddingOptions(), EmbeddingOptions(pooling: .last, normalize: true)] {
        var batched = options
        batched.batchSize = 4
        let together = try encoder.embed(sentences, options: batched)
        #expect(together.count == sentences.count)
        var single = options
        single.batchSize = 1
        for (i, text) in sentences.enumerated() {
            let alone = try encoder.embed([text], options: single)[0]
            #expect(maxDifference(together[i], alone) < 1e-5, "\(shape) text \(i)")
        }
    }
}

@Test func concurrentUseGivesIdenticalResults() async throws {
    let encoder = try encoder(.gpt)
    let options = EmbeddingOptions(normalize: true, batchSize: 3)
    let expected = try encoder.embed(sentences, options: options)
    let results = try await withThrowingTaskGroup(of: [[Float]].self) { group in
        for _ in 0..<16 { group.addTask { try encoder.embed(sentences, options: options) } }
        var all: [[[Float]]] = []
        for try await r in group { all.append(r) }
        return all
    }
    #expect(results.count == 16)
    for r in results { #expect(r == expected) }
}

@Test func encoderOnlyModelsSeeLaterTokensAndCausalOnesDoNot() throws {
    for (shape, seesFuture) in [(Shape.gpt, false), (.gru, false), (.encoderTransformer, true), (.biLSTM, true)] {
        let encoder = try encoder(shape)
        let a = try encoder.hiddenStates("To be, or not")
        let b = try encoder.hiddenStates("To be, or nob")
        let firstDiffers = maxDifference(Array(a[0]), Array(b[0])) > 1e-6
        #expect(firstDiffers == seesFuture, "\(shape)")
    }
}

@Test func layersNormalizationAndErrors() throws {
    let gpt = try encoder(.gpt)
    let final = try gpt.embed("To be")
    let top = try gpt.embed("To be", options: EmbeddingOptions(layer: 2))  // before ln_f
    let first = try gpt.embed("To be", options: EmbeddingOptions(layer: 1))
    #expect(maxDifference(final, top) > 1e-4 && maxDifference(top, first) > 1e-4)
    let lstm = try encoder(.biLSTM)
    #expect(try lstm.embed("To be", options: EmbeddingOptions(layer: 2)) == lstm.embed("To be"))
    let unit = try gpt.embed("To be", options: EmbeddingOptions(normalize: true))
    #expect(abs(unit.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    #expect(abs(cosineSimilarity(unit, final) - 1) < 1e-5)

    #expect(throws: EncoderError.emptyText(index: 1)) { try gpt.embed(["To be", ""]) }
    #expect(throws: EncoderError.layerOutOfRange(layer: 3, layers: 2)) {
        try gpt.embed("To be", options: EmbeddingOptions(layer: 3))
    }
    #expect(throws: EncoderError.invalidBatchSize(0)) {
        try gpt.embed("To be", options: EmbeddingOptions(batchSize: 0))
    }
    #expect("\(EncoderError.emptyText(index: 1))" == "text 1 encodes to no tokens; pass non-empty text")
    // Longer than the context: the first 48 tokens are kept.
    let long = String(repeating: "to be or not ", count: 10)
    #expect(try gpt.hiddenStates(long).count == 48)
    #expect(try gpt.embed(long) == gpt.embed(String(long.prefix(48))))
}

@Test func languageModelsRefuseEncoderOnlyConfigs() throws {
    for shape in [Shape.encoderTransformer, .biLSTM] {
        let config = shape.config(vocabulary: 20)
        #expect(config.isEncoderOnly)
        #expect(throws: ConfigError.self) { try makeModel(config, seed: 1) }
        do {
            _ = try makeModel(config, seed: 1)
        } catch {
            let text = "\(error)"
            #expect(text.contains(shape == .biLSTM ? "model.bidirectional" : "model.causal"), "\(text)")
            #expect(text.contains("TextEncoder") && !text.contains("\n"), "\(text)")
        }
    }
    var mixed = ModelConfig()
    mixed.bidirectional = true  // a transformer: causal is the switch
    #expect(throws: ConfigError.self) { try mixed.validate() }
    mixed = Shape.gru.config(vocabulary: 20)
    mixed.causal = false  // a recurrent stack: bidirectional is the switch
    #expect(throws: ConfigError.self) { try mixed.validate() }
}

@Test(arguments: [Shape.encoderTransformer, .biGRU, .gpt])
func loadsAnEncoderDirectory(shape: Shape) throws {
    let tokenizer = try charTokenizer()
    let config = shape.config(vocabulary: tokenizer.vocabularySize)
    let trunk = try makeEncoder(config, seed: 11)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqenc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = try JSONEncoder().encode(config)
    try (Data(#"{"model": "#.utf8) + model + Data("}".utf8)).write(to: directory.appendingPathComponent("config.json"))
    try tokenizer.save(to: directory.appendingPathComponent("tokenizer.json"))
    try trunk.arena.write(to: directory.appendingPathComponent("model.safetensors"))
    let loaded = try TextEncoder(path: directory)
    let direct = try TextEncoder(trunk: trunk, tokenizer: tokenizer)
    #expect(loaded.width == direct.width)
    #expect(try loaded.embed(sentences) == direct.embed(sentences))
    #expect(throws: FileError.self) { try TextEncoder(path: directory.appendingPathComponent("missing")) }
}

@Test func theTrunkTrainsThroughAnEncoder() throws {
    // An encoder is a trunk: gradients flow from a loss on its states to its parameters.
    let tokenizer = try charTokenizer()
    let trunk = try makeEncoder(Shape.biGRU.config(vocabulary: tokenizer.vocabularySize), seed: 3)
    let ids = try tokenizer.encode("To be, or not")
    let h = trunk.encode(ids, batch: 1, layer: nil, context: ForwardContext(training: true, seed: 1))  // (1, T, 24)
    #expect(h.shape == [1, ids.count, 24])
    trunk.arena.zeroGradients()
    (h * h).mean().backward()
    let norms = trunk.arena.slots.map { trunk.arena.gradient(of: $0).toArray().reduce(0) { $0 + $1 * $1 } }
    #expect(norms.allSatisfy { $0 > 0 })
}

@Test(arguments: [true, false])
func theGraphFreeTransformerPathMatchesTheGraph(causal: Bool) throws {
    for positional in PositionalEncoding.allCases {
        var config = Shape.gpt.config(vocabulary: 30)
        (config.causal, config.positional, config.bias) = (causal, positional, positional != .none)
        let trunk = try makeEncoder(config, seed: 5)  // causal: the model; otherwise its encoder-only trunk
        // An encoder-only model has no head: it is not a LanguageModel, so nothing can ask it for logits.
        #expect((trunk is any LanguageModel) == causal)
        var rng = SeededGenerator(seed: 9)
        let tokens = (0..<(3 * 11)).map { _ in Int(rng.next() % 30) }
        for layer in [nil, 1, 2] {
            let graph = withoutGradients {
                trunk.encode(tokens, batch: 3, layer: layer, context: .evaluation()).value.toArray()
            }
            let fast = trunk.infer(tokens, batch: 3, layer: layer).toArray()
            #expect(maxDifference(fast, graph) < 1e-5, "\(positional) causal \(causal) layer \(layer ?? 0)")
        }
    }
}
