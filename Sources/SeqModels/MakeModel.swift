import SeqAutograd
import SeqConfig
import SeqNN
import SeqTensor

/// Builds the model a config describes, initialised from `seed`: every kind is
/// `embedding → blocks → (final norm) → head`, so kinds are interchangeable.
///
/// ```swift
/// var config = ModelConfig()
/// config.vocabSize = 65
/// let model = try makeModel(config, seed: 1337)   // a 4-layer transformer
/// ```
///
/// An encoder-only config (`causal: false`, `bidirectional: true`) is an error here: build it with
/// ``makeEncoder(_:seed:)``.
public func makeModel(_ config: ModelConfig, seed: UInt64) throws -> any LanguageModel {
    try config.validateForLanguageModel()
    return try buildModel(
        config, head: true, seed: seed, vocabularyFix: "set it, or let the trainer take it from the tokenizer")
}

/// The model of `config.kind` (validated by the caller) with weights from `seed`, with or without its head;
/// `vocabularyFix` says how to set a missing vocabulary size.
func buildModel(_ config: ModelConfig, head: Bool, seed: UInt64, vocabularyFix: String) throws -> any LanguageModel {
    guard config.vocabSize > 0 else {
        throw ConfigError.invalidValue(key: "model.vocabSize", rule: "must be positive; \(vocabularyFix)")
    }
    // Refused before the arena allocates anything: a size that does not fit must be an error, not a trap.
    try config.trainingMemory(batch: 0, optimizerMoments: 0).check(available: availableMemory())
    var rng = SeededGenerator(seed: seed)
    switch config.kind {
    case .transformer: return TransformerLM(config, head: head, rng: &rng)
    case .rnn, .lstm, .gru: return RecurrentLM(config, head: head, rng: &rng)
    }
}
