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
        }
        var cases: [Case]
    }

    static let kinds = [
        "unigram_t5", "unigram_bytefallback", "unigram_never", "bpe_llama", "bpe_metaspace", "bpe_prefix", "bpe_suffix",
        "pre_punct_digits", "pre_split_behaviors", "pre_split_invert", "bytelevel_llama3", "bytelevel_roberta",
        "bytelevel_flags", "bpe_normalized_added", "unigram_lengths", "bpe_lengths", "unigram_precompiled",
    ]

    @Test(arguments: kinds)
    func matchesTheLibrary(kind: String) throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("kind_\(kind).json"))
        let cases = try Fixtures.json("kind_\(kind)_cases.json", as: Cases.self).cases
        #expect(cases.count > 100)
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
    }

    /// (Kinds that truncate are left out: a cut can end inside a character.)
    @Test(arguments: kinds.filter { !$0.hasSuffix("_lengths") })
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
            "normalizer", #"{"type": "BertNormalizer"}"#,
            "unsupported normalizer type 'BertNormalizer'"
        ),
        ("pre_tokenizer", #"{"type": "UnicodeScripts"}"#, "unsupported pre_tokenizer type 'UnicodeScripts'"),
        ("decoder", #"{"type": "CTC"}"#, "unsupported decoder type 'CTC'"),
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
