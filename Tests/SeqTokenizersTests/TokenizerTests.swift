import Foundation
import SeqConfig
import Testing

@testable import SeqTokenizers

/// Tokenizers trained once on the fixture corpus (a few hundred ids) and shared by the tests.
enum Trained {
    static let bpe: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(kind: .bpe, vocabularySize: 400), corpus: try! Fixtures.corpus)
    static let bpeRaw: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 400), corpus: try! Fixtures.corpus)
    static let scalars: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(kind: .char, unit: .scalar, normalization: []), corpus: try! Fixtures.corpus)
    static let graphemes: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(kind: .char, unit: .grapheme, normalization: []), corpus: try! Fixtures.corpus)
    static let graphemesNFC: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(kind: .char, unit: .grapheme), corpus: try! Fixtures.corpus)
    static let bpeClean: any Tokenizer = try! trainTokenizer(
        TokenizerOptions(
            kind: .bpe, normalization: [.whitespace, .nfkc, .casefold, .stripAccents], vocabularySize: 400),
        corpus: try! Fixtures.corpus)
    static let all: [any Tokenizer] = [bpe, bpeRaw, scalars, graphemes, graphemesNFC, bpeClean]
}

@Suite struct UnicodeEdgeCaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        /// Extended grapheme clusters and Unicode scalars of the text, counted by hand.
        let graphemes: Int
        let scalars: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty", text: "", graphemes: 0, scalars: 0),
        Case(name: "NFC é", text: "caf\u{E9}", graphemes: 4, scalars: 4),
        Case(name: "NFD é", text: "cafe\u{301}", graphemes: 4, scalars: 5),
        Case(name: "stacked marks", text: "a\u{323}\u{307}", graphemes: 1, scalars: 3),
        Case(name: "Hangul syllables", text: "한국어", graphemes: 3, scalars: 3),
        Case(name: "Hangul jamo", text: "\u{1100}\u{1161}\u{11A8}", graphemes: 1, scalars: 3),
        Case(name: "CJK", text: "漢字仮名", graphemes: 4, scalars: 4),
        Case(name: "CJK extension B", text: "\u{20000}\u{2A6D6}", graphemes: 2, scalars: 2),
        Case(name: "Arabic", text: "مرحبا", graphemes: 5, scalars: 5),
        Case(name: "Hebrew with points", text: "שָׁלוֹם", graphemes: 4, scalars: 7),
        Case(name: "skin tone", text: "👍🏽", graphemes: 1, scalars: 2),
        Case(name: "ZWJ family", text: "👨\u{200D}👩\u{200D}👧\u{200D}👦", graphemes: 1, scalars: 7),
        Case(name: "flags", text: "🇫🇷🇩🇪", graphemes: 2, scalars: 4),
        Case(name: "rainbow flag", text: "🏳\u{FE0F}\u{200D}🌈", graphemes: 1, scalars: 4),
        Case(name: "lone ZWJ", text: "\u{200D}", graphemes: 1, scalars: 1),
        Case(name: "ZWJ between letters", text: "a\u{200D}b", graphemes: 2, scalars: 3),
        Case(name: "CRLF", text: "a\r\nb", graphemes: 3, scalars: 4),
        Case(name: "only special tokens", text: "<|endoftext|><|endoftext|>", graphemes: 26, scalars: 26),
        Case(name: "special inside text", text: "x<|endoftext|>y", graphemes: 15, scalars: 15),
        Case(name: "contractions", text: "don't I'll we've", graphemes: 16, scalars: 16),
        Case(name: "spaces and tabs", text: "  a\t\tb  ", graphemes: 8, scalars: 8),
        Case(name: "spaces around special", text: " a <|endoftext|> b ", graphemes: 19, scalars: 19),
    ]

    @Test(arguments: cases)
    func roundTripsInEveryTokenizer(_ c: Case) throws {
        for tokenizer in Trained.all {
            let ids = try tokenizer.encode(c.text)
            #expect(try tokenizer.decode(ids) == tokenizer.normalize(c.text))
            #expect(ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabularySize })
        }
    }

    /// Unit counts: special tokens count as one token; a unit outside the vocabulary becomes byte tokens.
    @Test(arguments: cases)
    func charUnitsAreScalarsOrGraphemes(_ c: Case) throws {
        let special = "<|endoftext|>"
        let specials = c.text.components(separatedBy: special).count - 1
        let specialScalars = specials * special.unicodeScalars.count
        for (tokenizer, units) in [(Trained.scalars, c.scalars), (Trained.graphemes, c.graphemes)] {
            let ids = try tokenizer.encode(c.text)
            let byteIDs = ids.filter { $0 < 256 }.count
            let known = ids.count - byteIDs
            let expected = units - specialScalars + specials
            // Each unit is either one known id or its UTF-8 bytes as byte ids.
            #expect(known <= expected && (byteIDs == 0) == (known == expected), "\(ids)")
        }
    }

    @Test func zwjFamilyFlagAndCombiningAccentAreOneGraphemeToken() throws {
        let corpus = Array("👨\u{200D}👩\u{200D}👧 🇫🇷 e\u{301} 👍🏽".utf8)
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .char, unit: .grapheme, normalization: [], specialTokens: []), corpus: corpus)
        #expect(try tokenizer.encode("👨\u{200D}👩\u{200D}👧").count == 1)
        #expect(try tokenizer.encode("🇫🇷").count == 1)
        #expect(try tokenizer.encode("e\u{301}").count == 1)
        #expect(try tokenizer.encode("👍🏽").count == 1)
        let scalars = try trainTokenizer(
            TokenizerOptions(kind: .char, unit: .scalar, normalization: [], specialTokens: []), corpus: corpus)
        #expect(try scalars.encode("👨\u{200D}👩\u{200D}👧").count == 5)
    }

    @Test func specialTokensAreNeverSplit() throws {
        let eot = try #require(Trained.bpe.specialTokens["<|endoftext|>"])
        #expect(eot == Trained.bpe.vocabularySize - 1)
        #expect(try Trained.bpe.encode("<|endoftext|><|endoftext|>") == [eot, eot])
        let mixed = try Trained.bpe.encode("a<|endoftext|>b")
        #expect(mixed.count == 3 && mixed[1] == eot)
        #expect(!(try Trained.bpe.encode("<|endoftext").contains(eot)))
    }

    @Test func unkPolicyMapsUnknownUnitsToOneToken() throws {
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .char, normalization: [], unknown: .unk, specialTokens: []),
            corpus: Array("abc".utf8))
        #expect(tokenizer.vocabularySize == 4)
        #expect(try tokenizer.encode("a漢b") == [try tokenizer.encode("a")[0], 0, try tokenizer.encode("b")[0]])
        #expect(try tokenizer.decode([0]) == "\u{FFFD}")
    }
}

