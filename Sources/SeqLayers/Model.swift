import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import SeqTraining

/// A value flowing through a functional model while it is described: a model input, or a layer's output.
///
/// ```swift
/// let input = Input(shape: [8])
/// let hidden = Dense(16, activation: .relu)(input)
/// let model = try Model(inputs: [input], outputs: Dense(1)(Concatenate()([input, hidden])))
/// ```
public final class SymbolicTensor {
    let layer: Layer?
    let inputs: [SymbolicTensor]
    let inputShape: [Int]?
    let inputName: String

    init(layer: Layer?, inputs: [SymbolicTensor], inputShape: [Int]?, inputName: String) {
        self.layer = layer
        self.inputs = inputs
        self.inputShape = inputShape
        self.inputName = inputName
    }
}

/// A model input of the given shape (without the batch axis), for the functional form of ``Model``.
///
/// `let tokens = Input(shape: [40])`
public func Input(shape: [Int], name: String = "") -> SymbolicTensor {
    SymbolicTensor(layer: nil, inputs: [], inputShape: shape, inputName: name)
}

extension Layer {
    /// Applies the layer to a symbolic value: `Dense(8)(input)`.
    public func callAsFunction(_ input: SymbolicTensor) -> SymbolicTensor { self([input]) }

    /// Applies the layer to several symbolic values: `Concatenate()([a, b])`.
    public func callAsFunction(_ inputs: [SymbolicTensor]) -> SymbolicTensor {
        SymbolicTensor(layer: self, inputs: inputs, inputShape: nil, inputName: "")
    }
}

/// Builds the layer list of ``Sequential``: `Sequential { Dense(16); Dense(1) }`.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: Layer) -> [Layer] { [layer] }
    public static func buildExpression(_ layers: [Layer]) -> [Layer] { layers }
    public static func buildBlock(_ parts: [Layer]...) -> [Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Layer]?) -> [Layer] { part ?? [] }
    public static func buildEither(first: [Layer]) -> [Layer] { first }
    public static func buildEither(second: [Layer]) -> [Layer] { second }
    public static func buildArray(_ parts: [[Layer]]) -> [Layer] { parts.flatMap { $0 } }
}

/// A model composed of layers: a chain (``Sequential``) or a graph with several paths (the functional form).
///
/// Every parameter lives in one ``ParameterArena`` (`layer.kernel` names), so an optimizer step, a gradient
/// clip and a checkpoint are one pass over one buffer, as in `seqtrain`.
///
/// ```swift
/// let model = Sequential {
///     Dense(16, activation: .relu, inputShape: [1])
///     Dense(8, activation: .relu)
///     Dense(1)
/// }
/// try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
/// let history = try model.fit(x: x, y: y, epochs: 200, batchSize: 32, validationSplit: 0.2)
/// ```
public class Model {
    /// Where a layer's input comes from.
    enum Source: Equatable {
        case input(Int)
        case node(Int)
    }

    /// One layer of the graph with its inputs.
    struct Node {
        let layer: Layer
        let sources: [Source]
    }

    /// The model's name in summaries (`sequential`, `functional`).
    public var name: String
    /// The seed of the initial weights.
    public let seed: UInt64
    /// All parameters.
    public let arena = ParameterArena()
    /// The model's inputs: names and shapes (nil until known for a Sequential without `inputShape`).
    var inputs: [(name: String, shape: [Int]?)]
    var nodes: [Node]
    var output: Source
    /// Output shapes of the nodes, once built.
    var shapes: [[Int]] = []
    /// Whether the parameters are registered.
    public private(set) var isBuilt = false
    /// The compile settings (nil until ``compile(optimizer:loss:metrics:schedule:clipNorm:)``).
    public internal(set) var compiled: CompileSettings?
    /// One optimizer per arena with trainable weights: the model's, then each ``Layer/ownArena`` of a trainable layer.
    var optimizers: [Optimizer] = []
    /// Set by a callback to end ``fit`` after the current epoch (``EarlyStopping`` does).
    public var stopTraining = false
    /// The learning rate `fit` uses for the coming epoch before the schedule scales it (a
    /// ``LearningRateScheduler`` sets it).
    public var learningRate: Double = 0

