import SeqTensor

/// LSTM layer over a whole sequence as one graph node (PyTorch's `nn.LSTM` layer, batch first).
/// Gradients reach `x`, `h0`, `c0` and the four parameters from any of the three outputs.
///
/// ```swift
/// let (y, h, c) = lstm(x, h0: h0, c0: c0, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh)
/// // x (B, T, I), h0 and c0 (B, H), wih (4H, I), whh (4H, H) → y (B, T, H), h and c (B, H)
/// ```
public func lstm(
    _ x: Variable, h0: Variable, c0: Variable, weightIH: Variable, weightHH: Variable, biasIH: Variable?,
    biasHH: Variable?
) -> (output: Variable, h: Variable, c: Variable) {
    let r = recurrentSequence(
        .lstm, x, h0: h0, c0: c0, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    return (r.output, r.h, r.c!)
}

/// GRU layer over a whole sequence as one graph node (PyTorch's `nn.GRU` layer, batch first).
///
/// `let (y, h) = gru(x, h0: h0, weightIH: wih, weightHH: whh, biasIH: nil, biasHH: nil)   // wih (3H, I)`
public func gru(
    _ x: Variable, h0: Variable, weightIH: Variable, weightHH: Variable, biasIH: Variable?, biasHH: Variable?
) -> (output: Variable, h: Variable) {
    let r = recurrentSequence(
        .gru, x, h0: h0, c0: nil, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    return (r.output, r.h)
}

/// Plain RNN layer over a whole sequence as one graph node: `h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)`.
///
/// `let (y, h) = rnn(x, h0: h0, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, relu: false)   // tanh`
public func rnn(
    _ x: Variable, h0: Variable, weightIH: Variable, weightHH: Variable, biasIH: Variable?, biasHH: Variable?,
    relu: Bool = false
) -> (output: Variable, h: Variable) {
    let r = recurrentSequence(
        relu ? .rnnRelu : .rnnTanh, x, h0: h0, c0: nil, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH,
        biasHH: biasHH)
    return (r.output, r.h)
}

/// Where the final-state outputs leave their gradients for the shared backward pass.
private final class FinalStateGradients {
    var h: Tensor?
    var c: Tensor?
}

/// One recurrent layer of any kind over a sequence: x (B, T, I), h0 (B, H), c0 (B, H) for the LSTM only.
/// Returns the output (B, T, H), the final h (B, H) and, for the LSTM, the final c (B, H).
///
/// The three outputs share one backward pass. `h` and `c` are children of `output` in the graph, so
/// every use of them has pulled back before `output`'s pullback runs; their pullbacks only hand their
/// gradient over (and make sure `output` has a gradient to run with), and `output`'s runs the whole
/// backward through time once.
///
/// With `weightIH` nil, `x` holds the input projections themselves, (B, T, G·H) rows of `x W_ihᵀ + b_ih`
/// (and `biasIH` must be nil): the layer adds `b_hh` and runs the cell, and `x`'s gradient is that of the gate
/// pre-activations. ``Recurrent`` uses it to read a token model's first layer from a projected embedding table.
///
/// `let r = recurrentSequence(.gru, x, h0: h0, c0: nil, weightIH: wih, weightHH: whh, biasIH: nil, biasHH: nil)`
public func recurrentSequence(
    _ kind: RecurrentKind, _ x: Variable, h0: Variable, c0: Variable?, weightIH: Variable?, weightHH: Variable,
    biasIH: Variable?, biasHH: Variable?
) -> (output: Variable, h: Variable, c: Variable?) {
    precondition(x.shape.count == 3, "\(kind): input must be (B, T, I), got \(x.shape)")
    let (b, t, i) = (x.shape[0], x.shape[1], x.shape[2])
    precondition(h0.shape.count == 2 && h0.shape[0] == b, "\(kind): h0 must be (\(b), H), got \(h0.shape)")
    let h = h0.shape[1]
    let gw = kind.gateCount * h
    if let weightIH {
        precondition(weightIH.shape == [gw, i], "\(kind): weight_ih must be [\(gw), \(i)], got \(weightIH.shape)")
    } else {
        precondition(
            i == gw && biasIH == nil, "\(kind): projected inputs must be (B, T, \(gw)) and come without bias_ih")
    }
    precondition(weightHH.shape == [gw, h], "\(kind): weight_hh must be [\(gw), \(h)], got \(weightHH.shape)")
    precondition(biasIH == nil || biasIH!.shape == [gw], "\(kind): bias_ih must be [\(gw)], got \(biasIH!.shape)")
    precondition(biasHH == nil || biasHH!.shape == [gw], "\(kind): bias_hh must be [\(gw)], got \(biasHH!.shape)")
    precondition((kind == .lstm) == (c0 != nil), "\(kind): c0 is given for the LSTM and only for it")
    precondition(c0 == nil || c0!.shape == [b, h], "\(kind): c0 must be [\(b), \(h)], got \(c0!.shape)")

    let saved = RecurrentActivations(
        kind, RecurrentSizes(batch: b, steps: t, input: i, hidden: h), projectedInput: weightIH == nil)
    let y = Tensor(uninitialized: [b, t, h])  // (B, T, H)
    let hT = Tensor(uninitialized: [b, h])  // (B, H)
    let cT = c0 == nil ? nil : Tensor(uninitialized: [b, h])  // (B, H)
    let weights = RecurrentWeights(
        weightIH: weightIH?.value.pointer, weightHH: weightHH.value.pointer, biasIH: biasIH?.value.pointer,
        biasHH: biasHH?.value.pointer)
    Kernels.recurrentSequence(
        output: y.pointer, hT: hT.pointer, cT: cT?.pointer, saved: saved, x: x.value.pointer, h0: h0.value.pointer,
        c0: c0?.value.pointer, weights: weights)

    let finals = FinalStateGradients()
    let parents = [x, h0] + [c0, weightIH, weightHH, biasIH, biasHH].compactMap { $0 }
    let output = Variable(y, parents: parents) { g in
        func needed(_ v: Variable?) -> UnsafeMutablePointer<Float>? {
            guard let v, v.requiresGrad else { return nil }
            return v.gradientStorage()
        }
        let grads = RecurrentGradients(
            input: needed(x), h0: needed(h0), c0: needed(c0), weightIH: needed(weightIH),
            weightHH: needed(weightHH), biasIH: needed(biasIH), biasHH: needed(biasHH))
        Kernels.recurrentSequenceBackward(
            grads, dOutput: g.pointer, dhT: finals.h?.pointer, dcT: finals.c?.pointer, saved: saved,
            x: x.value.pointer, weights: weights)
    }
    let hVariable = Variable(hT, parents: [output]) { g in
        finals.h = g
        _ = output.gradientStorage()  // so the shared backward runs even if the output itself is unused
    }
    let cVariable = cT.map { cT in
        Variable(cT, parents: [output]) { g in
            finals.c = g
            _ = output.gradientStorage()
        }
    }
    return (output, hVariable, cVariable)
}
