import Foundation
import SeqAutograd
import SeqConfig
import SeqNN
import SeqTensor

/// The settings of a Hugging Face `BertModel` (`config.json` of BERT, MiniLM and the sentence-transformers
/// encoders built on them) that decide its computation.
public struct BertConfiguration: Sendable, Equatable {
    /// Token ids, `vocab_size`.
    public var vocabularySize: Int
    /// Width C, `hidden_size`.
    public var width: Int
    /// Blocks, `num_hidden_layers`.
    public var layers: Int
    /// Attention heads, `num_attention_heads`.
    public var heads: Int
    /// Width of the feed-forward layer, `intermediate_size`.
    public var intermediateWidth: Int
    /// Positions with an embedding, `max_position_embeddings`: the longest input.
    public var maxPositions: Int
    /// Token types (segments A and B), `type_vocab_size`.
    public var typeVocabularySize: Int
    /// `layer_norm_eps`.
    public var layerNormEpsilon: Float
    /// `hidden_act`: `gelu` is the exact GELU, `gelu_new` / `gelu_pytorch_tanh` the tanh form.
    public var activation: GELU

    /// Weights and biases in all: the embeddings, their layer norm and every block.
    public var parameterCount: Int {
        let (c, i) = (width, intermediateWidth)
        let embeddings = (vocabularySize + maxPositions + typeVocabularySize) * c + 2 * c
        let block = 4 * (c * c + c) + 2 * c + (c * i + i) + (i * c + c) + 2 * c
        return embeddings + layers * block
    }

    /// Reads `config.json` bytes; a missing key, a value out of range, an activation other than GELU or a
    /// relative position embedding is an error naming the key and the file.
    public init(json: Data, file: String) throws {
        guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw ConfigError.invalidValue(
                key: file, rule: "is not a JSON object; it should be a BertModel config.json")
        }
        func count(_ key: String) throws -> Int {
            guard let value = root[key] as? Int, value > 0 else {
                throw ConfigError.invalidValue(
                    key: key, rule: "must be a positive integer in \(file) (a BertModel config.json has it)")
            }
            return value
        }
        vocabularySize = try count("vocab_size")
        width = try count("hidden_size")
        layers = try count("num_hidden_layers")
        heads = try count("num_attention_heads")
        intermediateWidth = try count("intermediate_size")
        maxPositions = try count("max_position_embeddings")
        typeVocabularySize = try count("type_vocab_size")
        guard width % heads == 0 else {
            throw ConfigError.invalidValue(
                key: "hidden_size", rule: "\(width) is not a multiple of num_attention_heads \(heads) in \(file)")
        }
        let epsilon = (root["layer_norm_eps"] as? Double) ?? 1e-12
        guard epsilon > 0 && epsilon < 1 else {
            throw ConfigError.invalidValue(key: "layer_norm_eps", rule: "must be in (0, 1) in \(file)")
        }
        layerNormEpsilon = Float(epsilon)
        switch (root["hidden_act"] as? String) ?? "gelu" {
        case "gelu": activation = .exact
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
        case let other:
            throw ConfigError.invalidValue(
                key: "hidden_act", rule: "'\(other)' in \(file) is not supported; SeqKit runs gelu and gelu_new")
        }
        if let kind = root["position_embedding_type"] as? String, kind != "absolute" {
            throw ConfigError.invalidValue(
                key: "position_embedding_type",
                rule: "'\(kind)' in \(file) is not supported; SeqKit runs absolute position embeddings")
        }
    }
}

/// A Hugging Face `BertModel` (BERT, MiniLM, the sentence-transformers encoders): word + position + token-type
/// embeddings and a layer norm, then post-norm blocks `x = LN(x + attn(x)); x = LN(x + ffn(x))`, every
/// position seeing every other of its own sequence. Parameters carry Hugging Face's names
/// (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, …), so `model.safetensors`
/// loads as it is and the encoder trains through the same arena as every SeqKit model.
///
/// Sequences of different lengths run packed, one after another, with no padding: nothing can attend to a
/// padded position, so no mask is needed.
///
/// ```swift
/// let bert = try BertModel(folder: URL(fileURLWithPath: "Models/all-MiniLM-L6-v2"))
/// let h = bert.infer([[101, 7592, 102], [101, 102]])   // (5, 384): 3 rows, then 2
/// ```
public final class BertModel: Module {
    /// The configuration read from `config.json`.
    public let configuration: BertConfiguration
    /// Every parameter, by Hugging Face name.
    public let arena = ParameterArena()
    let words: Embedding
    let positions: Embedding
    let types: Embedding
    let embeddingNorm: LayerNorm
    let blocks: [BertBlock]