    init(name: String, seed: UInt64, inputs: [(name: String, shape: [Int]?)], nodes: [Node], output: Source) {
        self.name = name
        self.seed = seed
        self.inputs = inputs
        self.nodes = nodes
        self.output = output
    }

    /// A functional model from its inputs to one output; the graph is read back from `outputs` and built at once.
    ///
    /// Throws ``ModelError/invalidGraph(_:)`` when a layer is used twice or the output needs an input that is not
    /// listed, and ``ModelError/shapeMismatch(layer:need:got:from:)`` when a layer cannot take its inputs.
    public convenience init(
        inputs: [SymbolicTensor], outputs: SymbolicTensor, name: String = "functional", seed: UInt64 = 0
    )
        throws
    {
        var order: [SymbolicTensor] = []
        var seen: Set<ObjectIdentifier> = []
        var layers: Set<ObjectIdentifier> = []
        func visit(_ t: SymbolicTensor) throws {
            guard seen.insert(ObjectIdentifier(t)).inserted else { return }
            for i in t.inputs { try visit(i) }
            if let layer = t.layer {
                guard layers.insert(ObjectIdentifier(layer)).inserted else {
                    throw ModelError.invalidGraph("layer '\(layer.name)' (\(layer.typeName)) is used twice")
                }
                order.append(t)
            } else if !inputs.contains(where: { $0 === t }) {
                throw ModelError.invalidGraph("the output needs an Input that is not in inputs:")
            }
        }
        try visit(outputs)
        var index: [ObjectIdentifier: Source] = [:]
        for (i, t) in inputs.enumerated() { index[ObjectIdentifier(t)] = .input(i) }
        var nodes: [Node] = []
        for t in order {
            index[ObjectIdentifier(t)] = .node(nodes.count)
            nodes.append(Node(layer: t.layer!, sources: t.inputs.map { index[ObjectIdentifier($0)]! }))
        }
        guard let output = index[ObjectIdentifier(outputs)] else {
            throw ModelError.invalidGraph("the output is not produced by any layer")
        }
        let named = inputs.enumerated().map { i, t in
            (
                name: t.inputName.isEmpty ? (i == 0 ? "input_layer" : "input_layer_\(i)") : t.inputName,
                shape: t.inputShape
            )
        }
        self.init(name: name, seed: seed, inputs: named, nodes: nodes, output: output)
        try build()
    }

    /// The layers in order.
    public var layers: [Layer] { nodes.map(\.layer) }

    /// Every arena holding the model's weights: its own, then each layer's ``Layer/ownArena``.
    public var arenas: [ParameterArena] { [arena] + layers.compactMap(\.ownArena) }

    /// A copy of every weight (all ``arenas``), for ``restoreWeights(_:)``.
    public func weightsSnapshot() -> [[Float]] { arenas.map { $0.flatValues.toArray() } }

    /// Puts back weights taken by ``weightsSnapshot()``.
    public func restoreWeights(_ snapshot: [[Float]]) {
        for (arena, values) in zip(arenas, snapshot) where values.count == arena.count {
            values.withUnsafeBufferPointer { arena.values.base.update(from: $0.baseAddress!, count: $0.count) }
        }
        for layer in layers { (layer as? PretrainedEncoder)?.weightsChanged() }
    }

    /// The shape of the output, without the batch axis (building the model if it can be).
    public func outputShape() throws -> [Int] {
        try build()
        return shape(of: output)
    }

    /// The shapes of the inputs, without the batch axis.
    public func inputShapes() throws -> [[Int]] {
        try build()
        return inputs.map { $0.shape! }
    }

    /// The shape a source gives (a node's once the build has reached it).
    func shape(of source: Source) -> [Int] {
        switch source {
        case .input(let i): inputs[i].shape!
        case .node(let j): shapes[j]
        }
    }

