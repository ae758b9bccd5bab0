import SeqAutograd
import SeqTensor

/// A stack of recurrent layers (PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` with `batch_first=True`), each
/// layer one fused graph node over the whole window; dropout between layers while training, not after the last.
///
/// ```swift
/// let lstm = Recurrent(arena, "lstm", kind: .lstm, inputSize: 65, hiddenSize: 128, layers: 2, rng: &rng)
/// let (y, state) = lstm(x, state: nil, context: context)   // (B, T, 65) → (B, T, 128)
/// let next = lstm(x2, state: state.detached(), context: context)   // truncated BPTT across windows
/// ```
public final class Recurrent: Module {
    /// The cell every layer runs.
    public let kind: RecurrentKind
    /// Width of the inputs of layer 0.
    public let inputSize: Int
    /// Width of every hidden state.
    public let hiddenSize: Int
    /// Dropout probability on the outputs of every layer but the last, while training.
    public let dropout: Float
    /// Per layer `weight_ih_l{k}` ((G·H, in)), `weight_hh_l{k}` ((G·H, H)), `bias_ih_l{k}`, `bias_hh_l{k}` ((G·H)).
    let weightIH: [Parameter]
    let weightHH: [Parameter]
    let biasIH: [Parameter]
    let biasHH: [Parameter]

    /// Registers `prefix.weight_ih_l0`, `prefix.weight_hh_l0`, `prefix.bias_ih_l0`, `prefix.bias_hh_l0`, then
    /// `…_l1` and so on (as PyTorch's `state_dict`), each uniform(±1/√H) from `rng` in that order.
    public init(
        _ arena: ParameterArena, _ prefix: String, kind: RecurrentKind, inputSize: Int, hiddenSize: Int,
        layers: Int = 1, bias: Bool = true, dropout: Float = 0, rng: inout SeededGenerator
    ) {
        precondition(inputSize > 0 && hiddenSize > 0 && layers > 0, "\(kind): sizes and layers must be positive")
        precondition(dropout >= 0 && dropout < 1, "\(kind): dropout must be in [0, 1), got \(dropout)")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        let gw = kind.gateCount * hiddenSize
        let initialization = Initialization.uniform(bound: 1 / Float(hiddenSize).squareRoot())
        var (wih, whh, bih, bhh) = ([Parameter](), [Parameter](), [Parameter](), [Parameter]())
        for k in 0..<layers {
            let width = k == 0 ? inputSize : hiddenSize
            wih.append(arena.parameter(qualified(prefix, "weight_ih_l\(k)"), [gw, width], initialization, &rng))
            whh.append(arena.parameter(qualified(prefix, "weight_hh_l\(k)"), [gw, hiddenSize], initialization, &rng))
            if bias {
                bih.append(arena.parameter(qualified(prefix, "bias_ih_l\(k)"), [gw], initialization, &rng))
                bhh.append(arena.parameter(qualified(prefix, "bias_hh_l\(k)"), [gw], initialization, &rng))
            }
        }
        (weightIH, weightHH, biasIH, biasHH) = (wih, whh, bih, bhh)
    }

    /// Number of stacked layers.
    public var layers: Int { weightIH.count }
    /// Whether the layers have biases.
    public var hasBias: Bool { !biasIH.isEmpty }

    /// Runs the stack over a window: x (B, T, in) and a state of (B, H) per layer (nil = zeros) give the
    /// top layer's output (B, T, H) and the final state of every layer, which carry gradients.
    public func callAsFunction(
        _ x: Variable, state: RecurrentState? = nil, context: ForwardContext
    ) -> (output: Variable, state: RecurrentState) {
        precondition(
            x.shape.count == 3 && x.shape[2] == inputSize, "\(kind): input must be (B, T, \(inputSize)), got \(x.shape)"
        )
        let initial = state ?? zeroState(batch: x.shape[0])
        checkState(initial, batch: x.shape[0])
        var input = x
        var (hs, cs) = ([Variable](), [Variable]())
        for k in 0..<layers {
            if k > 0 { input = context.dropout(input, dropout) }
            let r = recurrentSequence(
                kind, input, h0: initial.h[k], c0: kind == .lstm ? initial.c[k] : nil, weightIH: weightIH[k].variable(),
                weightHH: weightHH[k].variable(), biasIH: hasBias ? biasIH[k].variable() : nil,
                biasHH: hasBias ? biasHH[k].variable() : nil)
            input = r.output  // (B, T, H)
            hs.append(r.h)
            if let c = r.c { cs.append(c) }
        }
        return (input, RecurrentState(h: hs, c: cs))
    }

    /// A state of zeros for a batch of `batch` sequences: what `state: nil` means.
    ///
    /// `var state = lstm.zeroState(batch: 1)`
    public func zeroState(batch: Int) -> RecurrentState {
        let zeros = { Variable(Tensor(zeros: [batch, self.hiddenSize])) }  // (B, H)
        return RecurrentState(
            h: (0..<layers).map { _ in zeros() }, c: kind == .lstm ? (0..<layers).map { _ in zeros() } : [])
    }

    /// Checks a state against this stack: a programmer mistake if it does not fit.
    func checkState(_ state: RecurrentState, batch: Int) {
        precondition(
            state.h.count == layers && state.c.count == (kind == .lstm ? layers : 0),
            "\(kind): state has \(state.h.count) h and \(state.c.count) c for \(layers) layers")
        for v in state.h + state.c {
            precondition(
                v.shape == [batch, hiddenSize], "\(kind): state tensor \(v.shape) is not [\(batch), \(hiddenSize)]")
        }
    }

    public var parameters: [Parameter] {
        (0..<layers).flatMap { k in [weightIH[k], weightHH[k]] + (hasBias ? [biasIH[k], biasHH[k]] : []) }
    }

    public var description: String {
        "Recurrent(\(kind), \(inputSize) → \(hiddenSize), \(layers) layer\(layers == 1 ? "" : "s")"
            + (hasBias ? "" : ", no bias") + (dropout > 0 ? ", dropout \(dropout)" : "") + ")"
    }
}