    /// A model of `configuration` with weights drawn from `seed` (normal, std 0.02, as `transformers` does).
    public convenience init(_ configuration: BertConfiguration, seed: UInt64 = 0) {
        self.init(configuration, weights: .normal(std: 0.02), seed: seed)
    }

    /// A model whose weight matrices start as `weights` says (zeros when a file's values replace them).
    init(_ configuration: BertConfiguration, weights init_: Initialization, seed: UInt64) {
        self.configuration = configuration
        let arena = self.arena
        arena.reserveCapacity(configuration.parameterCount)
        var rng = SeededGenerator(seed: seed)
        let c = configuration.width
        words = Embedding(
            arena, "embeddings.word_embeddings", count: configuration.vocabularySize, width: c,
            initialization: init_, rng: &rng)
        positions = Embedding(
            arena, "embeddings.position_embeddings", count: configuration.maxPositions, width: c,
            initialization: init_, rng: &rng)
        types = Embedding(
            arena, "embeddings.token_type_embeddings", count: configuration.typeVocabularySize, width: c,
            initialization: init_, rng: &rng)
        embeddingNorm = LayerNorm(arena, "embeddings.LayerNorm", width: c, epsilon: configuration.layerNormEpsilon)
        blocks = (0..<configuration.layers).map {
            BertBlock(arena, "encoder.layer.\($0)", configuration, weights: init_, rng: &rng)
        }
        assert(arena.count == configuration.parameterCount, "BertConfiguration.parameterCount is out of date")
    }

    /// Loads a `BertModel` folder: `config.json` and `model.safetensors`, with or without the `bert.` prefix that
    /// task models (`BertForMaskedLM`, …) put on the names; the pooler and the `position_ids` buffer are passed
    /// over, any other unknown tensor is an error naming it.
    public convenience init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        guard let json = try? Data(contentsOf: configURL) else {
            throw ConfigError.invalidValue(
                key: configURL.path, rule: "cannot be read; a Hugging Face model folder holds config.json")
        }
        self.init(try BertConfiguration(json: json, file: configURL.path), weights: .zeros, seed: 0)
        let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
        let prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        try arena.read(from: file, prefix: prefix, inPlace: true) { name in
            let own = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
            return own.hasPrefix("pooler.") || own == "embeddings.position_ids" || !name.hasPrefix(prefix)
        }
    }

    /// Checks ids, type ids and lengths, and gives the total row count.
    private func rows(_ sequences: [[Int]], typeIDs: [[Int]]?) -> Int {
        let config = configuration
        for (s, ids) in sequences.enumerated() {
            precondition(
                !ids.isEmpty && ids.count <= config.maxPositions,
                "sequence \(s) has \(ids.count) tokens; BertModel reads 1...\(config.maxPositions)")
            precondition(
                ids.allSatisfy { (0..<config.vocabularySize).contains($0) }, "sequence \(s) has an id out of range")
            if let typeIDs {
                precondition(
                    typeIDs[s].count == ids.count
                        && typeIDs[s].allSatisfy { (0..<config.typeVocabularySize).contains($0) },
                    "sequence \(s): token type ids must match its length and be below type_vocab_size")
            }
        }
        return sequences.reduce(0) { $0 + $1.count }
    }

    /// The last hidden states of `sequences` (token type 0 unless `typeIDs` says otherwise) without recording a
    /// graph, packed: `(Σ lengths, C)`, the rows of sequence 0 first.
    public func infer(_ sequences: [[Int]], typeIDs: [[Int]]? = nil) -> Tensor {
        let n = rows(sequences, typeIDs: typeIDs)
        let c = configuration.width
        let x = Tensor(uninitialized: [n, c])  // (N, C) the stream
        let (w, p, t) = (words.weight.value.pointer, positions.weight.value.pointer, types.weight.value.pointer)
        var row = 0
        for (s, ids) in sequences.enumerated() {
            for (i, id) in ids.enumerated() {
                let out = x.pointer + row * c
                let type = typeIDs?[s][i] ?? 0
                for j in 0..<c { out[j] = w[id * c + j] + p[i * c + j] + t[type * c + j] }
                row += 1
            }
        }
        let scratch = BertScratch(rows: n, configuration: configuration, longest: sequences.map(\.count).max() ?? 1)
        embeddingNorm.infer(x.pointer, x.pointer, rows: n, scratch: scratch.stats.pointer)
        let lengths = sequences.map(\.count)
        for block in blocks { block.infer(x.pointer, lengths: lengths, scratch: scratch) }
        return x
    }

    /// Forgets the weights ``infer(_:typeIDs:)`` packed for itself: call it after changing the arena's values
    /// other than through ``encode(_:typeIDs:context:)`` (which does it, since training follows it).
    public func weightsChanged() {
        for block in blocks { block.weightsChanged() }
    }

    /// The last hidden states through the graph (for training a head on top, or fine-tuning): `(Σ lengths, C)`,
    /// packed as ``infer(_:typeIDs:)`` gives them.
    public func encode(_ sequences: [[Int]], typeIDs: [[Int]]? = nil, context: ForwardContext) -> Variable {
        weightsChanged()
        let n = rows(sequences, typeIDs: typeIDs)
        let ids = sequences.flatMap { $0 }
        let places = sequences.flatMap { Array(0..<$0.count) }
        let kinds = typeIDs?.flatMap { $0 } ?? Array(repeating: 0, count: n)
        var x = words(ids, shape: [n]) + positions(places, shape: [n]) + types(kinds, shape: [n])  // (N, C)
        x = embeddingNorm(x)
        let lengths = sequences.map(\.count)
        for block in blocks { x = block(x, lengths: lengths, context) }
        return x
    }

    public var parameters: [Parameter] {
        words.parameters + positions.parameters + types.parameters + embeddingNorm.parameters
            + blocks.flatMap(\.parameters)
    }
    public var description: String {
        "BertModel(\(configuration.layers) × \(configuration.width), heads \(configuration.heads), "
            + "vocab \(configuration.vocabularySize))"
    }
}

