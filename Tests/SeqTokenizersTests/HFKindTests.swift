import Foundation
import Testing

@testable import SeqTokenizers

/// Ids, byte offsets and decoded text from Hugging Face `tokenizers` 0.23.3 for tokenizers of each kind it trained
/// (Tests/Fixtures/make_hf_tokenizer_kinds.py): edge cases, many scripts, combining marks, emoji ZWJ sequences,
/// flags, odd whitespace, seeded random strings and texts with added tokens.
@Suite struct HFKindTests {
    struct Cases: Decodable {
        struct Case: Decodable {
            var text: String
            var ids: [Int]
            var offsets: [[Int]]
            var decoded: String
            /// Has a scalar newer than Unicode 3.2 and the kind has a Unicode normalizer: the library's tables and
            /// ICU's are of different Unicode versions there, so only the ids of the rest are compared.
            var unicode_dependent: Bool?
        }
        var cases: [Case]
    }

    static let kinds = [
        "unigram_t5", "unigram_bytefallback", "unigram_never", "bpe_llama", "bpe_metaspace", "bpe_prefix", "bpe_suffix",
        "pre_punct_digits", "pre_split_behaviors", "pre_split_invert", "bytelevel_llama3", "bytelevel_roberta",
        "bytelevel_flags", "bpe_normalized_added", "unigram_lengths", "bpe_lengths", "unigram_precompiled",
        "bpe_nfkc_lower", "unigram_nfd_strip", "unigram_nfc", "unigram_nfkd", "wordpiece_bert", "wordpiece_mixed",
        "pre_delimiter_fixed", "bytelevel_nmt_normalizer", "ctc_decoder", "wordlevel",
    ]