    /// The name of an input or of the layer a node runs.
    func name(of source: Source) -> String {
        switch source {
        case .input(let i): inputs[i].name
        case .node(let j): nodes[j].layer.name
        }
    }

    /// Names unnamed layers, checks every shape and registers every parameter (once; later calls return).
    public func build() throws {
        if isBuilt { return }
        guard inputs.allSatisfy({ $0.shape != nil }) else { throw ModelError.unbuilt(name) }
        var used = Set(nodes.compactMap { $0.layer.name.isEmpty ? nil : $0.layer.name })
        for node in nodes where node.layer.name.isEmpty {
            let base = snakeCase(node.layer.typeName)
            var candidate = base
            var k = 0
            while used.contains(candidate) {
                k += 1
                candidate = "\(base)_\(k)"
            }
            node.layer.name = candidate
            used.insert(candidate)
        }
        guard used.count == nodes.count else { throw ModelError.invalidGraph("two layers share a name") }
        shapes = []
        var given: [[[Int]]] = []
        for node in nodes {
            let inputShapes = node.sources.map(shape(of:))
            switch node.layer.outputShape(for: inputShapes) {
            case .success(let shape):
                shapes.append(shape)
                given.append(inputShapes)
            case .failure(let problem):
                shapes = []
                let from = node.sources.map { source in
                    if case .node(let j) = source {
                        "'\(name(of: source))' (\(nodes[j].layer.typeName))"
                    } else {
                        "input '\(name(of: source))'"
                    }
                }
                throw ModelError.shapeMismatch(
                    layer: "'\(node.layer.name)' (\(node.layer.typeName))", need: problem.need,
                    got: inputShapes.map(describeShape).joined(separator: " and "),
                    from: from.joined(separator: " and "))
            }
        }
        var rng = SeededGenerator(seed: seed)
        for (node, inputShapes) in zip(nodes, given) {
            node.layer.inputShapes = inputShapes
            node.layer.build(inputShapes: inputShapes, arena: arena, rng: &rng)
        }
        isBuilt = true
    }

    /// The forward pass on a batch of each input (batch axis first).
    public func callAsFunction(_ inputs: [Variable], context: ForwardContext) -> Variable {
        var values: [Variable] = []
        values.reserveCapacity(nodes.count)
        for node in nodes {
            let args = node.sources.map { source -> Variable in
                switch source {
                case .input(let i): inputs[i]
                case .node(let j): values[j]
                }
            }
            values.append(node.layer.call(args, context))
        }
        switch output {
        case .input(let i): return inputs[i]
        case .node(let j): return values[j]
        }
    }

    /// The number of parameter elements: all, and those of trainable layers (0 while the model cannot be built).
    public var parameterCounts: (total: Int, trainable: Int) {
        _ = try? build()
        let total = layers.reduce(0) { $0 + $1.parameterCount }
        let trainable = layers.filter(\.trainable).reduce(0) { $0 + $1.parameterCount }
        return (total, trainable)
    }

