import Foundation
import SeqConfig
import SeqTensor

/// The architecture of the blocks between the embedding and the head.
///
/// ```json
/// "model": { "kind": "lstm" }
/// ```
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// Elman RNN: `h' = nonlinearity(W_ih x + W_hh h + b)`.
    case rnn
    /// LSTM with PyTorch's gate order i, f, g, o.
    case lstm
    /// GRU with PyTorch's gate order r, z, n.
    case gru
    /// GPT-2 style pre-norm transformer: `x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))`.
    case transformer

    /// True for the kinds that carry a hidden state from step to step (`rnn`, `lstm`, `gru`).
    public var isRecurrent: Bool { self != .transformer }

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// How a transformer learns where a token sits in the window.
///
/// `learned` adds a trained `wpe` row per position; `sinusoidal` adds fixed sines and cosines;
/// `rotary` rotates query and key pairs by `t·θ_i`; `none` adds nothing.
public enum PositionalEncoding: String, Codable, CaseIterable, Sendable {
    /// A trained embedding row per position (GPT-2's `wpe`).
    case learned
    /// Fixed `sin(t / 10000^(2i/C))`, `cos(...)` added to the token embedding.
    case sinusoidal
    /// Rotary embedding of queries and keys; needs an even head size.
    case rotary
    /// No position signal (the causal mask alone).
    case none

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// The squashing function of a plain RNN cell: `h' = f(W_ih x + W_hh h + b)`.
public enum Nonlinearity: String, Codable, CaseIterable, Sendable {
    /// `f = tanh`, PyTorch's default.
    case tanh
    /// `f = max(0, ·)`.
    case relu

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// The transformer MLP's activation, `c_proj(act(c_fc(x)))`.
///
/// `"model": { "activation": "gelu_tanh" }`
public enum Activation: String, Codable, CaseIterable, Sendable {
    /// Exact GELU `x·Φ(x) = ½x(1 + erf(x/√2))`: PyTorch's `nn.GELU()`, nanoGPT. The default.
    case gelu
    /// GELU's tanh approximation `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (GPT-2), within about 1e-3 of the exact
    /// one. A checkpoint whose config.json has no `activation` was trained with it.
    case geluTanh = "gelu_tanh"