@Suite struct PreTokenizerTests {
    static let cases: [(String, [String])] = [
        ("Hello world's  end\n", ["Hello", " world", "'s", " ", " end", "\n"]),
        ("I'LL don't", ["I", "'", "LL", " don", "'t"]),
        ("a   b", ["a", "  ", " b"]),
        ("x \n\ny", ["x", " \n", "\n", "y"]),
        ("end  ", ["end", "  "]),
        ("12,345.6", ["12", ",", "345", ".", "6"]),
        ("?!'s", ["?!'", "s"]),
        (" 's", [" '", "s"]),
        ("日本語 テキスト", ["日本語", " テキスト"]),
        ("١٢٣ abc", ["١٢٣", " abc"]),
        ("👍🏽 ok", ["👍🏽", " ok"]),
        ("a\u{3000}b", ["a", "\u{3000}", "b"]),
        ("\r\n", ["\r\n"]),
        ("", []),
    ]

    @Test(arguments: cases)
    func splitsLikeTheGPT2Pattern(_ c: (String, [String])) {
        let bytes = Array(c.0.utf8)
        let pieces = bytes.withUnsafeBufferPointer { p -> [String] in
            var pre = PreTokenizer(p)
            var out = [String]()
            while let r = pre.next() { out.append(String(decoding: p[r], as: UTF8.self)) }
            return out
        }
        #expect(pieces == c.1)
    }
}

