import Foundation
import SeqAutograd
import SeqLayers
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

// Parameter counts and output shapes against Keras 3, and Conv1D, pooling and the losses against PyTorch, on the
// fixtures Tests/Fixtures/make_layer_fixtures.py writes.

private struct KerasFixture: Decodable {
    struct Entry: Decodable {
        var type: String
        var config: LayerConfig
        var inputShape: [Int]
        var params: Int
        var outputShape: [Int]
    }
    var keras: String
    var layers: [Entry]
    var introParams: Int
}

private func kerasFixture() throws -> KerasFixture {
    try JSONDecoder().decode(KerasFixture.self, from: Data(contentsOf: fixtureURL("keras_layers.json")))
}

@Test(arguments: 0..<19)
func parameterCountAndOutputShapeMatchKeras(index: Int) throws {
    let fixture = try kerasFixture()
    #expect(fixture.layers.count == 19)
    let entry = fixture.layers[index]
    let layer = try LayerRegistry.layer(type: entry.type, config: entry.config)
    let input = Input(shape: entry.inputShape)
    let model = try Model(inputs: [input], outputs: layer(input))
    #expect(model.parameterCounts.total == entry.params, "\(entry.type) \(entry.config.values)")
    #expect(try model.outputShape() == entry.outputShape, "\(entry.type) \(entry.config.values)")
}

@Test func introNetworkCountsWhatKerasCounts() throws {
    #expect(try introNetwork().parameterCounts.total == kerasFixture().introParams)
}

private let torchFile = Result { try SafeTensorsFile(contentsOf: fixtureURL("torch_layers.safetensors")) }

private func tensor(_ name: String) throws -> Tensor {
    let file = try torchFile.get()
    return Tensor(shape: try file.info(name).shape, values: try file.floats(name))
}

/// Loads a one-layer model's parameters from the fixture (`<case>.kernel`, `<case>.bias`).
private func load(_ model: Model, _ name: String) throws {
    for slot in model.arena.slots {
        let part = slot.name.split(separator: ".").last!
        let w = try tensor("\(name).\(part)")
        #expect(w.shape == slot.shape, "\(name).\(part)")
        model.arena.value(of: slot).pointer.update(from: w.pointer, count: slot.count)
    }
}

/// Runs the layer on the fixture's input, back-propagates Σ output ⊙ probe and compares the output and every
/// gradient with PyTorch's.
private func expectParity(_ name: String, _ layer: Layer) throws {
    let x = try tensor("\(name).input")
    let input = Input(shape: Array(x.shape.dropFirst()))
    let model = try Model(inputs: [input], outputs: layer(input))
    try load(model, name)
    let xv = Variable(x, requiresGrad: true)
    model.arena.zeroGradients()
    let y = model([xv], context: .evaluation())
    let expected = try tensor("\(name).output")
    #expect(y.count == expected.count)
    (y * Variable(try tensor("\(name).probe").reshaped(y.shape))).sum().backward()
    #expect(maxRelativeError(y.value.toArray(), expected.toArray()) < 1e-5, "\(name) output")
    #expect(maxRelativeError(xv.grad!.toArray(), try tensor("\(name).grad.input").toArray()) < 1e-5, "\(name) dx")
    for slot in model.arena.slots {
        let part = slot.name.split(separator: ".").last!
        let error = maxRelativeError(
            model.arena.gradient(of: slot).toArray(), try tensor("\(name).grad.\(part)").toArray())
        #expect(error < 1e-5, "\(name) grad \(part): \(error)")
    }
}

@Test func conv1DMatchesPyTorch() throws {
    try expectParity("conv_valid", Conv1D(filters: 4, kernelSize: 3))
    try expectParity("conv_same_even", Conv1D(filters: 4, kernelSize: 4, padding: .same))
    try expectParity("conv_same_s2", Conv1D(filters: 5, kernelSize: 3, strides: 2, padding: .same))
    try expectParity("conv_valid_s2", Conv1D(filters: 3, kernelSize: 5, strides: 2))
}

@Test func maxPoolingMatchesPyTorch() throws {
    try expectParity("pool_valid", MaxPooling1D(poolSize: 2))
    try expectParity("pool_same", MaxPooling1D(poolSize: 3, strides: 2, padding: .same))
    try expectParity("pool_global", GlobalMaxPooling1D())
}

@Test func lossesMatchPyTorch() throws {
    let cases: [(String, (Variable, Tensor) -> Variable)] = [
        ("loss_mse", { meanSquaredError($0, $1) }),
        ("loss_mae", { meanAbsoluteError($0, $1) }),
        ("loss_bce", { binaryCrossEntropy($0, $1, fromLogits: false) }),
        ("loss_bce_logits", { binaryCrossEntropy($0, $1, fromLogits: true) }),
        ("loss_cce", { categoricalCrossEntropy($0, $1, fromLogits: false) }),
        ("loss_cce_logits", { categoricalCrossEntropy($0, $1, fromLogits: true) }),
    ]
    for (name, loss) in cases {
        let p = Variable(try tensor("\(name).input"), requiresGrad: true)
        let value = loss(p, try tensor("\(name).target"))
        value.backward()
        let expected = try tensor("\(name).output").toArray()[0]
        #expect(abs(value.value.toArray()[0] - expected) <= 1e-5 * max(1, abs(expected)), "\(name)")
        #expect(maxRelativeError(p.grad!.toArray(), try tensor("\(name).grad.input").toArray()) < 1e-5, "\(name) dp")
    }
}

@Test func sparseCategoricalLossMatchesPyTorch() throws {
    // Through fit's path: a one-layer model whose output is the fixture's logits is not needed; the sparse loss is
    // the categorical loss of one-hot rows, checked here against F.cross_entropy with class ids.
    let logits = try tensor("loss_sparse_logits.input")
    let ids = try tensor("loss_sparse_logits.target")
    let oneHot = Tensor(zeros: logits.shape)
    for r in 0..<ids.count { oneHot.pointer[r * logits.shape[1] + Int(ids.pointer[r])] = 1 }
    let p = Variable(logits, requiresGrad: true)
    let value = categoricalCrossEntropy(p, oneHot, fromLogits: true)
    value.backward()
    let expected = try tensor("loss_sparse_logits.output").toArray()[0]
    #expect(abs(value.value.toArray()[0] - expected) < 1e-5)
    #expect(maxRelativeError(p.grad!.toArray(), try tensor("loss_sparse_logits.grad.input").toArray()) < 1e-5)
}
