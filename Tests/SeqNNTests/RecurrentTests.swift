import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

private let allKinds: [RecurrentKind] = [.rnnTanh, .rnnRelu, .lstm, .gru]

private func leaf(_ shape: [Int], _ rng: inout SeededGenerator, std: Float = 1) -> Variable {
    Variable(Tensor(randomNormal: shape, std: std, using: &rng), requiresGrad: true)
}

/// A random initial state of `layers` × (B, H), as leaves that need gradients.
private func randomState(_ kind: RecurrentKind, layers: Int, batch: Int, hidden: Int, _ rng: inout SeededGenerator)
    -> RecurrentState
{
    let h = (0..<layers).map { _ in leaf([batch, hidden], &rng, std: 0.5) }
    let c = kind == .lstm ? (0..<layers).map { _ in leaf([batch, hidden], &rng, std: 0.5) } : []
    return RecurrentState(h: h, c: c)
}

/// Flattens and joins variables, so one probe loss reaches each of them.
private func joined(_ parts: [Variable]) -> Variable { concat(parts.map { $0.reshaped([$0.count]) }, axis: 0) }

/// Row `t` of every sequence of x (B, T, I), as a (B, I) tensor.
private func stepInput(_ x: Tensor, _ t: Int) -> Tensor {
    let (b, steps, i) = (x.shape[0], x.shape[1], x.shape[2])
    let y = Tensor(uninitialized: [b, i])
    for s in 0..<b { (y.pointer + s * i).update(from: x.pointer + (s * steps + t) * i, count: i) }
    return y
}

/// Which of the stack's results a gradient check's loss reads.
enum LossReads: CaseIterable { case everything, finalStateOnly, outputOnly }

@Test(arguments: allKinds, [true, false])
func recurrentGradients(kind: RecurrentKind, bias: Bool) {
    var rng = SeededGenerator(seed: 21)
    let arena = ParameterArena()
    let layer = Recurrent(arena, "rnn", kind: kind, inputSize: 3, hiddenSize: 5, layers: 2, bias: bias, rng: &rng)
    let x = leaf([2, 3, 3], &rng)  // (B, T, I), odd sizes throughout
    let initial = randomState(kind, layers: 2, batch: 2, hidden: 5, &rng)
    let targets =
        GradientCheckTarget.parameters(of: arena) + [GradientCheckTarget(x, name: "input")]
        + initial.h.enumerated().map { GradientCheckTarget($1, name: "h0[\($0)]") }
        + initial.c.enumerated().map { GradientCheckTarget($1, name: "c0[\($0)]") }
    let context = ForwardContext.evaluation()
    for reads in LossReads.allCases {
        let results = checkGradients(targets, step: kind == .rnnRelu ? 1e-3 : 1e-2, zeroGradients: arena.zeroGradients)
        {
            let (y, state) = layer(x, state: initial, context: context)
            switch reads {
            case .everything: return joined([y] + state.h + state.c)
            case .finalStateOnly: return joined(state.h + state.c)
            case .outputOnly: return y
            }
        }
        #expect(results.count == (bias ? 8 : 4) + 1 + (kind == .lstm ? 4 : 2))
        for r in results {
            #expect(r.relativeError < 1e-2, "\(kind) \(reads): \(r)")
            #expect(r.numericNorm > 0, "\(kind) \(reads): vanishing gradient: \(r)")
        }
    }
}

