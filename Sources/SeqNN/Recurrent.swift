import SeqAutograd
import SeqTensor

/// A stack of recurrent layers (PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` with `batch_first=True`), each
/// layer one fused graph node over the whole window; dropout between layers while training, not after the last.
///
/// With `bidirectional`, every layer also runs a second cell over the reversed window and its output is
/// the two directions side by side, `(B, T, 2H)` = `[forward | backward]`, as PyTorch's `bidirectional=True`
/// (parameters `weight_ih_l0_reverse`, …). Such a stack sees the future, so it is an encoder only: it has no
/// incremental ``step(_:state:)``.
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
    /// Whether every layer also reads the window backwards (output width 2H):
    /// `Recurrent(arena, "rnn", kind: .gru, inputSize: 8, hiddenSize: 12, bidirectional: true, rng: &rng)`.
    public let bidirectional: Bool
    /// Per layer `weight_ih_l{k}` ((G·H, in)), `weight_hh_l{k}` ((G·H, H)), `bias_ih_l{k}`, `bias_hh_l{k}` ((G·H)).
    let weightIH: [Parameter]
    let weightHH: [Parameter]
    let biasIH: [Parameter]
    let biasHH: [Parameter]
    /// The same per layer for the backward direction (`…_reverse`); empty unless bidirectional.
    let reverseIH: [Parameter]
    let reverseHH: [Parameter]
    let reverseBiasIH: [Parameter]
    let reverseBiasHH: [Parameter]

    /// Registers `prefix.weight_ih_l0`, `prefix.weight_hh_l0`, `prefix.bias_ih_l0`, `prefix.bias_hh_l0`, then
    /// `…_l1` and so on (as PyTorch's `state_dict`), each uniform(±1/√H) from `rng` in that order. With
    /// `bidirectional`, each layer's four are followed by its `weight_ih_l{k}_reverse`, … (PyTorch's order).
    public init(
        _ arena: ParameterArena, _ prefix: String, kind: RecurrentKind, inputSize: Int, hiddenSize: Int,
        layers: Int = 1, bias: Bool = true, dropout: Float = 0, bidirectional: Bool = false,
        rng: inout SeededGenerator
    ) {
        precondition(inputSize > 0 && hiddenSize > 0 && layers > 0, "\(kind): sizes and layers must be positive")
        precondition(dropout >= 0 && dropout < 1, "\(kind): dropout must be in [0, 1), got \(dropout)")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        self.bidirectional = bidirectional
        let gw = kind.gateCount * hiddenSize
        let initialization = Initialization.uniform(bound: 1 / Float(hiddenSize).squareRoot())
        var (wih, whh, bih, bhh) = ([Parameter](), [Parameter](), [Parameter](), [Parameter]())
        var (rih, rhh, rbih, rbhh) = ([Parameter](), [Parameter](), [Parameter](), [Parameter]())
        let directions = bidirectional ? 2 : 1
        for k in 0..<layers {
            let width = k == 0 ? inputSize : directions * hiddenSize
            for reverse in bidirectional ? [false, true] : [false] {
                let suffix = "l\(k)" + (reverse ? "_reverse" : "")
                let ih = arena.parameter(qualified(prefix, "weight_ih_\(suffix)"), [gw, width], initialization, &rng)
                let hh = arena.parameter(
                    qualified(prefix, "weight_hh_\(suffix)"), [gw, hiddenSize], initialization, &rng)
                if reverse { (rih, rhh) = (rih + [ih], rhh + [hh]) } else { (wih, whh) = (wih + [ih], whh + [hh]) }
                if bias {
                    let bi = arena.parameter(qualified(prefix, "bias_ih_\(suffix)"), [gw], initialization, &rng)
                    let bh = arena.parameter(qualified(prefix, "bias_hh_\(suffix)"), [gw], initialization, &rng)
                    if reverse {
                        (rbih, rbhh) = (rbih + [bi], rbhh + [bh])
                    } else {
                        (bih, bhh) = (bih + [bi], bhh + [bh])
                    }
                }
            }
        }
        (weightIH, weightHH, biasIH, biasHH) = (wih, whh, bih, bhh)
        (reverseIH, reverseHH, reverseBiasIH, reverseBiasHH) = (rih, rhh, rbih, rbhh)
    }

    /// Number of stacked layers.
    public var layers: Int { weightIH.count }
    /// Whether the layers have biases.
    public var hasBias: Bool { !biasIH.isEmpty }
    /// 2 for a bidirectional stack, else 1: the state holds `layers · directions` tensors.
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Width of every layer's output: `directions · hiddenSize` (24 for a bidirectional 12-wide GRU).
    public var outputSize: Int { directions * hiddenSize }

    /// Runs the stack over a window: x (B, T, in) and a state of (B, H) per layer and direction (nil = zeros)
    /// give the top layer's output (B, T, directions·H) and the final state of every layer, which carry
    /// gradients. States are ordered as PyTorch's `h_n`: layer 0, layer 0 reversed, layer 1, …
    public func callAsFunction(
        _ x: Variable, state: RecurrentState? = nil, context: ForwardContext
    ) -> (output: Variable, state: RecurrentState) {
        let (outputs, final) = layerOutputs(x, state: state, context: context)
        return (outputs[layers - 1], final)
    }

    /// Like ``callAsFunction(_:state:context:)``, with every layer's output `(B, T, directions·H)`, bottom
    /// first (before the dropout the next layer applies), for encoders that pool a chosen layer.
    ///
    /// `let (outputs, _) = lstm.layerOutputs(x, state: nil, context: .evaluation())   // outputs[0]: layer 0`
    public func layerOutputs(
        _ x: Variable, state: RecurrentState? = nil, context: ForwardContext
    ) -> (outputs: [Variable], state: RecurrentState) {
        precondition(
            x.shape.count == 3 && x.shape[2] == inputSize, "\(kind): input must be (B, T, \(inputSize)), got \(x.shape)"
        )
        return stack(x, projected: false, state: state, context: context)
    }

    /// Whether ``callAsFunction(tokens:batch:table:state:context:)`` pays for a window of `rows` tokens (B·T)
    /// over a vocabulary of `vocabulary`: a unidirectional stack, and a table of well under `rows` rows.
    public func readsTokensThroughTable(vocabulary: Int, rows: Int) -> Bool {
        !bidirectional && vocabulary > 0 && 2 * vocabulary <= rows
    }

    /// ``callAsFunction(_:state:context:)`` for tokens looked up in `table` (V, inputSize), the embedding, with
    /// nothing between the lookup and layer 0: layer 0 reads rows of `table · W_ih_l0ᵀ + b_ih_l0` (V, G·H),
    /// formed once per call, instead of projecting each of the B·T looked-up rows. The same values; the
    /// gradients reach `table`, `W_ih_l0` and `b_ih_l0` through the (V, G·H) table, so layer 0's input
    /// projection costs V/(B·T) of its work (65/2500 for char-lstm). Unidirectional stacks only.
    ///
    /// `let (y, state) = lstm(tokens: ids, batch: 50, table: embedding.weight.variable(), state: nil, context: context)`
    public func callAsFunction(
        tokens: [Int], batch: Int, table: Variable, state: RecurrentState? = nil, context: ForwardContext
    ) -> (output: Variable, state: RecurrentState) {
        precondition(!bidirectional, "\(kind): a bidirectional stack reads its inputs, not a projected table")
        precondition(
            table.shape.count == 2 && table.shape[1] == inputSize,
            "\(kind): table must be (V, \(inputSize)), got \(table.shape)")
        precondition(batch > 0 && tokens.count % batch == 0, "\(tokens.count) tokens do not fill \(batch) rows")
        var projection = matmul(table, weightIH[0].variable(), transposeB: true)  // (V, G·H)
        if hasBias { projection = projection + biasIH[0].variable() }
        let x = embedding(ids: tokens, shape: [batch, tokens.count / batch], table: projection)  // (B, T, G·H)
        let (outputs, final) = stack(x, projected: true, state: state, context: context)
        return (outputs[layers - 1], final)
    }

    /// Every layer's output and the final state; with `projected`, `x` holds layer 0's input projections
    /// (B, T, G·H) rather than its inputs.
    private func stack(
        _ x: Variable, projected: Bool, state: RecurrentState?, context: ForwardContext
    ) -> (outputs: [Variable], state: RecurrentState) {
        let initial = state ?? zeroState(batch: x.shape[0])
        checkState(initial, batch: x.shape[0])
        var input = x
        var outputs: [Variable] = []
        var (hs, cs) = ([Variable](), [Variable]())
        for k in 0..<layers {
            if k > 0 { input = context.dropout(input, dropout) }
            let d = directions
            let fromTable = projected && k == 0  // x W_ihᵀ + b_ih already
            let forward = recurrentSequence(
                kind, input, h0: initial.h[d * k], c0: kind == .lstm ? initial.c[d * k] : nil,
                weightIH: fromTable ? nil : weightIH[k].variable(), weightHH: weightHH[k].variable(),
                biasIH: hasBias && !fromTable ? biasIH[k].variable() : nil,
                biasHH: hasBias ? biasHH[k].variable() : nil)
            hs.append(forward.h)
            if let c = forward.c { cs.append(c) }
            if bidirectional {
                // The backward cell reads step T−1 first; its outputs are put back in time order.
                let backward = recurrentSequence(
                    kind, input.reversed(axis: 1), h0: initial.h[d * k + 1],
                    c0: kind == .lstm ? initial.c[d * k + 1] : nil, weightIH: reverseIH[k].variable(),
                    weightHH: reverseHH[k].variable(), biasIH: hasBias ? reverseBiasIH[k].variable() : nil,
                    biasHH: hasBias ? reverseBiasHH[k].variable() : nil)
                input = concat([forward.output, backward.output.reversed(axis: 1)], axis: 2)  // (B, T, 2H)
                hs.append(backward.h)
                if let c = backward.c { cs.append(c) }
            } else {
                input = forward.output  // (B, T, H)
            }
            outputs.append(input)
        }
        return (outputs, RecurrentState(h: hs, c: cs))
    }

    /// A state of zeros for a batch of `batch` sequences: what `state: nil` means (one (B, H) per layer and
    /// direction).
    ///
    /// `var state = lstm.zeroState(batch: 1)`
    public func zeroState(batch: Int) -> RecurrentState {
        let zeros = { Variable(Tensor(zeros: [batch, self.hiddenSize])) }  // (B, H)
        let n = layers * directions
        return RecurrentState(h: (0..<n).map { _ in zeros() }, c: kind == .lstm ? (0..<n).map { _ in zeros() } : [])
    }

    /// Checks a state against this stack: a programmer mistake if it does not fit.
    func checkState(_ state: RecurrentState, batch: Int) {
        let n = layers * directions
        precondition(
            state.h.count == n && state.c.count == (kind == .lstm ? n : 0),
            "\(kind): state has \(state.h.count) h and \(state.c.count) c for \(layers) layers × \(directions)")
        for v in state.h + state.c {
            precondition(
                v.shape == [batch, hiddenSize], "\(kind): state tensor \(v.shape) is not [\(batch), \(hiddenSize)]")
        }
    }

    public var parameters: [Parameter] {
        var all: [Parameter] = []
        for k in 0..<layers {
            all += [weightIH[k], weightHH[k]]
            if hasBias { all += [biasIH[k], biasHH[k]] }
            if bidirectional {
                all += [reverseIH[k], reverseHH[k]]
                if hasBias { all += [reverseBiasIH[k], reverseBiasHH[k]] }
            }
        }
        return all
    }

    public var description: String {
        "Recurrent(\(kind), \(inputSize) → \(hiddenSize), \(layers) layer\(layers == 1 ? "" : "s")"
            + (bidirectional ? ", bidirectional" : "")
            + (hasBias ? "" : ", no bias") + (dropout > 0 ? ", dropout \(dropout)" : "") + ")"
    }
}
