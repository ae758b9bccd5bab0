// fitbench: epochs per second of Model.fit for the workloads Benchmarks/compare-fit.py runs beside Keras 3 and
// PyTorch. Release only.
//
//     swift build -c release --product fitbench
//     .build/release/fitbench intro|text EPOCHS
// `intro`: the 177-parameter network (Dense 16 relu → Dense 8 relu → Dense 1) on 1,000 points of y = x², Adam 1e-2,
// MSE, batch 32, 20% validation. `text`: Embedding(2000, 32) → LSTM(32) → Dense(1, sigmoid) on 2,000 sequences of 64
// seeded random ids with binary labels, Adam 1e-3, binary cross-entropy, batch 32, 10% validation.
// Prints one line: `fitbench workload=W epochs=E seconds=S epochs_per_second=R final_loss=L`.
import Foundation
import SeqLayers
import SeqTensor

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2, ["intro", "text"].contains(arguments[0]), let epochs = Int(arguments[1]), epochs > 0
else {
    FileHandle.standardError.write(Data("usage: fitbench intro|text EPOCHS\n".utf8))
    exit(2)
}
Threads.apply(RuntimeOptions.environment)
var rng = SeededGenerator(seed: 1)
let model: Model
let x: Tensor
let y: Tensor
let split: Double
if arguments[0] == "intro" {
    model = Sequential {
        Dense(16, activation: .relu, inputShape: [1])
        Dense(8, activation: .relu)
        Dense(1)
    }
    let xs = (0..<1000).map { _ in 2 * rng.nextUniform() - 1 }
    x = Tensor(shape: [1000, 1], values: xs)
    y = Tensor(shape: [1000, 1], values: xs.map { $0 * $0 })
    try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError)
    split = 0.2
} else {
    model = Sequential {
        Embedding(inputDim: 2000, outputDim: 32, inputShape: [64])
        LSTM(32)
        Dense(1, activation: .sigmoid)
    }
    x = Tensor(shape: [2000, 64], values: (0..<(2000 * 64)).map { _ in Float(rng.nextInt(below: 2000)) })
    y = Tensor(shape: [2000, 1], values: (0..<2000).map { _ in Float(rng.nextInt(below: 2)) })
    try model.compile(optimizer: .adam(learningRate: 1e-3), loss: .binaryCrossentropy())
    split = 0.1
}
try model.fit(x: x, y: y, epochs: 1, batchSize: 32, validationSplit: split, verbose: false)  // warm up
let start = DispatchTime.now().uptimeNanoseconds
let history = try Threads.withDenormalsFlushed {
    try model.fit(x: x, y: y, epochs: epochs, batchSize: 32, validationSplit: split, verbose: false)
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(
    "fitbench workload=\(arguments[0]) epochs=\(epochs) seconds=\(String(format: "%.3f", seconds))"
        + " epochs_per_second=\(String(format: "%.3f", Double(epochs) / seconds))"
        + " final_loss=\(String(format: "%.5f", history["loss"]!.last!))")
