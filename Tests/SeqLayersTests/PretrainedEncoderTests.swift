import Foundation
import SeqAutograd
import SeqLayers
import SeqTensor
import Testing
import _SeqTestSupport

/// `Models/all-MiniLM-L6-v2`, fetched by `bash Models/fetch-minilm.sh` (CI always fetches it).
private let miniLM = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models/all-MiniLM-L6-v2")

private var miniLMIsPresent: Bool {
    FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("model.safetensors").path)
}

private let weather = [
    "It will rain all afternoon.", "A cold wind blows from the north.", "Snow is falling on the hills.",
    "The sun is hot today.", "Thunder rolled over the valley.", "Fog lies thick on the river.",
]
private let food = [
    "The bread is fresh from the oven.", "She cooked a pot of soup.", "We ate apples and cheese.",
    "The cake needs more sugar.", "He fried eggs for breakfast.", "Rice and beans for supper.",
]

@Test(.enabled(if: miniLMIsPresent, "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func frozenMiniLMWithADenseHeadClassifiesAndReloads() throws {
    let encoder = try PretrainedEncoder(path: miniLM, inputLength: 16)
    #expect(!encoder.trainable && encoder.width == 384)
    let texts = weather + food
    let x = try encoder.tokenMatrix(texts, length: 16)
    let y = Tensor(shape: [12], values: weather.map { _ in 0 } + food.map { _ in 1 })
    let model = Sequential(seed: 1) {
        encoder
        Dense(2, activation: .softmax)
    }
    try model.compile(
        optimizer: .adam(learningRate: 0.05), loss: .sparseCategoricalCrossentropy(), metrics: [.accuracy])
    let summary = try model.summary()
    #expect(summary.contains("pretrained_encoder (PretrainedEncoder)"), "\(summary)")
    // MiniLM without the pooler sentence-transformers never uses (its 147,840 weights are not loaded).
    #expect(summary.contains("Non-trainable params: 22565376"), "\(summary)")
    let before = model.arenas[1].flatValues.toArray()
    let history = try model.fit(x: x, y: y, epochs: 20, batchSize: 12, verbose: false)
    #expect(history["accuracy"]!.last! == 1)
    #expect(model.arenas[1].flatValues.toArray() == before, "a frozen encoder must not change")
    let unseen = try encoder.tokenMatrix(
        ["Heavy rain is on the way.", "Pass me the butter and the bread."], length: 16)
    let p = try model.predict(unseen)
    #expect(p[0, 0] > 0.5 && p[1, 1] > 0.5, "\(p.toArray())")

    let folder = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try model.save(to: folder.appendingPathComponent("topics"))
    let loaded = try Model.load(from: folder.appendingPathComponent("topics"))
    let again = try loaded.predict(unseen).toArray()
    let twice = try model.predict(unseen).toArray()
    #expect(again == p.toArray(), "\(again) \(p.toArray()) \(twice)")
}

@Test(.enabled(if: miniLMIsPresent, "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func fineTuningMiniLMChangesItsWeights() throws {
    let encoder = try PretrainedEncoder(path: miniLM, trainable: true, inputLength: 12)
    let model = Sequential(seed: 2) {
        encoder
        Dense(1, activation: .sigmoid)
    }
    try model.compile(optimizer: .adam(learningRate: 1e-4), loss: .binaryCrossentropy())
    #expect(try model.summary().contains("Non-trainable params: 0"))
    let x = try encoder.tokenMatrix(Array(weather.prefix(2)) + Array(food.prefix(2)), length: 12)
    let before = model.arenas[1].flatValues.toArray()
    try model.fit(x: x, y: Tensor(shape: [4, 1], values: [0, 0, 1, 1]), epochs: 1, batchSize: 4, verbose: false)
    #expect(model.arenas[1].flatValues.toArray() != before)
}
