import Foundation
import SeqConfig
import Testing

@testable import SeqModels

private func model(_ json: String) throws -> ModelConfig {
    var config = try decodeConfig(ModelConfig.self, from: Data(json.utf8), file: "model.json")
    if config.vocabSize == 0 { config.vocabSize = 65 }
    return config
}

/// The count from the config alone must be what the built model's arena really holds.
@Test(arguments: [
    "{}",
    #"{"tieWeights": false, "bias": false, "layers": 2, "mlpRatio": 3}"#,
    #"{"positional": "sinusoidal", "embeddingSize": 48, "heads": 3}"#,
    #"{"positional": "rotary", "contextLength": 32}"#,
    #"{"kind": "lstm", "layers": 2, "embeddingSize": 32, "hiddenSize": 48, "tieWeights": false}"#,
    #"{"kind": "gru", "layers": 3, "embeddingSize": 40}"#,
    #"{"kind": "rnn", "layers": 1, "embeddingSize": 16, "bias": false}"#,
])
func parameterCountIsTheArenaOfTheBuiltModel(json: String) throws {
    let config = try model(json)
    let built = try makeModel(config, seed: 1)
    #expect(config.parameterCount() == built.arena.count)
}

@Test func bidirectionalTrunkCountIsItsArena() throws {
    let config = try model(#"{"kind": "lstm", "layers": 2, "embeddingSize": 24, "bidirectional": true}"#)
    let trunk = try makeEncoder(config, seed: 1)
    #expect(config.parameterCount(head: false) == trunk.arena.count)
}

@Test(arguments: [
    #"{"embeddingSize": 4611686018427387904, "heads": 1}"#,
    #"{"mlpRatio": 4611686018427387904}"#,
    #"{"layers": 4611686018427387904}"#,
    #"{"kind": "lstm", "hiddenSize": 4611686018427387904}"#,
])
func overflowingSizesGiveNilNotATrap(json: String) throws {
    let config = try model(json)
    #expect(config.parameterCount() == nil)
    let estimate = config.trainingMemory(batch: 12, optimizerMoments: 2)
    #expect(estimate.total == nil)
    #expect(throws: ConfigError.self) { try estimate.check(available: Int.max) }
}

@Test func hugeBatchIsRefusedNamingTheBatch() throws {
    let config = try model("{}")
    #expect(config.trainingMemory(batch: 1 << 62, optimizerMoments: 2).total == nil)
    let estimate = config.trainingMemory(batch: 100_000_000, optimizerMoments: 2)
    // tiny-gpt at batch 1e8: activations 4·B·T·(4·(4+6)·128 + 5·128) = 4·6.4e9·5760 bytes ≈ 147 TB.
    #expect(estimate.bytes(of: "activations") == 4 * 6_400_000_000 * 5760)
    do {
        try estimate.check(available: 20_100_000_000)
        Issue.record("expected a refusal")
    } catch let error as ConfigError {
        guard case .tooLarge(_, let largest, let available, let fix) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(largest == "activations of batchSize 100000000 × contextLength 64 × 4 layers")
        #expect(available == 20_100_000_000)
        #expect(fix.hasPrefix("lower training.batchSize"))
        // plus logits 12·6.4e9·65 ≈ 5.0 TB and windows 16·1e8·65 ≈ 0.1 TB
        #expect(error.description.hasPrefix("the config needs about 152.6 TB (largest: activations"))
        #expect(error.description.contains("but 20.1 GB is available; lower training.batchSize"))
    }
}

@Test func smallConfigFitsAndTermsAddUp() throws {
    let config = try model("{}")
    let estimate = config.trainingMemory(batch: 12, optimizerMoments: 2)
    let parameters = try #require(config.parameterCount())
    // values, gradients and two AdamW moments: 16 bytes a parameter
    let weights = estimate.terms.filter { $0.what.hasPrefix("values") }.compactMap(\.bytes).reduce(0, +)
    #expect(weights == 16 * parameters)
    #expect(estimate.total == estimate.terms.compactMap(\.bytes).reduce(0, +))
    try estimate.check(available: 1 << 30)
}

@Test func buildingAModelTooLargeForTheMachineThrowsBeforeAllocating() throws {
    // 10 million 128-wide blocks: about 2e12 parameters, far beyond any machine's memory.
    let config = try model(#"{"layers": 10000000}"#)
    #expect(throws: ConfigError.self) { try makeModel(config, seed: 1) }
    let wide = try model(#"{"embeddingSize": 4611686018427387904, "heads": 1}"#)
    #expect(throws: ConfigError.self) { try makeModel(wide, seed: 1) }
}

@Test func checkedArithmeticReportsOverflow() {
    #expect(checkedProduct([4, 1 << 62]) == nil)
    #expect(checkedProduct([2, 3, nil]) == nil)
    #expect(checkedProduct([2, -3]) == nil)
    #expect(checkedProduct([2, 3]) == 6)
    #expect(checkedSum([Int.max, 1]) == nil)
    #expect(checkedSum([2, 3]) == 5)
    #expect(formatBytes(20_100_000_000) == "20.1 GB")
}
