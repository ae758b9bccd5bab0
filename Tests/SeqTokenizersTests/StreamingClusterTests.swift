import SeqTokenizers
import Testing

/// Streaming decode must never end a chunk inside a grapheme cluster, whatever the tokenizer: skin-tone
/// emoji, flags and combining marks are several scalars that BPE merges or byte fallback spell with
/// separate tokens.
@Suite struct StreamingClusterTests {
    static let text = "Thumbs 👍🏽 up, flag 🇫🇷🇩🇪 and cafe\u{301} e\u{301}\u{302}x 👨\u{200D}👩\u{200D}👧 end"

    static let tokenizers: [(String, any Tokenizer)] = [
        (
            "char scalar",
            try! trainTokenizer(
                TokenizerOptions(kind: .char, unit: .scalar, normalization: [], unknown: .byteFallback),
                corpus: try! Fixtures.corpus)
        ),
        (
            "char grapheme",
            try! trainTokenizer(
                TokenizerOptions(kind: .char, unit: .grapheme, normalization: [], unknown: .byteFallback),
                corpus: try! Fixtures.corpus)
        ),
        (
            "byte-level BPE",
            try! trainTokenizer(
                TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 400), corpus: try! Fixtures.corpus)
        ),
        (
            "byte-level BPE, NFC",
            try! trainTokenizer(
                TokenizerOptions(kind: .bpe, vocabularySize: 400), corpus: try! Fixtures.corpus)
        ),
    ]

    @Test(arguments: 0..<4)
    func everyChunkEndsAtAGraphemeBoundary(index: Int) throws {
        let (name, tokenizer) = Self.tokenizers[index]
        let ids = try tokenizer.encode(Self.text)
        let full = try tokenizer.decode(ids)
        // Byte offsets in `full` where a Character (extended grapheme cluster) ends.
        var boundaries: Set<Int> = [0]
        var at = 0
        for character in full {
            at += character.utf8.count
            boundaries.insert(at)
        }
        let stream = tokenizer.makeStreamingDecoder()
        var out = ""
        var chunks = 0
        for id in ids {
            let chunk = try stream.push(id)
            if !chunk.isEmpty { chunks += 1 }
            out += chunk
            #expect(
                boundaries.contains(out.utf8.count), "\(name): chunk ends inside a cluster: \(out.debugDescription)")
        }
        out += stream.finish()
        #expect(out == full, "\(name)")
        #expect(chunks > 5, "\(name): the text should stream in many chunks, not all at finish")
    }

    /// Each cluster alone: its tokens stream to nothing until finish, which gives it whole.
    @Test(arguments: 0..<4)
    func aSplitClusterIsHeldUntilFinish(index: Int) throws {
        let (name, tokenizer) = Self.tokenizers[index]
        for cluster in ["👍🏽", "🇫🇷", "e\u{301}"] {
            let ids = try tokenizer.encode(cluster)
            let stream = tokenizer.makeStreamingDecoder()
            var out = ""
            for id in ids { out += try stream.push(id) }
            #expect(out == "", "\(name): \(cluster.debugDescription) came out before it ended: \(out.debugDescription)")
            #expect(stream.finish() == (try tokenizer.decode(ids)), "\(name)")
        }
    }
}
