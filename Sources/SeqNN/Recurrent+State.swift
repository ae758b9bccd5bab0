import SeqAutograd
import SeqTensor

/// The hidden state of a ``Recurrent`` stack: per layer `h` (B, H) and, for the LSTM, `c` (B, H).
///
/// A state returned by a forward pass is part of the graph; ``detached()`` copies its values without
/// the graph so the next window starts there (truncated back-propagation through time).
///
/// ```swift
/// var state: RecurrentState? = nil
/// for window in windows {
///     let (y, next) = lstm(window, state: state, context: context)
///     state = next.detached()
/// }
/// ```
public struct RecurrentState {
    /// Per layer, the hidden state (B, H).
    public private(set) var h: [Variable]
    /// Per layer, the LSTM cell state (B, H); empty for RNN and GRU.
    public private(set) var c: [Variable]
    /// The incremental-step buffers, made by the first ``Recurrent/step(_:state:)`` (shared by copies
    /// until one of them steps: copy on write).
    var workspace: StepWorkspace?

    /// A state from per-layer tensors: `RecurrentState(h: [h0, h1], c: [c0, c1])` (leave `c` out but for the LSTM).
    public init(h: [Variable], c: [Variable] = []) {
        self.h = h
        self.c = c
    }

    /// The same values, copied, with no graph behind them: `state.detached().h[0].requiresGrad == false`.
    public func detached() -> RecurrentState {
        RecurrentState(h: h.map { Variable($0.value.copy()) }, c: c.map { Variable($0.value.copy()) })
    }
}

/// Buffers for incremental steps: per layer the activations of a one-step pass, that layer's output,
/// and the state itself, updated in place.
final class StepWorkspace {
    let batch: Int
    let activations: [RecurrentActivations]
    let outputs: [Tensor]  // per layer (B, 1, H)
    let h: [Variable]  // per layer (B, H), owned here and shown through the state
    let c: [Variable]  // per layer (B, H), LSTM only

    init(_ layer: Recurrent, from state: RecurrentState, batch: Int) {
        self.batch = batch
        let hidden = layer.hiddenSize
        activations = (0..<layer.layers).map { k in
            let sizes = RecurrentSizes(batch: batch, steps: 1, input: k == 0 ? layer.inputSize : hidden, hidden: hidden)
            return RecurrentActivations(layer.kind, sizes)
        }
        outputs = (0..<layer.layers).map { _ in Tensor(uninitialized: [batch, 1, hidden]) }
        h = state.h.map { Variable($0.value.copy()) }
        c = state.c.map { Variable($0.value.copy()) }
    }
}

extension Recurrent {
    /// One time step for generation, without the graph: x (B, in) → the top layer's new h (B, H), with
    /// the same numbers as the sequence forward. The state is updated in place; after the first call
    /// nothing is allocated. The returned tensor is the state's own buffer: copy it to keep it past the
    /// next step.
    ///
    /// ```swift
    /// var state = lstm.zeroState(batch: 1)
    /// let h = lstm.step(embedded, state: &state)   // (1, H)
    /// ```
    public func step(_ x: Tensor, state: inout RecurrentState) -> Tensor {
        precondition(!bidirectional, "\(kind): a bidirectional stack reads the whole window; it cannot step")
        precondition(
            x.shape.count == 2 && x.shape[1] == inputSize,
            "\(kind): step input must be (B, \(inputSize)), got \(x.shape)")
        let w = workspace(&state, batch: x.shape[0])
        var input = UnsafePointer(x.pointer)
        for k in 0..<layers {
            let h = w.h[k].value.pointer
            let c = kind == .lstm ? w.c[k].value.pointer : nil
            let weights = RecurrentWeights(
                weightIH: weightIH[k].value.pointer, weightHH: weightHH[k].value.pointer,
                biasIH: hasBias ? biasIH[k].value.pointer : nil, biasHH: hasBias ? biasHH[k].value.pointer : nil)
            Kernels.recurrentSequence(
                output: w.outputs[k].pointer, hT: h, cT: c, saved: w.activations[k], x: input, h0: h, c0: c,
                weights: weights)
            input = UnsafePointer(w.outputs[k].pointer)
        }
        return w.h[layers - 1].value
    }

    /// The state's step buffers, made (with the state's values) on first use, when the batch changes,
    /// or when a copy of the state shares them.
    private func workspace(_ state: inout RecurrentState, batch: Int) -> StepWorkspace {
        if isKnownUniquelyReferenced(&state.workspace), let w = state.workspace, w.batch == batch { return w }
        checkState(state, batch: batch)
        let w = StepWorkspace(self, from: state, batch: batch)
        state = RecurrentState(h: w.h, c: w.c)
        state.workspace = w
        return w
    }
}
