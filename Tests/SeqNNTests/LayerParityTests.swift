import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

// Parity with PyTorch for the layers the transformer is built from, on the fixtures written by
// Tests/Fixtures/make_fixtures.py (Tests/Fixtures/README.md lists each file's tensors): the layer's parameters
// under their state_dict names, `input` (or `input_ids`), `output`, a random `probe`, and the gradients of
// loss = Σ output ⊙ probe. Each test loads PyTorch's parameters into SeqKit's layer, runs it, back-propagates
// the same loss and compares values and every gradient.

/// A fixture tensor by name, as a Tensor of its shape.
private func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
    Tensor(shape: try file.info(name).shape, values: try file.floats(name))
}

/// Opens `Fixtures/<name>.safetensors` and copies its parameters into every slot of `arena`; the slot names and
/// shapes must be exactly the fixture's parameters (the file's tensors less `input*`, `output`, `probe*`,
/// `grad.*`).
private func loadFixture(_ name: String, into arena: ParameterArena) throws -> SafeTensorsFile {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("\(name).safetensors"))
    let data: Set<String> = ["input", "input_ids", "output", "probe", "cos", "sin"]
    let parameters = Set(file.names.filter { !data.contains($0) && !$0.hasPrefix("grad.") })
    #expect(Set(arena.slots.map(\.name)) == parameters, "\(name): parameter names")
    for slot in arena.slots {
        let w = try tensor(file, slot.name)
        #expect(w.shape == slot.shape, "\(name): \(slot.name) is \(w.shape) in PyTorch, \(slot.shape) here")
        arena.value(of: slot).pointer.update(from: w.pointer, count: slot.count)
    }
    return file
}

/// Runs `forward`, back-propagates Σ output ⊙ probe and compares the output, the input's gradient (when `x`
/// is given) and every parameter's gradient with the fixture's.
private func expectParity(
    _ name: String, _ file: SafeTensorsFile, _ arena: ParameterArena, input x: Variable?,
    tolerance: Double = 1e-4, forward: () -> Variable
) throws {
    arena.zeroGradients()
    x?.zeroGradient()
    let y = forward()
    #expect(y.shape == (try file.info("output").shape), "\(name): output shape")
    (y * Variable(try tensor(file, "probe"))).sum().backward()
    let outputError = relativeError(y.value.toArray(), try file.floats("output"))
    #expect(outputError < tolerance, "\(name): output relative error \(outputError)")
    if let x {
        let error = relativeError(x.grad!.toArray(), try file.floats("grad.input"))
        #expect(error < 10 * tolerance, "\(name): grad.input relative error \(error)")
    }
    for slot in arena.slots {
        let error = relativeError(arena.gradient(of: slot).toArray(), try file.floats("grad.\(slot.name)"))
        #expect(error < 10 * tolerance, "\(name): grad.\(slot.name) relative error \(error)")
    }
}

@Test(arguments: [("linear", true), ("linear_nobias", false)])
func linearMatchesPyTorch(name: String, bias: Bool) throws {
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let layer = Linear(arena, "", inFeatures: 8, outFeatures: 12, bias: bias, rng: &rng)
    let file = try loadFixture(name, into: arena)
    let x = Variable(try tensor(file, "input"), requiresGrad: true)  // (2, 5, 8)
    try expectParity(name, file, arena, input: x) { layer(x) }  // (2, 5, 12)
}

@Test func embeddingMatchesPyTorch() throws {
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let layer = Embedding(arena, "", count: 11, width: 8, rng: &rng)
    let file = try loadFixture("embedding", into: arena)
    let ids = try file.ints("input_ids")  // (2, 5), with repeats so gradient rows accumulate
    #expect(Set(ids).count < ids.count)
    try expectParity("embedding", file, arena, input: nil) { layer(ids, shape: [2, 5]) }  // (2, 5, 8)
}

@Test(arguments: [("layernorm", true), ("layernorm_nobias", false)])
func layerNormMatchesPyTorch(name: String, bias: Bool) throws {
    let arena = ParameterArena()
    let layer = LayerNorm(arena, "", width: 16, bias: bias)
    let file = try loadFixture(name, into: arena)
    let x = Variable(try tensor(file, "input"), requiresGrad: true)  // (2, 5, 16)
    try expectParity(name, file, arena, input: x) { layer(x) }
}

/// The layer norm fused into the next product (the lean path's `Linear(x, normalizedBy:)`) against PyTorch's
/// LayerNorm followed by a product with the identity: the fused primitive's values and gradients.
@Test(arguments: [("layernorm", true), ("layernorm_nobias", false)])
func fusedLayerNormProductMatchesPyTorch(name: String, bias: Bool) throws {
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let norm = LayerNorm(arena, "", width: 16, bias: bias)
    let file = try loadFixture(name, into: arena)
    let identity = Linear(ParameterArena(), "", inFeatures: 16, outFeatures: 16, bias: false, rng: &rng)
    identity.weight.value.fill(0)
    for i in 0..<16 { identity.weight.value.pointer[i * 16 + i] = 1 }
    let x = Variable(try tensor(file, "input"), requiresGrad: true)
    try expectParity(name, file, arena, input: x) { identity(x, normalizedBy: norm) }
}

@Test func causalSelfAttentionMatchesPyTorch() throws {
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let layer = CausalSelfAttention(
        arena, "", width: 16, heads: 2, bias: true, dropout: 0, causal: true, rotary: false, initStd: 0.02,
        projectionStd: 0.02, rng: &rng)
    let file = try loadFixture("causal_self_attention", into: arena)
    let x = Variable(try tensor(file, "input"), requiresGrad: true)  // (2, 6, 16)
    try expectParity("causal_self_attention", file, arena, input: x) { layer(x, .evaluation()) }
}

