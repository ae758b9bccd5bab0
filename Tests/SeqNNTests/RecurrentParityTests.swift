import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

// Parity with PyTorch's nn.RNN / nn.LSTM / nn.GRU (batch_first) on fixtures written by
// Tests/Fixtures/make_fixtures.py: the layer's weights under their state_dict names, `input` (B, T, I),
// `h0` (and `c0`) as (layers, B, H), the results `output`, `h_n` (and `c_n`), and the gradients
// `grad.input`, `grad.h0` (`grad.c0`), `grad.<param>` of `loss = Σ output·probe + Σ h_n·probe_h`.

private let parityFiles = ["rnn_tanh", "rnn_relu", "lstm", "gru"]

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Every tensor of a fixture, as Float32 tensors by name.
private func readFixture(_ url: URL) throws -> [String: Tensor] {
    let file = try SafeTensorsFile(contentsOf: url)
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = Tensor(shape: try file.info(name).shape, values: try file.floats(name)) }
    return tensors
}

/// Layer `k` of a (layers, B, H) tensor, as a (B, H) leaf that needs a gradient.
private func layerSlice(_ stacked: Tensor, _ k: Int) -> Variable {
    let (b, h) = (stacked.shape[1], stacked.shape[2])
    let slice = Tensor(uninitialized: [b, h])
    slice.pointer.update(from: stacked.pointer + k * b * h, count: b * h)
    return Variable(slice, requiresGrad: true)
}

/// Per-layer (B, H) tensors stacked back into (layers, B, H) values.
private func stacked(_ parts: [Tensor?]) -> [Float] { parts.flatMap { $0?.toArray() ?? [] } }

// A missing fixture fails the test (the file cannot be opened): regenerate with Tests/Fixtures/make_fixtures.py.
@Test(arguments: parityFiles)
func matchesPyTorch(file: String) throws {
    let t = try readFixture(fixtureURL("\(file).safetensors"))
    func named(_ name: String) throws -> Tensor {
        guard let tensor = t[name] else { throw FixtureError(description: "\(file): no tensor '\(name)'") }
        return tensor
    }
    let kind = try #require(RecurrentKind.allCases.first { $0.description == file })
    let (input, h0) = (try named("input"), try named("h0"))
    let (layers, hidden) = (h0.shape[0], h0.shape[2])
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let layer = Recurrent(
        arena, "", kind: kind, inputSize: input.shape[2], hiddenSize: hidden, layers: layers,
        bias: t["bias_ih_l0"] != nil, rng: &rng)
    for slot in arena.slots {
        let w = try named(slot.name)
        #expect(w.shape == slot.shape, "\(file): \(slot.name)")
        arena.value(of: slot).pointer.update(from: w.pointer, count: slot.count)
    }

    let x = Variable(input, requiresGrad: true)
    let hs = (0..<layers).map { layerSlice(h0, $0) }
    let cs = kind == .lstm ? try (0..<layers).map { layerSlice(try named("c0"), $0) } : []
    let (y, state) = layer(x, state: RecurrentState(h: hs, c: cs), context: .evaluation())
    let probeH = try named("probe_h")
    var loss = (y * Variable(try named("probe"))).sum()
    for k in 0..<layers { loss = loss + (state.h[k] * Variable(layerSlice(probeH, k).value)).sum() }
    if kind == .lstm {  // the fixture's loss also reads the final cell state
        let probeC = try named("probe_c")
        for k in 0..<layers { loss = loss + (state.c[k] * Variable(layerSlice(probeC, k).value)).sum() }
    }
    loss.backward()

    func expectClose(_ ours: [Float], _ name: String, _ tolerance: Double) throws {
        let theirs = try named(name).toArray()
        let error = relativeError(ours, theirs)
        #expect(error < tolerance, "\(file): \(name) relative error \(error)")
    }
    try expectClose(y.value.toArray(), "output", 1e-4)
    try expectClose(stacked(state.h.map(\.value)), "h_n", 1e-4)
    try expectClose(x.grad!.toArray(), "grad.input", 1e-3)
    try expectClose(stacked(hs.map(\.grad)), "grad.h0", 1e-3)
    if kind == .lstm {
        try expectClose(stacked(state.c.map(\.value)), "c_n", 1e-4)
        if t["grad.c0"] != nil { try expectClose(stacked(cs.map(\.grad)), "grad.c0", 1e-3) }
    }
    for slot in arena.slots { try expectClose(arena.gradient(of: slot).toArray(), "grad.\(slot.name)", 1e-3) }
}