    /// The kernel form: `.gelu` → `.exact`, `.geluTanh` → `.tanh`.
    public var gelu: GELU {
        switch self {
        case .gelu: .exact
        case .geluTanh: .tanh
        }
    }

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// Decodes one of a closed set of lowercase strings, or throws an error that names the key and lists the choices.
///
/// `"kind": "LSTM"` → `invalid value for 'model.kind': must be one of rnn, lstm, gru, transformer; got 'LSTM' (did you mean 'lstm'?)`
package func decodeChoice<Choice: RawRepresentable & CaseIterable>(
    _ type: Choice.Type, from decoder: any Decoder
) throws -> Choice where Choice.RawValue == String {
    let text = try decoder.singleValueContainer().decode(String.self)
    if let choice = Choice(rawValue: text) { return choice }
    let choices = Choice.allCases.map(\.rawValue)
    let key = decoder.codingPath.map(\.stringValue).joined(separator: ".")
    // Short words are all within two edits of each other ("rope" → "none"), so only longer ones get a guess.
    let guess = choices.first { $0 == text.lowercased() } ?? (text.count >= 5 ? nearestKey(to: text, in: choices) : nil)
    let hint = guess.map { " (did you mean '\($0)'?)" } ?? ""
    throw ConfigError.invalidValue(
        key: key, rule: "must be one of \(choices.joined(separator: ", ")); got '\(text)'\(hint)")
}

extension KeyedDecodingContainer {
    /// Decodes an optional whole number, turning a fraction or an out-of-range number into an error that names
    /// the key (Foundation on Linux reports those as "not valid JSON" with no key).
    ///
    /// `"layers": 2.5` → `invalid value for 'model.layers': must be a whole number from … to …; got 2.5`
    package func decodeWholeIfPresent<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch let original {
            guard let number = try? decodeIfPresent(Double.self, forKey: key) else { throw original }
            let path = (codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigError.invalidValue(
                key: path, rule: "must be a whole number from \(T.min) to \(T.max); got \(number)")
        }
    }
}

/// The shape of a language model: `embedding → blocks → final norm (transformer) → head`.
///
/// Every field has a default, so `{}` is a valid model section (a 4-layer, 4-head, 128-wide transformer):
/// ```swift
/// let config = try decodeConfig(ModelConfig.self, from: Data(#"{"kind": "lstm", "layers": 2}"#.utf8), file: "m.json")
/// try config.validate()
/// ```
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Block architecture: rnn, lstm, gru or transformer.
    public var kind: ModelKind = .transformer
    /// Number of token ids; 0 = taken from the tokenizer.
    public var vocabSize: Int = 0
    /// Tokens per training window: the attention window, or the truncated-BPTT length for recurrent kinds.
    public var contextLength: Int = 64
    /// Width of the token embedding (and of the transformer's residual stream).
    public var embeddingSize: Int = 128
    /// Width of a recurrent layer's hidden state; 0 = same as embeddingSize. Unused by the transformer.
    public var hiddenSize: Int = 0
    /// Number of stacked blocks (transformer blocks or recurrent layers).
    public var layers: Int = 4
    /// Attention heads per transformer block; must divide embeddingSize.
    public var heads: Int = 4
    /// Transformer MLP width as a multiple of embeddingSize (GPT-2: 4).
    public var mlpRatio: Int = 4
    /// Dropout probability on embeddings, attention, residuals and between recurrent layers, in [0, 1).
    public var dropout: Double = 0
    /// Whether Linear and LayerNorm layers carry a bias.
    public var bias: Bool = true
    /// Share one matrix between the token embedding and the output head.
    public var tieWeights: Bool = true
    /// Position signal of the transformer: learned, sinusoidal, rotary or none.
    public var positional: PositionalEncoding = .learned
    /// Cell nonlinearity of the plain rnn kind: tanh or relu.
    public var nonlinearity: Nonlinearity = .tanh
    /// Transformer only. True = each position sees only earlier ones (a language model); false = every
    /// position sees the whole window: an encoder for ``makeEncoder(_:seed:)``, which cannot be trained
    /// or sampled for next-token prediction. `"model": {"kind": "transformer", "causal": false}`
    public var causal: Bool = true
    /// Recurrent kinds only. True = each layer also reads the window backwards and outputs both directions
    /// (`2 · hiddenSize` wide, PyTorch's `bidirectional=True`): an encoder only, as with `causal: false`.
    /// `"model": {"kind": "lstm", "bidirectional": true}`
    public var bidirectional: Bool = false
    /// Standard deviation of the normal initialisation of weight matrices.
    public var initStd: Double = 0.02
    /// Transformer only: the MLP's activation, `gelu` (exact, as PyTorch and nanoGPT) or `gelu_tanh` (GPT-2's
    /// approximation). Missing from a checkpoint's config.json, it means `gelu_tanh` (see
    /// `TrainingConfig.decodeCheckpointConfig`).
    public var activation: Activation = .gelu

    /// The defaults: a 4-layer, 4-head, 128-wide causal transformer with a 64-token window.
    public init() {}

    /// The width of one recurrent layer: `hiddenSize`, or `embeddingSize` when `hiddenSize` is 0.
    public var resolvedHiddenSize: Int { hiddenSize == 0 ? embeddingSize : hiddenSize }

    /// The width of one attention head: `embeddingSize / heads` (0 when heads is 0).
    public var headSize: Int { heads > 0 ? embeddingSize / heads : 0 }

