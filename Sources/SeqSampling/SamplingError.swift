import SeqConfig

/// A bad generation or scoring request: a setting outside its range, two settings that contradict each
/// other, or token ids the model cannot take. The ``description`` is one line naming the problem and the fix.
///
/// ```swift
/// try GenerationOptions(temperature: 0).validate(vocabSize: 65)
/// // throws: temperature = 0 is invalid: must be > 0 (use greedy for argmax decoding)
/// ```
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// A setting outside its range: `name = value` breaks `rule`.
    case invalidSetting(name: String, value: String, rule: String)
    /// Two settings that cannot be used together, and why.
    case contradictory(first: String, second: String, reason: String)
    /// Generation needs at least one prompt token.
    case emptyPrompt
    /// A transformer prompt longer than the model's context window.
    case promptTooLong(count: Int, contextLength: Int)
    /// A token id outside `0..<vocabSize`, at `index` of the named input.
    case tokenOutOfRange(input: String, index: Int, token: Int, vocabSize: Int)
    /// Scoring needs at least two tokens (the first is context only).
    case textTooShort(count: Int)
    /// A stop string must have at least one character.
    case emptyStopString
    /// Generating with `setting = value` needs about `bytes` (nil: more than `Int` counts) but only
    /// `available` can be had; `largest` is the most that fits with the other settings as they are.
    case tooLarge(setting: String, value: Int, bytes: Int?, available: Int, largest: Int)

    public var description: String {
        switch self {
        case .invalidSetting(let name, let value, let rule):
            "\(name) = \(value) is invalid: \(rule)"
        case .contradictory(let first, let second, let reason):
            "\(first) contradicts \(second): \(reason)"
        case .emptyPrompt:
            "the prompt is empty: pass at least one token id (for example the tokenizer's newline or start token)"
        case .promptTooLong(let count, let contextLength):
            "the prompt has \(count) tokens but the model's context is \(contextLength): shorten the prompt"
        case .tokenOutOfRange(let input, let index, let token, let vocabSize):
            "\(input) token \(token) at index \(index) is outside the vocabulary 0..<\(vocabSize): "
                + "use the tokenizer the model was trained with"
        case .textTooShort(let count):
            "scoring needs at least 2 tokens (the first is only context), got \(count): score a longer text"
        case .emptyStopString:
            "a stop string is empty: give each stop string at least one character"
        case .tooLarge(let setting, let value, let bytes, let available, let largest):
            "\(setting) = \(value) needs "
                + (bytes.map { "about \(formatBytes($0))" } ?? "more memory than can be counted")
                + " but \(formatBytes(available)) is available: "
                + (largest > 0 ? "ask for at most \(largest)" : "lower the other counts first")
        }
    }
}

/// Throws ``SamplingError/tokenOutOfRange(input:index:token:vocabSize:)`` for the first id outside the vocabulary.
func checkTokens(_ tokens: [Int], vocabSize: Int, input: String) throws {
    for (i, t) in tokens.enumerated() where t < 0 || t >= vocabSize {
        throw SamplingError.tokenOutOfRange(input: input, index: i, token: t, vocabSize: vocabSize)
    }
}
