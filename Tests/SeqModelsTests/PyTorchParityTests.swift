import Foundation
import SeqAutograd
import SeqModels
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

/// The fixtures' models (Tests/Fixtures/README.md): vocabulary 11, batch 2, time 7.
private func fixtureConfig(_ name: String) -> ModelConfig {
    var config = ModelConfig()
    config.vocabSize = 11
    config.layers = 2
    config.bias = true
    config.tieWeights = false
    switch name {
    case "lm_gpt", "lm_gpt_gelu":
        config.kind = .transformer
        config.embeddingSize = 16
        config.heads = 2
        config.contextLength = 8
        config.activation = name == "lm_gpt" ? .geluTanh : .gelu
    default:
        config.kind = name == "lm_rnn" ? .rnn : name == "lm_lstm" ? .lstm : .gru
        config.embeddingSize = 8
        config.hiddenSize = 12
        config.contextLength = 7
    }
    return config
}

@Test(arguments: ["lm_gpt", "lm_gpt_gelu", "lm_rnn", "lm_lstm", "lm_gru"])
func logitsLossAndGradientsMatchPyTorch(name: String) throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("\(name).safetensors"))
    let model = try makeModel(fixtureConfig(name), seed: 1)
    for slot in model.arena.slots {
        try file.copyFloats(slot.name, into: model.arena.value(of: slot).mutableBuffer)
    }
    let inputs = try file.ints("inputs")
    let targets = try file.ints("targets")
    let (logits, _) = model.forward(inputs, batch: 2, state: nil, context: .evaluation())
    #expect(logits.shape == [2, 7, 11])
    #expect(relativeError(logits.value.toArray(), try file.floats("logits")) < 1e-4, "\(name) logits")
    let loss = crossEntropy(logits, targets: targets)
    let expectedLoss = try file.floats("loss")[0]
    #expect(abs(loss.value.item - expectedLoss) / abs(expectedLoss) < 1e-4, "\(name) loss")
    model.arena.zeroGradients()
    loss.backward()
    for slot in model.arena.slots {
        let expected = try file.floats("grad.\(slot.name)")
        let error = relativeError(model.arena.gradient(of: slot).toArray(), expected)
        #expect(error < 1e-3, "\(name) grad.\(slot.name): \(error)")
    }
}

/// The graph-free decoder (one token at a time through `Linear.infer` with the MLP's GELU) gives PyTorch's
/// logits for both GELU forms, and the fixture pair tells the forms apart: the other form misses by far more.
@Test(arguments: ["lm_gpt", "lm_gpt_gelu"])
func decodingMatchesPyTorchWithEitherGELU(name: String) throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("\(name).safetensors"))
    let expected = try file.floats("logits")  // (2, 7, 11)
    let inputs = try file.ints("inputs")  // (2, 7)
    var errors: [Activation: Double] = [:]
    for activation in Activation.allCases {
        var config = fixtureConfig(name)
        config.activation = activation
        let model = try makeModel(config, seed: 1)
        for slot in model.arena.slots {
            try file.copyFloats(slot.name, into: model.arena.value(of: slot).mutableBuffer)
        }
        let decoder = model.makeDecoder(batch: 2)
        var stepped = [Float](repeating: 0, count: expected.count)
        for t in 0..<7 {
            let logits = Array(decoder.step([inputs[t], inputs[7 + t]]))  // (2, 11)
            for b in 0..<2 { for v in 0..<11 { stepped[(b * 7 + t) * 11 + v] = logits[b * 11 + v] } }
        }
        errors[activation] = relativeError(stepped, expected)
    }
    let (right, wrong): (Activation, Activation) = name == "lm_gpt" ? (.geluTanh, .gelu) : (.gelu, .geluTanh)
    #expect(errors[right]! < 1e-5, "\(name) with \(right): \(errors[right]!)")
    #expect(errors[wrong]! > 1e-4, "\(name) with \(wrong): \(errors[wrong]!)")
}

/// tiny-gpt's parameter count against its PyTorch twin, counted by Tests/Fixtures/make_fixtures.py.
@Test func tinyGPTParameterCountMatchesThePyTorchTwin() throws {
    let counts = try JSONDecoder().decode(
        [String: Int].self, from: Data(contentsOf: fixtureURL("twin_parameter_counts.json")))
    var config = ModelConfig()  // tiny-gpt: 4 layers, 4 heads, width 128, context 64, no bias, tied
    config.vocabSize = 65
    config.bias = false
    config.tieWeights = true
    let gpt = try makeModel(config, seed: 1)
    #expect(gpt.summary(batch: 12).totalParameters == counts["tiny-gpt"])
    config.kind = .lstm
    config.layers = 2
    config.bias = true
    config.tieWeights = false
    config.contextLength = 50
    let lstm = try makeModel(config, seed: 1)
    #expect(lstm.summary(batch: 50).totalParameters == counts["char-lstm"])
}

/// tiny-gpt ties its head to the token embedding as nanoGPT does: the same logits and gradients as the tied PyTorch
/// twin, and a saved `model.safetensors` holds exactly the keys of the twin's `state_dict`, `lm_head.weight`
/// included, so it loads into nanoGPT with `load_state_dict(strict=True)`.
@Test func tiedGPTMatchesNanoGPTAndSavesEveryStateDictKey() throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("lm_gpt_tied.safetensors"))
    var config = fixtureConfig("lm_gpt")  // GELU's tanh form, as the fixture
    config.tieWeights = true
    let model = try makeModel(config, seed: 1)
    for slot in model.arena.slots {
        try file.copyFloats(slot.name, into: model.arena.value(of: slot).mutableBuffer)
    }
    let (logits, _) = model.forward(try file.ints("inputs"), batch: 2, state: nil, context: .evaluation())
    #expect(relativeError(logits.value.toArray(), try file.floats("logits")) < 1e-4)
    let loss = crossEntropy(logits, targets: try file.ints("targets"))
    model.arena.zeroGradients()
    loss.backward()
    for slot in model.arena.slots {
        let error = relativeError(model.arena.gradient(of: slot).toArray(), try file.floats("grad.\(slot.name)"))
        #expect(error < 1e-3, "grad.\(slot.name): \(error)")
    }

    let info = try #require(file.metadata["fixture"].flatMap { Data($0.utf8) })
    let fixture = try #require(try JSONSerialization.jsonObject(with: info) as? [String: String])
    let stateDictKeys = try #require(fixture["state_dict"]).split(separator: ",").map(String.init)
    #expect(stateDictKeys.contains("lm_head.weight"))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-tied-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try model.save(to: url)
    let saved = try SafeTensorsFile(contentsOf: url)
    #expect(Set(saved.names) == Set(stateDictKeys))
    #expect(try saved.floats("lm_head.weight") == saved.floats("transformer.wte.weight"))
    // And it loads back, both names agreeing.
    let reloaded = try makeModel(config, seed: 2)
    try reloaded.load(from: url)
    let again = reloaded.forward(try file.ints("inputs"), batch: 2, state: nil, context: .evaluation()).logits
    #expect(again.value.toArray() == logits.value.toArray())
}