@Test(arguments: allKinds, [1, 3])
func stepByStepMatchesSequence(kind: RecurrentKind, batch b: Int) {
    var rng = SeededGenerator(seed: 22)
    let arena = ParameterArena()
    let layer = Recurrent(arena, "rnn", kind: kind, inputSize: 4, hiddenSize: 6, layers: 2, rng: &rng)
    let t = 5
    let x = Tensor(randomNormal: [b, t, 4], using: &rng)
    let initial = randomState(kind, layers: 2, batch: b, hidden: 6, &rng).detached()
    let before = initial.h[0].value.toArray()
    let (y, final) = withoutGradients { layer(Variable(x), state: initial, context: .evaluation()) }

    var state = initial
    for s in 0..<t {
        let h = layer.step(stepInput(x, s), state: &state).toArray()
        let expected = stepInput(y.value, s).toArray()
        #expect(maxRelativeError(h, expected, floor: 1) < 1e-5, "\(kind) step \(s)")
    }
    for (a, e) in zip(state.h + state.c, final.h + final.c) {
        #expect(maxRelativeError(a.value.toArray(), e.value.toArray(), floor: 1) < 1e-5, "\(kind) final state")
    }
    // Stepping updates the stepped state only: the state it started from, and a copy, keep their values.
    #expect(initial.h[0].value.toArray() == before)
    let copy = state
    let kept = copy.h[1].value.toArray()
    _ = layer.step(stepInput(x, 0), state: &state)
    #expect(copy.h[1].value.toArray() == kept)
    #expect(state.h[1].value.toArray() != kept)
}

@Test(arguments: allKinds)
func detachedStateCarriesAcrossWindows(kind: RecurrentKind) {
    var rng = SeededGenerator(seed: 23)
    let arena = ParameterArena()
    let layer = Recurrent(arena, "rnn", kind: kind, inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
    let x = Tensor(randomNormal: [2, 7, 3], using: &rng)
    let pieces = Variable(x).split(axis: 1, sizes: [4, 3])
    let first = Variable(pieces[0].value.copy(), requiresGrad: true)  // (2, 4, 3)
    let second = Variable(pieces[1].value.copy(), requiresGrad: true)  // (2, 3, 3)
    let context = ForwardContext.evaluation()

    let (whole, wholeState) = layer(Variable(x), state: nil, context: context)
    let (y1, s1) = layer(first, state: nil, context: context)
    let carried = s1.detached()
    #expect((carried.h + carried.c).allSatisfy { !$0.requiresGrad })
    let (y2, s2) = layer(second, state: carried, context: context)
    let windows = concat([y1, y2], axis: 1).value.toArray()
    #expect(maxRelativeError(windows, whole.value.toArray(), floor: 1) < 1e-5)
    for (a, e) in zip(s2.h + s2.c, wholeState.h + wholeState.c) {
        #expect(maxRelativeError(a.value.toArray(), e.value.toArray(), floor: 1) < 1e-5)
    }
    // The carried state cuts the graph: the second window's loss reaches its own input only.
    (y2.sum() + s2.h[1].sum()).backward()
    #expect(second.grad != nil)
    #expect(first.grad == nil)
}

@Test(arguments: allKinds)
func parametersFollowPyTorch(kind: RecurrentKind) {
    var rng = SeededGenerator(seed: 24)
    let arena = ParameterArena()
    let layer = Recurrent(arena, "enc", kind: kind, inputSize: 7, hiddenSize: 16, layers: 2, rng: &rng)
    let g = kind.gateCount * 16
    #expect(
        arena.slots.map(\.name) == [
            "enc.weight_ih_l0", "enc.weight_hh_l0", "enc.bias_ih_l0", "enc.bias_hh_l0",
            "enc.weight_ih_l1", "enc.weight_hh_l1", "enc.bias_ih_l1", "enc.bias_hh_l1",
        ])
    #expect(arena.slots.map(\.shape) == [[g, 7], [g, 16], [g], [g], [g, 16], [g, 16], [g], [g]])
    #expect(layer.parameterCount == g * (7 + 16 + 2) + g * (16 + 16 + 2))
    let values = arena.flatValues.toArray()
    #expect(values.allSatisfy { abs($0) <= 0.25 })  // uniform(±1/√16)
    #expect(values.map { abs($0) }.max()! > 0.24)

    let plain = ParameterArena()
    _ = Recurrent(plain, "", kind: kind, inputSize: 7, hiddenSize: 16, layers: 1, bias: false, rng: &rng)
    #expect(plain.slots.map(\.name) == ["weight_ih_l0", "weight_hh_l0"])
}

