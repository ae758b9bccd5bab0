/// A problem with a text or an option given to a ``TextEncoder``; its description is one line naming the
/// problem and the fix.
///
/// ```swift
/// do { _ = try encoder.embed([""]) } catch let error as EncoderError { print(error) }
/// // text 0 encodes to no tokens; pass non-empty text
/// ```
public enum EncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text at this index encodes to zero tokens.
    case emptyText(index: Int)
    /// `layer` is outside `1...layers`.
    case layerOutOfRange(layer: Int, layers: Int)
    /// `batchSize` is below 1.
    case invalidBatchSize(Int)
    /// The tokenizer has more ids than the model's vocabulary.
    case vocabularyMismatch(tokenizer: Int, model: Int)
    /// The token ids at this index are empty or more than the model reads.
    case invalidTokenCount(index: Int, count: Int, limit: Int)
    /// Text was given to an encoder made without a tokenizer.
    case noTokenizer
    /// A pooling this model does not offer.
    case unknownPooling(String, choices: [String])

    /// One line: the problem, then the fix.
    public var description: String {
        switch self {
        case .emptyText(let index): "text \(index) encodes to no tokens; pass non-empty text"
        case .layerOutOfRange(let layer, let layers):
            "layer \(layer) does not exist; pick one of 1...\(layers), or nil for the final output"
        case .invalidBatchSize(let n): "batch size \(n) is below 1; use 1 or more (32 is a good default)"
        case .vocabularyMismatch(let tokenizer, let model):
            "the tokenizer has \(tokenizer) ids but the model only \(model); load the tokenizer the model was "
                + "trained with"
        case .invalidTokenCount(let index, let count, let limit):
            "token ids \(index) are \(count) long; give 1...\(limit) ids (truncate longer inputs)"
        case .noTokenizer: "this encoder has no tokenizer; embed token ids, or load the folder with its tokenizer.json"
        case .unknownPooling(let name, let choices):
            "pooling '\(name)' is not one this model offers; use one of \(choices.joined(separator: ", "))"
        }
    }
}