    @Test(arguments: kinds)
    func matchesTheLibrary(kind: String) throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("kind_\(kind).json"), offsets: .wholeCharacters)
        let cases = try Fixtures.json("kind_\(kind)_cases.json", as: Cases.self).cases.filter {
            $0.unicode_dependent != true
        }
        #expect(cases.count > 80)
        var failures = 0
        var mismatches = 0
        for c in cases {
            let spans = try tokenizer.encodeWithOffsets(bytes: Array(c.text.utf8))
            let decoded = try tokenizer.decode(c.ids)
            let ok = spans.map(\.id) == c.ids && spans.map { [$0.start, $0.end] } == c.offsets && decoded == c.decoded
            if !ok { mismatches += 1 }
            if !ok && failures < 5 {
                failures += 1
                #expect(spans.map(\.id) == c.ids, "ids of \(c.text.debugDescription)")
                #expect(spans.map { [$0.start, $0.end] } == c.offsets, "offsets of \(c.text.debugDescription)")
                #expect(try tokenizer.decode(c.ids) == c.decoded, "decode of \(c.text.debugDescription)")
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) texts differ")
        // Written back, the file loads again and gives the same ids.
        let again = try loadTokenizer(json: try tokenizer.serialized())
        for c in cases { #expect(try again.encode(c.text) == c.ids) }
        // SeqKit's own offsets differ only inside characters and for inserted text (empty there): the same ids,
        // and each token within the library's range.
        for c in cases {
            let exact = try again.encodeWithOffsets(c.text)
            #expect(exact.map(\.id) == c.ids)
            for (span, wide) in zip(exact, c.offsets)
            where span.start < span.end && !(wide[0] <= span.start && span.end <= wide[1]) {
                Issue.record("\(kind): \(span) is outside \(wide) in \(c.text.debugDescription)")
            }
        }
    }

    /// Byte-level files run the same on the fast path and part by part, offsets included (files without a
    /// normalizer: the two align a composed or decomposed character differently).
    @Test(arguments: ["hf_bpe.json", "seqkit_bpe.json"])
    func pipelineAgreesWithTheFastByteLevelPath(name: String) throws {
        let fast = try loadTokenizer(from: Fixtures.url(name))
        #expect(fast is BPETokenizer)
        let file = try TokenizerFile(data: Data(contentsOf: Fixtures.url(name)))
        let pipeline = try HFPipelineTokenizer(file: file)
        for text in try Fixtures.texts {
            #expect(try pipeline.encodeWithOffsets(text) == fast.encodeWithOffsets(text), "\(text.debugDescription)")
        }
    }

    /// Invalid UTF-8 fails with its offset, or with `.replace` becomes U+FFFD per invalid sequence while the
    /// offsets still point into the input as given.
    @Test(arguments: ["bpe_llama", "unigram_bytefallback", "bytelevel_llama3"])
    func invalidUTF8IsRefusedOrReplaced(kind: String) throws {
        let input: [UInt8] = Array("a".utf8) + [0xFF] + Array("b".utf8) + [0xE6, 0x9D] + Array("c 東".utf8)
        let url = Fixtures.url("kind_\(kind).json")
        #expect(throws: TokenizerError.invalidUTF8(offset: 1)) { try loadTokenizer(from: url).encode(bytes: input) }
        let tokenizer = try loadTokenizer(from: url, invalidUTF8: .replace)
        let spans = try tokenizer.encodeWithOffsets(bytes: input)
        #expect(spans.map(\.id) == (try tokenizer.encode("a\u{FFFD}b\u{FFFD}c 東")))
        #expect(spans.allSatisfy { $0.start <= $0.end && $0.end <= input.count })
        #expect(spans.last(where: { $0.end > $0.start })?.end == input.count)
    }

    @Test func offsetConventions() throws {
        let url = Fixtures.url("kind_bpe_llama.json")
        let exact = try loadTokenizer(from: url).encodeWithOffsets("a東")
        let whole = try loadTokenizer(from: url, offsets: .wholeCharacters).encodeWithOffsets("a東")
        #expect(exact.map(\.id) == whole.map(\.id))
        #expect(exact.suffix(3).map { [$0.start, $0.end] } == [[1, 2], [2, 3], [3, 4]])
        #expect(whole.suffix(3).map { [$0.start, $0.end] } == [[1, 4], [1, 4], [1, 4]])
        let gpt2 = Fixtures.url("hf_bpe.json")
        #expect(try loadTokenizer(from: gpt2, offsets: .wholeCharacters) is HFPipelineTokenizer)
    }

    /// (Kinds that truncate are left out: a cut can end inside a character; and WordPiece and CTC ones, whose
    /// decoders' cleanup of spaces before punctuation and collapsing of repeats are left to decode.)
    @Test(arguments: kinds.filter { !$0.hasSuffix("_lengths") && !$0.hasPrefix("wordpiece") && !$0.hasPrefix("ctc") })
    func streamsTheDecodedTextAfterTheFirstToken(kind: String) throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("kind_\(kind).json"))
        for text in ["Hello world, the king's crown.", "東京 👍🏽 café"] {
            let ids = try tokenizer.encode(text)
            let stream = tokenizer.makeStreamingDecoder()
            var streamed = try stream.push(ids)
            streamed += stream.finish()
            let decoded = try tokenizer.decode(ids)
            // The decoder drops the first token's space; streaming leaves it.
            #expect(streamed.trimmingCharacters(in: .whitespaces) == decoded.trimmingCharacters(in: .whitespaces))
        }
    }

    /// Seeded structural edits of every kind's file (a field set to null, a negative or huge number, an empty or odd
    /// string, an empty list or object): loading fails with a TokenizerError, or the tokenizer encodes, decodes and
    /// streams without crashing.
    @Test(arguments: kinds)
    func editedFilesNeverCrash(kind: String) throws {
        let root = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("kind_\(kind).json"))) as? [String: Any])
        let values: [Any] = [
            NSNull(), -1, 0, 1, 1 << 40, 0.5, "", "x", " ", "<0x41>", "▁", [Any](), [String: Any](), true, false,
            ["type": "Sequence"], ["String": " "], ["Regex": "("], ["Regex": ""], [["x", -1.0]], ["a b"],
        ]
        var rng = SplitMix64(seed: 11 &+ kind.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) })
        func random(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        func edit(_ value: Any, depth: Int) -> Any {
            if depth > 0, var object = value as? [String: Any], !object.isEmpty {
                let keys = object.keys.sorted()
                let key = keys[random(keys.count)]
                object[key] = random(4) == 0 ? values[random(values.count)] : edit(object[key]!, depth: depth - 1)
                return object
            }
            if depth > 0, var list = value as? [Any], !list.isEmpty {
                let i = random(list.count)
                list[i] = random(3) == 0 ? values[random(values.count)] : edit(list[i], depth: depth - 1)
                return list
            }
            return values[random(values.count)]
        }
        var loaded = 0
        for _ in 0..<25 {
            let mutated = edit(root, depth: 1 + random(4))
            do {
                let tokenizer = try loadTokenizer(json: try JSONSerialization.data(withJSONObject: mutated))
                loaded += 1
                let ids = try? tokenizer.encode("Hello, wörld! 漢字 <unk> <s> </s> 👍🏽  e\u{301} <0x41>")
                _ = try? tokenizer.decode(ids ?? [0, 1, 2])
                _ = try? tokenizer.makeStreamingDecoder().push(ids ?? [0])
                _ = try? tokenizer.serialized()
            } catch is TokenizerError {
                continue
            }
        }
        #expect(loaded > 0)
    }

    /// A charsmap that is not one is refused with one line naming the field.
    @Test func aBrokenCharsmapIsRefused() throws {
        let data = try Data(contentsOf: Fixtures.url("kind_unigram_t5.json"))
        var root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        root["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AA=="]
        #expect(throws: TokenizerError.self) { try loadTokenizer(json: JSONSerialization.data(withJSONObject: root)) }
        root["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "CAAAAP////8AAAAA"]  // a trie of junk
        let tokenizer = try loadTokenizer(json: JSONSerialization.data(withJSONObject: root))
        #expect(try tokenizer.encode("junk never crashes").count > 1)
    }

    /// A part SeqKit does not run is refused with one line naming it.
    @Test(arguments: [
        (
            "normalizer", #"{"type": "FutureNormalizer"}"#,
            "unsupported normalizer type 'FutureNormalizer'"
        ),
        ("pre_tokenizer", #"{"type": "UnicodeScripts"}"#, "unsupported pre_tokenizer type 'UnicodeScripts'"),
        ("decoder", #"{"type": "FutureDecoder"}"#, "unsupported decoder type 'FutureDecoder'"),
    ])
    func unknownPartsAreRefused(key: String, part: String, message: String) throws {
        let data = try Data(contentsOf: Fixtures.url("kind_unigram_t5.json"))
        var root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        root[key] = try JSONSerialization.jsonObject(with: Data(part.utf8))
        do {
            _ = try loadTokenizer(json: try JSONSerialization.data(withJSONObject: root))
            Issue.record("loaded a file with \(part)")
        } catch {
            #expect("\(error)".contains(message))
            #expect(!"\(error)".contains("\n"))
        }
    }
}
