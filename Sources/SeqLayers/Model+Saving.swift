import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqTensor
import SeqTraining

/// `model.json`: what a saved model is made of, readable without the code that built it.
struct ModelFile: Codable {
    struct Input: Codable {
        var name: String
        var shape: [Int]
    }
    struct LayerEntry: Codable {
        var type: String
        var name: String
        var trainable: Bool
        var inbound: [String]
        var config: LayerConfig
    }
    var format = ModelFile.formatName
    var version = 1
    var kind: String
    var name: String
    var seed: UInt64
    var inputs: [Input]
    var layers: [LayerEntry]
    var output: String
    var compile: CompileSettings?

    static let formatName = "seqkit-model"
}

/// Makes layers from their saved type name and settings.
///
/// Register a layer class of your own before loading a model that uses it:
/// `LayerRegistry.register("MyLayer") { config in try MyLayer(config: &config) }`.
public enum LayerRegistry {
    /// Makes a layer from its settings (read with the strict ``LayerConfig`` accessors).
    public typealias Factory = (inout LayerConfig) throws -> Layer

    nonisolated(unsafe) private static var factories: [String: Factory] = builtIn

    /// Adds or replaces the factory of `type`.
    public static func register(_ type: String, _ factory: @escaping Factory) { factories[type] = factory }

    /// A layer from its type name and settings as `model.json` spells them:
    /// `try LayerRegistry.layer(type: "Dense", config: LayerConfig(["units": .int(16)]))`.
    public static func layer(type: String, config: LayerConfig, name: String = "") throws -> Layer {
        let layer = try make(type: type, name: name.isEmpty ? snakeCase(type) : name, config: config)
        layer.name = name
        return layer
    }

    /// The layer a saved entry describes; unknown types and settings are errors naming the layer.
    static func make(type: String, name: String, config: LayerConfig) throws -> Layer {
        guard let factory = factories[type] else {
            throw ModelError.malformedModel(
                "layer '\(name)' has unknown type '\(type)'; known: \(factories.keys.sorted().joined(separator: ", "))")
        }
        var config = config
        config.owner = name
        let layer = try factory(&config)
        try config.finish()
        layer.name = name
        return layer
    }

    nonisolated(unsafe) private static let builtIn: [String: Factory] = [
        "Dense": { c in
            Dense(
                try positive(c.int("units"), "units", c), activation: try c.choice("activation", default: .linear),
                useBias: try c.bool("useBias", default: true))
        },
        "Dropout": { c in
            let rate = try c.double("rate")
            guard rate >= 0 && rate < 1 else { throw bad(c, "rate", "in [0, 1)") }
            return Dropout(Float(rate))
        },
        "Flatten": { _ in Flatten() },
        "LayerNormalization": { c in LayerNormalization(epsilon: Float(try c.double("epsilon", default: 1e-3))) },
        "Embedding": { c in
            Embedding(
                inputDim: try positive(c.int("inputDim"), "inputDim", c),
                outputDim: try positive(c.int("outputDim"), "outputDim", c))
        },
        "SimpleRNN": { c in
            let (units, sequences, both) = try recurrentSettings(&c)
            return SimpleRNN(units, returnSequences: sequences, bidirectional: both)
        },
        "LSTM": { c in
            let (units, sequences, both) = try recurrentSettings(&c)
            return LSTM(units, returnSequences: sequences, bidirectional: both)
        },
        "GRU": { c in
            let (units, sequences, both) = try recurrentSettings(&c)
            return GRU(units, returnSequences: sequences, bidirectional: both)
        },
        "Conv1D": { c in
            Conv1D(
                filters: try positive(c.int("filters"), "filters", c),
                kernelSize: try positive(c.int("kernelSize"), "kernelSize", c),
                strides: try positive(c.int("strides", default: 1), "strides", c),
                padding: try c.choice("padding", default: .valid),
                activation: try c.choice("activation", default: .linear))
        },
        "MaxPooling1D": { c in
            let size = try positive(c.int("poolSize", default: 2), "poolSize", c)
            return MaxPooling1D(
                poolSize: size, strides: try positive(c.int("strides", default: size), "strides", c),
                padding: try c.choice("padding", default: .valid))
        },
        "GlobalAveragePooling1D": { _ in GlobalAveragePooling1D() },
        "GlobalMaxPooling1D": { _ in GlobalMaxPooling1D() },
        "MultiHeadAttention": { c in
            let dropout = try c.double("dropout", default: 0)
            guard dropout >= 0 && dropout < 1 else { throw bad(c, "dropout", "in [0, 1)") }
            return MultiHeadAttention(
                heads: try positive(c.int("heads"), "heads", c), keyDim: try positive(c.int("keyDim"), "keyDim", c),
                causal: try c.bool("causal", default: false), dropout: Float(dropout))
        },
        "PretrainedEncoder": { c in try PretrainedEncoder(path: URL(fileURLWithPath: try c.string("path"))) },
        "PositionEmbedding": { _ in PositionEmbedding() },
        "Add": { _ in Add() },
        "Concatenate": { _ in Concatenate() },
    ]