@Suite struct PropertyTests {
    /// Valid text from many planes: exact round trip in every tokenizer, offsets covering the input in order.
    @Test func randomValidTextRoundTrips() throws {
        var rng = SplitMix64(seed: 2026)
        for _ in 0..<3000 {
            let text = randomText(&rng, length: Int(rng.next() % 16))
            for tokenizer in Trained.all {
                let ids = try tokenizer.encode(text)
                #expect(try tokenizer.decode(ids) == tokenizer.normalize(text), "\(text.debugDescription)")
            }
            let ids = try Trained.bpeRaw.encode(text)
            let stream = Trained.bpeRaw.makeStreamingDecoder()
            var streamed = ""
            for id in ids { streamed += try stream.push(id) }
            #expect(streamed + stream.finish() == text)
            let spans = try Trained.bpe.encodeWithOffsets(text)
            #expect(spans.map(\.id) == (try Trained.bpe.encode(text)))
            var at = 0
            for span in spans {
                #expect(span.start >= at && span.end >= span.start && span.end <= text.utf8.count)
                at = span.start
            }
        }
    }

    /// Random bytes, mostly invalid UTF-8: the error names the first bad offset, or replacement matches the
    /// standard library's U+FFFD substitution; nothing crashes.
    @Test func randomBytesFailCleanlyOrAreReplaced() throws {
        var rng = SplitMix64(seed: 99)
        let strict = try trainTokenizer(
            TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 300), corpus: try Fixtures.corpus)
        let replacing = try trainTokenizer(
            TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 300, invalidUTF8: .replace),
            corpus: try Fixtures.corpus)
        let chars = try trainTokenizer(
            TokenizerOptions(kind: .char, unit: .grapheme, invalidUTF8: .replace), corpus: try Fixtures.corpus)
        for _ in 0..<3000 {
            var bytes = Array(randomText(&rng, length: Int(rng.next() % 6)).utf8)
            for _ in 0..<Int(rng.next() % 4) {
                let junk: [UInt8] = [
                    0x80, 0xBF, 0xC0, 0xC1, 0xC3, 0xE0, 0xE2, 0x82, 0xED, 0xA0, 0xF0, 0xF4, 0x90, 0xF5, 0xFF,
                ]
                bytes.insert(junk[Int(rng.next() % UInt64(junk.count))], at: Int(rng.next() % UInt64(bytes.count + 1)))
            }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            do {
                let ids = try strict.encode(bytes: bytes)
                #expect(valid)
                #expect(try strict.decodeBytes(ids) == bytes)
            } catch TokenizerError.invalidUTF8(let offset) {
                #expect(!valid)
                #expect(String(validating: bytes[..<offset], as: UTF8.self) != nil)
                for k in 1...min(4, bytes.count - offset) {
                    #expect(String(validating: bytes[..<(offset + k)], as: UTF8.self) == nil)
                }
            }
            let replaced = String(decoding: bytes, as: UTF8.self)
            #expect(try replacing.decode(try replacing.encode(bytes: bytes)) == replaced)
            #expect(try chars.decode(try chars.encode(bytes: bytes)) == chars.normalize(replaced))
            let spans = try replacing.encodeWithOffsets(bytes: bytes)
            #expect(spans.allSatisfy { $0.start <= $0.end && $0.end <= bytes.count })
        }
    }
}

