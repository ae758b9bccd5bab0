import Foundation
import SeqTokenizers

/// Arbitrary bytes through the encode path of a char tokenizer (grapheme units, NFKC) and a byte-level BPE,
/// both trained once on a fixed text: invalid UTF-8, long combining runs, huge lines.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEncode(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for tokenizer in FuzzTokenizers.all {
        if let spans = try? tokenizer.encodeWithOffsets(bytes: bytes) {
            for span in spans where span.start < 0 || span.end > bytes.count || span.start > span.end {
                fatalError("span \(span.start)..<\(span.end) outside the \(bytes.count) input bytes")
            }
            _ = try? tokenizer.decode(spans.map(\.id))
        }
    }
    return 0
}

enum FuzzTokenizers {
    static let all: [any Tokenizer] = {
        let text = Array(
            String(repeating: "To be, or not to be, that is the question: naïve café 👍🏽 🇫🇷 e\u{301} 123\n", count: 20)
                .utf8)
        do {
            return [
                try trainTokenizer(
                    TokenizerOptions(
                        kind: .char, unit: .grapheme, normalization: [.nfkc], unknown: .unk,
                        invalidUTF8: .replace),
                    corpus: text),
                try trainTokenizer(
                    TokenizerOptions(kind: .bpe, vocabularySize: 300, invalidUTF8: .replace), corpus: text),
            ]
        } catch {
            fatalError("training the fuzz tokenizers failed: \(error)")
        }
    }()
}
