import SeqAutograd
import SeqTensor
import Testing
import _SeqTestSupport

/// A leaf with normal values that needs a gradient.
private func leaf(_ shape: [Int], _ rng: inout SeededGenerator, std: Float = 1, mean: Float = 0) -> Variable {
    Variable(Tensor(randomNormal: shape, mean: mean, std: std, using: &rng), requiresGrad: true)
}

private func expectGradientsMatch(
    _ inputs: [Variable], tolerance: Double = 1e-2, step: Float = 1e-2, _ f: @escaping () -> Variable,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let targets = inputs.enumerated().map { GradientCheckTarget($1, name: "input \($0)") }
    let results = checkGradients(targets, step: step, forward: f)
    for r in results {
        #expect(r.relativeError < tolerance, "\(r)", sourceLocation: sourceLocation)
        #expect(r.numericNorm > 0, "vanishing gradient: \(r)", sourceLocation: sourceLocation)
    }
}

@Test(arguments: [[1, 1], [3, 5], [2, 7, 3]])
func elementwiseBinaryOpsSameShape(shape: [Int]) {
    var rng = SeededGenerator(seed: 1)
    let a = leaf(shape, &rng)
    let b = leaf(shape, &rng)
    expectGradientsMatch([a, b]) { a + b }
    expectGradientsMatch([a, b]) { a - b }
    expectGradientsMatch([a, b]) { a * b }
}

@Test(arguments: [([4, 1, 3], [5, 3]), ([2, 3], [3]), ([3, 1], [1, 5]), ([2, 3, 4], []), ([1], [2, 2])])
func elementwiseBinaryOpsBroadcast(a shapeA: [Int], b shapeB: [Int]) {
    var rng = SeededGenerator(seed: 2)
    let a = leaf(shapeA, &rng)
    let b = leaf(shapeB, &rng)
    expectGradientsMatch([a, b]) { a + b }
    expectGradientsMatch([a, b]) { a - b }
    expectGradientsMatch([a, b]) { a * b }
}

@Test func variableUsedTwiceAccumulates() {
    var rng = SeededGenerator(seed: 3)
    let a = leaf([3, 4], &rng)
    let b = leaf([4], &rng)
    expectGradientsMatch([a, b]) { (a * a + a * b).tanh() * a }
    // d/dx Σ x·x = 2x exactly.
    let x = Variable(Tensor(shape: [3], values: [1, -2, 3]), requiresGrad: true)
    (x * x).sum().backward()
    #expect(x.grad!.toArray() == [2, -4, 6])
}

@Test func scaleSumAndMean() {
    var rng = SeededGenerator(seed: 4)
    let a = leaf([3, 5, 2], &rng)
    expectGradientsMatch([a]) { a * 2.5 }
    for axis in 0..<3 {
        expectGradientsMatch([a]) { a.sum(axis: axis) }
        expectGradientsMatch([a]) { a.mean(axis: axis) }
    }
    expectGradientsMatch([a]) { a.sum() }
    expectGradientsMatch([a]) { a.mean() }
    #expect(abs(a.mean().value.item - a.value.toArray().reduce(0, +) / 30) < 1e-5)
}

@Test(arguments: ["tanh", "sigmoid", "relu", "gelu", "geluTanh", "softmax", "logSoftmax", "power"])
func unaryOps(name: String) {
    var rng = SeededGenerator(seed: 5)
    // Keep relu's inputs away from its kink, and power's positive.
    let x: Variable
    switch name {
    case "relu":
        let values: [Float] = (0..<35).map { (i: Int) -> Float in
            let offset: Float = i % 2 == 0 ? 0.11 : -0.13
            return Float(i % 7 - 3) * 0.3 + offset
        }
        x = Variable(Tensor(shape: [5, 7], values: values), requiresGrad: true)
    case "power": x = leaf([5, 7], &rng, std: 0.2, mean: 2)
    default: x = leaf([5, 7], &rng)
    }
    let f: () -> Variable =
        switch name {
        case "tanh": { x.tanh() }
        case "sigmoid": { x.sigmoid() }
        case "relu": { x.relu() }
        case "gelu": { x.gelu() }
        case "geluTanh": { x.gelu(.tanh) }
        case "softmax": { x.softmax() }
        case "logSoftmax": { x.logSoftmax() }
        default: { x.power(-0.5) }
        }
    expectGradientsMatch([x], f)
}