@Suite struct ConcurrencyTests {
    /// One tokenizer shared by many tasks (its pre-token cache is locked) gives every task the same ids.
    @Test func concurrentEncodesAgree() async throws {
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .bpe, vocabularySize: 300), corpus: try Fixtures.corpus)
        let texts = try Fixtures.texts
        // Expected ids from a second, identical tokenizer, so the shared one starts with an empty cache.
        let twin = try trainTokenizer(TokenizerOptions(kind: .bpe, vocabularySize: 300), corpus: try Fixtures.corpus)
        let expected = try texts.map { try twin.encode($0) }
        let results = try await withThrowingTaskGroup(of: [[Int]].self) { group in
            for task in 0..<8 {
                group.addTask {
                    // Each task walks the texts from a different starting point, so caches fill in other orders.
                    var ids = [[Int]](repeating: [], count: texts.count)
                    for step in 0..<texts.count {
                        let i = (step + task * 31) % texts.count
                        ids[i] = try tokenizer.encode(texts[i])
                    }
                    return ids
                }
            }
            var all = [[[Int]]]()
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        for result in results { #expect(result == expected) }
    }
}

@Suite struct StreamingTests {
    @Test func bpeStreamEmitsOnlyCompleteUTF8() throws {
        let text = "héllo 漢字 👨\u{200D}👩\u{200D}👧 🇫🇷 end"
        let ids = try Trained.bpeRaw.encode(text)
        let stream = Trained.bpeRaw.makeStreamingDecoder()
        var out = ""
        for id in ids {
            let chunk = try stream.push(id)
            #expect(!chunk.contains("\u{FFFD}"))
            out += chunk
        }
        out += stream.finish()
        #expect(out == text)
    }

    /// In grapheme mode a chunk ends only where the full text has a grapheme boundary (Swift's `Character`s).
    @Test func graphemeStreamEmitsOnlyCompleteClusters() throws {
        let text = "a👨\u{200D}👩\u{200D}👧b🇫🇷🇩🇪e\u{301}\u{302}x"
        let tokenizer = Trained.graphemes
        let ids = try tokenizer.encode(text)
        #expect(ids.contains { $0 < 256 })  // the family is outside the vocabulary: byte fallback ids
        var boundaries = Set<Int>()
        var at = 0
        for character in text {
            at += character.utf8.count
            boundaries.insert(at)
        }
        let stream = tokenizer.makeStreamingDecoder()
        var out = ""
        for id in ids {
            out += try stream.push(id)
            #expect(out.isEmpty || boundaries.contains(out.utf8.count), "\(out.debugDescription)")
        }
        out += stream.finish()
        #expect(out == text)
    }

    @Test func unfinishedScalarBecomesReplacementAtFinish() throws {
        let tokenizer = Trained.scalars
        let stream = tokenizer.makeStreamingDecoder()
        #expect(try stream.push(0xE6) == "")  // first byte of a three-byte scalar
        // "A" is held: the next scalar could still extend its cluster.
        #expect(try stream.push(0x41) == "\u{FFFD}")
        #expect(try stream.push(0xE6) == "")
        #expect(stream.finish() == "A\u{FFFD}")
        #expect(throws: TokenizerError.unknownID(1_000_000)) { try stream.push(1_000_000) }
    }
}

@Suite struct OffsetTests {
    @Test func bpeOffsetsPointAtTheTokensBytes() throws {
        let text = "Hello, wörld! 👍🏽<|endoftext|>end"
        let bytes = Array(text.utf8)
        let spans = try Trained.bpeRaw.encodeWithOffsets(text)
        var covered = [UInt8]()
        for span in spans {
            #expect(Array(bytes[span.start..<span.end]) == (try Trained.bpeRaw.decodeBytes([span.id])))
            covered += bytes[span.start..<span.end]
        }
        #expect(covered == bytes)
    }

