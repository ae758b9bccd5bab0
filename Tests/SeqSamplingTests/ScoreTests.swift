import Foundation
import SeqModels
import SeqSampling
import Testing
import _SeqTestSupport

/// `−log softmax(logits[row])[target]` for each (row, target) of one window's full forward.
func losses(_ model: any LanguageModel, window: [Int], rows: [Int]) -> [Double] {
    let logits = fullLogits(model, window)
    return rows.map { -logSoftmax(logits[$0], window[$0 + 1]) }
}

@Test(arguments: tinyConfigs)
func scoreWithinOneWindowIsTheMeanPerPositionLoss(config: ModelConfig) throws {
    let model = try makeModel(config, seed: 31)
    let text = [3, 0, 6, 2, 2, 5]  // exactly the context length
    let expected = losses(model, window: text, rows: Array(0..<5))
    let mean = expected.reduce(0, +) / 5
    let result = try score(text, model: model)
    #expect(result.tokenCount == 5)
    #expect(abs(result.meanNLL - mean) < 1e-5)
    #expect(abs(result.perplexity - Foundation.exp(mean)) < 1e-4)
    #expect(abs(result.bitsPerCharacter(characters: 10) - mean * 5 / (Foundation.log(2) * 10)) < 1e-6)
}

@Test func transformerScoresLongTextsInOverlappingWindows() throws {
    let model = try makeModel(tinyConfig(.transformer), seed: 32)
    let text = [1, 4, 6, 0, 2, 2, 5, 3, 3, 1]  // 10 tokens, context 6
    // Window 6, stride 2: [0, 6) scores tokens 1...5, [2, 8) scores 6 and 7, [4, 10) scores 8 and 9.
    let expected =
        losses(model, window: Array(text[0..<6]), rows: [0, 1, 2, 3, 4])
        + losses(model, window: Array(text[2..<8]), rows: [3, 4])
        + losses(model, window: Array(text[4..<10]), rows: [3, 4])
    let result = try score(text, model: model, window: 6, stride: 2)
    #expect(result.tokenCount == 9)
    #expect(abs(result.meanNLL - expected.reduce(0, +) / 9) < 1e-5)
    // Stride 5 = window − 1: [0, 6) scores 1...5, [5, 10) scores 6...9 with the window's rows 0...3.
    let wide =
        losses(model, window: Array(text[0..<6]), rows: [0, 1, 2, 3, 4])
        + losses(model, window: Array(text[5..<10]), rows: [0, 1, 2, 3])
    #expect(abs(try score(text, model: model, window: 6, stride: 5).meanNLL - wide.reduce(0, +) / 9) < 1e-5)
}

@Test(arguments: [tinyConfig(.lstm), tinyConfig(.gru), tinyConfig(.rnn)])
func recurrentScoringCarriesStateAcrossWindows(config: ModelConfig) throws {
    // Carried state is exact, so windows of 4 give the loss of one forward over the whole text.
    let model = try makeModel(config, seed: 33)
    let text = [1, 4, 6, 0, 2, 2, 5, 3, 3, 1, 0, 6, 6]
    let expected = losses(model, window: text, rows: Array(0..<12))
    let result = try score(text, model: model, window: 4)
    #expect(result.tokenCount == 12)
    #expect(abs(result.meanNLL - expected.reduce(0, +) / 12) < 1e-5)
}

@Test func badScoringInputIsAnError() throws {
    let model = try makeModel(tinyConfig(.transformer), seed: 34)
    #expect(throws: SamplingError.textTooShort(count: 1)) { try score([1], model: model) }
    #expect(throws: SamplingError.tokenOutOfRange(input: "scored", index: 2, token: -1, vocabSize: 7)) {
        try score([1, 2, -1], model: model)
    }
    #expect(throws: SamplingError.self) { try score([1, 2, 3], model: model, window: 7) }  // past the context
    #expect(throws: SamplingError.self) { try score([1, 2, 3], model: model, window: 6, stride: 6) }
}