    /// The config keys, in the order they are documented.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, vocabSize, contextLength, embeddingSize, hiddenSize, layers, heads, mlpRatio, dropout, bias
        case tieWeights, positional, nonlinearity, causal, bidirectional, initStd
        case activation
    }

    /// Decodes a model section; a missing key keeps its default, an unknown key names the nearest valid one.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(ModelKind.self, forKey: .kind) ?? kind
        vocabSize = try c.decodeWholeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        contextLength = try c.decodeWholeIfPresent(Int.self, forKey: .contextLength) ?? contextLength
        embeddingSize = try c.decodeWholeIfPresent(Int.self, forKey: .embeddingSize) ?? embeddingSize
        hiddenSize = try c.decodeWholeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layers = try c.decodeWholeIfPresent(Int.self, forKey: .layers) ?? layers
        heads = try c.decodeWholeIfPresent(Int.self, forKey: .heads) ?? heads
        mlpRatio = try c.decodeWholeIfPresent(Int.self, forKey: .mlpRatio) ?? mlpRatio
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? dropout
        bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? bias
        tieWeights = try c.decodeIfPresent(Bool.self, forKey: .tieWeights) ?? tieWeights
        positional = try c.decodeIfPresent(PositionalEncoding.self, forKey: .positional) ?? positional
        nonlinearity = try c.decodeIfPresent(Nonlinearity.self, forKey: .nonlinearity) ?? nonlinearity
        causal = try c.decodeIfPresent(Bool.self, forKey: .causal) ?? causal
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? bidirectional
        initStd = try c.decodeIfPresent(Double.self, forKey: .initStd) ?? initStd
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? activation
    }

    /// Checks every rule that needs no tokenizer or corpus; the error names the key (`model.heads`) and the rule.
    ///
    /// `heads: 3, embeddingSize: 128` → `invalid value for 'model.heads': must divide model.embeddingSize (128 % 3 = 2)`
    public func validate() throws {
        func fail(_ key: CodingKeys, _ rule: String) -> ConfigError {
            ConfigError.invalidValue(key: "model.\(key.stringValue)", rule: rule)
        }
        if vocabSize < 0 { throw fail(.vocabSize, "must be 0 (from the tokenizer) or positive; got \(vocabSize)") }
        if vocabSize == 1 { throw fail(.vocabSize, "must be at least 2 to predict anything; got 1") }
        if contextLength < 1 { throw fail(.contextLength, "must be at least 1; got \(contextLength)") }
        if embeddingSize < 1 { throw fail(.embeddingSize, "must be at least 1; got \(embeddingSize)") }
        if hiddenSize < 0 {
            throw fail(.hiddenSize, "must be 0 (same as embeddingSize) or positive; got \(hiddenSize)")
        }
        if layers < 1 { throw fail(.layers, "must be at least 1; got \(layers)") }
        if !(dropout >= 0 && dropout < 1) { throw fail(.dropout, "must be in [0, 1); got \(dropout)") }
        if !(initStd > 0 && initStd.isFinite) { throw fail(.initStd, "must be a positive number; got \(initStd)") }
        switch kind {
        case .transformer:
            if heads < 1 { throw fail(.heads, "must be at least 1; got \(heads)") }
            if embeddingSize % heads != 0 {
                throw fail(
                    .heads,
                    "must divide model.embeddingSize (\(embeddingSize) % \(heads) = \(embeddingSize % heads)); "
                        + "pick heads from \(divisors(of: embeddingSize).map(String.init).joined(separator: ", "))")
            }
            if mlpRatio < 1 { throw fail(.mlpRatio, "must be at least 1; got \(mlpRatio)") }
            if bidirectional {
                throw fail(
                    .bidirectional,
                    "applies to rnn, lstm and gru; a transformer sees both directions with model.causal: false")
            }
            if positional == .rotary && headSize % 2 != 0 {
                throw fail(
                    .positional,
                    "rotary needs an even head size, but embeddingSize / heads = \(embeddingSize) / \(heads) "
                        + "= \(headSize); change heads or embeddingSize, or use learned")
            }
        case .rnn, .lstm, .gru:
            if !causal {
                throw fail(
                    .causal,
                    "applies to the transformer; a recurrent encoder reads both directions with "
                        + "model.bidirectional: true")
            }
            if tieWeights && !bidirectional && resolvedHiddenSize != embeddingSize {
                throw fail(
                    .tieWeights,
                    "tying the head to the embedding needs hiddenSize == embeddingSize (\(hiddenSize) != "
                        + "\(embeddingSize)); set model.hiddenSize to 0 or \(embeddingSize), or tieWeights to false")
            }
        }
    }
}

