import Foundation
import SeqAutograd
import SeqLayers
import SeqTensor
import SeqTraining
import Testing
import _SeqTestSupport

/// The introductory network: Dense 16 relu on one input → Dense 8 relu → Dense 1.
func introNetwork(seed: UInt64 = 0) -> Sequential {
    Sequential(seed: seed) {
        Dense(16, activation: .relu, inputShape: [1])
        Dense(8, activation: .relu)
        Dense(1)
    }
}

/// `n` points of y = x² on [-1, 1], shuffled by `seed`.
func squares(_ n: Int, seed: UInt64) -> (x: Tensor, y: Tensor) {
    var rng = SeededGenerator(seed: seed)
    let xs = (0..<n).map { _ in 2 * rng.nextUniform() - 1 }
    return (Tensor(shape: [n, 1], values: xs), Tensor(shape: [n, 1], values: xs.map { $0 * $0 }))
}

@Test func introNetworkSummaryCountsKerasParameters() throws {
    let model = introNetwork()
    let text = try model.summary()
    #expect(text.contains("Total params: 177 (708.00 B)"), "\(text)")
    #expect(text.contains("Trainable params: 177 (708.00 B)"))
    #expect(text.contains("Non-trainable params: 0 (0.00 B)"))
    #expect(text.contains("│ dense (Dense)"))
    #expect(text.contains("│ dense_1 (Dense)"))
    #expect(text.contains("(None, 16)") && text.contains("(None, 8)") && text.contains("(None, 1)"))
    let lines = text.split(separator: "\n")
    #expect(lines.first == "Model: \"sequential\"")
    // Every table line is as wide as the header line.
    let widths = Set(lines[1..<(lines.count - 3)].map(\.count))
    #expect(widths.count == 1, "\(text)")
}

@Test func fitLearnsSquaresToKerasIntroAccuracy() throws {
    let model = introNetwork(seed: 1)
    try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
    let data = squares(1000, seed: 2)
    let history = try model.fit(
        x: data.x, y: data.y, epochs: 150, batchSize: 32, validationSplit: 0.2, verbose: false)
    #expect(history.epochs == 150)
    let validation = try #require(history["val_loss"]?.last)
    #expect(validation < 1e-3, "validation MSE \(validation)")
    #expect(history["mae"]?.count == 150 && history["val_mae"]?.count == 150)
    let test = squares(200, seed: 3)
    let figures = try model.evaluate(x: test.x, y: test.y)
    #expect(figures["loss"]! < 2e-3, "\(figures)")
    // evaluate's loss is the mean of predict's squared errors.
    let p = try model.predict(test.x)
    var mse = 0.0
    for i in 0..<200 { mse += Double((p.pointer[i] - test.y.pointer[i]) * (p.pointer[i] - test.y.pointer[i])) }
    #expect(abs(mse / 200 - figures["loss"]!) < 1e-6)
}

@Test func sameSeedSameWeightsDifferentSeedDifferent() throws {
    func trained(_ seed: UInt64, fitSeed: UInt64) throws -> [Float] {
        let model = introNetwork(seed: seed)
        try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError)
        let data = squares(128, seed: 9)
        try model.fit(x: data.x, y: data.y, epochs: 3, batchSize: 16, seed: fitSeed, verbose: false)
        return model.arena.flatValues.toArray()
    }
    #expect(try trained(4, fitSeed: 1) == trained(4, fitSeed: 1))
    #expect(try trained(4, fitSeed: 1) != trained(4, fitSeed: 2))
    #expect(try trained(4, fitSeed: 1) != trained(5, fitSeed: 1))
}

@Test func earlyStoppingStopsAndRestoresTheBestWeights() throws {
    let model = introNetwork(seed: 3)
    // A learning rate this high makes the validation loss jump about, so the best epoch is not the last.
    try model.compile(optimizer: .sgd(learningRate: 0.9), loss: .meanSquaredError)
    let data = squares(256, seed: 4)
    final class Snapshots: Callback {
        var weights: [[Float]] = []
        func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws {
            weights.append(model.arena.flatValues.toArray())
        }
    }
    let snapshots = Snapshots()
    let stopper = EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
    let history = try model.fit(
        x: data.x, y: data.y, epochs: 60, batchSize: 8, validationSplit: 0.25, callbacks: [snapshots, stopper],
        verbose: false)
    let losses = try #require(history["val_loss"])
    let best = try #require(stopper.best)
    #expect(losses.count < 60, "never stopped: \(losses)")
    #expect(best.value == losses.min())
    #expect(stopper.stoppedEpoch == losses.count - 1)
    #expect(losses.count - 1 - best.epoch == 2)
    #expect(model.arena.flatValues.toArray() == snapshots.weights[best.epoch])
    #expect(model.arena.flatValues.toArray() != snapshots.weights.last!)
}

@Test func savedModelReloadsAndPredictsIdentically() throws {
    let folder = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = introNetwork(seed: 6)
    try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
    let data = squares(64, seed: 1)
    try model.fit(x: data.x, y: data.y, epochs: 2, verbose: false)
    let url = folder.appendingPathComponent("squares")
    try model.save(to: url)
    let loaded = try Model.load(from: url)
    #expect(loaded is Sequential)
    #expect(try loaded.summary() == model.summary())
    #expect(try loaded.predict(data.x).toArray() == model.predict(data.x).toArray())
    #expect(loaded.compiled == model.compiled)
    // Saving again over the folder swaps it whole and leaves nothing beside it.
    try loaded.save(to: url)
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(names == ["squares"])
}