    @Test func offsetsMapNormalizedTokensBackToTheOriginal() throws {
        let text = "cafe\u{301}  X"  // NFC turns "e\u{301}" (3 bytes) into "é" (2 bytes)
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .char, unit: .grapheme, specialTokens: []), corpus: Array("caf\u{E9} X".utf8))
        let spans = try tokenizer.encodeWithOffsets(text)
        #expect(spans.count == 7)
        #expect(spans[3].start == 3 && spans[3].end == 6)  // "é" covers e + combining acute
        #expect(spans[6].start == 8 && spans[6].end == 9)  // "X"
    }

    @Test func offsetsSkipWhitespaceRemovedByCleanup() throws {
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .char, normalization: [.whitespace], specialTokens: []), corpus: Array("a b".utf8))
        let spans = try tokenizer.encodeWithOffsets("  a \t b ")
        #expect(spans.map { [$0.start, $0.end] } == [[2, 3], [3, 6], [6, 7]])
    }
}

@Suite struct ErrorTests {
    func load(_ json: String) throws -> any Tokenizer { try loadTokenizer(json: Data(json.utf8)) }

    func field(_ json: String) -> String? {
        do {
            _ = try load(json)
            return nil
        } catch TokenizerError.malformedFile(let field, _) {
            return field
        } catch {
            return "other: \(error)"
        }
    }

