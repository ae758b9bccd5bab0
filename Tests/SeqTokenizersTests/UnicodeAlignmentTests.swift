import Testing

@testable import SeqTokenizers

/// The pipeline's Unicode normalization forms give the tokenizers library's text and alignments (values from
/// tokenizers 0.23.3: a WordLevel file with the normalizer and a `Split` on every scalar), where canonical
/// reordering moves marks, a compatibility decomposition meets marks, and Hangul syllables compose.
@Suite struct UnicodeAlignmentTests {
    static let cases: [(Normalization, String, String, [[Int]])] = [
        (.nfd, "\u{FC}\u{5B7}", "u\u{5B7}\u{308}", [[0, 2], [2, 4], [2, 4]]),
        (.nfd, "\u{E9}\u{316}\u{301}", "e\u{316}\u{301}\u{301}", [[0, 2], [2, 4], [2, 4], [4, 6]]),
        (.nfd, "\u{1E69}\u{323}", "s\u{323}\u{323}\u{307}", [[0, 3], [0, 3], [3, 5], [3, 5]]),
        (.nfd, "\u{1C4}\u{323}", "\u{1C4}\u{323}", [[0, 2], [2, 4]]),
        (.nfd, "\u{135}\u{F81}", "j\u{F71}\u{F80}\u{302}", [[0, 2], [2, 5], [2, 5], [2, 5]]),
        (.nfd, "\u{F79}\u{338}\u{948}", "\u{F79}\u{338}\u{948}", [[0, 3], [3, 5], [5, 8]]),
        (.nfd, "\u{AC00}\u{11A8}", "\u{1100}\u{1161}\u{11A8}", [[0, 3], [0, 3], [3, 6]]),
        (.nfd, "x\u{1100}\u{1161}\u{11A8}", "x\u{1100}\u{1161}\u{11A8}", [[0, 1], [1, 4], [4, 7], [7, 10]]),
        (.nfkd, "\u{FC}\u{5B7}", "u\u{5B7}\u{308}", [[0, 2], [2, 4], [2, 4]]),
        (.nfkd, "\u{E9}\u{316}\u{301}", "e\u{316}\u{301}\u{301}", [[0, 2], [2, 4], [2, 4], [4, 6]]),
        (.nfkd, "\u{1E69}\u{323}", "s\u{323}\u{323}\u{307}", [[0, 3], [0, 3], [3, 5], [3, 5]]),
        (.nfkd, "\u{1C4}\u{323}", "DZ\u{323}\u{30C}", [[0, 2], [0, 2], [2, 4], [2, 4]]),
        (.nfkd, "\u{135}\u{F81}", "j\u{F71}\u{F80}\u{302}", [[0, 2], [2, 5], [2, 5], [2, 5]]),
        (
            .nfkd, "\u{F79}\u{338}\u{948}", "\u{FB3}\u{338}\u{F71}\u{F80}\u{948}",
            [[0, 3], [3, 5], [3, 5], [3, 5], [5, 8]]
        ),
        (.nfkd, "\u{AC00}\u{11A8}", "\u{1100}\u{1161}\u{11A8}", [[0, 3], [0, 3], [3, 6]]),
        (.nfkd, "x\u{1100}\u{1161}\u{11A8}", "x\u{1100}\u{1161}\u{11A8}", [[0, 1], [1, 4], [4, 7], [7, 10]]),
        (.nfc, "\u{FC}\u{5B7}", "\u{FC}\u{5B7}", [[0, 2], [2, 4]]),
        (.nfc, "\u{E9}\u{316}\u{301}", "\u{E9}\u{316}\u{301}", [[0, 2], [2, 4], [4, 6]]),
        (.nfc, "\u{1E69}\u{323}", "\u{1E69}\u{323}", [[0, 3], [3, 5]]),
        (.nfc, "\u{1C4}\u{323}", "\u{1C4}\u{323}", [[0, 2], [2, 4]]),
        (.nfc, "\u{135}\u{F81}", "\u{135}\u{F71}\u{F80}", [[0, 2], [2, 5], [2, 5]]),
        (.nfc, "\u{F79}\u{338}\u{948}", "\u{F79}\u{338}\u{948}", [[0, 3], [3, 5], [5, 8]]),
        (.nfc, "\u{AC00}\u{11A8}", "\u{AC01}", [[0, 3]]),
        (.nfc, "x\u{1100}\u{1161}\u{11A8}", "x\u{AC01}", [[0, 1], [1, 4]]),
        (.nfkc, "\u{FC}\u{5B7}", "\u{FC}\u{5B7}", [[0, 2], [2, 4]]),
        (.nfkc, "\u{E9}\u{316}\u{301}", "\u{E9}\u{316}\u{301}", [[0, 2], [2, 4], [4, 6]]),
        (.nfkc, "\u{1E69}\u{323}", "\u{1E69}\u{323}", [[0, 3], [3, 5]]),
        (.nfkc, "\u{1C4}\u{323}", "D\u{1E92}\u{30C}", [[0, 2], [2, 4], [2, 4]]),
        (.nfkc, "\u{135}\u{F81}", "\u{135}\u{F71}\u{F80}", [[0, 2], [2, 5], [2, 5]]),
        (
            .nfkc, "\u{F79}\u{338}\u{948}", "\u{FB3}\u{338}\u{F71}\u{F80}\u{948}",
            [[0, 3], [3, 5], [3, 5], [3, 5], [5, 8]]
        ),
        (.nfkc, "\u{AC00}\u{11A8}", "\u{AC01}", [[0, 3]]),
        (.nfkc, "x\u{1100}\u{1161}\u{11A8}", "x\u{AC01}", [[0, 1], [1, 4]]),
    ]

