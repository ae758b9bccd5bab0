import CUTF8Proc
import Foundation
import Testing

@testable import SeqTokenizers

@Suite struct NormalizerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let steps: [Normalization]
        let input: String
        let expected: String
        var testDescription: String { "\(steps.map(\.rawValue)) \(input.debugDescription)" }
    }

    /// Expected values written by hand from the Unicode tables.
    static let cases: [Case] = [
        Case(steps: [.nfc], input: "e\u{301}", expected: "\u{E9}"),
        Case(steps: [.nfc], input: "\u{E9}", expected: "\u{E9}"),
        Case(steps: [.nfd], input: "\u{E9}", expected: "e\u{301}"),
        Case(steps: [.nfc], input: "\u{1100}\u{1161}\u{11A8}", expected: "\u{AC01}"),
        Case(steps: [.nfd], input: "\u{AC01}", expected: "\u{1100}\u{1161}\u{11A8}"),
        Case(steps: [.nfc], input: "a\u{323}\u{307}", expected: "\u{1EA1}\u{307}"),  // dot below sorts first
        Case(steps: [.nfc], input: "a\u{307}\u{323}", expected: "\u{1EA1}\u{307}"),
        Case(steps: [.nfkc], input: "\u{FB01}", expected: "fi"),
        Case(steps: [.nfc], input: "\u{2ADC}", expected: "\u{2ADD}\u{338}"),  // composition exclusion
        Case(steps: [.nfc], input: "\u{1D15F}", expected: "\u{1D158}\u{1D165}"),
        Case(steps: [.nfkc], input: "\u{2460}", expected: "1"),
        Case(steps: [.nfkd], input: "\u{1E9B}\u{323}", expected: "s\u{323}\u{307}"),
        Case(steps: [.nfc], input: "\u{1E9B}\u{323}", expected: "\u{1E9B}\u{323}"),
        Case(steps: [.casefold], input: "Straße", expected: "strasse"),
        Case(steps: [.lowercase], input: "\u{C0}B", expected: "\u{E0}b"),
        Case(steps: [.lowercase], input: "ΑΒΓ", expected: "αβγ"),
        Case(steps: [.stripAccents], input: "café naïve", expected: "cafe naive"),
        Case(steps: [.stripAccents, .nfc], input: "Ångström", expected: "Angstrom"),
        Case(steps: [.whitespace], input: "  a \t\n b  ", expected: "a b"),
        Case(steps: [.whitespace], input: "a\u{3000}\u{A0}b\r\n", expected: "a b"),
        Case(steps: [.whitespace], input: " \n ", expected: ""),
        Case(steps: [.nfkc, .lowercase], input: "\u{FF21}\u{FF22}C", expected: "abc"),
        Case(steps: [], input: "e\u{301}", expected: "e\u{301}"),
        Case(steps: [.nfc], input: "", expected: ""),
        Case(steps: [.nfc], input: "👨‍👩‍👧 🇫🇷", expected: "👨‍👩‍👧 🇫🇷"),
        Case(
            steps: [.nfc], input: "\u{5E9}\u{5C1}\u{5B8}",
            expected: "\u{FB2A}\u{5B8}".precomposedStringWithCanonicalMapping),
    ]

    @Test(arguments: cases)
    func normalizes(_ c: Case) {
        let out = Normalizer(c.steps).apply(Array(c.input.utf8)[...])
        #expect(out == Array(c.expected.utf8), "got \(String(decoding: out, as: UTF8.self).debugDescription)")
    }

    /// utf8proc's own whole-string NFC/NFD/NFKC/NFKD as the reference for the segment-by-segment normalizer.
    static func reference(_ bytes: [UInt8], _ step: Normalization) -> [UInt8] {
        let options: UInt32
        switch step {
        case .nfc: options = UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue
        case .nfd: options = UTF8PROC_STABLE.rawValue | UTF8PROC_DECOMPOSE.rawValue
        case .nfkc: options = UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue | UTF8PROC_COMPAT.rawValue
        default: options = UTF8PROC_STABLE.rawValue | UTF8PROC_DECOMPOSE.rawValue | UTF8PROC_COMPAT.rawValue
        }
        var result: UnsafeMutablePointer<UInt8>?
        let n = bytes.withUnsafeBufferPointer {
            utf8proc_map($0.baseAddress, $0.count, &result, utf8proc_option_t(rawValue: options))
        }
        defer { free(result) }
        guard n >= 0, let result else { return [] }
        return Array(UnsafeBufferPointer(start: result, count: n))
    }

    @Test(arguments: [Normalization.nfc, .nfd, .nfkc, .nfkd])
    func segmentwiseEqualsWholeString(_ step: Normalization) {
        var rng = SplitMix64(seed: 42)
        let normalizer = Normalizer([step])
        for _ in 0..<5000 {
            let text = randomText(&rng, length: Int(rng.next() % 20))
            let bytes = Array(text.utf8)
            #expect(
                normalizer.apply(bytes[...]) == Self.reference(bytes, step),
                "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func alignmentMapsChangedSegmentsToTheirInput() {
        var alignment = ByteAlignment()
        let input = Array("ab e\u{301}x".utf8)  // 7 bytes; "e\u{301}" (3 bytes) becomes "é" (2 bytes)
        let out = Normalizer([.nfc]).apply(input[...], alignment: &alignment)
        #expect(out == Array("ab éx".utf8))
        #expect(alignment.originalStart(3) == 3)
        #expect(alignment.originalEnd(5) == 6)
        #expect(alignment.originalStart(5) == 6)  // "x"
        #expect(alignment.originalEnd(6) == 7)
    }
}

/// A small seeded generator (SplitMix64) so every run draws the same strings.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random text from many planes: ASCII, Latin, combining marks, Greek to Hangul jamo, symbols, CJK, Hangul
/// syllables, astral emoji and ideographs, with spaces, `'s`, CRLF and zero-width joiners mixed in.
func randomText(_ rng: inout SplitMix64, length: Int) -> String {
    let planes: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0xA0...0x2FF, 0x300...0x36F, 0x370...0x10FF, 0x1100...0x11FF, 0x2000...0x2BFF,
        0x3000...0x9FFF, 0xAC00...0xD7A3, 0xE000...0xFFFD, 0x1_0000...0x1_FAFF, 0x2_0000...0x2_A6DF,
        0xE_0000...0x10_FFFF,
    ]
    let extras = [" ", "  ", "\n", "\r\n", "'s", "e", "1", "\u{200D}", "\u{301}", "🇫", "🏽"]
    var s = String.UnicodeScalarView()
    for _ in 0..<length {
        if rng.next() % 5 == 0 {
            s.append(contentsOf: extras[Int(rng.next() % UInt64(extras.count))].unicodeScalars)
            continue
        }
        let plane = planes[Int(rng.next() % UInt64(planes.count))]
        let value = plane.lowerBound + UInt32(rng.next() % UInt64(plane.count))
        if let scalar = Unicode.Scalar(value) { s.append(scalar) }
    }
    return String(s)
}
