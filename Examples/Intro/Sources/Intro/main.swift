// Build your own model with SeqKit: the network every introduction starts with, then a text classifier.
//
//     swift run Intro [Corpora/shakespeare-genres]
import Foundation
import SeqKit

// 1. Dense 16 relu on one input → Dense 8 relu → Dense 1: 177 parameters.
let model = Sequential {
    Dense(16, activation: .relu, inputShape: [1])
    Dense(8, activation: .relu)
    Dense(1)
}
print(try model.summary())

// y = x² on [-1, 1]: 1000 points, the last 20% held out for validation.
var rng = SeededGenerator(seed: 1)
let xs = (0..<1000).map { _ in 2 * rng.nextUniform() - 1 }
let x = Tensor(shape: [1000, 1], values: xs)
let y = Tensor(shape: [1000, 1], values: xs.map { $0 * $0 })
try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
let history = try model.fit(x: x, y: y, epochs: 150, batchSize: 32, validationSplit: 0.2, verbose: false)
let mse = history["val_loss"]!.last!
print("y = x²: validation MSE after \(history.epochs) epochs: \(String(format: "%.6f", mse))")
let probe = try model.predict(Tensor(shape: [3, 1], values: [-0.5, 0.1, 0.9]))
print("predict([-0.5, 0.1, 0.9]) = \(probe.toArray().map { String(format: "%.3f", $0) })  (want 0.250, 0.010, 0.810)")

// 2. Comedy or tragedy? Passages of Shakespeare's plays, characters in, Embedding → LSTM → Dense(sigmoid).
let folder = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Corpora/shakespeare-genres")
let genres: Set = ["comedy", "tragedy"]
var train = try LabeledTexts(contentsOf: folder.appendingPathComponent("train.jsonl")).filtered(genres)
let test = try LabeledTexts(contentsOf: folder.appendingPathComponent("test.jsonl")).filtered(genres)
// Shuffled once, so the validation split (the last 10%) holds both genres.
var order = Array(train.texts.indices)
order.shuffle(using: &rng)
train = LabeledTexts(texts: order.map { train.texts[$0] }, labels: order.map { train.labels[$0] })

// Byte-level BPE of 2000 tokens (mostly whole words), trained on the training passages.
let tokenizer = try trainTokenizer(
    TokenizerOptions(kind: .bpe, vocabularySize: 2000, specialTokens: []),
    corpus: Array(train.texts.joined(separator: "\n").utf8))
let length = 64
let pad = tokenizer.vocabularySize  // one more id for padding
let classes = ["comedy", "tragedy"]
let trainX = try train.tokenMatrix(tokenizer: tokenizer, length: length, padID: pad)
let testX = try test.tokenMatrix(tokenizer: tokenizer, length: length, padID: pad)
let trainY = try train.labelTensor(classes: classes).reshaped([train.texts.count, 1])
let testY = try test.labelTensor(classes: classes).reshaped([test.texts.count, 1])

let classifier = Sequential(seed: 2) {
    Embedding(inputDim: tokenizer.vocabularySize + 1, outputDim: 32, inputShape: [length])
    LSTM(32)
    Dense(1, activation: .sigmoid)
}
print(try classifier.summary())
try classifier.compile(
    optimizer: .adam(learningRate: 0.003), loss: .binaryCrossentropy(), metrics: [.accuracy])
try classifier.fit(
    x: trainX, y: trainY, epochs: 15, batchSize: 32, validationSplit: 0.1,
    callbacks: [EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true)])
let figures = try classifier.evaluate(x: testX, y: testY)
print(
    "comedy or tragedy, \(test.texts.count) held-out passages: accuracy \(String(format: "%.3f", figures["accuracy"]!))"
        + " (the larger class alone: \(String(format: "%.3f", Double(test.labels.filter { $0 == "comedy" }.count) / Double(test.texts.count))))"
)
