/// A human-readable summary of a tokenizer, as `seqtok inspect` prints it.
///
/// ```swift
/// print(inspect(tokenizer, merges: 5))
/// // kind: bpe
/// // vocabulary size: 4096
/// // ...
/// ```
public func inspect(_ tokenizer: any Tokenizer, merges count: Int = 10) -> String {
    var lines = [String]()
    switch tokenizer {
    case let bpe as BPETokenizer:
        lines.append("kind: bpe (byte-level)")
        lines.append("vocabulary size: \(bpe.vocabularySize)")
        lines.append("merges: \(bpe.merges.count)")
    case let chars as CharTokenizer:
        lines.append("kind: char (\(chars.unit.rawValue))")
        lines.append("vocabulary size: \(chars.vocabularySize)")
        lines.append("unknown: \(chars.unknown.rawValue)")
    default:
        lines.append("kind: \(type(of: tokenizer))")
        lines.append("vocabulary size: \(tokenizer.vocabularySize)")
    }
    let steps = tokenizer.normalization.map(\.rawValue)
    lines.append("normalization: " + (steps.isEmpty ? "none" : steps.joined(separator: ", ")))
    let specials = tokenizer.specialTokens.sorted { $0.value < $1.value }.map { "\($0.key) = \($0.value)" }
    lines.append("special tokens: " + (specials.isEmpty ? "none" : specials.joined(separator: ", ")))
    if let bpe = tokenizer as? BPETokenizer, count > 0 {
        lines.append("first merges:")
        for (rank, (a, b)) in bpe.merges.prefix(count).enumerated() {
            let left = (try? bpe.piece(for: Int(a))) ?? "?"
            let right = (try? bpe.piece(for: Int(b))) ?? "?"
            lines.append("  \(rank): \(left) + \(right)")
        }
    }
    return lines.joined(separator: "\n")
}
