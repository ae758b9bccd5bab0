import SeqAutograd
import SeqTensor

/// A layer or model: owns named parameters in a ``ParameterArena`` and describes itself.
///
/// Layers register their parameters under a dotted PyTorch-style prefix when built, and are written
/// forward-only; gradients come from the primitives' pullbacks.
public protocol Module: AnyObject, CustomStringConvertible {
    /// This module's parameters, its children's included, in registration order.
    var parameters: [Parameter] { get }
}

extension Module {
    /// Number of trainable values.
    ///
    /// `Linear(…, inFeatures: 128, outFeatures: 384, bias: true).parameterCount == 49_536`
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.slot.count } }
}

/// How a parameter starts: every choice takes its randomness from the generator passed to the layer.
public enum Initialization: Sendable, Equatable {
    /// Every element 0.
    case zeros
    /// Every element 1.
    case ones
    /// Normal(0, std²), as GPT-2 initialises its weights.
    case normal(std: Float)
    /// Uniform(−bound, bound), as PyTorch initialises `nn.Linear` and recurrent layers.
    case uniform(bound: Float)

    /// Fills `tensor` in place.
    public func fill(_ tensor: Tensor, using rng: inout SeededGenerator) {
        let p = tensor.pointer
        switch self {
        case .zeros: tensor.fill(0)
        case .ones: tensor.fill(1)
        case .normal(let std): for i in 0..<tensor.count { p[i] = std * rng.nextNormal() }
        case .uniform(let bound): for i in 0..<tensor.count { p[i] = bound * (2 * rng.nextUniform() - 1) }
        }
    }
}

extension ParameterArena {
    /// Registers `name` and fills it: `arena.parameter("wte.weight", [V, C], .normal(std: 0.02), &rng)`.
    public func parameter(
        _ name: String, _ shape: [Int], _ initialization: Initialization, _ rng: inout SeededGenerator
    ) -> Parameter {
        let p = register(name, shape: shape)
        initialization.fill(p.value, using: &rng)
        return p
    }
}

/// Joins a prefix and a name with a dot: `qualified("h.0", "ln_1") == "h.0.ln_1"`.
public func qualified(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

/// Whether a forward pass trains (dropout active) or evaluates, and the generator dropout draws from.
///
/// ```swift
/// let context = ForwardContext(training: true, seed: 1337)
/// let y = dropout(x, context)
/// ```
public final class ForwardContext {
    /// True while training: dropout is active.
    public var training: Bool
    /// The generator dropout draws from.
    public var rng: SeededGenerator
    /// Which transformer blocks keep their activations for backward (``RuntimeOptions/activations``).
    public var activations: ActivationPolicy
    /// Whether the layers now running recompute their activations in backward instead of keeping them: a block
    /// sets it from ``activations`` and its residual stream's size for the layers inside it.
    public var rebuildsActivations = false

    /// A context with its own generator; the activation policy defaults to the environment's.
    public init(
        training: Bool, rng: SeededGenerator, activations: ActivationPolicy = RuntimeOptions.environment.activations
    ) {
        self.training = training
        self.rng = rng
        self.activations = activations
    }

    /// A context seeded with `seed`.
    public convenience init(training: Bool, seed: UInt64 = 0) {
        self.init(training: training, rng: SeededGenerator(seed: seed))
    }

    /// An evaluation context (no dropout).
    public static func evaluation() -> ForwardContext { ForwardContext(training: false, seed: 0) }

    /// Whether ``dropout(_:_:)`` with probability `p` drops anything: while training, for `p > 0`.
    public func dropsOut(_ p: Float) -> Bool { training && p > 0 }

    /// Dropout with probability `p` while training, the identity otherwise.
    public func dropout(_ x: Variable, _ p: Float) -> Variable {
        dropsOut(p) ? x.dropout(p, using: &rng) : x
    }
}
