import Foundation
import SeqAutograd
import SeqTensor

/// Multi-head self-attention where position t sees positions ≤ t (or every position when not
/// causal), with a fused q/k/v projection and optional rotary positions (nanoGPT names).
public final class CausalSelfAttention: Module {
    let c_attn: Linear  // C -> 3C: query, key, value for all heads at once
    let c_proj: Linear  // C -> C
    /// Number of heads.
    public let heads: Int
    /// Dropout on the attention weights and on the output projection while training.
    public let dropout: Float
    /// Whether each position sees only earlier ones.
    public let causal: Bool
    /// Whether q and k are rotated by position (RoPE).
    public let rotary: Bool

    /// `width` must be a multiple of `heads` (even per head with `rotary`). `c_proj` starts at
    /// `projectionStd` (GPT-2 scales it by 1/√(2·layers)).
    public init(
        _ arena: ParameterArena, _ prefix: String, width: Int, heads: Int, bias: Bool, dropout: Float,
        causal: Bool, rotary: Bool, initStd: Float, projectionStd: Float, rng: inout SeededGenerator
    ) {
        let zero: Initialization = .zeros
        c_attn = Linear(
            arena, qualified(prefix, "c_attn"), inFeatures: width, outFeatures: 3 * width, bias: bias,
            weightInit: .normal(std: initStd), biasInit: zero, rng: &rng)
        c_proj = Linear(
            arena, qualified(prefix, "c_proj"), inFeatures: width, outFeatures: width, bias: bias,
            weightInit: .normal(std: projectionStd), biasInit: zero, rng: &rng)
        self.heads = heads
        self.dropout = dropout
        self.causal = causal
        self.rotary = rotary
    }

    /// `(B, T, C) → (B, T, C)`; the attention output is kept for backward or rebuilt as
    /// ``ForwardContext/rebuildsActivations`` says.
    public func callAsFunction(_ x: Variable, _ context: ForwardContext) -> Variable {
        attend(c_attn(x), context, keep: !context.rebuildsActivations)
    }

    /// `self(norm(x), context)`: `(B, T, C) → (B, T, C)`. When the context rebuilds activations, `norm(x)` and the
    /// attention output are recomputed in backward instead of kept.
    public func callAsFunction(_ x: Variable, normalizedBy norm: LayerNorm, _ context: ForwardContext) -> Variable {
        context.rebuildsActivations
            ? attend(c_attn(x, normalizedBy: norm), context, keep: false) : attend(c_attn(norm(x)), context, keep: true)
    }

    private func attend(_ projected: Variable, _ context: ForwardContext, keep: Bool) -> Variable {
        var qkv = projected  // (B, T, 3C)
        if rotary { qkv = SeqAutograd.rotary(qkv, heads: heads) }
        let p = context.training ? dropout : 0
        if keep {
            let y = c_proj(attention(qkv, heads: heads, causal: causal, dropout: p, rng: &context.rng))
            return context.dropout(y, dropout)  // (B, T, C)
        }
        // c_proj(attention(qkv)) as one primitive that rebuilds the attention output in backward, (B, T, C)
        var y = attentionMatmul(
            qkv, heads: heads, causal: causal, dropout: p, rng: &context.rng, c_proj.weight.variable())
        if let bias = c_proj.bias { y = y + bias.variable() }
        return context.dropout(y, dropout)  // (B, T, C)
    }

    public var parameters: [Parameter] { c_attn.parameters + c_proj.parameters }
    public var description: String {
        "CausalSelfAttention(\(c_proj.outFeatures), heads: \(heads)\(causal ? "" : ", bidirectional")\(rotary ? ", rotary" : ""))"
    }
}

/// The transformer's feed-forward part: `c_proj(gelu(c_fc(x)))`, `ratio`× wide inside, the GELU exact
/// (`nn.GELU()`, nanoGPT) or the tanh approximation (GPT-2).
public final class MLP: Module {
    let c_fc: Linear  // C -> ratio·C
    let c_proj: Linear  // ratio·C -> C
    /// Dropout on the output while training.
    public let dropout: Float
    /// The activation between the two layers.
    public let gelu: GELU

    /// An MLP of `width` features, `ratio · width` wide inside.
    public init(
        _ arena: ParameterArena, _ prefix: String, width: Int, ratio: Int, bias: Bool, dropout: Float,
        gelu: GELU = .exact, initStd: Float, projectionStd: Float, rng: inout SeededGenerator
    ) {
        c_fc = Linear(
            arena, qualified(prefix, "c_fc"), inFeatures: width, outFeatures: ratio * width, bias: bias,
            weightInit: .normal(std: initStd), biasInit: .zeros, rng: &rng)
        c_proj = Linear(
            arena, qualified(prefix, "c_proj"), inFeatures: ratio * width, outFeatures: width, bias: bias,
            weightInit: .normal(std: projectionStd), biasInit: .zeros, rng: &rng)
        self.dropout = dropout
        self.gelu = gelu
    }

