import Foundation
import Testing

@testable import SeqTokenizers

/// Settings of a Hugging Face file that SeqKit once refused are applied as the tokenizers library applies them: an
/// added token's `lstrip`/`rstrip`/`single_word`, `truncation`, `padding`, and the ByteLevel post-processor's
/// `trim_offsets`. Each is set alone on `hf_bpe.json`; the ids, offsets and decodes are the library's
/// (settings_cases.json, from Tests/Fixtures/make_hf_tokenizer_kinds.py).
@Suite struct FileSettingsTests {
    struct Setting: Decodable {
        var cases: [HFKindTests.Cases.Case]
    }

    static let names = ["lstrip", "rstrip", "single_word", "truncation", "padding", "trim_offsets"]

    /// `hf_bpe.json` with the setting's patch applied to its JSON object.
    func patched(_ name: String) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("hf_bpe.json"))
        var root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("settings_cases.json")))
        let patch = try #require(((all as? [String: Any])?[name] as? [String: Any])?["patch"] as? [String: Any])
        for (key, value) in patch { root[key] = value }
        return try JSONSerialization.data(withJSONObject: root)
    }

    @Test(arguments: names)
    func settingIsAppliedAsTheLibraryApplies(name: String) throws {
        let tokenizer = try loadTokenizer(json: try patched(name), offsets: .wholeCharacters)
        let all = try Fixtures.json("settings_cases.json", as: [String: Setting].self)
        let cases = try #require(all[name]).cases
        #expect(cases.count >= 5)
        for c in cases {
            let spans = try tokenizer.encodeWithOffsets(c.text)
            #expect(spans.map(\.id) == c.ids, "ids of \(c.text.debugDescription)")
            #expect(spans.map { [$0.start, $0.end] } == c.offsets, "offsets of \(c.text.debugDescription)")
            #expect(try tokenizer.decode(c.ids) == c.decoded, "decode of \(c.text.debugDescription)")
        }
    }

    /// The issue's three examples, by count: `a  <|sep|>  b` is three tokens with lstrip + rstrip, truncation to 8
    /// gives 8 ids, and trimmed offsets leave out the space before a word.
    @Test func theExamplesFromTheIssue() throws {
        let data = try Data(contentsOf: Fixtures.url("hf_bpe.json"))
        var root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var tokens = try #require(root["added_tokens"] as? [[String: Any]])
        tokens[0]["lstrip"] = true
        tokens[0]["rstrip"] = true
        root["added_tokens"] = tokens
        root["truncation"] = ["direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0]
        root["post_processor"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true]
        let tokenizer = try loadTokenizer(json: try JSONSerialization.data(withJSONObject: root))
        #expect(try tokenizer.encode("a  <|endoftext|>  b").count == 3)
        #expect(try tokenizer.encode(String(repeating: "To be, or not to be. ", count: 5)).count == 8)
        let spans = try tokenizer.encodeWithOffsets("to be")
        #expect(spans.last.map { [$0.start, $0.end] } == [3, 5])
    }
}
