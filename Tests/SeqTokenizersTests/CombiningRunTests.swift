import Foundation
import Testing

@testable import SeqTokenizers

/// Canonical reordering of long runs of combining marks: exact (equal to utf8proc's whole-string forms and to
/// orders written by hand) and linear in the run's length.
@Suite struct CombiningRunTests {
    /// `count` pairs of U+0301 (class 230) and U+0316 (class 220) after an `a`.
    static func mixedMarks(_ count: Int) -> [UInt8] {
        var s = Array("a".utf8)
        for _ in 0..<count { s += Array("\u{301}\u{316}".utf8) }
        return s
    }

    @Test(arguments: [Normalization.nfd, .nfkd])
    func longMixedRunSortsByClassStably(_ step: Normalization) {
        // Expected by hand: every class-220 U+0316 before every class-230 U+0301, each group in input order.
        let expected = Array(
            ("a" + String(repeating: "\u{316}", count: 40) + String(repeating: "\u{301}", count: 40)).utf8)
        #expect(Normalizer([step]).apply(Self.mixedMarks(40)[...]) == expected)
    }

    @Test(arguments: [Normalization.nfc, .nfkc])
    func longMixedRunComposesAfterSorting(_ step: Normalization) {
        // The first U+0301 composes with a (á); the rest stay, after the U+0316s that sort before them.
        let expected = Array(
            ("\u{E1}" + String(repeating: "\u{316}", count: 40) + String(repeating: "\u{301}", count: 39)).utf8)
        #expect(Normalizer([step]).apply(Self.mixedMarks(40)[...]) == expected)
    }

    @Test func shortRunsStillReorder() {
        // Runs below the counting-sort threshold take the insertion sort; the order is the same.
        #expect(
            Normalizer([.nfd]).apply(Array("q\u{301}\u{316}\u{323}x".utf8)[...])
                == Array("q\u{316}\u{323}\u{301}x".utf8))
        #expect(Normalizer([.nfc]).apply(Array("a\u{307}\u{323}".utf8)[...]) == Array("\u{1EA1}\u{307}".utf8))
        #expect(Normalizer([.nfc]).apply(Array("e\u{301}\u{316}".utf8)[...]) == Array("\u{E9}\u{316}".utf8))
    }

    /// Runs of every length around the threshold, with marks of five classes (and class-0 starters between runs),
    /// against utf8proc's whole-string normalization.
    @Test(arguments: [Normalization.nfc, .nfd, .nfkc, .nfkd])
    func runsAroundTheThresholdMatchUTF8Proc(_ step: Normalization) {
        let marks: [Unicode.Scalar] = ["\u{301}", "\u{316}", "\u{323}", "\u{334}", "\u{345}", "\u{5B0}", "\u{308}"]
        var rng = SplitMix64(seed: 7)
        let normalizer = Normalizer([step])
        for length in 0..<80 {
            var text = String.UnicodeScalarView()
            text.append("o")
            for _ in 0..<length { text.append(marks[Int(rng.next() % UInt64(marks.count))]) }
            text.append(contentsOf: "e\u{301} x".unicodeScalars)
            let bytes = Array(String(text).utf8)
            #expect(normalizer.apply(bytes[...]) == NormalizerTests.reference(bytes, step), "run of \(length)")
        }
    }

    /// 10⁵ alternating marks took seconds per thousand marks when reordering was quadratic; linear, it takes
    /// milliseconds. The bound is wide so a slow debug build on a busy machine passes.
    @Test func hundredThousandMixedMarksEncodeQuickly() throws {
        let input = Self.mixedMarks(50_000)
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .bpe, normalization: [.nfc], vocabularySize: 300), corpus: Array("ab a\u{301}".utf8))
        let clock = ContinuousClock()
        let start = clock.now
        let ids = try tokenizer.encode(bytes: input)
        let elapsed = clock.now - start
        #expect(!ids.isEmpty)
        #expect(elapsed < .seconds(20), "encoding 10⁵ combining marks took \(elapsed)")
    }
}
