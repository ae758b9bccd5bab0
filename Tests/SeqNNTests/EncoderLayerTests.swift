import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

// Encoder-only layer paths: bidirectional recurrent stacks and attention without the causal mask, checked
// against PyTorch (fixtures by Tests/Fixtures/make_encoder_fixtures.py) and by finite differences.

private let bidirectionalFiles = ["lstm_bidirectional", "gru_bidirectional"]

/// A fixture tensor by name as a Tensor of its shape.
private func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
    Tensor(shape: try file.info(name).shape, values: try file.floats(name))
}

/// Row `k` of a (N, B, H) tensor as a (B, H) leaf that needs a gradient.
private func slice(_ stacked: Tensor, _ k: Int) -> Variable {
    let (b, h) = (stacked.shape[1], stacked.shape[2])
    let part = Tensor(uninitialized: [b, h])
    part.pointer.update(from: stacked.pointer + k * b * h, count: b * h)
    return Variable(part, requiresGrad: true)
}

@Test(arguments: bidirectionalFiles)
func bidirectionalRecurrentMatchesPyTorch(name: String) throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("\(name).safetensors"))
    let kind: RecurrentKind = name.hasPrefix("lstm") ? .lstm : .gru
    let (input, h0) = (try tensor(file, "input"), try tensor(file, "h0"))
    let (states, hidden) = (h0.shape[0], h0.shape[2])
    #expect(states == 4)  // 2 layers × 2 directions
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let layer = Recurrent(
        arena, "", kind: kind, inputSize: input.shape[2], hiddenSize: hidden, layers: 2, bidirectional: true,
        rng: &rng)
    // Every PyTorch parameter, by its state_dict name and shape, and nothing else.
    let theirs = Set(file.names.filter { $0.hasPrefix("weight_") || $0.hasPrefix("bias_") })
    #expect(Set(arena.slots.map(\.name)) == theirs)
    for slot in arena.slots {
        let w = try tensor(file, slot.name)
        #expect(w.shape == slot.shape, "\(name): \(slot.name)")
        arena.value(of: slot).pointer.update(from: w.pointer, count: slot.count)
    }
    let x = Variable(input, requiresGrad: true)
    let hs = (0..<states).map { slice(h0, $0) }
    let cs = kind == .lstm ? try (0..<states).map { slice(try tensor(file, "c0"), $0) } : []
    let (y, state) = layer(x, state: RecurrentState(h: hs, c: cs), context: .evaluation())
    #expect(y.shape == [input.shape[0], input.shape[1], 2 * hidden])
    var loss = (y * Variable(try tensor(file, "probe"))).sum()
    let probeH = try tensor(file, "probe_h")
    for k in 0..<states { loss = loss + (state.h[k] * Variable(slice(probeH, k).value)).sum() }
    if kind == .lstm {
        let probeC = try tensor(file, "probe_c")
        for k in 0..<states { loss = loss + (state.c[k] * Variable(slice(probeC, k).value)).sum() }
    }
    loss.backward()

    func expectClose(_ ours: [Float], _ key: String, _ tolerance: Double) throws {
        let error = relativeError(ours, try file.floats(key))
        #expect(error < tolerance, "\(name): \(key) relative error \(error)")
    }
    try expectClose(y.value.toArray(), "output", 1e-4)
    try expectClose(state.h.flatMap { $0.value.toArray() }, "h_n", 1e-4)
    try expectClose(x.grad!.toArray(), "grad.input", 1e-3)
    try expectClose(hs.flatMap { $0.grad!.toArray() }, "grad.h0", 1e-3)
    if kind == .lstm {
        try expectClose(state.c.flatMap { $0.value.toArray() }, "c_n", 1e-4)
        try expectClose(cs.flatMap { $0.grad!.toArray() }, "grad.c0", 1e-3)
    }
    for slot in arena.slots { try expectClose(arena.gradient(of: slot).toArray(), "grad.\(slot.name)", 1e-3) }
}

