import Testing

@testable import SeqTokenizers

/// A pre-token longer than ``BPETokenizer/longestMergedPiece`` is merged in bounded windows.
@Suite struct LongPieceTests {
    @Test func longPreTokenMergesInWindows() throws {
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 258, specialTokens: []),
            corpus: Array(String(repeating: "ab ", count: 50).utf8))
        let window = BPETokenizer.longestMergedPiece
        // "x" then "ab" pairs: every window cut (a multiple of 64 Ki) falls between an "a" and its "b".
        let bytes = Array(("x" + String(repeating: "ab", count: 3 * window / 2)).utf8)
        let ab = try tokenizer.encode("ab")
        let x = try tokenizer.encode("x")
        let a = try tokenizer.encode("a")
        let b = try tokenizer.encode("b")
        #expect(ab.count == 1)
        // Written by hand: each window ends in a lone "a" and the next starts with a lone "b".
        var expected = x + Array(repeating: ab[0], count: window / 2 - 1) + a
        expected += b + Array(repeating: ab[0], count: window / 2 - 1) + a
        expected += b + Array(repeating: ab[0], count: window / 2 - 1) + a
        expected += b
        #expect(try tokenizer.encode(bytes: bytes) == expected)
        let spans = try tokenizer.encodeWithOffsets(bytes: bytes)
        #expect(spans.map(\.id) == expected)
        #expect(spans.last?.end == bytes.count)
    }
}
