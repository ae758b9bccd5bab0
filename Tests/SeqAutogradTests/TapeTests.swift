import SeqAutograd
import SeqTensor
import Testing

@Test func noGradientModeRecordsNothing() {
    let x = Variable(Tensor(shape: [2], values: [1, 2]), requiresGrad: true)
    let y = withoutGradients { (x * x).tanh() }
    #expect(!y.requiresGrad)
    y.sum().backward()  // nothing to do, no crash
    #expect(x.grad == nil)
}

@Test func constantsGetNoGradient() {
    let x = Variable(Tensor(shape: [2], values: [1, 2]), requiresGrad: true)
    let c = Variable(Tensor(shape: [2], values: [3, 4]))
    (x * c).sum().backward()
    #expect(x.grad!.toArray() == [3, 4])
    #expect(c.grad == nil)
}

@Test func arenaKeepsSlotsContiguousAndZeroesInPlace() {
    let arena = ParameterArena()
    let w = arena.register("layer.weight", shape: [3, 2])
    let b = arena.register("layer.bias", shape: [3])
    w.value.fill(1)
    b.value.fill(2)
    #expect(arena.count == 9)
    #expect(arena.slots.map(\.name) == ["layer.weight", "layer.bias"])
    #expect(arena.slot(named: "layer.bias")?.offset == 6)
    #expect(arena.flatValues.toArray() == [1, 1, 1, 1, 1, 1, 2, 2, 2])

    // Growing past the first block keeps earlier values.
    let big = arena.register("big", shape: [2000])
    big.value.fill(3)
    #expect(w.value.toArray() == [1, 1, 1, 1, 1, 1])
    #expect(b.value.toArray() == [2, 2, 2])

    // Gradients of a parameter used twice accumulate in the arena slot.
    let x = Variable(Tensor(shape: [1, 2], values: [1, 2]))
    let wv = w.variable()
    let y = matmul(x, wv, transposeB: true) + matmul(x, w.variable(), transposeB: true)
    y.sum().backward()
    #expect(w.gradient.toArray() == [2, 4, 2, 4, 2, 4])
    let storage = arena.gradients.base
    arena.zeroGradients()
    #expect(arena.gradients.base == storage)
    #expect(arena.flatGradients.toArray().allSatisfy { $0 == 0 })
    w.gradient.fill(3)
    #expect(abs(arena.gradientNorm() - (6 * 9 as Float).squareRoot()) < 1e-5)
}

@Test func deepChainBackpropagatesWithoutRecursion() {
    var x = Variable(Tensor(shape: [1], values: [0.5]), requiresGrad: true)
    let start = x
    for _ in 0..<20_000 { x = x * 1.0 }
    x.sum().backward()
    #expect(start.grad!.item == 1)
}
