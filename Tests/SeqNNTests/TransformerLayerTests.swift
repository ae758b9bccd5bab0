import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

private func expectModuleGradients(
    _ arena: ParameterArena, input: Variable, _ f: @escaping () -> Variable,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let targets = GradientCheckTarget.parameters(of: arena) + [GradientCheckTarget(input, name: "input")]
    for r in checkGradients(targets, zeroGradients: arena.zeroGradients, forward: f) {
        #expect(r.relativeError < 1e-2, "\(r)", sourceLocation: sourceLocation)
    }
}

@Test(arguments: [(true, false), (false, false), (true, true)])
func attentionLayerGradients(bias: Bool, rotary: Bool) {
    var rng = SeededGenerator(seed: 41)
    let arena = ParameterArena()
    let layer = CausalSelfAttention(
        arena, "attn", width: 8, heads: 2, bias: bias, dropout: 0, causal: true, rotary: rotary, initStd: 0.3,
        projectionStd: 0.3, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 5, 8], using: &rng), requiresGrad: true)
    let context = ForwardContext.evaluation()
    #expect(layer(x, context).shape == [2, 5, 8])
    expectModuleGradients(arena, input: x) { layer(x, context) }
}

@Test func blockGradientsAndNames() {
    var rng = SeededGenerator(seed: 42)
    let arena = ParameterArena()
    let block = Block(
        arena, "h.0", width: 8, heads: 2, mlpRatio: 4, bias: true, dropout: 0, causal: true, rotary: false,
        initStd: 0.3, layers: 2, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 3, 8], using: &rng), requiresGrad: true)
    let context = ForwardContext.evaluation()
    expectModuleGradients(arena, input: x) { block(x, context) }
    #expect(
        arena.slots.map(\.name) == [
            "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias",
            "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias",
            "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias",
        ])
    // 2 LayerNorms (2·8) + c_attn (8·24 + 24) + c_proj (8·8 + 8) + c_fc (8·32 + 32) + c_proj (32·8 + 8)
    #expect(block.parameterCount == 32 + 216 + 72 + 288 + 264)
}

@Test func sinusoidalTableFollowsTheFormula() {
    let table = sinusoidalTable(positions: 10, width: 6)
    #expect(table[0, 0] == 0 && table[0, 1] == 1)
    #expect(abs(table[3, 2] - Float(sin(3 / pow(10_000, 2.0 / 6)))) < 1e-6)
    #expect(abs(table[7, 5] - Float(cos(7 / pow(10_000, 4.0 / 6)))) < 1e-6)
}

/// The two activation policies of a block: the lean path (normalized inputs, GELU and attention outputs rebuilt
/// in backward) passes the gradient check and gives the keeping path's values and gradients.
@Test(arguments: [false, true])
func leanAndKeepingBlocksAgree(rotary: Bool) {
    var rng = SeededGenerator(seed: 43)
    let arena = ParameterArena()
    let block = Block(
        arena, "h.0", width: 8, heads: 2, mlpRatio: 4, bias: !rotary, dropout: 0, causal: true, rotary: rotary,
        initStd: 0.3, layers: 2, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 5, 8], using: &rng), requiresGrad: true)
    let context = ForwardContext.evaluation()
    expectModuleGradients(arena, input: x) { block.forward(x, context, lean: true) }
    func run(lean: Bool) -> (values: [Float], gradients: [Float]) {
        arena.zeroGradients()
        x.grad?.pointer.update(repeating: 0, count: x.count)
        let y = block.forward(x, context, lean: lean)
        let probe = Variable(Tensor(randomNormal: y.shape, using: &rng))
        (y * probe).sum().backward()
        return (
            y.value.toArray(),
            Array(UnsafeBufferPointer(start: arena.gradients.base, count: arena.count)) + (x.grad?.toArray() ?? [])
        )
    }
    let saved = rng
    let kept = run(lean: false)
    rng = saved  // the same probe for both
    let lean = run(lean: true)
    #expect(relativeError(lean.values, kept.values) < 1e-5)
    #expect(relativeError(lean.gradients, kept.gradients) < 1e-4)
}
