import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqModels
import SeqNN
import SeqTensor
import SeqTokenizers

/// A pretrained text encoder as a layer, for transfer learning: a `seqtrain` checkpoint (any model kind) or a
/// Hugging Face BERT-style folder (`config.json`, `model.safetensors`, `tokenizer.json`, e.g. all-MiniLM-L6-v2).
///
/// It takes token ids from its own tokenizer, (B, T) with `-1` for padding (``tokenMatrix(_:length:)`` makes
/// them), and gives the mean of the trunk's last hidden states over each text's tokens, (B, width). Frozen
/// (`trainable = false`, the default) it is a fixed feature extractor run without a graph; trainable, fitting
/// fine-tunes every weight of the trunk with the rest of the model.
///
/// ```swift
/// let encoder = try PretrainedEncoder(path: URL(fileURLWithPath: "Models/all-MiniLM-L6-v2"))
/// let x = try encoder.tokenMatrix(texts, length: 128)
/// let model = Sequential { encoder; Dense(3, activation: .softmax) }
/// ```
public final class PretrainedEncoder: Layer {
    enum Trunk {
        case checkpoint(any EncoderTrunk)
        case bert(BertModel)
    }

    /// Where the encoder was loaded from (a saved model records it and loads the architecture from there).
    public let path: URL
    /// The tokenizer the encoder was trained with.
    public let tokenizer: any Tokenizer
    let trunk: Trunk
    /// The width of the vectors.
    public let width: Int
    /// The most tokens a text may have (the trunk's position limit), or nil.
    public let maxTokens: Int?

    /// Loads the encoder at `path`; frozen unless `trainable`. `inputLength` declares the model's input shape when
    /// the encoder is the first layer (the `length` of ``tokenMatrix(_:length:)``).
    public init(path: URL, trainable: Bool = false, inputLength: Int? = nil, name: String = "") throws {
        self.path = path
        let fm = FileManager.default
        if fm.fileExists(atPath: path.appendingPathComponent("config.json").path),
            fm.fileExists(atPath: path.appendingPathComponent("tokenizer.json").path),
            (try? BertConfiguration(
                json: Data(contentsOf: path.appendingPathComponent("config.json")), file: "config.json")) != nil
        {
            let model = try BertModel(folder: path)
            tokenizer = try loadTokenizer(from: path.appendingPathComponent("tokenizer.json"))
            trunk = .bert(model)
            width = model.configuration.width
            maxTokens = model.configuration.maxPositions
        } else {
            let trained = try TrainedCheckpoint(path: path)
            tokenizer = trained.tokenizer
            trunk = .checkpoint(trained.model)
            width = trained.model.config.trunkWidth
            maxTokens = trained.model.config.contextLimit
        }
        super.init(name: name, inputShape: inputLength.map { [$0] })
        self.trainable = trainable
        parameters = trunkArena.slots.map { Parameter(arena: trunkArena, slot: $0) }
    }

    var trunkArena: ParameterArena {
        switch trunk {
        case .checkpoint(let t): t.arena
        case .bert(let b): b.arena
        }
    }

    public override var ownArena: ParameterArena? { trunkArena }
    public override var typeName: String { "PretrainedEncoder" }