@Test func nonCausalAttentionMatchesPyTorch() throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("self_attention_bidirectional.safetensors"))
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let input = try tensor(file, "input")
    let layer = CausalSelfAttention(
        arena, "", width: input.shape[2], heads: 2, bias: true, dropout: 0, causal: false, rotary: false,
        initStd: 0.02, projectionStd: 0.02, rng: &rng)
    for slot in arena.slots {
        let w = try tensor(file, slot.name)
        #expect(w.shape == slot.shape, "\(slot.name)")
        arena.value(of: slot).pointer.update(from: w.pointer, count: slot.count)
    }
    let x = Variable(input, requiresGrad: true)
    let y = layer(x, .evaluation())
    (y * Variable(try tensor(file, "probe"))).sum().backward()
    #expect(relativeError(y.value.toArray(), try file.floats("output")) < 1e-4)
    #expect(relativeError(x.grad!.toArray(), try file.floats("grad.input")) < 1e-3)
    for slot in arena.slots {
        let error = relativeError(arena.gradient(of: slot).toArray(), try file.floats("grad.\(slot.name)"))
        #expect(error < 1e-3, "grad.\(slot.name) relative error \(error)")
    }
    // The first position sees later ones: changing the last step of row 0 changes its first output.
    let (t, c) = (input.shape[1], input.shape[2])
    let changed = input.copy()
    changed.pointer[(t - 1) * c] += 1
    let y2 = withoutGradients { layer(Variable(changed), .evaluation()) }
    #expect(relativeError(Array(y2.value.toArray()[0..<c]), Array(y.value.toArray()[0..<c])) > 1e-6)
}

@Test(arguments: [RecurrentKind.lstm, .gru, .rnnTanh])
func bidirectionalRecurrentGradients(kind: RecurrentKind) {
    var rng = SeededGenerator(seed: 57)
    let arena = ParameterArena()
    let layer = Recurrent(
        arena, "rnn", kind: kind, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 5, 3], using: &rng), requiresGrad: true)
    let targets = GradientCheckTarget.parameters(of: arena) + [GradientCheckTarget(x, name: "input")]
    let results = checkGradients(targets, zeroGradients: arena.zeroGradients) {
        layer(x, state: nil, context: .evaluation()).output  // (2, 5, 8)
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
    #expect(results.count == 2 * 2 * 4 + 1)
}

@Test func reversedIsItsOwnInverseAndPassesGradientsBack() {
    let x = Variable(Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init)), requiresGrad: true)
    // Written out: each batch row's 3 steps in reverse order.
    #expect(x.reversed(axis: 1).value.toArray() == [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7])
    #expect(x.reversed(axis: 1).reversed(axis: 1).value.toArray() == x.value.toArray())
    let results = checkGradients([GradientCheckTarget(x, name: "x")]) { x.reversed(axis: 1) * x }
    #expect(results[0].relativeError < 1e-2, "\(results[0])")
}

@Test func bidirectionalStackCannotStep() {
    var rng = SeededGenerator(seed: 1)
    let layer = Recurrent(
        ParameterArena(), "rnn", kind: .gru, inputSize: 2, hiddenSize: 3, bidirectional: true, rng: &rng)
    #expect(layer.outputSize == 6)
    #expect(layer.zeroState(batch: 1).h.count == 2)
    #expect("\(layer)".contains("bidirectional"))
}

@Test(arguments: [false, true])
func nonCausalAttentionGradients(rotary: Bool) {
    var rng = SeededGenerator(seed: 43)
    let arena = ParameterArena()
    let layer = CausalSelfAttention(
        arena, "attn", width: 8, heads: 2, bias: true, dropout: 0, causal: false, rotary: rotary, initStd: 0.3,
        projectionStd: 0.3, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 5, 8], using: &rng), requiresGrad: true)
    let targets = GradientCheckTarget.parameters(of: arena) + [GradientCheckTarget(x, name: "input")]
    for r in checkGradients(targets, zeroGradients: arena.zeroGradients, forward: { layer(x, .evaluation()) }) {
        #expect(r.relativeError < 1e-2, "\(r)")
    }
}
