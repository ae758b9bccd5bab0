import Foundation
import Testing

@testable import SeqTokenizers

/// The tokenizer.json of `Models/all-MiniLM-L6-v2` (`bash Models/fetch-minilm.sh`; CI always fetches it).
private let miniLMTokenizer = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
        "Models/all-MiniLM-L6-v2/tokenizer.json")

private struct Cases: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var offsets: [[Int]]
        var decoded: String
    }
    var cases: [Case]
}

/// Ids, byte offsets and decoded text from Hugging Face `tokenizers` 0.23.3 for the same file
/// (Tests/Fixtures/make_minilm_fixtures.py): many scripts, combining marks, emoji ZWJ sequences, flags, odd
/// whitespace, control characters, special tokens in the text, a word over 100 characters.
@Test(
    .enabled(
        if: FileManager.default.fileExists(atPath: miniLMTokenizer.path),
        "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func wordPieceMatchesHuggingFaceTokenizers() throws {
    let tokenizer = try loadTokenizer(from: miniLMTokenizer)
    #expect(tokenizer.vocabularySize == 30522)
    let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .appendingPathComponent("Fixtures/minilm_tokenizer_cases.json")
    let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url)).cases
    #expect(cases.count >= 10)
    for c in cases {
        let spans = try tokenizer.encodeWithOffsets(bytes: Array(c.text.utf8))
        #expect(spans.map(\.id) == c.ids, "ids of \(c.text.debugDescription)")
        #expect(spans.map { [$0.start, $0.end] } == c.offsets, "offsets of \(c.text.debugDescription)")
        #expect(try tokenizer.decode(c.ids) == c.decoded, "decode of \(c.text.debugDescription)")
    }
    // Written back, the file loads again and encodes the same.
    let again = try loadTokenizer(json: try tokenizer.serialized())
    for c in cases { #expect(try again.encode(c.text) == c.ids) }
}

@Test func wordPieceRefusesPartsItDoesNotRun() throws {
    func message(_ json: String) -> String {
        do {
            _ = try loadTokenizer(json: Data(json.utf8))
            return "loaded"
        } catch {
            return "\(error)"
        }
    }
    let model = ###""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}}"###
    #expect(message("{\(model)}") == "loaded")
    // Parts WordPieceTokenizer does not run go to the part-by-part pipeline, which refuses what it does not know.
    #expect(
        message(#"{"normalizer": {"type": "FutureNormalizer"}, "# + model + "}").contains("type 'FutureNormalizer'"))
    #expect(message(#"{"pre_tokenizer": {"type": "UnicodeScripts"}, "# + model + "}").contains("pre_tokenizer.type"))
    #expect(message(#"{"decoder": {"type": "FutureDecoder"}, "# + model + "}").contains("decoder.type"))
    #expect(message(#"{"pre_tokenizer": {"type": "Metaspace", "replacement": "_"}, "# + model + "}") == "loaded")
    let tokenizer = try loadTokenizer(json: Data("{\(model)}".utf8))
    #expect(try tokenizer.encode("ab a abc") == [1, 2, 1, 0])  // "abc" has no piece for "c": the whole word is [UNK]
    #expect(try tokenizer.decode([1, 2, 1]) == "ab a")
}
