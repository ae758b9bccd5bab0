import SeqTensor

/// Every trainable value of a model in one contiguous buffer, with named, shaped slots; the
/// gradients live in a second buffer with the same layout.
///
/// Zeroing gradients, global-norm clipping, an optimizer update and a checkpoint write are each one
/// loop or one write over the whole buffer. Layers register their parameters while the model is
/// built and get a ``Parameter`` handle; the buffers grow during construction only.
///
/// ```swift
/// let arena = ParameterArena()
/// let w = arena.register("h.0.attn.c_attn.weight", shape: [384, 128])
/// w.value.fill(0.02)
/// let x = w.variable()            // gradient flows into arena.gradients at w's slot
/// arena.zeroGradients()
/// ```
public final class ParameterArena {
    /// One named parameter: its shape and where it lives in the buffers.
    public struct Slot: Sendable, Equatable {
        /// Dotted PyTorch-style name, e.g. `transformer.h.0.ln_1.weight`.
        public let name: String
        /// Shape of the parameter.
        public let shape: [Int]
        /// First element in ``ParameterArena/values`` and ``ParameterArena/gradients``.
        public let offset: Int
        /// Number of elements.
        public var count: Int { Tensor.elementCount(shape) }
    }

    /// The slots in registration order.
    public private(set) var slots: [Slot] = []
    /// Total number of trainable elements.
    public private(set) var count = 0
    /// All parameter values, slot after slot.
    public private(set) var values = TensorStorage(capacity: 0)
    /// All gradients, in the same layout as ``values``. Made on first use, so a model that only runs inference
    /// (a pretrained encoder, the sampler) never holds a second copy of its size.
    public var gradients: TensorStorage {
        if gradientStorage.capacity != values.capacity {
            let grown = TensorStorage(capacity: values.capacity)
            grown.base.update(from: gradientStorage.base, count: min(gradientStorage.capacity, count))
            gradientStorage = grown
        }
        return gradientStorage
    }
    private var gradientStorage = TensorStorage(capacity: 0)
    private var index: [String: Int] = [:]
    /// Second names of tied slots, `(alias, slot name)`: `("lm_head.weight", "transformer.wte.weight")` when the
    /// head reuses the embedding. A PyTorch `state_dict` lists a tied tensor under each name, so the safetensors
    /// files of the arena do too (see ``write(to:metadata:)``).
    public private(set) var aliases: [(alias: String, slot: String)] = []

    /// An empty arena.
    public init() {}

    /// Adds a zero-filled parameter; the name must be new.
    public func register(_ name: String, shape: [Int]) -> Parameter {
        precondition(index[name] == nil, "parameter '\(name)' registered twice")
        let n = Tensor.elementCount(shape)
        reserve(count + n)
        let slot = Slot(name: name, shape: shape, offset: count)
        index[name] = slots.count
        slots.append(slot)
        count += n
        return Parameter(arena: self, slot: slot)
    }

    /// Makes room for `total` elements in all, so that registering up to that many moves nothing: a model that
    /// knows its size calls it before registering, and loads without the copies of a growing buffer.
    public func reserveCapacity(_ total: Int) { reserve(total, exactly: true) }

    private func reserve(_ needed: Int, exactly: Bool = false) {
        guard needed > values.capacity else { return }
        let capacity = exactly ? needed : max(needed, values.capacity * 2, 1024)
        let newValues = TensorStorage(capacity: capacity)
        newValues.base.update(from: values.base, count: count)
        values = newValues
    }

    /// Records `alias` as a second name of the slot `slot` (which must exist) for the files the arena writes and
    /// reads; it takes no room of its own.
    ///
    /// `arena.addAlias("lm_head.weight", of: "transformer.wte.weight")`
    public func addAlias(_ alias: String, of slot: String) {
        precondition(index[slot] != nil, "alias '\(alias)' of unknown parameter '\(slot)'")
        precondition(
            index[alias] == nil && !aliases.contains { $0.alias == alias }, "name '\(alias)' registered twice")
        aliases.append((alias, slot))
    }

    /// The slot with this name, if any.
    public func slot(named name: String) -> Slot? { index[name].map { slots[$0] } }

    /// The value of a slot as a tensor view (writes go to the arena).
    public func value(of slot: Slot) -> Tensor { Tensor(shape: slot.shape, storage: values, offset: slot.offset) }

    /// The gradient of a slot as a tensor view.
    public func gradient(of slot: Slot) -> Tensor {
        Tensor(shape: slot.shape, storage: gradients, offset: slot.offset)
    }

    /// Every value as one flat tensor (count elements).
    public var flatValues: Tensor { Tensor(shape: [count], storage: values, offset: 0) }

    /// Every gradient as one flat tensor (count elements).
    public var flatGradients: Tensor { Tensor(shape: [count], storage: gradients, offset: 0) }

    /// Sets every gradient to zero in one pass, without reallocating.
    public func zeroGradients() { gradients.base.update(repeating: 0, count: count) }

    /// `√(Σ g²)` over every gradient.
    public func gradientNorm() -> Float {
        var sum: Double = 0
        let g = gradients.base
        var start = 0
        while start < count {  // blocks of 4096 in Float, summed in Double
            let n = min(4096, count - start)
            sum += Double(Kernels.dot(g + start, g + start, n))
            start += n
        }
        return Float(sum.squareRoot())
    }
}

/// A handle on one parameter of a ``ParameterArena``.
///
/// `let v = weight.variable()` gives a graph leaf whose gradient accumulates into the arena.
public final class Parameter {
    /// The arena holding this parameter.
    public let arena: ParameterArena
    /// Name, shape and place in the arena.
    public let slot: Slot
    /// Shorthand for the slot type.
    public typealias Slot = ParameterArena.Slot

    /// A handle on `slot` of `arena`.
    public init(arena: ParameterArena, slot: Slot) {
        self.arena = arena
        self.slot = slot
    }

    /// Dotted name of the parameter.
    public var name: String { slot.name }
    /// Shape of the parameter.
    public var shape: [Int] { slot.shape }
    /// The current value (a view into the arena; writes change the parameter).
    public var value: Tensor { arena.value(of: slot) }
    /// The accumulated gradient (a view into the arena).
    public var gradient: Tensor { arena.gradient(of: slot) }

    /// A graph leaf for this parameter; its gradient accumulates into the arena.
    public func variable() -> Variable { Variable(value, gradientBuffer: gradient) }
}
