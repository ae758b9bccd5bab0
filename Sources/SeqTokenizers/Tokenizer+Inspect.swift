import Foundation

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
    case let wordPiece as WordPieceTokenizer:
        lines.append("kind: wordpiece (BERT's tokenizer.json)")
        lines.append("vocabulary size: \(wordPiece.vocabularySize)")
        lines.append("normalizer: " + partSummary(wordPiece.source["normalizer"]))
        lines.append("pre_tokenizer: " + partSummary(wordPiece.source["pre_tokenizer"]))
    case let pipeline as HFPipelineTokenizer:
        let model = (pipeline.source["model"] as? [String: Any])?["type"] as? String ?? "?"
        lines.append("kind: \(model.lowercased()) (Hugging Face tokenizer.json, run part by part)")
        lines.append("vocabulary size: \(pipeline.vocabularySize)")
        for key in ["normalizer", "pre_tokenizer", "post_processor", "decoder"] {
            lines.append("\(key): " + partSummary(pipeline.source[key]))
        }
        for key in ["truncation", "padding"] where !(pipeline.source[key] is NSNull) && pipeline.source[key] != nil {
            lines.append("\(key): set in the file, applied")
        }
    default:
        lines.append("kind: \(type(of: tokenizer))")
        lines.append("vocabulary size: \(tokenizer.vocabularySize)")
    }
    let steps = tokenizer.normalization.map(\.rawValue)
    if !(tokenizer is HFPipelineTokenizer || tokenizer is WordPieceTokenizer) {
        lines.append("normalization: " + (steps.isEmpty ? "none" : steps.joined(separator: ", ")))
    }
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

/// A part of a `tokenizer.json` by its types: `Sequence[Prepend, Replace]`, `Metaspace`, or `none`.
func partSummary(_ value: Any?) -> String {
    guard let object = value as? [String: Any], let type = object["type"] as? String else { return "none" }
    for key in ["normalizers", "pretokenizers", "processors", "decoders"] {
        if let list = object[key] as? [Any] { return type + "[" + list.map(partSummary).joined(separator: ", ") + "]" }
    }
    return type
}
