import SeqAutograd
import SeqLayers
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

// Central-difference gradient checks of the new primitives and of every layer kind with parameters.

@Test(arguments: [(3, 1, WindowPadding.valid), (4, 1, .same), (3, 2, .same), (5, 2, .valid)])
func unfold1DGradient(kernel: Int, stride: Int, padding: WindowPadding) {
    var rng = SeededGenerator(seed: 41)
    let x = Variable(Tensor(randomNormal: [2, 9, 3], using: &rng), requiresGrad: true)
    let results = checkGradients([GradientCheckTarget(x, name: "x")]) {
        unfold1D(x, kernel: kernel, stride: stride, padding: padding)
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
}

@Test(arguments: [(2, 2, WindowPadding.valid), (3, 2, .same), (3, 1, .same)])
func maxPool1DGradient(size: Int, stride: Int, padding: WindowPadding) {
    var rng = SeededGenerator(seed: 42)
    // Values far apart, so a ±1e-2 step never changes which one wins.
    let values = (0..<(2 * 10 * 3)).map { Float($0) * 0.37 }.shuffled(using: &rng)
    let x = Variable(Tensor(shape: [2, 10, 3], values: values), requiresGrad: true)
    let results = checkGradients([GradientCheckTarget(x, name: "x")]) {
        maxPool1D(x, size: size, stride: stride, padding: padding)
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
}

@Test func lossGradients() {
    var rng = SeededGenerator(seed: 43)
    let p = Variable(Tensor(randomUniform: [5, 4], low: 0.1, high: 0.9, using: &rng), requiresGrad: true)
    let y = Tensor(randomUniform: [5, 4], low: 0, high: 1, using: &rng)
    let shifted = Tensor(randomNormal: [5, 4], using: &rng)  // for the absolute error, away from p
    let losses: [(String, () -> Variable)] = [
        ("mse", { meanSquaredError(p, y) }),
        ("mae", { meanAbsoluteError(p, shifted) }),
        ("bce", { binaryCrossEntropy(p, y, fromLogits: false) }),
        ("bce logits", { binaryCrossEntropy(p, y, fromLogits: true) }),
        ("cce", { categoricalCrossEntropy(p, y, fromLogits: false) }),
        ("cce logits", { categoricalCrossEntropy(p, y, fromLogits: true) }),
    ]
    for (name, loss) in losses {
        let results = checkGradients([GradientCheckTarget(p, name: name)], step: 1e-3, forward: loss)
        for r in results { #expect(r.relativeError < 2e-2, "\(r)") }
    }
}

/// Checks the gradients of a one-layer model's parameters and of its input.
private func checkLayer(_ layer: Layer, input shape: [Int], batch: Int = 2, ids: Int? = nil) throws {
    var rng = SeededGenerator(seed: 44)
    let input = Input(shape: shape)
    let model = try Model(inputs: [input], outputs: layer(input), seed: 3)
    let x: Tensor
    if let ids {
        x = Tensor(
            shape: [batch] + shape,
            values: (0..<(batch * shape.reduce(1, *))).map { _ in Float(rng.nextInt(below: ids)) })
    } else {
        x = Tensor(randomNormal: [batch] + shape, using: &rng)
    }
    let xv = Variable(x, requiresGrad: ids == nil)
    let targets =
        GradientCheckTarget.parameters(of: model.arena) + (ids == nil ? [GradientCheckTarget(xv, name: "x")] : [])
    let results = checkGradients(
        targets, step: 1e-2,
        zeroGradients: {
            model.arena.zeroGradients(); xv.zeroGradient()
        }
    ) {
        model([xv], context: .evaluation())
    }
    // Attention's key bias shifts every score of a query by the same amount, which the softmax cancels: its true
    // gradient is 0, and both sides are rounding noise.
    for r in results { #expect(r.relativeError < 2e-2 || r.numericNorm < 1e-4, "\(layer.typeName): \(r)") }
}

@Test func denseAndNormalizationGradients() throws {
    try checkLayer(Dense(5, activation: .tanh), input: [4])
    try checkLayer(Dense(3, activation: .softmax), input: [3, 4])
    try checkLayer(LayerNormalization(), input: [3, 6])
    try checkLayer(Embedding(inputDim: 7, outputDim: 4), input: [5], ids: 7)
}

@Test(arguments: [false, true])
func recurrentLayerGradients(bidirectional: Bool) throws {
    for sequences in [false, true] {
        try checkLayer(SimpleRNN(4, returnSequences: sequences, bidirectional: bidirectional), input: [5, 3])
        try checkLayer(LSTM(4, returnSequences: sequences, bidirectional: bidirectional), input: [5, 3])
        try checkLayer(GRU(4, returnSequences: sequences, bidirectional: bidirectional), input: [5, 3])
    }
}

@Test func convolutionAndAttentionGradients() throws {
    try checkLayer(Conv1D(filters: 3, kernelSize: 3, strides: 2, padding: .same, activation: .tanh), input: [7, 2])
    try checkLayer(MultiHeadAttention(heads: 2, keyDim: 3), input: [4, 6])
    try checkLayer(MultiHeadAttention(heads: 2, keyDim: 2, causal: true), input: [4, 5])
    try checkLayer(GlobalAveragePooling1D(), input: [4, 3])
}
