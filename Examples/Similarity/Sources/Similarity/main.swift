// similarity CHECKPOINT QUERY SENTENCE...
//
// 1. Tokenizes the query with SeqTokenizers alone (the checkpoint's tokenizer.json, no model).
// 2. Embeds the query and the sentences with SeqEncoders (mean over the trunk's token states, L2-normalized).
// 3. Prints the sentences ranked by cosine similarity to the query (after centering the set).
import Foundation
import SeqEncoders
import SeqTokenizers

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: Similarity CHECKPOINT QUERY SENTENCE [SENTENCE...]\n".utf8))
    exit(2)
}
let (checkpoint, query, sentences) = (URL(fileURLWithPath: arguments[0]), arguments[1], Array(arguments[2...]))

do {
    // Tokenizers on their own: find the checkpoint's tokenizer.json (a run directory keeps it in best/).
    let candidates = ["", "best", "latest"].map {
        checkpoint.appendingPathComponent($0).appendingPathComponent("tokenizer.json")
    }
    guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: checkpoint.path])
    }
    let tokenizer = try loadTokenizer(from: file)
    let ids = try tokenizer.encode(query)
    let pieces = try ids.map { try tokenizer.piece(for: $0) }
    print("query \"\(query)\": \(ids.count) tokens \(pieces.prefix(12).joined(separator: "·"))…")

    // The encoder: the same tokenizer plus the trained model's trunk.
    let encoder = try TextEncoder(path: checkpoint)
    let options = EmbeddingOptions(pooling: .mean, normalize: true)
    let vectors = try encoder.embed([query] + sentences, options: options)
    print("embeddings: \(vectors.count) × \(encoder.width)")

    // Every state of a small language model shares a large common direction; taking out the mean of the set
    // (centering) leaves what tells the texts apart.
    var center = [Float](repeating: 0, count: encoder.width)
    for v in vectors { for i in v.indices { center[i] += v[i] / Float(vectors.count) } }
    let centered = vectors.map { v in v.indices.map { v[$0] - center[$0] } }
    let ranked = zip(sentences, centered.dropFirst()).map { ($0, cosineSimilarity(centered[0], $1)) }
        .sorted { $0.1 > $1.1 }
    for (rank, (sentence, score)) in ranked.enumerated() {
        print(String(format: "%2d. %+.4f  %@", rank + 1, score, sentence))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
