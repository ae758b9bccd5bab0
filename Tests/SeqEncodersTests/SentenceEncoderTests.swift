import Foundation
import SeqTensor
import Testing
import _SeqTestSupport

@testable import SeqEncoders

/// `Models/all-MiniLM-L6-v2`, fetched by `bash Models/fetch-minilm.sh` (CI always fetches it).
private let miniLM = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models/all-MiniLM-L6-v2")

private var miniLMIsPresent: Bool {
    FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("model.safetensors").path)
}

/// sentence-transformers' own vectors for the same token ids (Tests/Fixtures/make_minilm_fixtures.py): eight
/// sentences of 4 to 256 tokens (the last truncated), run in one batch and one at a time.
@Test(.enabled(if: miniLMIsPresent, "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func miniLMEmbeddingsMatchSentenceTransformers() throws {
    let encoder = try SentenceEncoder(folder: miniLM, tokenizer: nil)
    #expect(encoder.pooling == .mean && encoder.normalizes && encoder.maxSequenceLength == 256 && encoder.width == 384)
    let file = try SafeTensorsFile(contentsOf: fixtureURL("minilm_reference.safetensors"))
    let (flat, lengths, expected) = (
        try file.ints("input_ids"), try file.ints("lengths"), try file.floats("embeddings")
    )
    var sequences: [[Int]] = []
    var start = 0
    for n in lengths {
        sequences.append(Array(flat[start..<(start + n)]))
        start += n
    }
    for batchSize in [32, 1, 3] {
        let vectors = try encoder.embed(tokenIDs: sequences, batchSize: batchSize)
        for (i, v) in vectors.enumerated() {
            let worst = (0..<384).map { abs(v[$0] - expected[i * 384 + $0]) }.max()!
            #expect(worst < 1e-5, "sentence \(i) (\(lengths[i]) tokens), batch \(batchSize): max difference \(worst)")
        }
    }
}

@Test(.enabled(if: miniLMIsPresent, "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func sentenceEncoderRefusesBadTokenIDs() throws {
    let encoder = try SentenceEncoder(folder: miniLM, tokenizer: nil)
    #expect(throws: EncoderError.invalidTokenCount(index: 1, count: 0, limit: 256)) {
        try encoder.embed(tokenIDs: [[101, 102], []])
    }
    #expect(throws: EncoderError.invalidTokenCount(index: 0, count: 300, limit: 256)) {
        try encoder.embed(tokenIDs: [Array(repeating: 1000, count: 300)])
    }
    #expect(throws: EncoderError.noTokenizer) { try encoder.embed(["text"]) }
    #expect(encoder.truncated(Array(0..<300)) == Array(0..<255) + [299])
}

/// From text: SeqKit's WordPiece tokenizer gives the ids Hugging Face's gave (the long sentence truncated to 256),
/// and the vectors are sentence-transformers'.
@Test(.enabled(if: miniLMIsPresent, "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
func miniLMEmbedsTextAsSentenceTransformersDoes() throws {
    let encoder = try SentenceEncoder(folder: miniLM)
    let file = try SafeTensorsFile(contentsOf: fixtureURL("minilm_reference.safetensors"))
    struct Fixture: Decodable { var sentences: [String] }
    let sentences = try JSONDecoder().decode(Fixture.self, from: Data(file.metadata["fixture", default: ""].utf8))
        .sentences
    let (flat, lengths, expected) = (
        try file.ints("input_ids"), try file.ints("lengths"), try file.floats("embeddings")
    )
    var start = 0
    for (i, sentence) in sentences.enumerated() {
        let ids = encoder.truncated(try encoder.tokenizer!.encode(sentence))
        #expect(ids == Array(flat[start..<(start + lengths[i])]), "ids of sentence \(i)")
        start += lengths[i]
    }
    let vectors = try encoder.embed(sentences)
    for (i, v) in vectors.enumerated() {
        let worst = (0..<384).map { abs(v[$0] - expected[i * 384 + $0]) }.max()!
        #expect(worst < 1e-5, "sentence \(i): max difference \(worst)")
    }
}