    /// Token ids of `texts` for this encoder, (N, length): each text's first `length` tokens (the tokenizer's
    /// special tokens included), then `-1` to the end of the row.
    public func tokenMatrix(_ texts: [String], length: Int) throws -> Tensor {
        let length = min(length, maxTokens ?? length)
        let out = Tensor(zeros: [texts.count, length])
        for (r, text) in texts.enumerated() {
            var ids = Array(try tokenizer.encode(text).prefix(length))
            if ids.isEmpty { ids = [0] }
            let row = out.pointer + r * length
            for j in 0..<length { row[j] = j < ids.count ? Float(ids[j]) : -1 }
        }
        return out
    }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        guard inputShapes[0].count == 1 else { return .failure(ShapeProblem("needs token ids of shape (tokens)")) }
        if let maxTokens, inputShapes[0][0] > maxTokens {
            return .failure(ShapeProblem("takes at most \(maxTokens) tokens"))
        }
        return .success([width])
    }

    public override func validateInput(_ x: Tensor, argument: String) throws {
        let vocabulary: Int
        switch trunk {
        case .checkpoint(let t): vocabulary = t.config.vocabSize
        case .bert(let b): vocabulary = b.configuration.vocabularySize
        }
        let p = x.pointer
        for i in 0..<x.count where p[i] != p[i].rounded() || p[i] < -1 || p[i] >= Float(vocabulary) {
            throw ModelError.badArgument(
                argument, "value \(p[i]) at element \(i) is not a token id of '\(name)' (0..<\(vocabulary), or -1)")
        }
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]  // (B, T) ids, -1 = padding
        let (b, t) = (x.shape[0], x.shape[1])
        let p = x.value.pointer
        let sequences = (0..<b).map { r -> [Int] in
            let ids = (0..<t).compactMap { j -> Int? in p[r * t + j] >= 0 ? Int(p[r * t + j]) : nil }
            return ids.isEmpty ? [0] : ids
        }
        func run() -> Variable {
            switch trunk {
            case .bert(let model):
                // Packed rows, (Σ lengths, W): sequence r's tokens follow sequence r − 1's.
                let states = model.encode(sequences, context: context)
                return states.reshaped([states.shape[0], width])
            case .checkpoint(let model):
                // Right-padded with id 0 to the longest; the pooling below reads only each row's own tokens, and
                // a causal or forward recurrent trunk never lets padding reach them.
                let longest = sequences.map(\.count).max()!
                let ids = sequences.flatMap { $0 + Array(repeating: 0, count: longest - $0.count) }
                let states = model.encode(ids, batch: b, layer: nil, context: context)  // (B, L, W)
                return states.reshaped([b * longest, width])
            }
        }
        // The mean over each row's tokens as one product with a constant (B, rows) averaging matrix: rows of `padded`
        // tokens for a checkpoint's trunk, packed rows for BERT.
        var padded: Int?
        if case .checkpoint = trunk { padded = sequences.map(\.count).max()! }
        let rows = padded.map { $0 * b } ?? sequences.reduce(0) { $0 + $1.count }
        let averaging = Tensor(zeros: [b, rows])
        var start = 0
        for (r, s) in sequences.enumerated() {
            let first = padded.map { $0 * r } ?? start
            for j in 0..<s.count { averaging.pointer[r * rows + first + j] = 1 / Float(s.count) }
            start += s.count
        }
        if trainable { return matmul(Variable(averaging), run()) }
        return Variable(frozenVectors(sequences))
    }

    /// A frozen encoder's mean vectors, (B, width): from the graph-free pass in evaluation mode (no dropout), each
    /// text's computed once and kept, since frozen weights do not change between epochs.
    private func frozenVectors(_ sequences: [[Int]]) -> Tensor {
        // In first-seen order: a product's rounding can depend on a row's place, so the order must not vary.
        var seen = Set<[Int]>()
        let missing = sequences.filter { cache[$0] == nil && seen.insert($0).inserted }
        if !missing.isEmpty {
            let rows: Tensor
            switch trunk {
            case .bert(let model):
                rows = model.infer(missing)  // packed (Σ lengths, W)
            case .checkpoint(let model):
                let longest = missing.map(\.count).max()!
                let ids = missing.flatMap { $0 + Array(repeating: 0, count: longest - $0.count) }
                rows = model.infer(ids, batch: missing.count, layer: nil)  // (B, L, W)
            }
            var start = 0
            let longest = missing.map(\.count).max()!
            for (r, s) in missing.enumerated() {
                let first: Int
                if case .bert = trunk { first = start } else { first = r * longest }
                var mean = [Float](repeating: 0, count: width)
                for j in 0..<s.count {
                    let row = rows.pointer + (first + j) * width
                    for c in 0..<width { mean[c] += row[c] }
                }
                for c in 0..<width { mean[c] /= Float(s.count) }
                cache[s] = mean
                start += s.count
            }
        }
        return Tensor(shape: [sequences.count, width], values: sequences.flatMap { cache[$0]! })
    }

    /// Mean vectors of a frozen encoder by token ids.
    private var cache: [[Int]: [Float]] = [:]

    /// Forgets the kept vectors and what the encoder packed for itself (the weights were replaced).
    func weightsChanged() {
        cache = [:]
        if case .bert(let model) = trunk { model.weightsChanged() }
    }

    public override var config: LayerConfig { LayerConfig(["path": .string(path.path)]) }
}
