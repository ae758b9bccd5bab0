import SeqAutograd
import SeqNN
import SeqTensor

/// Multi-head self-attention over (B, T, C) (Keras's `MultiHeadAttention` called with query = value = x):
/// query, key and value projections to `heads · keyDim`, scaled dot-product attention per head, and an
/// output projection back to C. With `causal`, step t attends to steps ≤ t only.
///
/// `MultiHeadAttention(heads: 4, keyDim: 16)   // (B, T, 64) → (B, T, 64)`
public final class MultiHeadAttention: Layer {
    /// Number of heads.
    public let heads: Int
    /// Width of each head's queries, keys and values.
    public let keyDim: Int
    /// Whether attention is masked to earlier steps.
    public let causal: Bool
    /// Dropout on the attention weights while fitting.
    public let dropout: Float
    private var projections: [(kernel: Parameter, bias: Parameter)] = []

    /// A self-attention layer of `heads` heads of width `keyDim`.
    public init(
        heads: Int, keyDim: Int, causal: Bool = false, dropout: Float = 0, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        precondition(heads > 0 && keyDim > 0, "MultiHeadAttention: heads and keyDim must be positive")
        precondition(dropout >= 0 && dropout < 1, "MultiHeadAttention: dropout must be in [0, 1)")
        self.heads = heads
        self.keyDim = keyDim
        self.causal = causal
        self.dropout = dropout
        super.init(name: name, inputShape: inputShape)
    }

    public override var typeName: String { "MultiHeadAttention" }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        inputShapes[0].count == 2
            ? .success(inputShapes[0]) : .failure(ShapeProblem("needs input of shape (steps, features)"))
    }

    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        let (c, d) = (inputShapes[0][1], heads * keyDim)
        for (part, fanIn, fanOut) in [("query", c, d), ("key", c, d), ("value", c, d), ("output", d, c)] {
            let kernel = addParameter(
                part + ".kernel", [fanIn, fanOut], .glorotUniform(fanIn: fanIn, fanOut: fanOut), arena: arena,
                rng: &rng)
            let bias = addParameter(part + ".bias", [fanOut], .zeros, arena: arena, rng: &rng)
            projections.append((kernel, bias))
        }
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]  // (B, T, C)
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let d = heads * keyDim
        let rows = x.reshaped([b * t, c])
        let kernels = concat(projections[0..<3].map { variable($0.kernel) }, axis: 1)  // (C, 3D)
        let biases = concat(projections[0..<3].map { variable($0.bias) }, axis: 0)  // (3D)
        let qkv = (matmul(rows, kernels) + biases).reshaped([b, t, 3 * d])  // q | k | v, head-major in each
        let mixed = attention(
            qkv, heads: heads, causal: causal, dropout: context.dropsOut(dropout) ? dropout : 0, rng: &context.rng)
        let out = projections[3]
        let y = matmul(mixed.reshaped([b * t, d]), variable(out.kernel)) + variable(out.bias)  // (B·T, C)
        return y.reshaped([b, t, c])
    }

    public override var config: LayerConfig {
        LayerConfig([
            "heads": .int(heads), "keyDim": .int(keyDim), "causal": .bool(causal),
            "dropout": .double(Double(dropout)),
        ])
    }
}

/// The element-wise sum of several inputs of one shape (a residual connection in a functional model).
///
/// `let y = Add()([x, Dense(8)(x)])`
public final class Add: Layer {
    /// An add layer.
    public init(name: String = "") { super.init(name: name) }

    public override var typeName: String { "Add" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        guard inputShapes.count >= 2 else { return .failure(ShapeProblem("needs at least two inputs")) }
        guard inputShapes.allSatisfy({ $0 == inputShapes[0] }) else {
            return .failure(ShapeProblem("needs inputs of one shape"))
        }
        return .success(inputShapes[0])
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        inputs.dropFirst().reduce(inputs[0], +)
    }
}

/// Several inputs side by side along their last axis: (B, 8) and (B, 4) → (B, 12).
///
/// `let both = Concatenate()([left, right])`
public final class Concatenate: Layer {
    /// A concatenate layer.
    public init(name: String = "") { super.init(name: name) }

    public override var typeName: String { "Concatenate" }
    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        guard inputShapes.count >= 2 else { return .failure(ShapeProblem("needs at least two inputs")) }
        let leading = inputShapes[0].dropLast()
        guard !inputShapes[0].isEmpty, inputShapes.allSatisfy({ !$0.isEmpty && $0.dropLast() == leading }) else {
            return .failure(ShapeProblem("needs inputs that differ in their last axis only"))
        }
        return .success(Array(leading) + [inputShapes.reduce(0) { $0 + $1.last! }])
    }
    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        concat(inputs, axis: inputs[0].shape.count - 1)
    }
}
