import SeqAutograd
import SeqNN
import SeqTensor

/// The activation a layer applies to its output (Keras's `activation=`).
public enum Activation: String, Codable, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax, gelu

    /// Applies the activation (softmax over the last axis).
    public func apply(_ x: Variable) -> Variable {
        switch self {
        case .linear: x
        case .relu: x.relu()
        case .sigmoid: x.sigmoid()
        case .tanh: x.tanh()
        case .softmax: x.softmax()
        case .gelu: x.gelu()
        }
    }
}

/// A fully connected layer on the last axis: `y = activation(x · kernel + bias)`, kernel (in, units).
///
/// On (B, …, in) it maps every position: (B, T, 8) → (B, T, units).
///
/// `Dense(16, activation: .relu, inputShape: [1])   // 1·16 + 16 = 32 parameters`
public final class Dense: Layer {
    /// Output width.
    public let units: Int
    /// The activation after the product.
    public let activation: Activation
    /// Whether a bias is added.
    public let useBias: Bool
    private var kernel: Parameter?
    private var bias: Parameter?

    /// A dense layer of `units` outputs.
    public init(
        _ units: Int, activation: Activation = .linear, useBias: Bool = true, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        precondition(units > 0, "Dense: units must be positive, got \(units)")
        self.units = units
        self.activation = activation
        self.useBias = useBias
        super.init(name: name, inputShape: inputShape)
    }

    public override var typeName: String { "Dense" }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        guard let shape = inputShapes.first, !shape.isEmpty else { return .failure(ShapeProblem("needs features")) }
        return .success(shape.dropLast() + [units])
    }

    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        let inFeatures = inputShapes[0].last!
        kernel = addParameter(
            "kernel", [inFeatures, units], .glorotUniform(fanIn: inFeatures, fanOut: units), arena: arena, rng: &rng)
        if useBias { bias = addParameter("bias", [units], .zeros, arena: arena, rng: &rng) }
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]  // (B, …, in)
        let w = variable(kernel!)
        let rows = x.reshaped([x.count / w.shape[0], w.shape[0]])
        var y = matmul(rows, w)  // (rows, units)
        if let bias { y = y + variable(bias) }
        return activation.apply(y.reshaped(Array(x.shape.dropLast()) + [units]))
    }

    public override var config: LayerConfig {
        LayerConfig(["units": .int(units), "activation": .string(activation.rawValue), "useBias": .bool(useBias)])
    }
}

/// Drops inputs at rate `rate` while fitting (scaling the rest by 1/(1 − rate)); the identity otherwise.
///
/// `Dropout(0.2)`
public final class Dropout: Layer {
    /// The probability of dropping each input, in [0, 1).
    public let rate: Float

    /// A dropout layer.
    public init(_ rate: Float, name: String = "") {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        super.init(name: name)
    }

    public override var typeName: String { "Dropout" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        .success(inputShapes[0])
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        context.dropout(inputs[0], rate)
    }
    public override var config: LayerConfig { LayerConfig(["rate": .double(Double(rate))]) }
}

/// Flattens every axis but the batch: (B, T, C) → (B, T·C).
public final class Flatten: Layer {
    /// A flatten layer.
    public override init(name: String = "", inputShape: [Int]? = nil) { super.init(name: name, inputShape: inputShape) }

    public override var typeName: String { "Flatten" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        .success([inputShapes[0].reduce(1, *)])
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]
        return x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
    }
}

/// Layer normalization over the last axis with a learned scale (`gamma`) and offset (`beta`).
///
/// `LayerNormalization()   // 2·C parameters`
public final class LayerNormalization: Layer {
    /// The small value added to the variance.
    public let epsilon: Float
    private var gamma: Parameter?
    private var beta: Parameter?

    /// A layer norm; Keras's default epsilon is 1e-3.
    public init(epsilon: Float = 1e-3, name: String = "", inputShape: [Int]? = nil) {
        self.epsilon = epsilon
        super.init(name: name, inputShape: inputShape)
    }

    public override var typeName: String { "LayerNormalization" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        inputShapes[0].isEmpty ? .failure(ShapeProblem("needs features")) : .success(inputShapes[0])
    }
    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        let c = inputShapes[0].last!
        gamma = addParameter("gamma", [c], .ones, arena: arena, rng: &rng)
        beta = addParameter("beta", [c], .zeros, arena: arena, rng: &rng)
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        layerNorm(inputs[0], weight: variable(gamma!), bias: variable(beta!), epsilon: epsilon)
    }
    public override var config: LayerConfig { LayerConfig(["epsilon": .double(Double(epsilon))]) }
}

/// A lookup table from whole-number ids to vectors: (B, T) ids → (B, T, outputDim).
///
/// `Embedding(inputDim: 65, outputDim: 32, inputShape: [40])   // 65·32 parameters`
public final class Embedding: Layer {
    /// The number of ids (the vocabulary).
    public let inputDim: Int
    /// The width of each vector.
    public let outputDim: Int
    private var table: Parameter?

    /// An embedding of `inputDim` ids into `outputDim` numbers, uniform(±0.05) at first as in Keras.
    public init(inputDim: Int, outputDim: Int, inputShape: [Int]? = nil, name: String = "") {
        precondition(inputDim > 0 && outputDim > 0, "Embedding: sizes must be positive")
        self.inputDim = inputDim
        self.outputDim = outputDim
        super.init(name: name, inputShape: inputShape)
    }

    public override var typeName: String { "Embedding" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        .success(inputShapes[0] + [outputDim])
    }
    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        table = addParameter("embeddings", [inputDim, outputDim], .uniform(bound: 0.05), arena: arena, rng: &rng)
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]
        let p = x.value.pointer
        let ids = (0..<x.count).map { Int(p[$0]) }
        return embedding(ids: ids, shape: x.shape, table: variable(table!))
    }
    public override func validateInput(_ x: Tensor, argument: String) throws {
        let p = x.pointer
        for i in 0..<x.count {
            let v = p[i]
            if v != v.rounded() || v < 0 || v >= Float(inputDim) {
                throw ModelError.badArgument(
                    argument, "value \(v) at element \(i) is not an id in 0..<\(inputDim) for layer '\(name)'")
            }
        }
    }
    public override var config: LayerConfig {
        LayerConfig(["inputDim": .int(inputDim), "outputDim": .int(outputDim)])
    }
}
