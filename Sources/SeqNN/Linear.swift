import SeqAutograd
import SeqTensor

/// `y = x · Wᵀ + b` with `W` stored (out, in) as in PyTorch.
///
/// ```swift
/// let c_fc = Linear(arena, "mlp.c_fc", inFeatures: 128, outFeatures: 512, rng: &rng)
/// let h = c_fc(x)   // (B, T, 128) → (B, T, 512)
/// ```
public final class Linear: Module {
    /// (out, in)
    public let weight: Parameter
    /// (out), if the layer has a bias
    public let bias: Parameter?

    /// A layer initialised as `nn.Linear` (uniform ±1/√in) unless `weightInit` / `biasInit` say otherwise.
    public init(
        _ arena: ParameterArena, _ prefix: String, inFeatures: Int, outFeatures: Int, bias hasBias: Bool = true,
        weightInit: Initialization? = nil, biasInit: Initialization? = nil, rng: inout SeededGenerator
    ) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = arena.parameter(
            qualified(prefix, "weight"), [outFeatures, inFeatures], weightInit ?? .uniform(bound: bound), &rng)
        bias =
            hasBias
            ? arena.parameter(qualified(prefix, "bias"), [outFeatures], biasInit ?? .uniform(bound: bound), &rng) : nil
    }

    /// Input width.
    public var inFeatures: Int { weight.shape[1] }
    /// Output width.
    public var outFeatures: Int { weight.shape[0] }

    /// `(…, in) → (…, out)`.
    public func callAsFunction(_ x: Variable) -> Variable {
        let y = matmul(x, weight.variable(), transposeB: true)  // (…, out)
        guard let bias else { return y }
        return y + bias.variable()  // bias broadcast over rows
    }

    /// `self(norm(x))`, keeping only `x` (and per-row statistics) for the backward, which rebuilds `norm(x)`:
    /// `(…, in) → (…, out)`.
    public func callAsFunction(_ x: Variable, normalizedBy norm: LayerNorm) -> Variable {
        let y = layerNormMatmul(
            x, weight: norm.weight.variable(), bias: norm.bias?.variable(), epsilon: norm.epsilon, weight.variable())
        guard let bias else { return y }
        return y + bias.variable()  // bias broadcast over rows
    }

    /// `self(h.gelu(form))`, keeping only `h` for the backward (which rebuilds `gelu(h)`): `(…, in) → (…, out)`.
    public func callAsFunction(geluOf h: Variable, _ form: GELU = .exact) -> Variable {
        let y = geluMatmul(h, weight.variable(), gelu: form)  // (…, out)
        guard let bias else { return y }
        return y + bias.variable()  // bias broadcast over rows
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var description: String { "Linear(\(inFeatures) → \(outFeatures)\(bias == nil ? ", no bias" : ""))" }
}

/// A table of learned vectors, one row per token id: `(B, T) ids → (B, T, C)`.
///
/// `let wte = Embedding(arena, "transformer.wte", count: 65, width: 128, initialization: .normal(std: 0.02), rng: &rng)`
public final class Embedding: Module {
    /// (count, width)
    public let weight: Parameter

    /// A table initialised normal(0, 1) as `nn.Embedding`, unless told otherwise.
    public init(
        _ arena: ParameterArena, _ prefix: String, count: Int, width: Int,
        initialization: Initialization = .normal(std: 1), rng: inout SeededGenerator
    ) {
        weight = arena.parameter(qualified(prefix, "weight"), [count, width], initialization, &rng)
    }

    /// Rows for `ids`, laid out as `shape + [width]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Variable {
        embedding(ids: ids, shape: shape, table: weight.variable())
    }

    public var parameters: [Parameter] { [weight] }
    public var description: String { "Embedding(\(weight.shape[0]) × \(weight.shape[1]))" }
}

/// Layer norm over the last axis with a learned gain and optional bias (`nn.LayerNorm(bias=…)`).
///
/// `let ln_1 = LayerNorm(arena, "h.0.ln_1", width: 128, bias: false)`
public final class LayerNorm: Module {
    /// (width), starts at 1
    public let weight: Parameter
    /// (width), starts at 0
    public let bias: Parameter?
    /// Added to the variance.
    public let epsilon: Float

    /// A layer norm of `width` features.
    public init(_ arena: ParameterArena, _ prefix: String, width: Int, bias hasBias: Bool = true, epsilon: Float = 1e-5)
    {
        weight = arena.register(qualified(prefix, "weight"), shape: [width])
        weight.value.fill(1)
        bias = hasBias ? arena.register(qualified(prefix, "bias"), shape: [width]) : nil
        self.epsilon = epsilon
    }

    /// `(…, width) → (…, width)`.
    public func callAsFunction(_ x: Variable) -> Variable {
        layerNorm(x, weight: weight.variable(), bias: bias?.variable(), epsilon: epsilon)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var description: String { "LayerNorm(\(weight.shape[0])\(bias == nil ? ", no bias" : ""))" }
}