@Test func dropoutActsBetweenLayersOnly() {
    var rng = SeededGenerator(seed: 25)
    let x = Variable(Tensor(randomNormal: [2, 4, 3], using: &rng))
    for layers in [1, 2] {
        let arena = ParameterArena()
        let layer = Recurrent(
            arena, "lstm", kind: .lstm, inputSize: 3, hiddenSize: 5, layers: layers, dropout: 0.5, rng: &rng)
        let evaluated = layer(x, context: .evaluation()).output.value.toArray()
        let trained = layer(x, context: ForwardContext(training: true, seed: 7)).output.value.toArray()
        // One layer: nothing to drop between. Two: layer 1 reads a dropped-out input.
        #expect((evaluated == trained) == (layers == 1))
    }
}

// MARK: An independent reference: one time step at a time, scalar loops in Double.

/// PyTorch's equations written out for one layer, straight from the documentation.
private func referenceLayer(
    _ kind: RecurrentKind, x: [Float], h0: [Float], c0: [Float], wih: [Float], whh: [Float], bih: [Float]?,
    bhh: [Float]?, batch: Int, steps: Int, input: Int, hidden: Int
) -> (output: [Float], h: [Float], c: [Float]) {
    let gates = kind.gateCount
    var output = [Float](repeating: 0, count: batch * steps * hidden)
    var hOut = h0
    var cOut = c0
    for b in 0..<batch {
        var h = (0..<hidden).map { Double(h0[b * hidden + $0]) }
        var c = kind == .lstm ? (0..<hidden).map { Double(c0[b * hidden + $0]) } : []
        for t in 0..<steps {
            // a[g][j] = W_ih x + b_ih and r[g][j] = W_hh h + b_hh for gate block g.
            var a = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: gates)
            var r = a
            for g in 0..<gates {
                for j in 0..<hidden {
                    let row = g * hidden + j
                    var sa = Double(bih?[row] ?? 0)
                    for k in 0..<input { sa += Double(wih[row * input + k]) * Double(x[(b * steps + t) * input + k]) }
                    var sr = Double(bhh?[row] ?? 0)
                    for k in 0..<hidden { sr += Double(whh[row * hidden + k]) * h[k] }
                    a[g][j] = sa
                    r[g][j] = sr
                }
            }
            let sigmoid = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
            for j in 0..<hidden {
                switch kind {
                case .rnnTanh: h[j] = Foundation.tanh(a[0][j] + r[0][j])
                case .rnnRelu: h[j] = max(0, a[0][j] + r[0][j])
                case .lstm:
                    let (i, f) = (sigmoid(a[0][j] + r[0][j]), sigmoid(a[1][j] + r[1][j]))
                    let (g, o) = (Foundation.tanh(a[2][j] + r[2][j]), sigmoid(a[3][j] + r[3][j]))
                    c[j] = f * c[j] + i * g
                    h[j] = o * Foundation.tanh(c[j])
                case .gru:
                    let (rr, z) = (sigmoid(a[0][j] + r[0][j]), sigmoid(a[1][j] + r[1][j]))
                    let n = Foundation.tanh(a[2][j] + rr * r[2][j])
                    h[j] = (1 - z) * n + z * h[j]
                }
            }
            for j in 0..<hidden { output[(b * steps + t) * hidden + j] = Float(h[j]) }
        }
        for j in 0..<hidden {
            hOut[b * hidden + j] = Float(h[j])
            if kind == .lstm { cOut[b * hidden + j] = Float(c[j]) }
        }
    }
    return (output, hOut, cOut)
}

