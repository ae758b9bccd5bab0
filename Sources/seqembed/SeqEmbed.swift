import ArgumentParser
import Foundation
import SeqCommandLine
import SeqEncoders
import SeqTensor

@main
struct SeqEmbed: ParsableCommand {
    static func main() { mainReportingOneLine() }

    static let configuration = CommandConfiguration(
        commandName: "seqembed",
        abstract: "Embed the lines of a text file, or rank them by similarity to a query.",
        discussion: """
            Examples:
              seqembed --model Models/all-MiniLM-L6-v2 sentences.txt          # one JSON array per line
              seqembed --model Models/all-MiniLM-L6-v2 --query "a man eating" sentences.txt
              seqembed --model runs/tiny-gpt --pooling last --no-normalize lines.txt
            --model takes a Hugging Face sentence-transformers / BERT folder (bash Models/fetch-minilm.sh fetches \
            all-MiniLM-L6-v2) or a SeqKit run or checkpoint directory. FILE '-' reads standard input.
            --query prints "score<TAB>line", the most similar line first (cosine similarity).
            """)

    @Option(name: .long, help: "A sentence-transformers / BERT folder, or a SeqKit run or checkpoint directory.")
    var model: String

    @Argument(help: "A UTF-8 text file, one text per line ('-' = standard input).")
    var file: String

    @Option(name: .long, help: "Rank the lines by cosine similarity to this text instead of printing vectors.")
    var query: String?

    @Option(name: .long, help: "Pooling: mean, cls, max, mean-sqrt-len (pretrained); mean, last (SeqKit).")
    var pooling: String?

    @Flag(name: .long, help: "Do not scale vectors to unit length.")
    var noNormalize = false

    @Option(name: .long, help: "Texts run through the model together.")
    var batchSize = 32

    @Option(name: .long, help: "Threads, 0 = SEQKIT_THREADS or the core count.")
    var threads = 0

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be 1 or more; 32 is a good default") }
        guard (0...Threads.maximumCount).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(Threads.maximumCount) (0 = automatic)")
        }
    }

    func run() throws {
        var runtime = RuntimeOptions.environment
        if threads > 0 { runtime.threads = threads }
        Threads.apply(runtime)
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file) cannot be read; give a UTF-8 text file with one text per line")
            }
            data = read
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(file) is not valid UTF-8; convert it (iconv -t UTF-8) and try again")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let embedder = try EmbeddingModel(path: URL(fileURLWithPath: model))
        let normalize: Bool? = noNormalize ? false : nil
        try Threads.withDenormalsFlushed {
            if let query {
                let vectors = try embedder.embed(
                    [query] + lines, pooling: pooling, normalize: true, batchSize: batchSize)
                let q = vectors[0]
                let scores = vectors.dropFirst().map { v in zip(q, v).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
                for i in scores.indices.sorted(by: { (scores[$0], $1) > (scores[$1], $0) }) {
                    print(String(format: "%.4f", scores[i]) + "\t" + lines[i])
                }
            } else {
                for start in stride(from: 0, to: lines.count, by: 256) {
                    let chunk = Array(lines[start..<min(start + 256, lines.count)])
                    let vectors = try embedder.embed(
                        chunk, pooling: pooling, normalize: normalize, batchSize: batchSize)
                    for v in vectors { print("[" + v.map { String(format: "%.6g", $0) }.joined(separator: ",") + "]") }
                }
            }
        }
    }
}
