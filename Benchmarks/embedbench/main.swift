// embedbench: sentences per second of TextEncoder.embed on the tiny-gpt trunk (Configs/tiny-gpt.json sizes,
// random weights, a char vocabulary), at batch 1 and batch 32. Release only:
//
//     swift build -c release --product embedbench && .build/release/embedbench [sentences] [repeats]
import Foundation
import SeqEncoders
import SeqModels
import SeqTensor
import SeqTokenizers

let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
guard arguments.allSatisfy({ ($0 ?? 0) > 0 }) else {
    FileHandle.standardError.write(Data("usage: embedbench [sentences (512)] [repeats (3)], positive numbers\n".utf8))
    exit(2)
}
let count = arguments.first.flatMap { $0 } ?? 512
let repeats = arguments.dropFirst().first.flatMap { $0 } ?? 3

// ~40-character sentences from a fixed word list and seed.
let words = ["the", "king", "shall", "speak", "of", "love", "and", "war", "to", "night", "her", "gentle", "sword"]
var rng = SeededGenerator(seed: 42)
let sentences = (0..<count).map { _ in
    var s = ""
    while s.count < 36 { s += (s.isEmpty ? "" : " ") + words[Int(rng.next() % UInt64(words.count))] }
    return s
}
let corpus = Array((words.joined(separator: " ") + " .,;:!?'ABCDEFGHIJKLMNOPQRSTUVWXYZ").utf8)
let tokenizer = try trainTokenizer(TokenizerOptions(kind: .char), corpus: corpus)

// Configs/tiny-gpt.json's model section.
var config = ModelConfig()
(config.layers, config.heads, config.embeddingSize, config.contextLength) = (4, 4, 128, 64)
(config.mlpRatio, config.bias, config.tieWeights, config.positional) = (4, false, true, .learned)
config.vocabSize = tokenizer.vocabularySize
let encoder = try TextEncoder(trunk: try makeEncoder(config, seed: 1), tokenizer: tokenizer)

let average = Double(sentences.map(\.count).reduce(0, +)) / Double(count)
let chars = String(format: "%.1f", average)
print("embedbench: tiny-gpt trunk (4 × 128, 4 heads, no bias), \(count) sentences of \(chars) chars")
print("threads \(Threads.count); best of \(repeats) runs")
for batch in [1, 32] {
    let options = EmbeddingOptions(batchSize: batch)
    _ = try encoder.embed(Array(sentences.prefix(batch * 2)), options: options)  // warm up
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let vectors = try encoder.embed(sentences, options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(vectors.count == count && vectors[0].count == 128)
        best = min(best, seconds)
    }
    print(String(format: "batch %2d: %8.1f sentences/s (%.3f s for %d)", batch, Double(count) / best, best, count))
}
