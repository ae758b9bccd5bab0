import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqModels
import SeqNN
import SeqTensor
import SeqTokenizers

/// Turns text into vectors with a trained model's trunk: per-token hidden states `(T, C)`, or one pooled
/// embedding per text, batched.
///
/// Load a directory written by `seqtrain` (a run or one checkpoint), or an encoder directory holding
/// `config.json`, `tokenizer.json` and `model.safetensors` (e.g. a `causal: false` transformer or a
/// `bidirectional: true` LSTM exported from PyTorch):
/// ```swift
/// let encoder = try TextEncoder(path: URL(fileURLWithPath: "runs/tiny-gpt"))
/// let vectors = try encoder.embed(["To be, or not to be", "All the world's a stage"],
///                                 options: EmbeddingOptions(normalize: true))
/// cosineSimilarity(vectors[0], vectors[1])
/// ```
///
/// An encoder is immutable once made: the weights are only read, and every call builds its own graph-free
/// forward pass, so one instance may serve many tasks at once.
public final class TextEncoder: @unchecked Sendable {
    // @unchecked: the trunk is a class graph that no method writes after `init` (forward passes run under
    // `withoutGradients` with a fresh context per call, so no gradient buffer or generator is touched).

    /// The tokenizer texts go through: `try encoder.tokenizer.encode("ROMEO:")`.
    public let tokenizer: any Tokenizer
    /// The model's configuration (vocabulary size resolved): `encoder.config.isEncoderOnly`.
    public let config: ModelConfig
    /// Tokens per text the model takes: the transformer's context length (longer texts keep their first
    /// `maxTokens` tokens); nil for the recurrent kinds, which take any length.
    ///
    /// `encoder.maxTokens  // 64 for Configs/tiny-gpt.json`
    public let maxTokens: Int?
    let trunk: any EncoderTrunk

    /// Wraps a trunk and its tokenizer, e.g. a model being trained or one read by `TrainedCheckpoint`.
    ///
    /// `let encoder = try TextEncoder(trunk: trained.model, tokenizer: trained.tokenizer)`
    ///
    /// The trunk must not be trained further while the encoder is in use.
    public init(trunk: any EncoderTrunk, tokenizer: any Tokenizer) throws {
        guard tokenizer.vocabularySize <= trunk.config.vocabSize else {
            throw EncoderError.vocabularyMismatch(tokenizer: tokenizer.vocabularySize, model: trunk.config.vocabSize)
        }
        self.trunk = trunk
        self.tokenizer = tokenizer
        self.config = trunk.config
        self.maxTokens = trunk.config.contextLimit
    }

    /// Loads a tokenizer and model from `path`: a `seqtrain` run directory (its `best/`, else `latest/`, or
    /// the other way with `prefer: .latest`), a checkpoint directory (verified against its manifest), or an
    /// encoder directory with `config.json` (a training config; only its `model` section is used),
    /// `tokenizer.json` and `model.safetensors`.
    ///
    /// `let encoder = try TextEncoder(path: URL(fileURLWithPath: "runs/tiny-gpt"), prefer: .latest)`
    public convenience init(path: URL, prefer: CheckpointSlot = .best) throws {
        let fm = FileManager.default
        let has = { (name: String) in fm.fileExists(atPath: path.appendingPathComponent(name).path) }
        let configBytes: Data
        let tokenizerBytes: Data
        let weights: SafeTensorsFile
        let configPath: String
        let fromCheckpoint: Bool  // written by seqtrain: a missing key means what that run did
        if has(Checkpoint.configFile) && has(Checkpoint.modelFile) && !has(Checkpoint.manifestFile) {
            // An encoder directory: no manifest to verify; each file must still be a regular file.
            configPath = path.appendingPathComponent(Checkpoint.configFile).path
            fromCheckpoint = false
            configBytes = try Self.regularFile(
                path, Checkpoint.configFile, fix: "the directory needs the model's config.json")
            tokenizerBytes = try Self.regularFile(
                path, Checkpoint.tokenizerFile, fix: "put the tokenizer.json the model was trained with next to it")
            weights = try SafeTensorsFile(contentsOf: path.appendingPathComponent(Checkpoint.modelFile))
        } else {
            // A checkpoint: read whole through one directory handle and verified, even while seqtrain replaces it.
            let directory = try TrainedCheckpoint.locate(path, prefer: prefer)
            let snapshot = try CheckpointSnapshot(
                directory, keeping: [Checkpoint.configFile, Checkpoint.tokenizerFile, Checkpoint.modelFile])
            configPath = snapshot.path(Checkpoint.configFile)
            fromCheckpoint = true
            configBytes = Data(try snapshot.bytes(Checkpoint.configFile))
            tokenizerBytes = Data(try snapshot.bytes(Checkpoint.tokenizerFile))
            weights = try snapshot.safeTensors(Checkpoint.modelFile)
        }
        let tokenizer: any Tokenizer
        do {
            tokenizer = try loadTokenizer(json: tokenizerBytes)
        } catch let error as TokenizerError {
            throw FileError(
                path: path.appendingPathComponent(Checkpoint.tokenizerFile).path, problem: "cannot be loaded: \(error)",
                fix: "put the tokenizer.json the model was trained with next to it")
        }
        let decoded =
            try fromCheckpoint
            ? TrainingConfig.decodeCheckpointConfig(configBytes, file: configPath)
            : TrainingConfig.decode(configBytes, file: configPath)
        let model = try decoded.model.resolved(tokenizerVocabularySize: tokenizer.vocabularySize)
        let trunk = try makeEncoder(model, seed: 0)
        try trunk.arena.read(from: weights)  // refuses NaN or infinite weights
        try self.init(trunk: trunk, tokenizer: tokenizer)
    }

