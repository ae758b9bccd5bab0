// samplebench: batch-1 generation speed of tiny-gpt and the 2×128 char-LSTM (release only).
//
//   swift build -c release --product samplebench
//   .build/release/samplebench [--out DIR] [--runs N] [--tokens N]
//
// Builds both models from Configs/tiny-gpt.json and Configs/char-lstm.json's shapes with makeModel(seed:),
// saves their weights as DIR/{tiny-gpt,char-lstm}.safetensors (Benchmarks/compare-sampling.py loads the same
// files into PyTorch), then times `--tokens` new tokens after a 1-token prompt (categorical, temperature 1),
// `--runs` times each, and prints per model `name tokens/s median=… min=… max=… cpu=…` (cpu: per
// second of process CPU time) and `name check logprob=… tokens=…`
// (one seeded sample and its total log-probability, which the PyTorch script recomputes with its own model).

import Foundation
import SeqModels
import SeqSampling
import SeqTensor

func option(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

let runs = Int(option("--runs") ?? "") ?? 7
let newTokens = Int(option("--tokens") ?? "") ?? 255
let only = option("--only")  // tiny-gpt or char-lstm: time one model
let out = URL(
    fileURLWithPath: option("--out") ?? NSTemporaryDirectory() + "samplebench-\(getpid())", isDirectory: true)
try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

var gpt = ModelConfig()
gpt.kind = .transformer
gpt.vocabSize = 65
gpt.contextLength = 64
gpt.embeddingSize = 128
gpt.layers = 4
gpt.heads = 4
gpt.mlpRatio = 4
gpt.bias = false
gpt.tieWeights = true
gpt.positional = .learned

var lstm = ModelConfig()
lstm.kind = .lstm
lstm.vocabSize = 65
lstm.contextLength = 50
lstm.embeddingSize = 128
lstm.hiddenSize = 128
lstm.layers = 2
lstm.tieWeights = true  // as Configs/char-lstm.json: the head reuses the embedding and keeps its own bias
lstm.bias = true

/// Wall-clock and process CPU seconds of `body` (CPU time is robust to other processes on a shared machine).
func seconds(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    func cpuNow() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    let (start, cpuStart) = (DispatchTime.now().uptimeNanoseconds, cpuNow())
    try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpuNow() - cpuStart)
}

print("samplebench: \(newTokens) new tokens after a 1-token prompt, batch 1, categorical at T = 1, \(runs) runs")
print("weights: \(out.path)")
for (name, config) in [("tiny-gpt", gpt), ("char-lstm", lstm)] where only == nil || only == name {
    let model = try makeModel(config, seed: 1337)
    try model.save(to: out.appendingPathComponent("\(name).safetensors"))
    let generator = Generator(model: model)
    var options = GenerationOptions()
    options.maxTokens = newTokens
    options.seed = 42
    _ = try generator.generate(prompt: [0], options: options)  // warm-up: decoder buffers, caches
    var rates: [Double] = []
    var cpuRates: [Double] = []
    for run in 0..<runs {
        options.seed = UInt64(run)
        var count = 0
        let elapsed = try seconds { count = try generator.generate(prompt: [0], options: options).tokens.count }
        rates.append(Double(count) / elapsed.wall)
        cpuRates.append(Double(count) / elapsed.cpu)
    }
    cpuRates.sort()
    options.seed = 0
    let check = try generator.generate(prompt: [0], options: options).samples[0]
    rates.sort()
    let median = rates[rates.count / 2]
    print(
        "\(name) tokens/s median=\(String(format: "%.0f", median)) min=\(String(format: "%.0f", rates[0]))"
            + " max=\(String(format: "%.0f", rates[rates.count - 1]))"
            + " cpu=\(String(format: "%.0f", cpuRates[cpuRates.count / 2]))")
    print(
        "\(name) check logprob=\(check.totalLogProbability) tokens=\(check.tokens.map(String.init).joined(separator: ","))"
    )
}