/// Buffers for ``BertModel/infer(_:typeIDs:)``, made once per call.
final class BertScratch {
    let qkv: Tensor  // (N, 3C) one sequence's rows interleaved as the attention kernel reads them
    let attended: Tensor  // (N, C)
    let wide: Tensor  // (N, I)
    let probabilities: Tensor  // (heads, T, T) for the longest sequence
    let stats: Tensor  // (2N)

    init(rows n: Int, configuration: BertConfiguration, longest: Int) {
        let c = configuration.width
        qkv = Tensor(uninitialized: [n, 3 * c])
        attended = Tensor(uninitialized: [n, c])
        wide = Tensor(uninitialized: [n, configuration.intermediateWidth])
        probabilities = Tensor(uninitialized: [configuration.heads, longest, longest])
        stats = Tensor(uninitialized: [2 * n])
    }
}

/// One post-norm BERT block: `x = LN(x + dense(attention(x)))`, then `x = LN(x + output(gelu(intermediate(x))))`.
final class BertBlock: Module {
    let query: Linear
    let key: Linear
    let value: Linear
    let attentionOutput: Linear
    let attentionNorm: LayerNorm
    let intermediate: Linear
    let output: Linear
    let outputNorm: LayerNorm
    let heads: Int
    let gelu: GELU

    init(
        _ arena: ParameterArena, _ prefix: String, _ config: BertConfiguration, weights std: Initialization,
        rng: inout SeededGenerator
    ) {
        let (c, i) = (config.width, config.intermediateWidth)
        func linear(_ name: String, _ input: Int, _ output: Int) -> Linear {
            Linear(
                arena, "\(prefix).\(name)", inFeatures: input, outFeatures: output, weightInit: std, biasInit: .zeros,
                rng: &rng)
        }
        query = linear("attention.self.query", c, c)
        key = linear("attention.self.key", c, c)
        value = linear("attention.self.value", c, c)
        attentionOutput = linear("attention.output.dense", c, c)
        attentionNorm = LayerNorm(
            arena, "\(prefix).attention.output.LayerNorm", width: c, epsilon: config.layerNormEpsilon)
        intermediate = linear("intermediate.dense", c, i)
        output = linear("output.dense", i, c)
        outputNorm = LayerNorm(arena, "\(prefix).output.LayerNorm", width: c, epsilon: config.layerNormEpsilon)
        heads = config.heads
        gelu = config.activation
    }