extension ModelConfig {
    /// True for the encoder-only shapes (`causal: false` or `bidirectional: true`): each position sees
    /// tokens after it, so the model cannot learn or sample next tokens; ``makeEncoder(_:seed:)`` builds it.
    ///
    /// `var c = ModelConfig(); c.causal = false; c.isEncoderOnly  // true`
    public var isEncoderOnly: Bool { !causal || bidirectional }

    /// Width of the trunk's hidden states: `embeddingSize` for the transformer, `hiddenSize` (times 2 when
    /// bidirectional) for the recurrent kinds.
    ///
    /// `{"kind": "gru", "hiddenSize": 64, "bidirectional": true}` → `trunkWidth == 128`
    public var trunkWidth: Int { kind.isRecurrent ? (bidirectional ? 2 : 1) * resolvedHiddenSize : embeddingSize }

    /// ``validate()`` plus the rule for next-token models (training, sampling): not encoder-only.
    ///
    /// `causal: false` → `invalid value for 'model.causal': false makes an encoder that sees later tokens, …`
    public func validateForLanguageModel() throws {
        try validate()
        if !causal {
            throw ConfigError.invalidValue(
                key: "model.causal",
                rule: "false makes an encoder that sees later tokens, so it cannot be trained or sampled for "
                    + "next-token prediction; set it to true (use causal: false only with TextEncoder)")
        }
        if bidirectional {
            throw ConfigError.invalidValue(
                key: "model.bidirectional",
                rule: "true makes an encoder that sees later tokens, so it cannot be trained or sampled for "
                    + "next-token prediction; set it to false (use bidirectional: true only with TextEncoder)")
        }
    }

    /// This config with `vocabSize` taken from the tokenizer when it is 0, after checking that a set one fits.
    ///
    /// A larger `vocabSize` than the tokenizer's is allowed (padding rows, as nanoGPT's 50304); a smaller one is
    /// an error: `vocabSize: 50` with a 65-token tokenizer →
    /// `invalid value for 'model.vocabSize': … set it to 0 (from the tokenizer) or at least 65`.
    public func resolved(tokenizerVocabularySize: Int) throws -> ModelConfig {
        if tokenizerVocabularySize < 2 {
            throw ConfigError.invalidValue(
                key: "model.vocabSize",
                rule: "the tokenizer has \(tokenizerVocabularySize) tokens, too few to train on; train it on more text")
        }
        var config = self
        if vocabSize == 0 {
            config.vocabSize = tokenizerVocabularySize
        } else if vocabSize < tokenizerVocabularySize {
            throw ConfigError.invalidValue(
                key: "model.vocabSize",
                rule: "\(vocabSize) is smaller than the tokenizer's \(tokenizerVocabularySize) tokens; set it to 0 "
                    + "(from the tokenizer) or at least \(tokenizerVocabularySize)")
        }
        return config
    }
}

/// The divisors of `n` up to `limit` in increasing order, for error messages: `divisors(of: 12) == [1, 2, 3, 4, 6, 12]`.
/// Bounded so that an absurd size in a config costs a few hundred steps, not a walk to √n.
func divisors(of n: Int, upTo limit: Int = 256) -> [Int] {
    guard n > 0 else { return [] }
    return (1...min(n, limit)).filter { n % $0 == 0 }
}
