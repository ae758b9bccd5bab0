import SeqAutograd
import SeqNN
import SeqTensor

/// A recurrent layer over (B, T, features): one fused graph node per direction over the whole window.
///
/// Parameters follow Keras's counts: the LSTM and the simple RNN have one bias per gate, the GRU two (Keras's
/// `reset_after=True`, which is also PyTorch's GRU). With `returnSequences` the output is every step,
/// (B, T, units) (·2 when `bidirectional`); otherwise the final state, (B, units) — for a bidirectional layer
/// the forward direction's last step beside the backward direction's (its state after reading step 0).
public class RecurrentLayer: Layer {
    /// Width of the hidden state.
    public let units: Int
    /// Whether the output is every step rather than the final state.
    public let returnSequences: Bool
    /// Whether a second cell reads the window backwards (output width 2·units).
    public let bidirectional: Bool
    let kind: RecurrentKind
    private var weights: [(ih: Parameter, hh: Parameter, bih: Parameter, bhh: Parameter?)] = []

    init(
        kind: RecurrentKind, units: Int, returnSequences: Bool, bidirectional: Bool, inputShape: [Int]?, name: String
    ) {
        precondition(units > 0, "\(kind): units must be positive, got \(units)")
        self.kind = kind
        self.units = units
        self.returnSequences = returnSequences
        self.bidirectional = bidirectional
        super.init(name: name, inputShape: inputShape)
    }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        let shape = inputShapes[0]
        guard shape.count == 2 else { return .failure(ShapeProblem("needs input of shape (timesteps, features)")) }
        let width = (bidirectional ? 2 : 1) * units
        return .success(returnSequences ? [shape[0], width] : [width])
    }

    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        let features = inputShapes[0][1]
        let gw = kind.gateCount * units
        let forgetGateBias: LayerInitialization = .pattern { [units] i in i / units == 1 ? 1 : 0 }
        for direction in bidirectional ? ["forward", "backward"] : [""] {
            let prefix = direction.isEmpty ? "" : direction + "_"
            let ih = addParameter(
                prefix + "kernel", [gw, features], .glorotUniform(fanIn: features, fanOut: gw), arena: arena, rng: &rng)
            let hh = addParameter(
                prefix + "recurrent_kernel", [gw, units], .glorotUniform(fanIn: units, fanOut: gw), arena: arena,
                rng: &rng)
            let bih = addParameter(
                prefix + "bias", [gw], kind == .lstm ? forgetGateBias : .zeros, arena: arena, rng: &rng)
            let bhh =
                kind == .gru ? addParameter(prefix + "recurrent_bias", [gw], .zeros, arena: arena, rng: &rng) : nil
            weights.append((ih, hh, bih, bhh))
        }
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        let x = inputs[0]  // (B, T, features)
        let zeros = { Variable(Tensor(zeros: [x.shape[0], self.units])) }  // (B, units)
        func run(_ w: (ih: Parameter, hh: Parameter, bih: Parameter, bhh: Parameter?), _ input: Variable)
            -> (output: Variable, h: Variable)
        {
            let r = recurrentSequence(
                kind, input, h0: zeros(), c0: kind == .lstm ? zeros() : nil, weightIH: variable(w.ih),
                weightHH: variable(w.hh), biasIH: variable(w.bih), biasHH: w.bhh.map(variable))
            return (r.output, r.h)
        }
        let forward = run(weights[0], x)
        guard bidirectional else { return returnSequences ? forward.output : forward.h }
        let backward = run(weights[1], x.reversed(axis: 1))
        if returnSequences { return concat([forward.output, backward.output.reversed(axis: 1)], axis: 2) }
        return concat([forward.h, backward.h], axis: 1)  // (B, 2·units)
    }

    public override var config: LayerConfig {
        LayerConfig([
            "units": .int(units), "returnSequences": .bool(returnSequences), "bidirectional": .bool(bidirectional),
        ])
    }
}

/// A fully connected recurrent layer, `h_t = tanh(x_t·W + h_{t−1}·U + b)` (Keras's `SimpleRNN`).
///
/// `SimpleRNN(32, returnSequences: true, inputShape: [40, 8])`
public final class SimpleRNN: RecurrentLayer {
    /// A simple RNN of `units`.
    public init(
        _ units: Int, returnSequences: Bool = false, bidirectional: Bool = false, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        super.init(
            kind: .rnnTanh, units: units, returnSequences: returnSequences, bidirectional: bidirectional,
            inputShape: inputShape, name: name)
    }
    public override var typeName: String { "SimpleRNN" }
}

/// A long short-term memory layer (gates i, f, g, o; the forget gate's bias starts at 1, as Keras's).
///
/// `LSTM(64, bidirectional: true)   // (B, T, C) → (B, 128)`
public final class LSTM: RecurrentLayer {
    /// An LSTM of `units`.
    public init(
        _ units: Int, returnSequences: Bool = false, bidirectional: Bool = false, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        super.init(
            kind: .lstm, units: units, returnSequences: returnSequences, bidirectional: bidirectional,
            inputShape: inputShape, name: name)
    }
    public override var typeName: String { "LSTM" }
}

/// A gated recurrent unit (PyTorch's formulation, Keras's `reset_after=True`).
///
/// `GRU(32, returnSequences: true)`
public final class GRU: RecurrentLayer {
    /// A GRU of `units`.
    public init(
        _ units: Int, returnSequences: Bool = false, bidirectional: Bool = false, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        super.init(
            kind: .gru, units: units, returnSequences: returnSequences, bidirectional: bidirectional,
            inputShape: inputShape, name: name)
    }
    public override var typeName: String { "GRU" }
}