    @Test(arguments: 0..<cases.count)
    func textAndRangesAsTheLibrary(_ index: Int) {
        let (form, input, normalized, ranges) = Self.cases[index]
        let bytes = Array(input.utf8)
        var text = NormalizedText(bytes: bytes, range: 0..<bytes.count)
        text.normalize(form)
        #expect(text.string.unicodeScalars.elementsEqual(normalized.unicodeScalars), "\(form) of \(input)")
        #expect(text.items.map { [$0.start, $0.end] } == ranges, "\(form) of \(input)")
    }

    /// Ids, not just offsets: NFC composes a precomposed LV syllable with a trailing jamo, as the library does.
    @Test func hangulSyllableAndTrailingJamoCompose() {
        let bytes = Array("\u{AC00}\u{11A8}".utf8)
        var text = NormalizedText(bytes: bytes, range: 0..<bytes.count)
        text.normalize(.nfc)
        #expect(text.string == "\u{AC01}")
    }

    /// The fast normalizer's segments do not cut before a compatibility Hangul letter, which NFKC turns into a
    /// jamo that composes with the syllable before it (values from Python's unicodedata and tokenizers).
    @Test(arguments: [
        ("\u{1103}\u{FFC7}", "\u{B370}"), ("\u{1103}\u{3154}", "\u{B370}"), ("\u{AC00}\u{3133}", "\u{AC03}"),
        ("\u{AC00}\u{3131}", "\u{AC00}\u{1100}"), ("x\u{1103}\u{FFC7}y", "x\u{B370}y"),
    ])
    func compatibilityJamoComposeInNFKC(_ input: String, _ expected: String) {
        #expect(Normalizer([.nfkc]).apply(Array(input.utf8)[...]) == Array(expected.utf8))
        let bytes = Array(input.utf8)
        var text = NormalizedText(bytes: bytes, range: 0..<bytes.count)
        text.normalize(.nfkc)
        #expect(text.string.unicodeScalars.elementsEqual(expected.unicodeScalars))
    }
}