    /// The block through the graph over packed sequences `x` (N, C) of `lengths`.
    func callAsFunction(_ x: Variable, lengths: [Int], _ context: ForwardContext) -> Variable {
        let c = x.shape[1]
        let qkv = concat([query(x), key(x), value(x)], axis: 1)  // (N, 3C): the rows attention reads
        let parts = qkv.split(axis: 0, sizes: lengths).map { part in
            attention(part.reshaped([1, part.shape[0], 3 * c]), heads: heads, causal: false)
                .reshaped([part.shape[0], c])  // (n, C) every position of the sequence sees every other
        }
        let attended = parts.count == 1 ? parts[0] : concat(parts, axis: 0)  // (N, C)
        let h = attentionNorm(x + attentionOutput(attended))  // (N, C)
        return outputNorm(h + output(intermediate(h).gelu(gelu)))  // (N, C)
    }

    /// The block's matrices packed for ``infer(_:lengths:scratch:)`` on its first call, dropped when the weights
    /// change; behind a lock, since one encoder may embed on several threads at once.
    private var packed: Packed?
    private let packing = NSLock()

    /// The packed matrices, made now if the weights changed since the last call.
    private func packedWeights() -> Packed {
        packing.withLock {
            if let packed { return packed }
            let made = Packed(self)
            packed = made
            return made
        }
    }

    /// Forgets the packed matrices.
    func weightsChanged() { packing.withLock { packed = nil } }

    struct Packed {
        let qkv: PackedWeights  // (3C, C): query, key and value as one product
        let qkvBias: Tensor  // (3C)
        let attentionOutput: PackedWeights
        let intermediate: PackedWeights
        let output: PackedWeights

        init(_ block: BertBlock) {
            let c = block.query.inFeatures
            func weights(_ linear: Linear) -> (UnsafePointer<Float>, Int) {
                (UnsafePointer(linear.weight.value.pointer), linear.outFeatures)
            }
            let projections = [block.query, block.key, block.value]
            qkv = PackedWeights(projections.map(weights), k: c)
            qkvBias = Tensor(shape: [3 * c], values: projections.flatMap { $0.bias!.value.toArray() })
            attentionOutput = PackedWeights([weights(block.attentionOutput)], k: c)
            intermediate = PackedWeights([weights(block.intermediate)], k: c)
            output = PackedWeights([weights(block.output)], k: block.output.inFeatures)
        }
    }

    /// The block without the graph, in place on packed sequences `x` (N, C) of `lengths`.
    func infer(_ x: UnsafeMutablePointer<Float>, lengths: [Int], scratch s: BertScratch) {
        let n = lengths.reduce(0, +)
        let c = query.outFeatures
        let p = packedWeights()
        let i = intermediate.outFeatures
        Kernels.packedProduct(s.qkv.pointer, ldy: 3 * c, x, ldx: c, p.qkv, bias: p.qkvBias.pointer, rows: n)
        attend(lengths: lengths, scratch: s)
        Kernels.packedProduct(
            x, ldy: c, s.attended.pointer, ldx: c, p.attentionOutput, bias: attentionOutput.bias?.value.pointer,
            rows: n, epilogue: .accumulate)  // x += attention(x)·Wᵀ + b
        attentionNorm.infer(x, x, rows: n, scratch: s.stats.pointer)
        Kernels.packedProduct(
            s.wide.pointer, ldy: i, x, ldx: c, p.intermediate, bias: intermediate.bias?.value.pointer, rows: n,
            epilogue: .gelu(gelu))  // (N, I)
        Kernels.packedProduct(
            x, ldy: c, s.wide.pointer, ldx: i, p.output, bias: output.bias?.value.pointer, rows: n,
            epilogue: .accumulate)  // x += gelu(…)·Wᵀ + b
        outputNorm.infer(x, x, rows: n, scratch: s.stats.pointer)
    }

    /// Self-attention of each sequence over its own rows: `s.qkv` (N, 3C) into `s.attended` (N, C).
    private func attend(lengths: [Int], scratch s: BertScratch) {
        let c = query.outFeatures
        var first = 0
        for length in lengths {
            let shape = AttentionShape(batch: 1, time: length, width: c, heads: heads, causal: false)
            Kernels.attention(
                s.attended.pointer + first * c, probabilities: s.probabilities.pointer, keep: nil, keepScale: 1,
                qkv: s.qkv.pointer + first * 3 * c, shape: shape)  // (n, C)
            first += length
        }
    }

    var parameters: [Parameter] {
        [query, key, value, attentionOutput].flatMap(\.parameters) + attentionNorm.parameters
            + intermediate.parameters + output.parameters + outputNorm.parameters
    }
    var description: String { "BertBlock(\(query.outFeatures), heads \(heads))" }
}
