import Foundation
import SeqCheckpoint
import SeqModels
import SeqTensor
import SeqTokenizers

/// How sentence-transformers turns token states into one vector (`1_Pooling/config.json`).
public enum SentencePooling: String, Sendable, CaseIterable {
    /// The mean of the tokens' states (`pooling_mode_mean_tokens`).
    case mean
    /// The first token's state, `[CLS]` (`pooling_mode_cls_token`).
    case cls
    /// The largest value of each dimension over the tokens (`pooling_mode_max_tokens`).
    case max
    /// The sum divided by √(token count) (`pooling_mode_mean_sqrt_len_tokens`).
    case meanSqrtLength
}

/// A sentence-transformers model folder (all-MiniLM-L6-v2 and other BERT-based ones): the `BertModel` in the
/// folder, its pooling (`1_Pooling/config.json`), whether it normalizes (`2_Normalize` in `modules.json`), its
/// `max_seq_length` (`sentence_bert_config.json`) and its `tokenizer.json`. ``embed(_:batchSize:)`` gives the
/// vectors `SentenceTransformer(folder).encode(texts)` gives.
///
/// ```swift
/// let encoder = try SentenceEncoder(folder: URL(fileURLWithPath: "Models/all-MiniLM-L6-v2"))
/// let vectors = try encoder.embed(["A man is eating food.", "A man is eating bread."])   // 2 × 384, unit length
/// ```
public final class SentenceEncoder {
    /// The transformer.
    public let model: BertModel
    /// How token states become one vector.
    public let pooling: SentencePooling
    /// Whether vectors are scaled to unit length.
    public let normalizes: Bool
    /// The most tokens a text keeps, `[CLS]` and `[SEP]` included; longer texts are truncated.
    public let maxSequenceLength: Int
    /// The folder's tokenizer.
    public let tokenizer: (any Tokenizer)?

    /// Loads the folder; a missing or malformed file is an error naming it.
    public convenience init(folder: URL) throws {
        let url = folder.appendingPathComponent("tokenizer.json")
        let tokenizer: any Tokenizer
        do {
            tokenizer = try loadTokenizer(from: url)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be loaded: \(error)",
                fix: "use the tokenizer.json the model was published with")
        }
        try self.init(folder: folder, tokenizer: tokenizer)
    }

    /// The folder's model, pooling and settings with `tokenizer` (nil: embed token ids only).
    package init(folder: URL, tokenizer: (any Tokenizer)?) throws {
        model = try BertModel(folder: folder)
        self.tokenizer = tokenizer
        func json(_ path: String) throws -> [String: Any]? {
            let url = folder.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            guard let data = try? Data(contentsOf: url),
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else {
                throw FileError(
                    path: url.path, problem: "is not a JSON object",
                    fix: "restore the file sentence-transformers wrote, or fetch the model again")
            }
            return object
        }
        var modules: [[String: Any]] = []
        let modulesURL = folder.appendingPathComponent("modules.json")
        if FileManager.default.fileExists(atPath: modulesURL.path) {
            guard let data = try? Data(contentsOf: modulesURL),
                let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
            else {
                throw FileError(
                    path: modulesURL.path, problem: "is not a JSON list of modules",
                    fix: "restore the file sentence-transformers wrote, or fetch the model again")
            }
            modules = list
        }
        let types = modules.compactMap { $0["type"] as? String }
        let poolingPath = modules.first { ($0["type"] as? String)?.hasSuffix(".Pooling") == true }?["path"] as? String
        let poolingConfig = try json((poolingPath ?? "1_Pooling") + "/config.json") ?? [:]
        let modes: [(String, SentencePooling)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_max_tokens", .max),
            ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength), ("pooling_mode_mean_tokens", .mean),
        ]
        let chosen = modes.filter { (poolingConfig[$0.0] as? Bool) == true }.map(\.1)
        guard chosen.count <= 1 else {
            throw FileError(
                path: folder.appendingPathComponent("1_Pooling/config.json").path,
                problem: "sets several pooling modes (\(chosen.map(\.rawValue).joined(separator: ", ")))",
                fix: "SeqKit pools one way; set one pooling_mode_* to true")
        }
        pooling = chosen.first ?? .mean
        normalizes = types.contains { $0.hasSuffix(".Normalize") }
        let configured = (try json("sentence_bert_config.json"))?["max_seq_length"] as? Int
        maxSequenceLength = min(configured ?? model.configuration.maxPositions, model.configuration.maxPositions)
    }

    /// Width of every vector.
    public var width: Int { model.configuration.width }

    /// One vector per text, in order: tokenized by the folder's tokenizer (with its `[CLS]` … `[SEP]`),
    /// truncated to ``maxSequenceLength``, run `batchSize` texts at a time.
    /// `pooling` and `normalize` override the folder's settings when given.
    public func embed(
        _ texts: [String], batchSize: Int = 32, pooling: SentencePooling? = nil, normalize: Bool? = nil
    ) throws -> [[Float]] {
        guard let tokenizer else { throw EncoderError.noTokenizer }
        let ids = try texts.map { try tokenizer.encode($0) }
        return try embed(tokenIDs: ids.map(truncated), batchSize: batchSize, pooling: pooling, normalize: normalize)
    }

    /// Keeps the first `maxSequenceLength − 1` ids and the last one (the closing `[SEP]`), as Hugging Face's
    /// truncation does for a single text.
    func truncated(_ ids: [Int]) -> [Int] {
        ids.count <= maxSequenceLength ? ids : Array(ids.prefix(maxSequenceLength - 1)) + [ids[ids.count - 1]]
    }

    /// One vector per sequence of token ids (special tokens included, at most ``maxSequenceLength`` each);
    /// `pooling` and `normalize` override the folder's settings when given.
    public func embed(
        tokenIDs: [[Int]], batchSize: Int = 32, pooling: SentencePooling? = nil, normalize: Bool? = nil
    ) throws -> [[Float]] {
        let pooling = pooling ?? self.pooling
        let normalizes = normalize ?? self.normalizes
        guard batchSize >= 1 else { throw EncoderError.invalidBatchSize(batchSize) }
        for (index, ids) in tokenIDs.enumerated() where ids.isEmpty || ids.count > maxSequenceLength {
            throw EncoderError.invalidTokenCount(index: index, count: ids.count, limit: maxSequenceLength)
        }
        let c = width
        var vectors: [[Float]] = []
        vectors.reserveCapacity(tokenIDs.count)
        for start in stride(from: 0, to: tokenIDs.count, by: batchSize) {
            let batch = Array(tokenIDs[start..<min(start + batchSize, tokenIDs.count)])
            let states = model.infer(batch)  // (Σ lengths, C) packed
            var row = 0
            for ids in batch {
                let rows = states.pointer + row * c
                var v = [Float](repeating: pooling == .max ? -.infinity : 0, count: c)
                switch pooling {
                case .cls:
                    for j in 0..<c { v[j] = rows[j] }
                case .max:
                    for t in 0..<ids.count { for j in 0..<c { v[j] = Swift.max(v[j], rows[t * c + j]) } }
                case .mean, .meanSqrtLength:
                    for t in 0..<ids.count { for j in 0..<c { v[j] += rows[t * c + j] } }
                    let scale = pooling == .mean ? Float(ids.count) : Float(ids.count).squareRoot()
                    for j in 0..<c { v[j] /= scale }
                }
                if normalizes {
                    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if norm > 0 { for j in 0..<c { v[j] /= norm } }
                }
                vectors.append(v)
                row += ids.count
            }
        }
        return vectors
    }
}
