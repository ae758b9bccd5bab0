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
    guard config.vocabSize > 0 else {
        throw ConfigError.invalidValue(
            key: "model.vocabSize", rule: "must be positive; set it, or let the trainer take it from the tokenizer")
    }
    var rng = SeededGenerator(seed: seed)
    switch config.kind {
    case .transformer: return TransformerLM(config, rng: &rng)
    case .rnn, .lstm, .gru: return RecurrentLM(config, rng: &rng)
    }
}
