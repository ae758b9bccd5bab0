import Foundation
import SeqCheckpoint
import SeqModels

/// A model that turns texts into vectors, whichever kind is on disk: a sentence-transformers / Hugging Face BERT
/// folder (``SentenceEncoder``) or a SeqKit run or checkpoint (``TextEncoder``). What `seqembed` runs.
///
/// ```swift
/// let model = try EmbeddingModel(path: URL(fileURLWithPath: "Models/all-MiniLM-L6-v2"))
/// let vectors = try model.embed(["a query", "a document"])
/// ```
public enum EmbeddingModel {
    /// A pretrained sentence encoder.
    case pretrained(SentenceEncoder)
    /// A SeqKit checkpoint's trunk.
    case checkpoint(TextEncoder)

    /// Opens `path`: a folder with a Hugging Face `config.json` of `model_type` "bert" is a pretrained encoder, one
    /// of a GPT-2 (``HuggingFaceGPT2``) a decoder trunk with its tokenizer; anything else is read as a SeqKit run or
    /// checkpoint directory.
    public init(path: URL) throws {
        if HuggingFaceGPT2.isModel(at: path) {
            let trained = try TrainedCheckpoint(path: path)
            self = .checkpoint(try TextEncoder(trunk: trained.model, tokenizer: trained.tokenizer))
            return
        }
        let config = path.appendingPathComponent("config.json")
        if let data = try? Data(contentsOf: config),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            root["model_type"] as? String == "bert"
                || (root["architectures"] as? [String])?.contains("BertModel") == true
        {
            self = .pretrained(try SentenceEncoder(folder: path))
        } else {
            self = .checkpoint(try TextEncoder(path: path))
        }
    }

    /// The pooling names this model takes: the sentence-transformers modes, or a SeqKit trunk's.
    public var poolingNames: [String] {
        switch self {
        case .pretrained: ["mean", "cls", "max", "mean-sqrt-len"]
        case .checkpoint: Pooling.allCases.map(\.rawValue)
        }
    }

    /// Width of every vector.
    public var width: Int {
        switch self {
        case .pretrained(let encoder): encoder.width
        case .checkpoint(let encoder): encoder.width
        }
    }

    /// One vector per text. `pooling` (one of ``poolingNames``) and `normalize` override the model's own settings
    /// (a pretrained folder's pooling and normalization; mean pooling, normalized, for a SeqKit trunk).
    public func embed(
        _ texts: [String], pooling: String? = nil, normalize: Bool? = nil, batchSize: Int = 32
    ) throws -> [[Float]] {
        if let pooling, !poolingNames.contains(pooling) {
            throw EncoderError.unknownPooling(pooling, choices: poolingNames)
        }
        switch self {
        case .pretrained(let encoder):
            let mode: SentencePooling? =
                switch pooling {
                case "mean": .mean
                case "cls": .cls
                case "max": .max
                case "mean-sqrt-len": .meanSqrtLength
                default: nil
                }
            return try encoder.embed(texts, batchSize: batchSize, pooling: mode, normalize: normalize)
        case .checkpoint(let encoder):
            var options = EmbeddingOptions()
            options.pooling = pooling.flatMap(Pooling.init(rawValue:)) ?? .mean
            options.normalize = normalize ?? true
            options.batchSize = batchSize
            return try encoder.embed(texts, options: options)
        }
    }
}