    private static func recurrentSettings(_ c: inout LayerConfig) throws -> (Int, Bool, Bool) {
        (
            try positive(c.int("units"), "units", c), try c.bool("returnSequences", default: false),
            try c.bool("bidirectional", default: false)
        )
    }

    private static func positive(_ value: Int, _ key: String, _ c: LayerConfig) throws -> Int {
        guard value > 0 else { throw bad(c, key, "a positive whole number") }
        return value
    }

    private static func bad(_ c: LayerConfig, _ key: String, _ rule: String) -> ModelError {
        .malformedModel("layer '\(c.owner)': \"\(key)\" must be \(rule)")
    }
}

extension Model {
    /// The file names of a saved model's folder.
    public static let architectureFile = "model.json"
    /// The weights, as F32 safetensors under the parameter names (`dense.kernel`).
    public static let weightsFile = "model.safetensors"

    /// Saves the model into the folder `url`: its architecture (and compile settings) as `model.json`, its
    /// weights as `model.safetensors`. The folder is written beside and swapped in atomically, so an interrupted
    /// save leaves the previous one whole.
    ///
    /// `try model.save(to: URL(fileURLWithPath: "models/squares"))`
    public func save(to url: URL) throws {
        try build()
        let file = describe()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(file)
        try RunDirectory.commitFolder(url) { folder in
            try json.write(to: folder.appendingPathComponent(Model.architectureFile))
            try writeWeights(to: folder.appendingPathComponent(Model.weightsFile))
        }
    }

    /// Writes every arena into one safetensors file: the model's slots under their names, a layer's own arena
    /// under `<layer>.<name>`.
    func writeWeights(to url: URL) throws {
        var tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        func add(_ arena: ParameterArena, _ prefix: String) {
            for slot in arena.slots {
                tensors.append(
                    (
                        prefix + slot.name, slot.shape,
                        UnsafeBufferPointer(start: arena.values.base + slot.offset, count: slot.count)
                    ))
            }
        }
        add(arena, "")
        for layer in layers { if let own = layer.ownArena { add(own, layer.name + ".") } }
        try SafeTensorsFile.write(tensors, metadata: ["format": ModelFile.formatName], to: url)
    }

    func readWeights(from url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        let owners = layers.filter { $0.ownArena != nil }.map { $0.name + "." }
        try arena.read(from: file, prefix: "") { name in owners.contains { name.hasPrefix($0) } }
        for layer in layers {
            guard let own = layer.ownArena else { continue }
            let prefix = layer.name + "."
            try own.read(from: file, prefix: prefix) { !$0.hasPrefix(prefix) }
            (layer as? PretrainedEncoder)?.weightsChanged()
        }
    }

    func describe() -> ModelFile {
        ModelFile(
            kind: self is Sequential ? "sequential" : "functional", name: self.name, seed: seed,
            inputs: inputs.map { .init(name: $0.name, shape: $0.shape!) },
            layers: nodes.map { node in
                .init(
                    type: node.layer.typeName, name: node.layer.name, trainable: node.layer.trainable,
                    inbound: node.sources.map(name(of:)), config: node.layer.config)
            }, output: name(of: output), compile: compiled)
    }

