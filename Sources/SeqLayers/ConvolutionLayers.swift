import SeqAutograd
import SeqNN
import SeqTensor

/// A 1-D convolution over time: (B, T, C) → (B, T_out, filters), kernel (kernelSize, C, filters) as Keras keeps
/// it. Each output step is one row of the input's unfolded windows times the kernel, so the whole layer is
/// one im2col node and one matrix product.
///
/// `Conv1D(filters: 32, kernelSize: 5, padding: .same, activation: .relu, inputShape: [100, 16])`
public final class Conv1D: Layer {
    /// Output channels.
    public let filters: Int
    /// Steps each window covers.
    public let kernelSize: Int
    /// Steps between windows.
    public let strides: Int
    /// `valid` (no padding) or `same` (⌈T/strides⌉ outputs).
    public let padding: WindowPadding
    /// The activation after the product.
    public let activation: Activation
    private var kernel: Parameter?
    private var bias: Parameter?

    /// A convolution of `filters` windows of `kernelSize` steps.
    public init(
        filters: Int, kernelSize: Int, strides: Int = 1, padding: WindowPadding = .valid,
        activation: Activation = .linear, inputShape: [Int]? = nil, name: String = ""
    ) {
        precondition(filters > 0 && kernelSize > 0 && strides > 0, "Conv1D: sizes must be positive")
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.activation = activation
        super.init(name: name, inputShape: inputShape)
    }

    public override var typeName: String { "Conv1D" }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        let shape = inputShapes[0]
        guard shape.count == 2 else { return .failure(ShapeProblem("needs input of shape (steps, channels)")) }
        let (out, _) = padding.plan(length: shape[0], kernel: kernelSize, stride: strides)
        guard out > 0 else {
            return .failure(ShapeProblem("needs at least \(kernelSize) steps for a '\(padding)' window"))
        }
        return .success([out, filters])
    }

    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        let c = inputShapes[0][1]
        kernel = addParameter(
            "kernel", [kernelSize, c, filters],
            .glorotUniform(fanIn: kernelSize * c, fanOut: kernelSize * filters), arena: arena, rng: &rng)
        bias = addParameter("bias", [filters], .zeros, arena: arena, rng: &rng)
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let cols = unfold1D(inputs[0], kernel: kernelSize, stride: strides, padding: padding)  // (B, T_out, K·C)
        let (b, out, kc) = (cols.shape[0], cols.shape[1], cols.shape[2])
        let w = variable(kernel!).reshaped([kc, filters])
        let y = matmul(cols.reshaped([b * out, kc]), w) + variable(bias!)  // (B·T_out, F)
        return activation.apply(y.reshaped([b, out, filters]))
    }

    public override var config: LayerConfig {
        LayerConfig([
            "filters": .int(filters), "kernelSize": .int(kernelSize), "strides": .int(strides),
            "padding": .string(padding.rawValue), "activation": .string(activation.rawValue),
        ])
    }
}

/// Max pooling over time: (B, T, C) → (B, T_out, C), the largest value of each window of `poolSize` steps.
///
/// `MaxPooling1D(poolSize: 2)   // strides default to poolSize`
public final class MaxPooling1D: Layer {
    /// Steps each window covers.
    public let poolSize: Int
    /// Steps between windows.
    public let strides: Int
    /// `valid` or `same`.
    public let padding: WindowPadding

    /// A max-pooling layer; `strides` defaults to `poolSize`.
    public init(poolSize: Int = 2, strides: Int? = nil, padding: WindowPadding = .valid, name: String = "") {
        precondition(poolSize > 0 && (strides ?? 1) > 0, "MaxPooling1D: sizes must be positive")
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        super.init(name: name)
    }

    public override var typeName: String { "MaxPooling1D" }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        let shape = inputShapes[0]
        guard shape.count == 2 else { return .failure(ShapeProblem("needs input of shape (steps, channels)")) }
        let (out, _) = padding.plan(length: shape[0], kernel: poolSize, stride: strides)
        guard out > 0 else { return .failure(ShapeProblem("needs at least \(poolSize) steps")) }
        return .success([out, shape[1]])
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        maxPool1D(inputs[0], size: poolSize, stride: strides, padding: padding)
    }

    public override var config: LayerConfig {
        LayerConfig(["poolSize": .int(poolSize), "strides": .int(strides), "padding": .string(padding.rawValue)])
    }
}

/// The mean over time: (B, T, C) → (B, C).
public final class GlobalAveragePooling1D: Layer {
    /// A global average pooling layer.
    public init(name: String = "") { super.init(name: name) }

    public override var typeName: String { "GlobalAveragePooling1D" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        inputShapes[0].count == 2
            ? .success([inputShapes[0][1]]) : .failure(ShapeProblem("needs input of shape (steps, channels)"))
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        inputs[0].mean(axis: 1)
    }
}

/// The largest value over time: (B, T, C) → (B, C).
public final class GlobalMaxPooling1D: Layer {
    /// A global max pooling layer.
    public init(name: String = "") { super.init(name: name) }

    public override var typeName: String { "GlobalMaxPooling1D" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        inputShapes[0].count == 2
            ? .success([inputShapes[0][1]]) : .failure(ShapeProblem("needs input of shape (steps, channels)"))
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]  // (B, T, C)
        let t = x.shape[1]
        return maxPool1D(x, size: t, stride: t, padding: .valid).reshaped([x.shape[0], x.shape[2]])
    }
}