    /// Keras's summary table: each layer with its type, output shape and parameter count (and what it reads, for a
    /// model with more than one path), then the total, trainable and non-trainable counts with their memory.
    ///
    /// ```
    /// Model: "sequential"
    /// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
    /// ┃ Layer (type)               ┃ Output Shape       ┃   Param # ┃
    /// ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
    /// │ dense (Dense)              │ (None, 16)         │        32 │
    /// …
    ///  Total params: 177 (708.00 B)
    /// ```
    public func summary() throws -> String {
        try build()
        let chain = nodes.enumerated().allSatisfy { j, node in
            node.sources == [j == 0 ? .input(0) : .node(j - 1)]
        }
        var headers = ["Layer (type)", "Output Shape", "Param #"]
        var rows: [[String]] = []
        if !chain {
            headers.append("Connected to")
            for (i, input) in inputs.enumerated() {
                rows.append(["\(input.name) (InputLayer)", describeShape(shape(of: .input(i))), "0", "-"])
            }
        }
        for (j, node) in nodes.enumerated() {
            var row = [
                "\(node.layer.name) (\(node.layer.typeName))", describeShape(shapes[j]),
                String(node.layer.parameterCount),
            ]
            if !chain {
                row.append(node.sources.map(name(of:)).joined(separator: ", "))
            }
            rows.append(row)
        }
        let widths = headers.indices.map { c in max(headers[c].count, rows.map { $0[c].count }.max() ?? 0) + 2 }
        func line(_ left: String, _ fill: String, _ mid: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: mid) + right
        }
        func cells(_ values: [String], _ bar: String) -> String {
            bar
                + values.enumerated().map { c, v in
                    let pad = String(repeating: " ", count: widths[c] - v.count)
                    return " " + (c == 2 ? pad + v : v + pad) + " "
                }.joined(separator: bar) + bar
        }
        var out = ["Model: \"\(name)\"", line("┏", "━", "┳", "┓"), cells(headers, "┃"), line("┡", "━", "╇", "┩")]
        for (i, row) in rows.enumerated() {
            if i > 0 { out.append(line("├", "─", "┼", "┤")) }
            out.append(cells(row, "│"))
        }
        out.append(line("└", "─", "┴", "┘"))
        let (total, trainable) = parameterCounts
        func counted(_ n: Int) -> String { "\(n) (\(formatBytes(n * 4)))" }
        out.append(" Total params: \(counted(total))")
        out.append(" Trainable params: \(counted(trainable))")
        out.append(" Non-trainable params: \(counted(total - trainable))")
        return out.joined(separator: "\n")
    }
}

/// A chain of layers, each reading the one before: Keras's `Sequential`.
///
/// The input shape comes from the first layer's `inputShape:` or, failing that, from the first data the model
/// sees (`fit`, `predict`).
///
/// ```swift
/// let model = Sequential {
///     Dense(16, activation: .relu, inputShape: [1])
///     Dense(8, activation: .relu)
///     Dense(1)
/// }
/// print(try model.summary())   // … Total params: 177 (708.00 B)
/// ```
public final class Sequential: Model {
    /// A chain of `layers`.
    public init(_ layers: [Layer], name: String = "sequential", seed: UInt64 = 0) {
        let nodes = layers.enumerated().map { j, layer in
            Node(layer: layer, sources: [j == 0 ? .input(0) : .node(j - 1)])
        }
        super.init(
            name: name, seed: seed, inputs: [(name: "input_layer", shape: layers.first?.declaredInputShape)],
            nodes: nodes, output: layers.isEmpty ? .input(0) : .node(layers.count - 1))
    }

    /// A chain written as a list of layers in braces.
    public convenience init(name: String = "sequential", seed: UInt64 = 0, @LayerBuilder _ layers: () -> [Layer]) {
        self.init(layers(), name: name, seed: seed)
    }

    /// Adds a layer at the end (before the model is built).
    public func add(_ layer: Layer) {
        precondition(!isBuilt, "Sequential.add after the model was built")
        if nodes.isEmpty { inputs[0].shape = layer.declaredInputShape }
        nodes.append(Node(layer: layer, sources: [nodes.isEmpty ? .input(0) : .node(nodes.count - 1)]))
        output = .node(nodes.count - 1)
    }

    /// Takes the input shape from data when no layer declared one.
    func adoptInputShape(_ shape: [Int]) {
        if inputs[0].shape == nil { inputs[0].shape = shape }
    }
}

/// `Dense` → `dense`, `SimpleRNN` → `simple_rnn`, `Conv1D` → `conv1d`, `LSTM` → `lstm` (Keras's layer names).
func snakeCase(_ name: String) -> String {
    var out = ""
    var previous: Character?
    let chars = Array(name)
    for (i, c) in chars.enumerated() {
        if c.isUppercase, let p = previous {
            let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
            if p.isLowercase || (p.isUppercase && nextIsLower) { out.append("_") }
        }
        out.append(contentsOf: c.lowercased())
        previous = c
    }
    return out
}

/// Bytes as Keras prints them: `708.00 B`, `2.77 KB`, `1.21 MB`.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return String(format: "%.2f", value) + " " + units[unit]
}