    /// Loads a model saved by ``save(to:)`` — a ``Sequential`` when it was one — with its weights and, when it was
    /// compiled, its compile settings (ready for `fit`, `evaluate` and `predict`).
    ///
    /// `let model = try Model.load(from: URL(fileURLWithPath: "models/squares"))`
    public static func load(from url: URL) throws -> Model {
        let jsonURL = url.appendingPathComponent(architectureFile)
        let weightsURL = url.appendingPathComponent(weightsFile)
        guard let data = FileManager.default.contents(atPath: jsonURL.path) else {
            throw ModelError.malformedModel(
                "\(jsonURL.path) cannot be read: give the folder that Model.save(to:) or ModelCheckpoint wrote")
        }
        let file: ModelFile
        do {
            file = try JSONDecoder().decode(ModelFile.self, from: data)
        } catch {
            throw ModelError.malformedModel(
                "\(jsonURL.path) is not a SeqKit model description (\(describeDecoding(error)))")
        }
        guard file.format == ModelFile.formatName, file.version == 1 else {
            throw ModelError.malformedModel(
                "\(jsonURL.path) has format '\(file.format)' version \(file.version); this SeqKit reads \(ModelFile.formatName) 1"
            )
        }
        var sources: [String: Source] = [:]
        for (i, input) in file.inputs.enumerated() {
            guard input.shape.allSatisfy({ $0 > 0 }) else {
                throw ModelError.malformedModel(
                    "input '\(input.name)' has shape \(input.shape); sizes must be positive")
            }
            sources[input.name] = .input(i)
        }
        var nodes: [Node] = []
        for entry in file.layers {
            guard sources[entry.name] == nil else {
                throw ModelError.malformedModel("two layers or inputs are named '\(entry.name)'")
            }
            let layer = try LayerRegistry.make(type: entry.type, name: entry.name, config: entry.config)
            layer.trainable = entry.trainable
            let inbound = try entry.inbound.map { name -> Source in
                guard let source = sources[name] else {
                    throw ModelError.malformedModel(
                        "layer '\(entry.name)' reads '\(name)', which is not an input or an earlier layer")
                }
                return source
            }
            guard !inbound.isEmpty else { throw ModelError.malformedModel("layer '\(entry.name)' reads nothing") }
            sources[entry.name] = .node(nodes.count)
            nodes.append(Node(layer: layer, sources: inbound))
        }
        guard let output = sources[file.output] else {
            throw ModelError.malformedModel("the output '\(file.output)' is not an input or a layer")
        }
        let model: Model
        if file.kind == "sequential" {
            guard file.inputs.count == 1,
                nodes.enumerated().allSatisfy({ j, n in n.sources == [j == 0 ? .input(0) : .node(j - 1)] })
            else { throw ModelError.malformedModel("a sequential model must be a chain from one input") }
            let chain = Sequential(nodes.map(\.layer), name: file.name, seed: file.seed)
            chain.inputs = [(file.inputs[0].name, file.inputs[0].shape)]
            model = chain
        } else {
            model = Model(
                name: file.name, seed: file.seed, inputs: file.inputs.map { ($0.name, $0.shape) }, nodes: nodes,
                output: output)
        }
        try model.build()
        do {
            try model.readWeights(from: weightsURL)
        } catch {
            throw ModelError.malformedModel("\(weightsURL.path): \(error)")
        }
        if let settings = file.compile {
            try model.compile(
                optimizer: settings.optimizer, loss: settings.loss, metrics: settings.metrics,
                schedule: settings.schedule, clipNorm: settings.clipNorm)
        }
        return model
    }
}

private func describeDecoding(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing \"\(key.stringValue)\" at \(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(path(context)): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

private func path(_ context: DecodingError.Context) -> String {
    context.codingPath.isEmpty ? "the top level" : context.codingPath.map(\.stringValue).joined(separator: ".")
}