    static let minimal = #"""
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
         "pre_tokenizer": {"type": "ByteLevel"}}
        """#

    @Test func minimalFileLoads() throws {
        let tokenizer = try load(Self.minimal)
        #expect(try tokenizer.encode("abab") == [2, 2])
        #expect(try tokenizer.encode("ba") == [1, 0])
        #expect(throws: TokenizerError.unencodable(offset: 1)) { try tokenizer.encode("az") }
    }

    @Test func malformedFilesNameTheField() {
        #expect(field("not json") == "(root)")
        #expect(field("[1, 2]") == "(root)")
        #expect(field("{}") == "model")
        #expect(field(#"{"model": {"type": "Unigram"}}"#) == "model.vocab")
        #expect(field(#"{"model": {"type": "WordLevel"}}"#) == "model.vocab")
        #expect(field(#"{"model": {"type": "FutureModel"}}"#) == "model.type")
        #expect(field(#"{"model": {"type": "WordPiece"}}"#) == "model.vocab")
        #expect(field(Self.minimal.replacingOccurrences(of: #""a b""#, with: #""a c""#)) == "model.merges[0]")
        #expect(field(Self.minimal.replacingOccurrences(of: #""ab": 2"#, with: #""中": 2"#)) == "model.vocab[\"中\"]")
        #expect(field(Self.minimal.replacingOccurrences(of: #""b": 1"#, with: #""b": "one""#)) == "model.vocab[\"b\"]")
        #expect(field(Self.minimal.replacingOccurrences(of: "ByteLevel", with: "Whitespace")) == nil)
        #expect(
            field(Self.minimal.replacingOccurrences(of: "ByteLevel", with: "UnicodeScripts")) == "pre_tokenizer.type")
        #expect(
            field(Self.minimal.replacingOccurrences(of: #""merges": ["a b"]"#, with: #""merges": 3"#)) == "model.merges"
        )
        // A normalizer the fast byte-level path does not run sends the file part by part; an unknown one is refused.
        #expect(
            field(
                Self.minimal.replacingOccurrences(
                    of: "\"pre_tokenizer\"", with: #""normalizer": {"type": "BertNormalizer"}, "pre_tokenizer""#))
                == nil)
        #expect(
            field(
                Self.minimal.replacingOccurrences(
                    of: "\"pre_tokenizer\"", with: #""normalizer": {"type": "FutureNormalizer"}, "pre_tokenizer""#))
                == "normalizer.type")
        #expect(
            field(
                Self.minimal.replacingOccurrences(
                    of: "\"pre_tokenizer\"", with: #""added_tokens": [{"id": "x"}], "pre_tokenizer""#))
                == "added_tokens[0].id")
        #expect(field(#"{"model": {"type": "SeqKitChar", "unit": "word"}}"#) == "model.unit")
    }

    /// Seeded random byte edits of real files: loading fails with a clear error or gives a tokenizer that
    /// encodes and decodes without crashing.
    @Test(arguments: ["hf_bpe.json", "hf_bpe_variant.json"])
    func mutatedFilesNeverCrash(_ name: String) throws {
        let original = [UInt8](try Data(contentsOf: Fixtures.url(name)))
        let charFile = FileManager.default.temporaryDirectory.appendingPathComponent("char-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: charFile) }
        try Trained.graphemes.save(to: charFile)
        let originals = [original, [UInt8](try Data(contentsOf: charFile))]
        var rng = SplitMix64(seed: 5)
        let alphabet = Array(#"{}[]":,0123456789-. abĠ<>|\"#.utf8)
        var loaded = 0
        for round in 0..<300 {
            var bytes = originals[round % 2]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            do {
                let tokenizer = try loadTokenizer(json: Data(bytes))
                loaded += 1
                let ids = try tokenizer.encode("Hello, wörld! 漢字 <|endoftext|> 👍🏽")
                _ = try? tokenizer.decode(ids)
            } catch is TokenizerError {
                continue
            }
        }
        #expect(loaded > 0)
    }

    @Test func decodeRejectsUnknownIDs() {
        #expect(throws: TokenizerError.unknownID(-1)) { try Trained.bpe.decode([-1]) }
        #expect(throws: TokenizerError.unknownID(400)) { try Trained.bpe.decode([1, 400]) }
        #expect(throws: TokenizerError.unknownID(9999)) { try Trained.scalars.decode([9999]) }
    }

    @Test func trainingRejectsEmptyCorporaAndTinyVocabularies() {
        #expect(throws: TokenizerError.emptyCorpus) { try trainTokenizer(TokenizerOptions(), corpus: []) }
        #expect(throws: TokenizerError.emptyCorpus) {
            try trainTokenizer(TokenizerOptions(), corpus: Array("<|endoftext|><|endoftext|>".utf8))
        }
        #expect(throws: ConfigError.self) { try trainTokenizer(TokenizerOptions(vocabularySize: 100), corpus: [0x61]) }
        #expect(throws: TokenizerError.invalidUTF8(offset: 1)) {
            try trainTokenizer(TokenizerOptions(), corpus: [0x61, 0xFF])
        }
    }

    @Test func errorMessagesNameTheProblemAndTheFix() {
        #expect(TokenizerError.invalidUTF8(offset: 7).description.contains("byte offset 7"))
        #expect(
            TokenizerError.malformedFile(field: "model.merges[3]", reason: "x").description.contains("model.merges[3]"))
    }
}

@Suite struct OptionsTests {
    @Test func missingKeysKeepDefaults() throws {
        let options = try decodeConfig(TokenizerOptions.self, from: Data(#"{"kind": "char"}"#.utf8), file: "t.json")
        #expect(options == TokenizerOptions(kind: .char))
        #expect(options.normalization == [.nfc] && options.vocabularySize == 4096 && options.invalidUTF8 == .error)
    }

    @Test func everyFieldDecodes() throws {
        let json = #"""
            {"kind": "char", "unit": "grapheme", "normalization": ["nfkc", "casefold"], "unknown": "unk",
             "vocabularySize": 300, "minPairFrequency": 3, "specialTokens": ["<s>"], "invalidUTF8": "replace"}
            """#
        let options = try decodeConfig(TokenizerOptions.self, from: Data(json.utf8), file: "t.json")
        #expect(
            options
                == TokenizerOptions(
                    kind: .char, unit: .grapheme, normalization: [.nfkc, .casefold], unknown: .unk, vocabularySize: 300,
                    minPairFrequency: 3, specialTokens: ["<s>"], invalidUTF8: .replace))
    }

    @Test func resolvedOptionsEncodeAndDecodeBack() throws {
        let options = TokenizerOptions(
            kind: .char, unit: .grapheme, normalization: [.whitespace, .nfd], unknown: .unk, vocabularySize: 99,
            minPairFrequency: 5, specialTokens: ["<s>", "</s>"], invalidUTF8: .replace)
        let data = try JSONEncoder().encode(options)
        #expect(try decodeConfig(TokenizerOptions.self, from: data, file: "resolved.json") == options)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys.sorted()
        #expect(
            keys == [
                "invalidUTF8", "kind", "minPairFrequency", "normalization", "specialTokens", "unit", "unknown",
                "vocabularySize",
            ])
    }

    @Test func unknownKeysSuggestTheNearest() {
        #expect(throws: ConfigError.unknownKey(path: "", key: "vocabularSize", suggestion: "vocabularySize")) {
            try decodeConfig(TokenizerOptions.self, from: Data(#"{"vocabularSize": 10}"#.utf8), file: "t.json")
        }
    }

    /// `JSONSerialization` drops a leading U+FEFF from strings; units and special tokens must survive it.
    @Test func byteOrderMarkUnitsSurviveSaveAndLoad() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bom-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        let text = "a\u{FEFF}b\u{FEFF}<x>\u{FEFF}<x>"
        for kind in [TokenizerOptions.Kind.char, .bpe] {
            let options = TokenizerOptions(
                kind: kind, normalization: [], vocabularySize: 300, specialTokens: ["\u{FEFF}<x>"])
            let tokenizer = try trainTokenizer(options, corpus: Array("a\u{FEFF}b \u{FEFF}".utf8))
            try tokenizer.save(to: url)
            let loaded = try loadTokenizer(from: url)
            #expect(loaded.specialTokens == tokenizer.specialTokens)
            #expect(try loaded.encode(text) == tokenizer.encode(text))
            #expect(try loaded.decode(loaded.encode(text)) == text)
        }
    }

    @Test func savedFilesLoadBackWithTheSameBehaviour() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "Ünïcödé text, 漢字 and 👨\u{200D}👩\u{200D}👧 <|endoftext|> ok"
        let options: [TokenizerOptions] = [
            TokenizerOptions(kind: .bpe, normalization: [.whitespace, .nfkc, .lowercase], vocabularySize: 300),
            TokenizerOptions(kind: .bpe, normalization: [.stripAccents, .casefold], vocabularySize: 300),
            TokenizerOptions(kind: .char, unit: .grapheme, normalization: [.nfd]),
            TokenizerOptions(kind: .char, unit: .scalar, unknown: .unk, vocabularySize: 40),
        ]
        for (i, option) in options.enumerated() {
            let tokenizer = try trainTokenizer(option, corpus: try Fixtures.corpus)
            let url = folder.appendingPathComponent("t\(i).json")
            try tokenizer.save(to: url)
            let loaded = try loadTokenizer(from: url)
            #expect(loaded.normalization == option.normalization)
            #expect(loaded.vocabularySize == tokenizer.vocabularySize)
            #expect(loaded.specialTokens == tokenizer.specialTokens)
            #expect(try loaded.encode(text) == tokenizer.encode(text))
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { !$0.hasSuffix(".tmp") })
        }
    }
}

@Test func serializedIsWhatSaveWritesAndLoadsBack() throws {
    for tokenizer in Trained.all {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-serialized-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try tokenizer.save(to: url)
        let bytes = try tokenizer.serialized()
        #expect(try Data(contentsOf: url) == bytes)
        let again = try loadTokenizer(json: bytes)
        let text = "ROMEO: But soft, what light through yonder window breaks?"
        #expect(try again.encode(text) == tokenizer.encode(text))
    }
}