    /// `(…, C) → (…, C)`; `gelu(c_fc(x))` is kept for backward or rebuilt as
    /// ``ForwardContext/rebuildsActivations`` says.
    public func callAsFunction(_ x: Variable, _ context: ForwardContext) -> Variable {
        context.dropout(project(c_fc(x), context), dropout)  // (…, C)
    }

    /// `self(norm(x), context)`: `(…, C) → (…, C)`, with `norm(x)` recomputed in backward when the context
    /// rebuilds activations.
    public func callAsFunction(_ x: Variable, normalizedBy norm: LayerNorm, _ context: ForwardContext) -> Variable {
        let h = context.rebuildsActivations ? c_fc(x, normalizedBy: norm) : c_fc(norm(x))  // (…, ratio·C)
        return context.dropout(project(h, context), dropout)  // (…, C)
    }

    /// `c_proj(gelu(h))`, the GELU output kept for backward or rebuilt from `h`.
    private func project(_ h: Variable, _ context: ForwardContext) -> Variable {
        context.rebuildsActivations ? c_proj(geluOf: h, gelu) : c_proj(h.gelu(gelu))
    }

    public var parameters: [Parameter] { c_fc.parameters + c_proj.parameters }
    public var description: String {
        "MLP(\(c_fc.inFeatures) → \(c_fc.outFeatures) → \(c_proj.outFeatures), \(gelu == .exact ? "GELU" : "GELU tanh"))"
    }
}

/// A pre-LayerNorm transformer block: `x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))`.
public final class Block: Module {
    let ln_1: LayerNorm
    let attn: CausalSelfAttention
    let ln_2: LayerNorm
    let mlp: MLP

    /// Block `index` of `layers` (for the residual projections' scaled initialisation).
    public init(
        _ arena: ParameterArena, _ prefix: String, width: Int, heads: Int, mlpRatio: Int, bias: Bool,
        dropout: Float, causal: Bool, rotary: Bool, gelu: GELU = .exact, initStd: Float, layers: Int,
        rng: inout SeededGenerator
    ) {
        let projectionStd = initStd / (2 * Float(layers)).squareRoot()
        ln_1 = LayerNorm(arena, qualified(prefix, "ln_1"), width: width, bias: bias)
        attn = CausalSelfAttention(
            arena, qualified(prefix, "attn"), width: width, heads: heads, bias: bias, dropout: dropout,
            causal: causal, rotary: rotary, initStd: initStd, projectionStd: projectionStd, rng: &rng)
        ln_2 = LayerNorm(arena, qualified(prefix, "ln_2"), width: width, bias: bias)
        mlp = MLP(
            arena, qualified(prefix, "mlp"), width: width, ratio: mlpRatio, bias: bias, dropout: dropout,
            gelu: gelu, initStd: initStd, projectionStd: projectionStd, rng: &rng)
    }

    /// Residual streams `(B, T, C)` of at least this many bytes take the lean path under the `auto` policy: the
    /// normalized inputs, the GELU output and the attention output are rebuilt in backward rather than kept.
    /// Below it every activation is kept: keeping is faster, rebuilding bounds the memory of wide models
    /// (measurements in Benchmarks/NOTES.md).
    public static let leanActivationBytes = 1 << 21

    /// `(B, T, C) → (B, T, C)`, keeping or rebuilding activations as the context's policy says for a residual
    /// stream of this size.
    public func callAsFunction(_ x: Variable, _ context: ForwardContext) -> Variable {
        let lean =
            switch context.activations {
            case .keep: false
            case .lean: true
            case .auto: x.count * MemoryLayout<Float>.size >= Block.leanActivationBytes
            }
        return forward(x, context, lean: lean)
    }

    /// The block with the choice made: `lean` rebuilds in backward what the other path keeps; both give the same
    /// values and gradients.
    package func forward(_ x: Variable, _ context: ForwardContext, lean: Bool) -> Variable {
        let outer = context.rebuildsActivations
        context.rebuildsActivations = lean
        defer { context.rebuildsActivations = outer }
        let x = x + attn(x, normalizedBy: ln_1, context)  // x + attn(ln_1(x)), (B, T, C)
        return x + mlp(x, normalizedBy: ln_2, context)  // x + mlp(ln_2(x)), (B, T, C)
    }

    public var parameters: [Parameter] { ln_1.parameters + attn.parameters + ln_2.parameters + mlp.parameters }
    public var description: String { "Block(\(attn), \(mlp))" }
}