@Test(arguments: allKinds, [true, false])
func forwardMatchesReferenceEquations(kind: RecurrentKind, bias: Bool) {
    var rng = SeededGenerator(seed: 26)
    let (b, t, i, h) = (3, 4, 5, 7)
    let wih = Variable(Tensor(randomNormal: [kind.gateCount * h, i], std: 0.4, using: &rng))
    let whh = Variable(Tensor(randomNormal: [kind.gateCount * h, h], std: 0.4, using: &rng))
    let bih = bias ? Variable(Tensor(randomNormal: [kind.gateCount * h], std: 0.4, using: &rng)) : nil
    let bhh = bias ? Variable(Tensor(randomNormal: [kind.gateCount * h], std: 0.4, using: &rng)) : nil
    let x = Variable(Tensor(randomNormal: [b, t, i], using: &rng))
    let h0 = Variable(Tensor(randomNormal: [b, h], using: &rng))
    let c0 = Variable(Tensor(randomNormal: [b, h], using: &rng))
    let result = recurrentSequence(
        kind, x, h0: h0, c0: kind == .lstm ? c0 : nil, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh)
    let expected = referenceLayer(
        kind, x: x.value.toArray(), h0: h0.value.toArray(), c0: c0.value.toArray(), wih: wih.value.toArray(),
        whh: whh.value.toArray(), bih: bih?.value.toArray(), bhh: bhh?.value.toArray(), batch: b, steps: t, input: i,
        hidden: h)
    #expect(maxRelativeError(result.output.value.toArray(), expected.output, floor: 1e-2) < 1e-4)
    #expect(maxRelativeError(result.h.value.toArray(), expected.h, floor: 1e-2) < 1e-4)
    if let c = result.c { #expect(maxRelativeError(c.value.toArray(), expected.c, floor: 1e-2) < 1e-4) }
}

@Test(arguments: allKinds)
func emptyWindowKeepsTheState(kind: RecurrentKind) {
    var rng = SeededGenerator(seed: 27)
    let arena = ParameterArena()
    let layer = Recurrent(arena, "rnn", kind: kind, inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
    let initial = randomState(kind, layers: 2, batch: 2, hidden: 4, &rng)
    let (y, state) = layer(Variable(Tensor(zeros: [2, 0, 3])), state: initial, context: .evaluation())
    #expect(y.shape == [2, 0, 4])
    for (a, e) in zip(state.h + state.c, initial.h + initial.c) { #expect(a.value.toArray() == e.value.toArray()) }
}

@Test func gateFunctionsAreAccurate() {
    // A dense grid over the range that matters, small values where cancellation would bite, and the extremes.
    var points: [Float] = stride(from: -12, through: 12, by: 0.000_37).map { Float($0) }
    points += [0, 1e-30, -1e-20, 1e-8, 3e-4, 0.1249, 0.125, 0.1251, 40, -40, 100, .infinity, -.infinity]
    var worstTanh: Double = 0
    var worstLogistic: Double = 0
    for x in points {
        let tanh = Foundation.tanh(Double(x))
        let logistic = 1 / (1 + Foundation.exp(-Double(x)))
        worstTanh = max(worstTanh, abs(Double(Kernels.recurrentTanh(x)) - tanh) / max(abs(tanh), 1e-38))
        worstLogistic = max(worstLogistic, abs(Double(Kernels.logistic(x)) - logistic) / max(logistic, 1e-30))
    }
    #expect(worstTanh < 5e-7)
    #expect(worstLogistic < 5e-7)
    #expect(Kernels.recurrentTanh(.nan).isNaN)
}

/// Sizes where the products take OpenBLAS's blocked paths, against the reference and finite differences.
@Test(arguments: [RecurrentKind.lstm, .gru])
func largerLayersMatchReferenceAndFiniteDifferences(kind: RecurrentKind) {
    var rng = SeededGenerator(seed: 28)
    let (b, t, i, h) = (12, 16, 8, 64)
    let wih = Variable(Tensor(randomNormal: [kind.gateCount * h, i], std: 0.2, using: &rng), requiresGrad: true)
    let whh = Variable(Tensor(randomNormal: [kind.gateCount * h, h], std: 0.2, using: &rng), requiresGrad: true)
    let bih = Variable(Tensor(randomNormal: [kind.gateCount * h], std: 0.2, using: &rng), requiresGrad: true)
    let bhh = Variable(Tensor(randomNormal: [kind.gateCount * h], std: 0.2, using: &rng), requiresGrad: true)
    let x = Variable(Tensor(randomNormal: [b, t, i], using: &rng), requiresGrad: true)
    let h0 = Variable(Tensor(randomNormal: [b, h], using: &rng), requiresGrad: true)
    let c0 = Variable(Tensor(randomNormal: [b, h], using: &rng), requiresGrad: true)
    let forward = {
        recurrentSequence(
            kind, x, h0: h0, c0: kind == .lstm ? c0 : nil, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh)
    }
    let result = forward()
    let expected = referenceLayer(
        kind, x: x.value.toArray(), h0: h0.value.toArray(), c0: c0.value.toArray(), wih: wih.value.toArray(),
        whh: whh.value.toArray(), bih: bih.value.toArray(), bhh: bhh.value.toArray(), batch: b, steps: t, input: i,
        hidden: h)
    #expect(maxRelativeError(result.output.value.toArray(), expected.output, floor: 1e-2) < 1e-4)
    let inputs = [x, h0, wih, whh, bih, bhh] + (kind == .lstm ? [c0] : [])
    let targets = inputs.enumerated().map { GradientCheckTarget($1, name: "input \($0)") }
    for r in checkGradients(
        targets, maxCoordinates: 12,
        forward: {
            let r = forward(); return joined([r.output, r.h])
        })
    {
        #expect(r.relativeError < 1e-2, "\(kind): \(r)")
    }
}

/// Tokens read through a projected embedding table give the same output, final state and gradients (table,
/// every weight and bias, initial state) as looking the tokens up and running the stack on the rows, for
/// every cell, with and without bias, below and above the batch·steps at which input projections go to the
/// panel kernel.
@Test(arguments: allKinds, [(2, 3, true), (10, 30, true), (10, 30, false)])
func tokensThroughTheTableMatchLookedUpInputs(kind: RecurrentKind, sizes: (batch: Int, steps: Int, bias: Bool)) {
    var rng = SeededGenerator(seed: 23)
    let (b, t, v) = (sizes.batch, sizes.steps, 7)
    let arena = ParameterArena()
    let layer = Recurrent(
        arena, "rnn", kind: kind, inputSize: 6, hiddenSize: 5, layers: 2, bias: sizes.bias, rng: &rng)
    let table = leaf([v, 6], &rng)
    let tokens = (0..<(b * t)).map { _ in rng.nextInt(below: v) }
    let initial = randomState(kind, layers: 2, batch: b, hidden: 5, &rng)
    let probe = Tensor(randomNormal: [b * t * 5 + 2 * b * 5 * (kind == .lstm ? 2 : 1)], using: &rng)
    #expect(layer.readsTokensThroughTable(vocabulary: v, rows: b * t) == (b * t >= 2 * v))
    var results: [[Float]] = []
    for throughTable in [false, true] {
        arena.zeroGradients()
        table.zeroGradient()
        for s in initial.h + initial.c { s.zeroGradient() }
        let context = ForwardContext.evaluation()
        let (y, state) =
            throughTable
            ? layer(tokens: tokens, batch: b, table: table, state: initial, context: context)
            : layer(embedding(ids: tokens, shape: [b, t], table: table), state: initial, context: context)
        let all = joined([y] + state.h + state.c)
        (all * Variable(probe)).sum().backward()
        let gradients =
            ([table] + initial.h + initial.c).flatMap { $0.grad!.toArray() }
            + layer.parameters.flatMap { $0.gradient.toArray() }
        results.append(all.value.toArray() + gradients)
    }
    #expect(relativeError(results[1], results[0]) < 1e-5, "\(kind) \(sizes)")
}