@Test func matmulAllFormsAndTransposes() {
    var rng = SeededGenerator(seed: 6)
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            let a = leaf(transposeA ? [5, 3] : [3, 5], &rng)
            let b = leaf(transposeB ? [4, 5] : [5, 4], &rng)
            expectGradientsMatch([a, b]) { matmul(a, b, transposeA: transposeA, transposeB: transposeB) }
            // Batched, both operands batched.
            let ba = leaf([2, 3] + (transposeA ? [5, 3] : [3, 5]), &rng)
            let bb = leaf([2, 3] + (transposeB ? [4, 5] : [5, 4]), &rng)
            expectGradientsMatch([ba, bb]) { matmul(ba, bb, transposeA: transposeA, transposeB: transposeB) }
        }
    }
    // Leading axes flattened against a shared 2-D weight (a Linear layer).
    let x = leaf([2, 3, 5], &rng)
    let w = leaf([7, 5], &rng)
    expectGradientsMatch([x, w]) { matmul(x, w, transposeB: true) }
}

@Test func crossEntropyWithIgnoreIndex() {
    var rng = SeededGenerator(seed: 7)
    let logits = leaf([6, 5], &rng, std: 2)
    let targets = [0, 4, -1, 2, 2, -1]
    expectGradientsMatch([logits]) { crossEntropy(logits, targets: targets, ignoreIndex: -1) }
    // Every row ignored: zero loss, zero gradient, no NaN.
    let none = crossEntropy(logits, targets: [Int](repeating: -1, count: 6), ignoreIndex: -1)
    #expect(none.value.item == 0)
}

@Test func layerNormWithAndWithoutBias() {
    var rng = SeededGenerator(seed: 8)
    let x = leaf([2, 3, 7], &rng, std: 2, mean: 1)
    let w = leaf([7], &rng, std: 0.5, mean: 1)
    let b = leaf([7], &rng)
    expectGradientsMatch([x, w, b]) { layerNorm(x, weight: w, bias: b) }
    expectGradientsMatch([x, w]) { layerNorm(x, weight: w, bias: nil) }
}

@Test func embeddingGatherAndRepeatedIds() {
    var rng = SeededGenerator(seed: 9)
    let table = leaf([6, 4], &rng)
    let ids = [1, 3, 3, 0, 5, 1]
    expectGradientsMatch([table]) { embedding(ids: ids, shape: [2, 3], table: table) }
    let y = embedding(ids: ids, shape: [2, 3], table: table)
    #expect(y.shape == [2, 3, 4])
    table.zeroGradient()
    y.sum().backward()
    // Row 3 is used twice, row 2 never.
    #expect(table.grad![3, 0] == 2)
    #expect(table.grad![2, 1] == 0)
}

@Test func dropoutMaskedGradient() {
    var rng = SeededGenerator(seed: 10)
    let x = leaf([4, 9], &rng)
    // The same seed each forward so the numeric check sees one mask.
    expectGradientsMatch([x]) {
        var local = SeededGenerator(seed: 99)
        return x.dropout(0.3, using: &local)
    }
    var local = SeededGenerator(seed: 5)
    let y = x.dropout(0.5, using: &local).value.toArray()
    let kept = y.filter { $0 != 0 }.count
    #expect(kept > 5 && kept < 31)  // about half of 36
    // p = 0 (evaluation) is the identity.
    #expect(x.dropout(0, using: &local) === x)
}

@Test func shapeOps() {
    var rng = SeededGenerator(seed: 11)
    let x = leaf([2, 3, 4, 5], &rng)
    expectGradientsMatch([x]) { x.reshaped([6, 20]) * x.reshaped([6, 20]) }
    for (i, j) in [(0, 1), (1, 2), (2, 3), (0, 3), (1, 3)] {
        expectGradientsMatch([x]) {
            x.transposed(i, j) * Variable(Tensor(randomNormal: x.transposed(i, j).shape, seed: 3))
        }
    }
    let parts = { x.split(axis: 2, sizes: [1, 3]) }
    expectGradientsMatch([x]) { parts()[1] }
    expectGradientsMatch([x]) { parts()[0] * 3 }
    let y = leaf([2, 3, 2, 5], &rng)
    expectGradientsMatch([x, y]) { concat([x, y, x], axis: 2) }
    expectGradientsMatch([x, y]) { concat([y, x], axis: 2).split(axis: 2, sizes: [1, 5])[1] }
}

