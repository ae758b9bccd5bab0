import SeqAutograd
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

private func expectLayerGradients(
    _ arena: ParameterArena, inputs: [Variable], _ f: @escaping () -> Variable,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let targets =
        GradientCheckTarget.parameters(of: arena)
        + inputs.enumerated().map { GradientCheckTarget($1, name: "input \($0)") }
    for r in checkGradients(targets, zeroGradients: arena.zeroGradients, forward: f) {
        #expect(r.relativeError < 1e-2, "\(r)", sourceLocation: sourceLocation)
    }
}

@Test(arguments: [true, false])
func linearGradients(bias: Bool) {
    var rng = SeededGenerator(seed: 1)
    let arena = ParameterArena()
    let layer = Linear(arena, "fc", inFeatures: 5, outFeatures: 3, bias: bias, rng: &rng)
    let x = Variable(Tensor(randomNormal: [2, 4, 5], using: &rng), requiresGrad: true)
    #expect(layer(x).shape == [2, 4, 3])
    #expect(layer.parameterCount == 15 + (bias ? 3 : 0))
    expectLayerGradients(arena, inputs: [x]) { layer(x) }
}

@Test(arguments: [true, false])
func layerNormGradients(bias: Bool) {
    var rng = SeededGenerator(seed: 2)
    let arena = ParameterArena()
    let layer = LayerNorm(arena, "ln", width: 6, bias: bias)
    Initialization.normal(std: 0.5).fill(layer.weight.value, using: &rng)
    let x = Variable(Tensor(randomNormal: [3, 6], using: &rng), requiresGrad: true)
    expectLayerGradients(arena, inputs: [x]) { layer(x) }
}

@Test func embeddingGradients() {
    var rng = SeededGenerator(seed: 3)
    let arena = ParameterArena()
    let layer = Embedding(arena, "wte", count: 7, width: 4, rng: &rng)
    let ids = [0, 6, 3, 3, 1, 0]
    #expect(layer(ids, shape: [2, 3]).shape == [2, 3, 4])
    expectLayerGradients(arena, inputs: []) { layer(ids, shape: [2, 3]) }
}

@Test func linearInitialisationFollowsPyTorch() {
    var rng = SeededGenerator(seed: 4)
    let arena = ParameterArena()
    let layer = Linear(arena, "fc", inFeatures: 100, outFeatures: 50, rng: &rng)
    let w = layer.weight.value.toArray()
    #expect(w.allSatisfy { abs($0) <= 0.1 })
    #expect(w.map { abs($0) }.max()! > 0.09)  // fills the whole ±1/√100 range
    #expect(arena.slots.map(\.name) == ["fc.weight", "fc.bias"])
}
