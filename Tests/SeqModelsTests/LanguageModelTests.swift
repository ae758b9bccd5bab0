import Foundation
import SeqAutograd
import SeqConfig
import SeqModels
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

/// A tiny config of each kind for gradient checks and decoding tests.
private func tinyConfig(
    _ kind: ModelKind, positional: PositionalEncoding = .learned, tie: Bool = false, bias: Bool = true,
    nonlinearity: Nonlinearity = .tanh
) -> ModelConfig {
    var config = ModelConfig()
    config.kind = kind
    config.vocabSize = 7
    config.contextLength = 6
    config.embeddingSize = kind == .transformer ? 8 : 5
    config.hiddenSize = kind == .transformer || tie ? 0 : 6
    config.layers = 2
    config.heads = 2
    config.bias = bias
    config.tieWeights = tie
    config.positional = positional
    config.nonlinearity = nonlinearity
    config.initStd = 0.3
    return config
}

private let tinyConfigs: [ModelConfig] = [
    tinyConfig(.transformer), tinyConfig(.transformer, positional: .rotary, tie: true, bias: false),
    tinyConfig(.transformer, positional: .sinusoidal), tinyConfig(.transformer, positional: .none),
    tinyConfig(.rnn), tinyConfig(.rnn, nonlinearity: .relu), tinyConfig(.lstm), tinyConfig(.lstm, tie: true),
    tinyConfig(.gru, bias: false),
]

private let tokens = [1, 4, 6, 0, 2, 2, 5, 3, 3, 1, 0, 6]  // (2, 6)

@Test(arguments: tinyConfigs)
func wholeModelGradients(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 3)
    let context = ForwardContext.evaluation()
    // The check's random probe over every logit gives every parameter a sizeable gradient. ReLU's kink
    // is crossed less often with a smaller step.
    let step: Float = config.kind == .rnn && config.nonlinearity == .relu ? 2e-3 : 1e-2
    let results = checkGradients(
        GradientCheckTarget.parameters(of: model.arena), step: step, maxCoordinates: 24,
        zeroGradients: model.arena.zeroGradients
    ) {
        model.forward(tokens, batch: 2, state: nil, context: context).logits
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(config.kind) \(config.positional): \(r)") }
}

@Test(arguments: tinyConfigs)
func steppingEqualsTheFullWindow(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 4)
    let (logits, _) = withoutGradients { model.forward(tokens, batch: 2, state: nil, context: .evaluation()) }
    let full = logits.value  // (2, 6, V)
    let decoder = model.makeDecoder(batch: 2)
    let v = config.vocabSize
    for t in 0..<6 {
        let step = Array(decoder.step([tokens[t], tokens[6 + t]]))
        let expected = (0..<2).flatMap { b in (0..<v).map { full[b, t, $0] } }
        #expect(relativeError(step, expected) < 1e-5, "\(config.kind) \(config.positional) at t = \(t)")
    }
    #expect(decoder.consumed == 6)
    decoder.reset()
    let again = Array(decoder.step([tokens[0], tokens[6]]))
    #expect(relativeError(again, (0..<2).flatMap { b in (0..<v).map { full[b, 0, $0] } }) < 1e-5)
}

@Test(arguments: tinyConfigs)
func prefillEqualsSteppingThePrompt(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 4)
    let (logits, _) = withoutGradients { model.forward(tokens, batch: 2, state: nil, context: .evaluation()) }
    let full = logits.value  // (2, 6, V)
    let v = config.vocabSize
    func expected(at t: Int) -> [Float] { (0..<2).flatMap { b in (0..<v).map { full[b, t, $0] } } }
    // A prompt of 4 tokens per sequence in one pass, then 1 more, then the last as a step: each gives the logits
    // of the full window's position.
    let decoder = model.makeDecoder(batch: 2)
    let first = Array(decoder.prefill([tokens[0], tokens[1], tokens[2], tokens[3]] + tokens[6..<10], time: 4))
    #expect(relativeError(first, expected(at: 3)) < 1e-5, "\(config.kind) \(config.positional) prefill of 4")
    let second = Array(decoder.prefill([tokens[4], tokens[10]], time: 1))
    #expect(relativeError(second, expected(at: 4)) < 1e-5, "\(config.kind) \(config.positional) prefill of 1")
    let third = Array(decoder.step([tokens[5], tokens[11]]))
    #expect(relativeError(third, expected(at: 5)) < 1e-5, "\(config.kind) \(config.positional) step after")
    #expect(decoder.consumed == 6)
    // A prompt longer than the window (6) slides as stepping does.
    let long = (0..<9).map { $0 % 7 }
    let stepped = model.makeDecoder(batch: 1)
    var last: [Float] = []
    for id in long { last = Array(stepped.step([id])) }
    let reader = model.makeDecoder(batch: 1)  // held: the logits live in its buffer
    let prefilled = Array(reader.prefill(long, time: long.count))
    #expect(relativeError(prefilled, last) < 1e-5, "\(config.kind) \(config.positional) past the window")
}

