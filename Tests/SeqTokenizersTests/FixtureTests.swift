import Foundation
import Testing

@testable import SeqTokenizers

/// Fixtures made by Tests/Fixtures/make_tokenizer_fixtures.py with the Python `tokenizers` library.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func json<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    static var texts: [String] { get throws { try json("texts.json", as: [String].self) } }
    static var corpus: [UInt8] { get throws { [UInt8](try Data(contentsOf: url("corpus.txt"))) } }
}

@Suite struct FixtureTests {
    @Test func hfTrainedFileEncodesToTheLibrarysIDs() throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("hf_bpe.json"))
        let texts = try Fixtures.texts
        let expected = try Fixtures.json("hf_bpe_ids.json", as: [[Int]].self)
        #expect(texts.count == expected.count)
        for (text, ids) in zip(texts, expected) {
            #expect(try tokenizer.encode(text) == ids, "text: \(text.debugDescription)")
            #expect(try tokenizer.decode(ids) == text)
        }
    }

    @Test func hfVariantWithPrefixSpaceIgnoreMergesAndNormalizerEncodesToTheLibrarysIDs() throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("hf_bpe_variant.json"))
        #expect(tokenizer.normalization == [.nfkc, .lowercase])
        let texts = try Fixtures.texts
        let expected = try Fixtures.json("hf_bpe_variant_ids.json", as: [[Int]].self)
        #expect(texts.count == expected.count)
        for (text, ids) in zip(texts, expected) {
            #expect(try tokenizer.encode(text) == ids, "text: \(text.debugDescription)")
        }
    }

    @Test func seqkitTrainedFileEncodesToTheLibrarysIDs() throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("seqkit_bpe.json"))
        let texts = try Fixtures.texts
        let expected = try Fixtures.json("seqkit_bpe_ids.json", as: [[Int]].self)
        #expect(texts.count == expected.count)
        for (text, ids) in zip(texts, expected) {
            #expect(try tokenizer.encode(text) == ids, "text: \(text.debugDescription)")
        }
    }

    @Test func seqkitNormalizersMatchTheLibrarysNormalizers() throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("seqkit_bpe_normalized.json"))
        #expect(tokenizer.normalization == [.whitespace, .nfkc, .lowercase, .stripAccents])
        let texts = try Fixtures.texts
        // null: the text has scalars newer than Unicode 3.2, whose tables differ between the two sides.
        let expected = try Fixtures.json("seqkit_bpe_normalized_ids.json", as: [[Int]?].self)
        #expect(texts.count == expected.count)
        #expect(expected.compactMap { $0 }.count > 100)
        for (text, ids) in zip(texts, expected) {
            guard let ids else { continue }
            #expect(try tokenizer.encode(text) == ids, "text: \(text.debugDescription)")
        }
    }

    /// Training again on the fixture corpus writes the same vocabulary and merges the Python library read.
    @Test func trainingIsDeterministicAndWritesTheCommittedFile() throws {
        let options = TokenizerOptions(kind: .bpe, normalization: [], vocabularySize: 400)
        let tokenizer = try trainTokenizer(options, corpus: try Fixtures.corpus)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        try tokenizer.save(to: out)
        func model(_ url: URL) throws -> NSDictionary {
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            return try #require(root?["model"] as? NSDictionary)
        }
        #expect(try model(out) == model(Fixtures.url("seqkit_bpe.json")))
    }

    @Test func savedHFFileLoadsBackWithTheSameIDs() throws {
        let tokenizer = try loadTokenizer(from: Fixtures.url("hf_bpe.json"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        try tokenizer.save(to: out)
        let again = try loadTokenizer(from: out)
        let expected = try Fixtures.json("hf_bpe_ids.json", as: [[Int]].self)
        for (text, ids) in zip(try Fixtures.texts, expected) {
            #expect(try again.encode(text) == ids)
        }
        #expect(again.specialTokens == tokenizer.specialTokens)
    }
}
