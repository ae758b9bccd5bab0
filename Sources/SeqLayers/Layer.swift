import SeqAutograd
import SeqNN
import SeqTensor

/// One layer of a composed model: it learns its input's shape when the model is built, registers its
/// parameters in the model's arena, and maps batches of that shape to batches of its output shape.
///
/// Shapes never include the batch axis: `Dense(16)` after an input of shape `[1]` takes (B, 1) to (B, 16).
/// Subclasses override ``typeName``, ``outputShape(for:)``, ``build(inputShapes:arena:rng:)`` (when they have
/// parameters), ``call(_:_:)`` and ``config``; ``LayerRegistry`` reads them back from a saved model.
///
/// ```swift
/// let dense = Dense(16, activation: .relu, inputShape: [1])
/// dense.trainable = false   // frozen: no gradient, the optimizer leaves it alone
/// ```
open class Layer {
    /// The layer's name in the model (`dense`, `dense_1`, …; the model names unnamed layers when it is built),
    /// and the prefix of its parameters in `model.safetensors` (`dense_1.kernel`).
    public var name: String
    /// Whether fitting updates the layer's parameters. Change it before ``Model/compile(optimizer:loss:metrics:schedule:clipNorm:)``.
    public var trainable = true
    /// The input shape declared on a model's first layer (`inputShape: [1]`), without the batch axis.
    public let declaredInputShape: [Int]?
    /// The parameters registered by ``build(inputShapes:arena:rng:)``, in registration order.
    public internal(set) var parameters: [Parameter] = []
    /// The shapes of the inputs the layer was built for (one per input; `Add` and `Concatenate` take several).
    public internal(set) var inputShapes: [[Int]] = []

    /// A layer named `name` (empty: the model picks one), with an optional declared input shape.
    public init(name: String = "", inputShape: [Int]? = nil) {
        self.name = name
        self.declaredInputShape = inputShape
    }

    /// The class name in summaries and saved models: `Dense`.
    open var typeName: String { fatalError("\(type(of: self)) must override typeName") }

    /// The output shape for these input shapes, or an explanation of why the inputs do not fit (the model adds
    /// both layers' names and shapes to it).
    open func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        fatalError("\(type(of: self)) must override outputShape(for:)")
    }

    /// Registers the parameters for these (already checked) input shapes; the default registers none.
    open func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {}

    /// The forward pass on batches (the batch axis first) of the shapes the layer was built for.
    open func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        fatalError("\(type(of: self)) must override call(_:_:)")
    }

    /// The settings a saved model keeps to rebuild the layer (not its name, trainable flag or weights).
    open var config: LayerConfig { LayerConfig() }

    /// Checks values fed straight to this layer from a model input (the embedding checks its ids); throws
    /// ``ModelError/badArgument(_:_:)`` naming `argument`.
    open func validateInput(_ x: Tensor, argument: String) throws {}

    /// A layer that brings a model of its own (``PretrainedEncoder``) keeps its parameters in that model's arena
    /// rather than the composed model's; fitting, saving and loading handle both. Nil for every other layer.
    open var ownArena: ParameterArena? { nil }

    /// The number of parameter elements.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.slot.count } }

    /// A parameter as a graph leaf: gradients flow into the arena when the layer is trainable, not otherwise.
    public func variable(_ parameter: Parameter) -> Variable {
        trainable ? parameter.variable() : Variable(parameter.value)
    }

    /// Registers `name` under this layer's prefix and keeps it in ``parameters``.
    public func addParameter(
        _ name: String, _ shape: [Int], _ initialization: LayerInitialization, arena: ParameterArena,
        rng: inout SeededGenerator
    ) -> Parameter {
        let p = arena.register(qualified(self.name, name), shape: shape)
        initialization.fill(p.value, using: &rng)
        parameters.append(p)
        return p
    }
}

/// Why a layer cannot take its input: `needs (timesteps, features)`, with the shape it got.
public struct ShapeProblem: Error, Sendable, Equatable {
    /// What the layer needs, in words: `needs input of rank 2 (timesteps, features)`.
    public var need: String
    /// A problem with a description.
    public init(_ need: String) { self.need = need }
}

/// Keras's initializers, each drawing from the model's seeded generator.
public enum LayerInitialization: Sendable {
    /// Every element 0.
    case zeros
    /// Every element 1.
    case ones
    /// Uniform(±√(6 / (fanIn + fanOut))): Keras's default for kernels.
    case glorotUniform(fanIn: Int, fanOut: Int)
    /// Uniform(±bound): Keras's default for embeddings is ±0.05.
    case uniform(bound: Float)
    /// A value per element: `.pattern { i in i % 4 == 1 ? 1 : 0 }` (the LSTM's forget-gate bias of 1).
    case pattern(@Sendable (Int) -> Float)

    /// Fills `tensor` in place.
    public func fill(_ tensor: Tensor, using rng: inout SeededGenerator) {
        switch self {
        case .zeros: tensor.fill(0)
        case .ones: tensor.fill(1)
        case .glorotUniform(let fanIn, let fanOut):
            Initialization.uniform(bound: (6 / Float(max(fanIn + fanOut, 1))).squareRoot()).fill(tensor, using: &rng)
        case .uniform(let bound): Initialization.uniform(bound: bound).fill(tensor, using: &rng)
        case .pattern(let value):
            let p = tensor.pointer
            for i in 0..<tensor.count { p[i] = value(i) }
        }
    }
}

/// A shape as Keras prints it, with the batch axis: `(None, 16)`.
public func describeShape(_ shape: [Int]) -> String {
    "(" + (["None"] + shape.map(String.init)).joined(separator: ", ") + ")"
}