/// A decoder of several sequences packs the weights for its products; after `reset()` (a new generation) it must
/// see weights changed in between, as training between two console samples changes them.
@Test func aResetDecoderSeesChangedWeights() throws {
    let model = try makeModel(tinyConfig(.transformer), seed: 8)
    let decoder = model.makeDecoder(batch: 2)
    _ = decoder.step([tokens[0], tokens[6]])
    let weights = model.arena.flatValues
    for i in 0..<weights.count { weights.pointer[i] *= 1.5 }
    decoder.reset()
    let step = Array(decoder.step([tokens[0], tokens[6]]))
    let (logits, _) = withoutGradients { model.forward(tokens, batch: 2, state: nil, context: .evaluation()) }
    let v = model.config.vocabSize
    #expect(relativeError(step, (0..<2).flatMap { b in (0..<v).map { logits.value[b, 0, $0] } }) < 1e-5)
}

@Test func transformerKeepsDecodingPastTheContext() throws {
    let model = try makeModel(tinyConfig(.transformer), seed: 5)
    let decoder = model.makeDecoder(batch: 1)
    for i in 0..<20 { _ = decoder.step([i % 7]) }
    #expect(decoder.consumed == 20)
    // After a slide the cache holds the most recent tokens re-encoded from position 0: the next
    // logits equal a full-window forward over that suffix.
    let decoder2 = model.makeDecoder(batch: 1)
    let sequence = (0..<7).map { $0 % 7 }
    var last: [Float] = []
    for id in sequence { last = Array(decoder2.step([id])) }
    let suffix = Array(sequence.suffix(4))  // 6 / 2 = 3 kept, then the 7th token
    let (logits, _) = withoutGradients { model.forward(suffix, batch: 1, state: nil, context: .evaluation()) }
    let expected = (0..<7).map { logits.value[0, 3, $0] }
    #expect(relativeError(last, expected) < 1e-5)
}

@Test func carriedStateContinuesTheSequence() throws {
    let model = try makeModel(tinyConfig(.lstm), seed: 6)
    let context = ForwardContext.evaluation()
    let (whole, _) = model.forward(tokens, batch: 1, state: nil, context: context)  // (1, 12, V)
    let (first, state) = model.forward(Array(tokens[..<5]), batch: 1, state: nil, context: context)
    let (second, _) = model.forward(Array(tokens[5...]), batch: 1, state: state?.detached(), context: context)
    let joined = first.value.toArray() + second.value.toArray()
    #expect(relativeError(joined, whole.value.toArray()) < 1e-5)
}

@Test(arguments: tinyConfigs)
func savedAndLoadedModelGivesBitIdenticalLogits(config: ModelConfig) throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    let model = try makeModel(config, seed: 7)
    try model.save(to: url)
    let other = try makeModel(config, seed: 8)
    try other.load(from: url)
    let context = ForwardContext.evaluation()
    let a = model.forward(tokens, batch: 2, state: nil, context: context).logits.value.toArray()
    let b = other.forward(tokens, batch: 2, state: nil, context: context).logits.value.toArray()
    #expect(a == b)
}

