import Foundation
import SeqKit
import Testing

// This file imports SeqKit alone: the umbrella must bring the tokenizers, models, training, sampling and
// encoders with it.
@Test func oneImportGivesTheWholeToolkit() throws {
    let tokenizer = try trainTokenizer(TokenizerOptions(kind: .char), corpus: Array("abc abc cab".utf8))
    var config = ModelConfig()
    (config.vocabSize, config.embeddingSize, config.layers, config.heads) = (tokenizer.vocabularySize, 8, 1, 2)
    let model = try makeModel(config, seed: 1)
    let encoder = try TextEncoder(trunk: model, tokenizer: tokenizer)
    #expect(try encoder.embed("abc").count == 8)
    var options = GenerationOptions()
    options.maxTokens = 3
    #expect(try Generator(model: model).generate(prompt: [0], options: options).samples[0].tokens.count == 3)
    #expect(TrainingConfig().model == ModelConfig())
}