    /// The bytes of `directory/name`, which must be a regular file (a link to one is fine): a device or pipe
    /// would never end.
    static func regularFile(_ directory: URL, _ name: String, fix: String) throws -> Data {
        let url = directory.appendingPathComponent(name)
        let target = url.resolvingSymlinksInPath()
        let type = (try? FileManager.default.attributesOfItem(atPath: target.path))?[.type] as? FileAttributeType
        guard let type else { throw FileError(path: url.path, problem: "cannot be read", fix: fix) }
        guard type == .typeRegular else {
            throw FileError(path: url.path, problem: "is not a regular file (a device, pipe or folder)", fix: fix)
        }
        do {
            return try Data(contentsOf: target)
        } catch {
            throw FileError(path: url.path, problem: "cannot be read", fix: fix)
        }
    }

    /// Width of every hidden state and embedding (C): the transformer's `embeddingSize`, the recurrent
    /// `hiddenSize` (twice it when bidirectional).
    ///
    /// `encoder.width  // 128 for Configs/tiny-gpt.json; try encoder.embed("hi").count == encoder.width`
    public var width: Int { config.trunkWidth }

    /// The hidden states of every token of `text`, `(T, C)`, from the trunk's output or the k-th `layer`.
    ///
    /// `let states = try encoder.hiddenStates("ROMEO:")   // states[t]: C values`
    public func hiddenStates(_ text: String, layer: Int? = nil) throws -> TokenStates {
        try checkLayer(layer)
        let ids = try tokens(text, index: 0)
        let h = forward([ids], length: ids.count, layer: layer)  // (1, T, C)
        return TokenStates(tokens: ids, width: width, values: h.toArray())
    }

    /// One embedding of ``width`` values per text, in the order given. Texts run `options.batchSize` at a
    /// time, grouped by length; padding never reaches a text's own tokens or its pooled vector, so the
    /// result equals embedding each text alone.
    ///
    /// `let v = try encoder.embed(["a query", "a document"], options: EmbeddingOptions(normalize: true))`
    public func embed(_ texts: [String], options: EmbeddingOptions = EmbeddingOptions()) throws -> [[Float]] {
        try checkLayer(options.layer)
        guard options.batchSize >= 1 else { throw EncoderError.invalidBatchSize(options.batchSize) }
        let ids = try texts.enumerated().map { try tokens($0.element, index: $0.offset) }
        // Longest first, so each batch pads little; encoder-only models (which would see padding as
        // context) only batch texts of the same length.
        let order = ids.indices.sorted { (ids[$0].count, $0) > (ids[$1].count, $1) }
        var result = [[Float]](repeating: [], count: texts.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && end - start < options.batchSize
                && (!config.isEncoderOnly || ids[order[end]].count == ids[order[start]].count)
            {
                end += 1
            }
            let group = Array(order[start..<end])
            let length = ids[group[0]].count
            let h = forward(group.map { ids[$0] }, length: length, layer: options.layer)  // (B, T, C)
            for (row, index) in group.enumerated() {
                let states = h.pointer + row * length * width  // (T, C) of this text, padding after
                result[index] = pool(states, count: ids[index].count, options: options)
            }
            start = end
        }
        return result
    }

    /// One embedding of `text`: `embed([text], options:)[0]`.
    ///
    /// `let v = try encoder.embed("To be, or not to be")`
    public func embed(_ text: String, options: EmbeddingOptions = EmbeddingOptions()) throws -> [Float] {
        try embed([text], options: options)[0]
    }

    /// The ids of `text`, cut to ``maxTokens``; an empty result is an error naming the text's index.
    func tokens(_ text: String, index: Int) throws -> [Int] {
        var ids = try tokenizer.encode(text)
        if let maxTokens, ids.count > maxTokens { ids = Array(ids.prefix(maxTokens)) }
        guard !ids.isEmpty else { throw EncoderError.emptyText(index: index) }
        return ids
    }

    func checkLayer(_ layer: Int?) throws {
        if let layer, !(1...config.layers).contains(layer) {
            throw EncoderError.layerOutOfRange(layer: layer, layers: config.layers)
        }
    }

    /// Runs rows of ids, right-padded with id 0 to `length`, through the trunk without recording a graph.
    func forward(_ rows: [[Int]], length: Int, layer: Int?) -> Tensor {
        var flat: [Int] = []
        flat.reserveCapacity(rows.count * length)
        for row in rows { flat += row + Array(repeating: 0, count: length - row.count) }  // (B, T)
        return trunk.infer(flat, batch: rows.count, layer: layer)  // (B, T, C)
    }

    /// Pools the first `count` of a text's `(T, C)` states into C values.
    func pool(_ states: UnsafePointer<Float>, count: Int, options: EmbeddingOptions) -> [Float] {
        let c = width
        var v: [Float]
        switch options.pooling {
        case .mean:
            v = [Float](repeating: 0, count: c)
            for t in 0..<count {
                for i in 0..<c { v[i] += states[t * c + i] }
            }
            let scale = 1 / Float(count)
            for i in 0..<c { v[i] *= scale }
        case .last:
            v = Array(UnsafeBufferPointer(start: states + (count - 1) * c, count: c))
        }
        if options.normalize {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in 0..<c { v[i] /= norm } }
        }
        return v
    }
}