@Test func badDataIsAThrownErrorNamingTheArgument() throws {
    let model = introNetwork()
    try model.compile(loss: .meanSquaredError)
    let data = squares(10, seed: 1)
    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }
    #expect(
        message { try model.fit(x: data.x, y: Tensor(zeros: [9, 1]), verbose: false) }
            == "y: has 9 rows but x has 10")
    let nan = Tensor(shape: [2, 1], values: [0.5, .nan])
    #expect(message { try model.predict(nan) }.hasPrefix("x: element 1 is nan"))
    #expect(message { try model.predict(Tensor(zeros: [4, 2])) }.hasPrefix("x: has rows of shape (None, 2)"))
    let classifier = Sequential {
        Dense(3, activation: .softmax, inputShape: [2])
    }
    try classifier.compile(loss: .sparseCategoricalCrossentropy())
    #expect(
        message {
            try classifier.fit(x: Tensor(zeros: [2, 2]), y: Tensor(shape: [2], values: [1, 3]), verbose: false)
        } == "y: label 3.0 at element 1 is not one of the 3 classes 0..<3")
    #expect(message { try introNetwork().fit(x: data.x, y: data.y, verbose: false) }.contains("not compiled"))
}

@Test func shapeMismatchNamesBothLayersAndShapes() throws {
    let model = Sequential {
        Dense(8, inputShape: [4])
        LSTM(16)
    }
    #expect(throws: ModelError.self) { try model.summary() }
    do {
        _ = try model.summary()
    } catch {
        #expect(
            "\(error)"
                == "layer 'lstm' (LSTM) needs input of shape (timesteps, features), but 'dense' (Dense) gives (None, 8)"
        )
    }
}

@Test func frozenLayersKeepTheirWeightsAndCountAsNonTrainable() throws {
    let model = introNetwork(seed: 2)
    model.layers[0].trainable = false
    try model.compile(optimizer: .adamw(learningRate: 0.01), loss: .meanSquaredError)
    let before = model.arena.flatValues.toArray()
    let data = squares(64, seed: 5)
    try model.fit(x: data.x, y: data.y, epochs: 2, verbose: false)
    let after = model.arena.flatValues.toArray()
    #expect(Array(after[0..<32]) == Array(before[0..<32]))
    #expect(Array(after[32...]) != Array(before[32...]))
    #expect(try model.summary().contains("Non-trainable params: 32 (128.00 B)"))
}

@Test func functionalModelWithTwoPathsFitsAndSaves() throws {
    let input = Input(shape: [2])
    let wide = Dense(8, activation: .tanh)(input)
    let deep = Dense(8, activation: .relu)(Dense(8, activation: .relu)(input))
    let output = Dense(1, activation: .sigmoid)(Concatenate()([wide, deep]))
    let model = try Model(inputs: [input], outputs: output)
    let text = try model.summary()
    #expect(text.contains("Connected to") && text.contains("input_layer (InputLayer)"), "\(text)")
    #expect(model.parameterCounts.total == 24 + 24 + 72 + 17)  // wide, deep 1, deep 2, output
    // XOR-like labels: the sign of x0·x1.
    var rng = SeededGenerator(seed: 8)
    let n = 512
    let xs = (0..<(2 * n)).map { _ in 2 * rng.nextUniform() - 1 }
    let ys = (0..<n).map { xs[2 * $0] * xs[2 * $0 + 1] > 0 ? Float(1) : 0 }
    try model.compile(optimizer: .adam(learningRate: 0.02), loss: .binaryCrossentropy(), metrics: [.accuracy])
    let history = try model.fit(
        x: Tensor(shape: [n, 2], values: xs), y: Tensor(shape: [n, 1], values: ys), epochs: 60, validationSplit: 0.2,
        verbose: false)
    #expect(history["val_accuracy"]!.last! > 0.9, "\(history["val_accuracy"]!)")
    let folder = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try model.save(to: folder.appendingPathComponent("xor"))
    let loaded = try Model.load(from: folder.appendingPathComponent("xor"))
    let probe = Tensor(shape: [3, 2], values: [0.5, 0.5, -0.5, 0.5, 0.1, -0.9])
    #expect(try loaded.predict(probe).toArray() == model.predict(probe).toArray())
}

@Test func learningRateSchedulerSetsEachEpochsRate() throws {
    let model = introNetwork()
    try model.compile(optimizer: .sgd(learningRate: 0.1), loss: .meanSquaredError)
    var seen: [Double] = []
    final class Recorder: Callback {
        var rates: [Double] = []
        func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws { rates.append(model.learningRate) }
    }
    let recorder = Recorder()
    let data = squares(32, seed: 1)
    try model.fit(
        x: data.x, y: data.y, epochs: 3,
        callbacks: [LearningRateScheduler { epoch, rate in epoch == 0 ? rate : rate / 2 }, recorder], verbose: false)
    seen = recorder.rates
    #expect(seen == [0.1, 0.05, 0.025])
}
