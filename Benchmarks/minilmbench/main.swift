// minilmbench: sentences per second of SentenceEncoder.embed with a pretrained sentence-transformers folder
// (all-MiniLM-L6-v2: bash Models/fetch-minilm.sh), text in and normalized vectors out, tokenization included.
// Release only; the `minilm` workload of Benchmarks/compare-pytorch.py runs it beside sentence-transformers.
//
//     swift build -c release --product minilmbench
//     .build/release/minilmbench FOLDER SENTENCES.txt BATCH [REPEATS]
// Prints one line: `minilmbench batch=B sentences=N seconds=S per_second=R peak_rss_mib=M`.
import Foundation
import SeqEncoders
import SeqTensor

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, let batch = Int(arguments[2]), batch > 0 else {
    FileHandle.standardError.write(Data("usage: minilmbench FOLDER SENTENCES.txt BATCH [REPEATS]\n".utf8))
    exit(2)
}
let repeats = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 3) : 3
Threads.apply(RuntimeOptions.environment)
let encoder = try SentenceEncoder(folder: URL(fileURLWithPath: arguments[0]))
let text = try String(contentsOfFile: arguments[1], encoding: .utf8)
let sentences = text.split(separator: "\n").map(String.init)
_ = try encoder.embed(Array(sentences.prefix(batch)), batchSize: batch)  // warm up
var best = Double.infinity
for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    let vectors = try Threads.withDenormalsFlushed { try encoder.embed(sentences, batchSize: batch) }
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    precondition(vectors.count == sentences.count)
}
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(
    "minilmbench batch=\(batch) sentences=\(sentences.count) seconds=\(String(format: "%.3f", best)) "
        + "per_second=\(String(format: "%.1f", Double(sentences.count) / best)) "
        + "peak_rss_mib=\(String(format: "%.1f", Double(usage.ru_maxrss) / 1024))")