@Test func transposeMovesElements() {
    let x = Variable(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
    #expect(x.transposed(0, 1).value.toArray() == [1, 4, 2, 5, 3, 6])
    let y = Variable(Tensor(shape: [2, 1, 3], values: [1, 2, 3, 4, 5, 6]))
    #expect(y.transposed(0, 2).shape == [3, 1, 2])
    #expect(y.transposed(0, 2).value.toArray() == [1, 4, 2, 5, 3, 6])
    let parts = x.split(axis: 1, sizes: [2, 1])
    #expect(parts[0].value.toArray() == [1, 2, 4, 5])
    #expect(concat(parts.reversed(), axis: 1).value.toArray() == [3, 1, 2, 6, 4, 5])
}

@Test func causalMaskAndSoftmaxAttention() {
    var rng = SeededGenerator(seed: 12)
    let s = leaf([2, 4, 4], &rng)
    expectGradientsMatch([s]) { causalMask(s).softmax() }
    let p = causalMask(s).softmax().value
    #expect(p[0, 0, 1] == 0 && p[1, 2, 3] == 0)
    #expect(abs(p[0, 0, 0] - 1) < 1e-6)
}

extension Tensor {
    fileprivate init(randomNormal shape: [Int], seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        self.init(randomNormal: shape, using: &rng)
    }
}

@Test func fusedLinearsPassGradientChecks() {
    var rng = SeededGenerator(seed: 12)
    let h = leaf([2, 3, 8], &rng)
    let w = leaf([5, 8], &rng, std: 0.5)
    for form in GELU.allCases {
        expectGradientsMatch([h, w]) { geluMatmul(h, w, gelu: form) }
        // The input's storage reused for its gradient.
        expectGradientsMatch([h, w]) { geluMatmul(h * 2, w, gelu: form) }
    }
    let gain = leaf([8], &rng, std: 0.3, mean: 1)
    let shift = leaf([8], &rng, std: 0.3)
    expectGradientsMatch([h, gain, shift, w]) { layerNormMatmul(h, weight: gain, bias: shift, w) }
    expectGradientsMatch([h, gain, w]) { layerNormMatmul(h, weight: gain, bias: nil, w) }
}

/// The fused linears equal their compositions, values and gradients, over more rows than one chunk.
@Test func fusedLinearsMatchCompositions() {
    var rng = SeededGenerator(seed: 13)
    let h = leaf([3, 400, 6], &rng)  // 1,200 rows: three chunks, the last one short
    let w = leaf([7, 6], &rng, std: 0.5)
    let gain = leaf([6], &rng, std: 0.3, mean: 1)
    let shift = leaf([6], &rng, std: 0.3)
    let probe = Variable(Tensor(randomNormal: [3, 400, 7], using: &rng))
    let cases: [(() -> Variable, () -> Variable)] = [
        ({ geluMatmul(h, w) }, { matmul(h.gelu(), w, transposeB: true) }),
        ({ geluMatmul(h, w, gelu: .tanh) }, { matmul(h.gelu(.tanh), w, transposeB: true) }),
        // An input only the primitive holds: its gradient is written over it and handed on.
        ({ geluMatmul(h * 2, w) }, { matmul((h * 2).gelu(), w, transposeB: true) }),
        ({ geluMatmul(h * 2, w, gelu: .tanh) }, { matmul((h * 2).gelu(.tanh), w, transposeB: true) }),
        (
            { layerNormMatmul(h, weight: gain, bias: shift, w) },
            { matmul(layerNorm(h, weight: gain, bias: shift), w, transposeB: true) }
        ),
    ]
    for (fused, composed) in cases {
        var gradients: [[[Float]]] = []
        var values: [[Float]] = []
        for f in [fused, composed] {
            for v in [h, w, gain, shift] { v.zeroGradient() }
            let y = f()
            (y * probe).sum().backward()
            values.append(y.value.toArray())
            gradients.append([h, w, gain, shift].map { $0.grad?.toArray() ?? [] })
        }
        #expect(relativeError(values[0], values[1]) < 1e-5)
        for (a, b) in zip(gradients[0], gradients[1]) { #expect(relativeError(a, b) < 1e-4) }
    }
}
