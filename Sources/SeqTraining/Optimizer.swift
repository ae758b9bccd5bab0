import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqTensor

/// An optimizer over a whole ``ParameterArena``: its state buffers share the arena's layout, so an
/// update is a few loops over contiguous runs of values.
///
/// | kind | update (g = gradient, η = learning rate, λ = weight decay) |
/// | --- | --- |
/// | sgd | `b = μb + g` (b = g at first), `g' = g + μb` if Nesterov else `b`; `p -= η(g' + λp)` |
/// | adam | `g += λp`; `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`; `p -= η m̂/(√v̂ + ε)` |
/// | adamw | `p -= ηλp` (decoupled), then Adam's step without `g += λp` |
/// | rmsprop | `v = αv + (1−α)g²`; `p -= η g/(√v + ε)` (with momentum μ: `b = μb + g/(√v + ε)`, `p -= ηb`) |
///
/// Weight decay skips 1-D tensors (biases, norm gains) and embedding tables unless `decayAll`.
///
/// ```swift
/// let optimizer = Optimizer(config.optimizer, arena: model.arena)
/// optimizer.step(learningRate: 1e-3)
/// ```
public final class Optimizer {
    /// The settings.
    public let config: OptimizerConfig
    let arena: ParameterArena
    /// The global gradient norm before clipping at the last ``clipGradients(maxNorm:)`` (`grad_norm` in
    /// TensorBoard).
    var lastGradientNorm: Float = 0
    /// Updates taken so far (Adam's bias correction uses it).
    public private(set) var steps = 0
    /// First moment (Adam, AdamW) or momentum buffer (SGD, RMSProp).
    let first: TensorStorage
    /// Second moment (Adam, AdamW, RMSProp).
    let second: TensorStorage
    /// Contiguous runs of the arena with their weight-decay flag.
    let runs: [(offset: Int, count: Int, decay: Bool)]

    /// An optimizer with zeroed state for `arena`; slots for which `updating` is false (a frozen layer's) are
    /// left as they are by ``step(learningRate:)``.
    public init(
        _ config: OptimizerConfig, arena: ParameterArena, updating: (ParameterArena.Slot) -> Bool = { _ in true }
    ) {
        self.config = config
        self.arena = arena
        first = TensorStorage(capacity: arena.count)
        second = TensorStorage(capacity: arena.count)
        var runs: [(offset: Int, count: Int, decay: Bool)] = []
        for slot in arena.slots where updating(slot) {
            let decay = config.decayAll || Optimizer.decays(slot)
            if let last = runs.last, last.decay == decay, last.offset + last.count == slot.offset {
                runs[runs.count - 1].count += slot.count
            } else {
                runs.append((slot.offset, slot.count, decay))
            }
        }
        self.runs = runs
    }

    /// Whether weight decay applies to a slot by default: matrices other than embedding tables.
    public static func decays(_ slot: ParameterArena.Slot) -> Bool {
        let embedding = ["wte.weight", "wpe.weight", "embedding.weight"].contains { slot.name.hasSuffix($0) }
        return slot.shape.count >= 2 && !embedding
    }

    /// One update of every parameter from the gradients in the arena.
    public func step(learningRate: Float) {
        steps += 1
        let p = arena.values.base
        let g = arena.gradients.base
        let (m, v) = (first.base, second.base)
        let lr = learningRate
        let wd = Float(config.weightDecay)
        let (b1, b2, eps) = (Float(config.beta1), Float(config.beta2), Float(config.epsilon))
        for run in runs {
            let lambda = run.decay ? wd : 0
            let start = run.offset
            let end = run.offset + run.count
            switch config.kind {
            case .adamw, .adam:
                let decoupled = config.kind == .adamw
                // One fused pass per run (AVX2 where the CPU has it).
                Kernels.adamUpdate(
                    p + start, g + start, m + start, v + start, run.count, learningRate: lr, beta1: b1, beta2: b2,
                    epsilon: eps, correction1: 1 / (1 - Float(Double(b1).power(steps))),
                    correction2: 1 / (1 - Float(Double(b2).power(steps))), coupledDecay: decoupled ? 0 : lambda,
                    decoupledDecay: decoupled ? lr * lambda : 0)
            case .sgd:
                let mu = Float(config.momentum)
                for i in start..<end {
                    var grad = g[i] + lambda * p[i]
                    if mu != 0 {
                        m[i] = steps == 1 ? grad : mu * m[i] + grad
                        grad = config.nesterov ? grad + mu * m[i] : m[i]
                    }
                    p[i] -= lr * grad
                }
            case .rmsprop:
                let (alpha, mu) = (Float(config.alpha), Float(config.momentum))
                for i in start..<end {
                    let grad = g[i] + lambda * p[i]
                    v[i] = alpha * v[i] + (1 - alpha) * grad * grad
                    let scaled = grad / (v[i].squareRoot() + eps)
                    if mu != 0 {
                        m[i] = mu * m[i] + scaled
                        p[i] -= lr * m[i]
                    } else {
                        p[i] -= lr * scaled
                    }
                }
            }
        }
    }

    /// Scales every gradient so their global norm is at most `maxNorm`; returns the norm before clipping.
    ///
    /// `let norm = optimizer.clipGradients(maxNorm: 1.0)`
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        let norm = arena.gradientNorm()
        lastGradientNorm = norm
        if maxNorm > 0 && norm > maxNorm {
            Kernels.scale(arena.gradients.base, arena.count, maxNorm / (norm + 1e-6))
        }
        return norm
    }

    /// Writes the moments as `exp_avg.<name>` / `exp_avg_sq.<name>` safetensors (atomic).
    public func save(to url: URL) throws {
        var tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        for slot in arena.slots {
            tensors.append(
                (
                    "exp_avg." + slot.name, slot.shape,
                    UnsafeBufferPointer(start: first.base + slot.offset, count: slot.count)
                ))
            tensors.append(
                (
                    "exp_avg_sq." + slot.name, slot.shape,
                    UnsafeBufferPointer(start: second.base + slot.offset, count: slot.count)
                ))
        }
        try SafeTensorsFile.write(tensors, metadata: ["kind": config.kind.rawValue, "steps": "\(steps)"], to: url)
    }

    /// Restores moments and the step count written by ``save(to:)``.
    public func load(from url: URL) throws { try load(from: SafeTensorsFile(contentsOf: url)) }

    /// Restores moments and the step count from a file already read, e.g. one of a verified checkpoint.
    public func load(from file: SafeTensorsFile) throws {
        let name = (file.source as NSString).lastPathComponent
        let scratch = Optimizer(config, arena: arena)
        for slot in arena.slots {
            for (prefix, storage) in [("exp_avg.", scratch.first), ("exp_avg_sq.", scratch.second)] {
                let info = try file.info(prefix + slot.name)
                guard info.shape == slot.shape else {
                    throw ParameterLoadError.shapeMismatch(
                        file: name, name: prefix + slot.name, expected: slot.shape, found: info.shape)
                }
                try file.copyFloats(
                    prefix + slot.name,
                    into: UnsafeMutableBufferPointer(start: storage.base + slot.offset, count: slot.count))
            }
        }
        guard let text = file.metadata["steps"], let saved = Int(text), saved >= 0 else {
            throw SafeTensorsError.malformed(
                file: name, tensor: nil, field: "__metadata__.steps",
                problem: "is missing or not a count")
        }
        first.base.update(from: scratch.first.base, count: arena.count)
        second.base.update(from: scratch.second.base, count: arena.count)
        steps = saved
    }
}

extension Double {
    fileprivate func power(_ n: Int) -> Double { Foundation.pow(self, Double(n)) }
}