/// nanoGPT's pre-LN block with either GELU (`block`: `nn.GELU(approximate="tanh")`, `block_gelu`: `nn.GELU()`)
/// on both activation paths: the one that keeps its activations for backward and the lean one that rebuilds
/// them (fused layer-norm and GELU products).
@Test(arguments: [("block", GELU.tanh), ("block_gelu", GELU.exact)], [false, true])
func blockMatchesPyTorch(fixture: (String, GELU), lean: Bool) throws {
    let (name, gelu) = fixture
    let (block, arena, file) = try fixtureBlock(name, gelu)
    let x = Variable(try tensor(file, "input"), requiresGrad: true)  // (2, 6, 16)
    try expectParity(name, file, arena, input: x, tolerance: 1e-5) { block.forward(x, .evaluation(), lean: lean) }
}

/// The block fixtures' weights in a SeqKit block with the given GELU.
private func fixtureBlock(_ name: String, _ gelu: GELU) throws -> (Block, ParameterArena, SafeTensorsFile) {
    var rng = SeededGenerator(seed: 0)
    let arena = ParameterArena()
    let block = Block(
        arena, "", width: 16, heads: 2, mlpRatio: 4, bias: true, dropout: 0, causal: true, rotary: false,
        gelu: gelu, initStd: 0.02, layers: 1, rng: &rng)
    return (block, arena, try loadFixture(name, into: arena))
}

/// The parity above can tell the forms apart: each block fixture is missed, by far more than its tolerance,
/// with the other GELU.
@Test func blockFixturesTellTheGELUFormsApart() throws {
    for (name, wrong) in [("block", GELU.exact), ("block_gelu", GELU.tanh)] {
        let (block, _, file) = try fixtureBlock(name, wrong)
        let y = block.forward(Variable(try tensor(file, "input")), .evaluation(), lean: false)
        let error = relativeError(y.value.toArray(), try file.floats("output"))
        #expect(error > 1e-4, "\(name) with \(wrong): relative error \(error)")
    }
}

/// Rotary embedding against PyTorch's rotate-half convention. The fixture's input is (B, heads, T, D); SeqKit
/// rotates the q and k parts of fused (B, T, 3C) q/k/v, so the input is laid into q (and, differently scaled, k)
/// and each part compared.
@Test func rotaryMatchesPyTorchRotateHalf() throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("rope.safetensors"))
    let input = try tensor(file, "input")
    let (b, h, t, d) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let c = h * d
    let (x, expected, probe) = (try file.floats("input"), try file.floats("output"), try file.floats("probe"))
    let grad = try file.floats("grad.input")
    // (B, heads, T, D) index of (b, head, t, i) and the (B, T, 3C) index of part `p` (0 = q, 1 = k).
    func bhtd(_ bi: Int, _ hi: Int, _ ti: Int, _ i: Int) -> Int { ((bi * h + hi) * t + ti) * d + i }
    func fused(_ bi: Int, _ ti: Int, _ p: Int, _ hi: Int, _ i: Int) -> Int {
        (bi * t + ti) * 3 * c + p * c + hi * d + i
    }
    let qkv = Tensor(zeros: [b, t, 3 * c])
    let probes = Tensor(zeros: [b, t, 3 * c])
    for bi in 0..<b {
        for hi in 0..<h {
            for ti in 0..<t {
                for i in 0..<d {
                    qkv.pointer[fused(bi, ti, 0, hi, i)] = x[bhtd(bi, hi, ti, i)]
                    qkv.pointer[fused(bi, ti, 1, hi, i)] = 2 * x[bhtd(bi, hi, ti, i)]
                    qkv.pointer[fused(bi, ti, 2, hi, i)] = 3 * x[bhtd(bi, hi, ti, i)]
                    probes.pointer[fused(bi, ti, 0, hi, i)] = probe[bhtd(bi, hi, ti, i)]
                }
            }
        }
    }
    let input3 = Variable(qkv, requiresGrad: true)
    let y = rotary(input3, heads: h)  // (B, T, 3C)
    (y * Variable(probes)).sum().backward()
    var (q, k, v, dq) = ([Float](), [Float](), [Float](), [Float]())
    for bi in 0..<b {
        for hi in 0..<h {
            for ti in 0..<t {
                for i in 0..<d {
                    q.append(y.value.pointer[fused(bi, ti, 0, hi, i)])
                    k.append(y.value.pointer[fused(bi, ti, 1, hi, i)] / 2)
                    v.append(y.value.pointer[fused(bi, ti, 2, hi, i)] / 3)
                    dq.append(input3.grad!.pointer[fused(bi, ti, 0, hi, i)])
                }
            }
        }
    }
    #expect(relativeError(q, expected) < 1e-5, "q: \(relativeError(q, expected))")
    #expect(relativeError(k, expected) < 1e-5, "k: \(relativeError(k, expected))")
    #expect(relativeError(v, x) < 1e-7, "v passes through unchanged")
    #expect(relativeError(dq, grad) < 1e-5, "grad.input: \(relativeError(dq, grad))")
}

@Test func sinusoidalTableMatchesPyTorch() throws {
    let file = try SafeTensorsFile(contentsOf: fixtureURL("sinusoidal.safetensors"))
    let shape = try file.info("output").shape  // (12, 16)
    let table = sinusoidalTable(positions: shape[0], width: shape[1])
    #expect(table.shape == shape)
    let error = relativeError(table.toArray(), try file.floats("output"))
    #expect(error < 1e-6, "relative error \(error)")
}
