import Foundation
import SeqCheckpoint
import SeqTensor
import SeqTokenizers

/// A trained text classifier: the folder `seqtrain` writes for a `"task": "classify"` config (`model/`,
/// `classifier.json`, `tokenizer.json`), read back to give label probabilities.
///
/// ```swift
/// let classifier = try TextClassifier(path: URL(fileURLWithPath: "runs/shakespeare-genres"))
/// let ranked = try classifier.classify("O, I am fortune's fool!")   // [("tragedy", 0.81), ("comedy", 0.12), …]
/// ```
public final class TextClassifier {
    /// `classifier.json`: what turns text into the model's input and its output into labels.
    public struct Description: Codable, Sendable, Equatable {
        /// The labels, in the order of the model's outputs.
        public var classes: [String]
        /// Tokens per text.
        public var maxTokens: Int
        /// The id that pads short texts (-1 for a pretrained encoder, which skips it).
        public var padID: Int
        /// `tokenizer.json` beside it, or nil when the model's pretrained encoder tokenizes.
        public var tokenizer: String?
    }

    /// The file names of a classifier folder.
    public static let descriptionFile = "classifier.json"
    /// The composed model, saved by ``Model/save(to:)``.
    public static let modelFolder = "model"

    /// The composed model.
    public let model: Model
    /// The labels and input settings.
    public let description: Description
    let tokenizer: (any Tokenizer)?

    /// A classifier from its parts (the task builds one after training).
    init(model: Model, description: Description, tokenizer: (any Tokenizer)?) {
        self.model = model
        self.description = description
        self.tokenizer = tokenizer
    }

    /// Loads a classifier folder written by `seqtrain` with a classification config.
    public convenience init(path: URL) throws {
        let url = path.appendingPathComponent(Self.descriptionFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FileError(
                path: url.path, problem: "is missing",
                fix: "give the run folder of a seqtrain classification config (\"task\": \"classify\")")
        }
        let description: Description
        do {
            description = try JSONDecoder().decode(Description.self, from: data)
        } catch {
            throw FileError(path: url.path, problem: "is not a classifier description", fix: "train the run again")
        }
        let model = try Model.load(from: path.appendingPathComponent(Self.modelFolder))
        var tokenizer: (any Tokenizer)?
        if let name = description.tokenizer { tokenizer = try loadTokenizer(from: path.appendingPathComponent(name)) }
        self.init(model: model, description: description, tokenizer: tokenizer)
    }

    /// The model's input for `texts`: (N, maxTokens) token ids.
    public func tokenMatrix(_ texts: [String]) throws -> Tensor {
        if let encoder = model.layers.first as? PretrainedEncoder {
            return try encoder.tokenMatrix(texts, length: description.maxTokens)
        }
        guard let tokenizer else {
            throw ModelError.malformedModel("the classifier has neither a tokenizer nor a pretrained encoder")
        }
        return try LabeledTexts(texts: texts, labels: texts.map { _ in "" }).tokenMatrix(
            tokenizer: tokenizer, length: description.maxTokens, padID: description.padID)
    }

    /// Each text's label probabilities, in the order of ``Description/classes``.
    public func probabilities(_ texts: [String]) throws -> [[Double]] {
        let p = try model.predict(try tokenMatrix(texts))
        let k = description.classes.count
        return (0..<texts.count).map { r in (0..<k).map { Double(p.pointer[r * k + $0]) } }
    }

    /// The labels of `text`, most likely first, with their probabilities.
    public func classify(_ text: String) throws -> [(label: String, probability: Double)] {
        let p = try probabilities([text])[0]
        return zip(description.classes, p).map { ($0, $1) }.sorted { $0.probability > $1.probability }
    }
}
