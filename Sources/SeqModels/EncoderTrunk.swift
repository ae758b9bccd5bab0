import SeqAutograd
import SeqConfig
import SeqNN
import SeqTensor

/// A model without its head: token ids in, one hidden vector per token out. Every ``LanguageModel`` is one
/// (its trunk), and so is an encoder-only model from ``makeEncoder(_:seed:)`` (`causal: false` transformer,
/// `bidirectional: true` recurrent stack).
///
/// Inference goes through `TextEncoder` (SeqEncoders); training code can put its own head on the output and
/// back-propagate through it:
/// ```swift
/// let trunk = try makeEncoder(config, seed: 1)
/// let h = trunk.encode(tokens, batch: 4, layer: nil, context: ForwardContext(training: true, seed: 1))  // (4, T, W)
/// ```
public protocol EncoderTrunk: Module {
    /// The resolved configuration (vocabSize filled in).
    var config: ModelConfig { get }
    /// Every trainable value, by PyTorch name.
    var arena: ParameterArena { get }

    /// Hidden states `(B, T, config.trunkWidth)` of `batch` rows of token ids, row-major `(B, T)`.
    ///
    /// `layer: nil` is the trunk's output (the transformer's after its final norm `ln_f`, the recurrent
    /// stack's top layer); `layer: k` in `1...config.layers` is the output of the k-th block or recurrent
    /// layer (for the transformer, the residual stream before any final norm), and runs only k of them.
    func encode(_ tokens: [Int], batch: Int, layer: Int?, context: ForwardContext) -> Variable

    /// The values of ``encode(_:batch:layer:context:)`` in evaluation, without recording a graph, for inference:
    /// `(B, T, config.trunkWidth)`. A trunk with a graph-free pass (the transformer's) runs that.
    func infer(_ tokens: [Int], batch: Int, layer: Int?) -> Tensor
}

extension EncoderTrunk {
    /// The graph's evaluation pass without recording it.
    public func infer(_ tokens: [Int], batch: Int, layer: Int?) -> Tensor {
        withoutGradients { encode(tokens, batch: batch, layer: layer, context: .evaluation()).value }
    }
}

/// An encoder-only model (`causal: false` transformer, `bidirectional: true` recurrent stack): a trunk and nothing
/// more, so there is no next-token head to ask for.
final class EncoderOnlyTrunk: EncoderTrunk {
    /// The model built without its head; only its trunk is reachable through this type.
    private let body: any LanguageModel

    init(_ body: any LanguageModel) { self.body = body }

    var config: ModelConfig { body.config }
    var arena: ParameterArena { body.arena }
    var parameters: [Parameter] { body.parameters }
    var description: String { body.description }

    func encode(_ tokens: [Int], batch: Int, layer: Int?, context: ForwardContext) -> Variable {
        body.encode(tokens, batch: batch, layer: layer, context: context)
    }

    func infer(_ tokens: [Int], batch: Int, layer: Int?) -> Tensor { body.infer(tokens, batch: batch, layer: layer) }
}

/// Builds a trunk for `config` initialised from `seed`: the ``makeModel(_:seed:)`` model for a
/// next-token config, or a headless encoder for an encoder-only one (`causal: false` transformer,
/// `bidirectional: true` recurrent), whose parameters are the same names without the head.
///
/// ```swift
/// var config = ModelConfig()
/// config.vocabSize = 65
/// config.causal = false
/// let encoder = try makeEncoder(config, seed: 1)   // a bidirectional transformer encoder
/// ```
public func makeEncoder(_ config: ModelConfig, seed: UInt64) throws -> any EncoderTrunk {
    if !config.isEncoderOnly { return try makeModel(config, seed: seed) }
    try config.validate()
    return EncoderOnlyTrunk(
        try buildModel(config, head: false, seed: seed, vocabularyFix: "set it to the tokenizer's vocabulary size"))
}