@Test func loadingAnotherModelNamesTheTensor() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    var untied = tinyConfig(.lstm)
    untied.hiddenSize = 5  // as wide as the embedding, so it can also be tied
    try makeModel(untied, seed: 1).save(to: url)
    // Tied weights: the file's head.weight is the tied matrix's second name, but its values differ.
    #expect(
        throws: ParameterLoadError.tiedMismatch(
            file: "model.safetensors", name: "embedding.weight", alias: "head.weight", index: 0)
    ) {
        try makeModel(tinyConfig(.lstm, tie: true), seed: 1).load(from: url)
    }
    // Another width: mis-shaped.
    var wider = untied
    wider.hiddenSize = 9
    #expect(
        throws: ParameterLoadError.shapeMismatch(
            file: "model.safetensors", name: "rnn.weight_ih_l0", expected: [36, 5], found: [20, 5])
    ) {
        try makeModel(wider, seed: 1).load(from: url)
    }
    // Without biases in the file: a tensor the model needs is missing.
    var noBias = untied
    noBias.bias = false
    try makeModel(noBias, seed: 1).save(to: url)
    #expect(throws: ParameterLoadError.missing(file: "model.safetensors", name: "rnn.bias_ih_l0")) {
        try makeModel(untied, seed: 1).load(from: url)
    }
    // A failed load leaves the parameters as they were.
    let model = try makeModel(untied, seed: 2)
    let before = model.arena.flatValues.toArray()
    _ = try? model.load(from: url)
    #expect(model.arena.flatValues.toArray() == before)
    // A truncated file is a clear error.
    let bytes = try Data(contentsOf: url)
    try bytes.prefix(bytes.count / 2).write(to: url)
    #expect(throws: SafeTensorsError.self) { try makeModel(noBias, seed: 1).load(from: url) }
}

@Test func makeModelRejectsAnUnsizedOrInvalidConfig() {
    var config = ModelConfig()
    #expect(throws: ConfigError.self) { try makeModel(config, seed: 1) }
    config.vocabSize = 10
    config.heads = 3
    #expect(throws: ConfigError.self) { try makeModel(config, seed: 1) }
}

@Test func summaryTableAndTotals() throws {
    let config = tinyConfig(.transformer)
    let model = try makeModel(config, seed: 1)
    let summary = model.summary(batch: 3)
    #expect(summary.totalParameters == model.arena.count)
    #expect(summary.rows.reduce(0) { $0 + $1.parameters } == model.arena.count)
    #expect(summary.rows.first?.outputShape == [3, 6, 8])
    #expect(summary.description.contains("transformer.h.1"))
    #expect(summary.optimizerBytes == 8 * model.arena.count)
    let recurrent = try makeModel(tinyConfig(.gru), seed: 1).summary(batch: 2)
    #expect(recurrent.rows.map(\.layer) == ["embedding", "rnn", "head"])
}

extension ModelConfig: CustomTestStringConvertible {
    public var testDescription: String { "\(kind) \(positional) tie=\(tieWeights) bias=\(bias) \(nonlinearity)" }
}

/// Wide enough that the decoder's batch-1 products and attention go over the worker team and a slide's
/// 16 kept rows are split between team threads: every step's logits still equal the full-window forward,
/// before and after the slide.
@Test func teamSplitDecodingMatchesTheFullWindow() throws {
    var config = tinyConfig(.transformer, positional: .rotary, tie: true, bias: false)
    config.vocabSize = 65
    config.contextLength = 32
    config.embeddingSize = 128
    config.heads = 4
    let model = try makeModel(config, seed: 9)
    let decoder = model.makeDecoder(batch: 1)
    let sequence = (0..<41).map { ($0 * 7 + 3) % 65 }
    let (window, _) = withoutGradients {
        model.forward(Array(sequence[..<32]), batch: 1, state: nil, context: .evaluation())
    }
    for t in 0..<32 {
        let step = Array(decoder.step([sequence[t]]))
        #expect(relativeError(step, (0..<65).map { window.value[0, t, $0] }) < 1e-4, "t = \(t)")
    }
    var last: [Float] = []
    for t in 32..<41 { last = Array(decoder.step([sequence[t]])) }
    // The slide at the 33rd token kept tokens 16..<32; 9 tokens followed.
    let suffix = Array(sequence[16..<41])
    let (logits, _) = withoutGradients { model.forward(suffix, batch: 1, state: nil, context: .evaluation()) }
    #expect(relativeError(last, (0..<65).map { logits.value[0, 24, $0] }) < 1e-4)
}
