import Foundation
import SeqConfig
import Testing

@testable import SeqModels

private func decodeModel(_ json: String) throws -> ModelConfig {
    try decodeConfig(ModelConfig.self, from: Data(json.utf8), file: "model.json")
}

@Test func emptySectionGivesTheDocumentedDefaults() throws {
    let config = try decodeModel("{}")
    #expect(config == ModelConfig())
    #expect(config.kind == .transformer)
    #expect(config.vocabSize == 0)
    #expect(config.contextLength == 64)
    #expect(config.embeddingSize == 128)
    #expect(config.hiddenSize == 0)
    #expect(config.layers == 4)
    #expect(config.heads == 4)
    #expect(config.mlpRatio == 4)
    #expect(config.dropout == 0)
    #expect(config.bias)
    #expect(config.tieWeights)
    #expect(config.positional == .learned)
    #expect(config.nonlinearity == .tanh)
    #expect(config.causal)
    #expect(config.initStd == 0.02)
    try config.validate()
}

@Test func everyFieldIsReadFromJSON() throws {
    let config = try decodeModel(
        """
        {"kind": "gru", "vocabSize": 65, "contextLength": 50, "embeddingSize": 96, "hiddenSize": 96, "layers": 2,
         "heads": 3, "mlpRatio": 2, "dropout": 0.25, "bias": false, "tieWeights": false, "positional": "rotary",
         "nonlinearity": "relu", "causal": false, "initStd": 0.05}
        """)
    #expect(config.kind == .gru)
    #expect(config.vocabSize == 65)
    #expect(config.contextLength == 50)
    #expect(config.embeddingSize == 96)
    #expect(config.hiddenSize == 96)
    #expect(config.layers == 2)
    #expect(config.heads == 3)
    #expect(config.mlpRatio == 2)
    #expect(config.dropout == 0.25)
    #expect(!config.bias)
    #expect(!config.tieWeights)
    #expect(config.positional == .rotary)
    #expect(config.nonlinearity == .relu)
    #expect(!config.causal)
    #expect(config.initStd == 0.05)
}

@Test func encodingWritesEveryFieldAndRoundTrips() throws {
    var config = ModelConfig()
    config.kind = .lstm
    config.hiddenSize = 256
    config.tieWeights = false
    config.dropout = 0.1
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(config)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(Set(object.keys) == Set(ModelConfig.CodingKeys.allCases.map(\.stringValue)))
    #expect(object["kind"] as? String == "lstm")
    #expect(try decodeConfig(ModelConfig.self, from: data, file: "m.json") == config)
}

@Test(arguments: [
    (#"{"layer": 2}"#, "layer", "layers"),
    (#"{"head": 2}"#, "head", "heads"),
    (#"{"tieweights": true}"#, "tieweights", "tieWeights"),
    (#"{"contextLen": 32}"#, "contextLen", "contextLength"),
])
func unknownKeySuggestsTheNearest(json: String, key: String, suggestion: String) {
    #expect(throws: ConfigError.unknownKey(path: "", key: key, suggestion: suggestion)) { try decodeModel(json) }
}

@Test(
    arguments: [
        (#"{"kind": "LSTM"}"#, "kind", "rnn, lstm, gru, transformer", "lstm"),
        (#"{"kind": "transfomer"}"#, "kind", "rnn, lstm, gru, transformer", "transformer"),
        (#"{"positional": "rope"}"#, "positional", "learned, sinusoidal, rotary, none", nil),
        (#"{"nonlinearity": "sigmoid"}"#, "nonlinearity", "tanh, relu", nil),
    ] as [(String, String, String, String?)])
func badChoiceListsTheValidOnes(json: String, key: String, choices: String, suggestion: String?) {
    do {
        _ = try decodeModel(json)
        Issue.record("expected an error for \(json)")
    } catch let ConfigError.invalidValue(errorKey, rule) {
        #expect(errorKey == key)
        #expect(rule.hasPrefix("must be one of \(choices); got '"))
        if let suggestion {
            #expect(rule.hasSuffix("(did you mean '\(suggestion)'?)"))
        } else {
            #expect(!rule.contains("did you mean"))
        }
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func wrongTypeIsAMalformedError() {
    do {
        _ = try decodeModel(#"{"layers": "four"}"#)
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("'layers' should be a whole number"))
    }
}

/// Each row: a JSON model section, the key the error must name, and a fragment of the rule.
@Test(arguments: [
    (#"{"vocabSize": -1}"#, "model.vocabSize", "must be 0"),
    (#"{"vocabSize": 1}"#, "model.vocabSize", "at least 2"),
    (#"{"contextLength": 0}"#, "model.contextLength", "at least 1"),
    (#"{"embeddingSize": 0}"#, "model.embeddingSize", "at least 1"),
    (#"{"hiddenSize": -4}"#, "model.hiddenSize", "must be 0"),
    (#"{"layers": 0}"#, "model.layers", "at least 1"),
    (#"{"heads": 0}"#, "model.heads", "at least 1"),
    (#"{"heads": 3}"#, "model.heads", "must divide model.embeddingSize (128 % 3 = 2)"),
    (#"{"embeddingSize": 100, "heads": 8}"#, "model.heads", "pick heads from 1, 2, 4, 5, 10, 20, 25, 50, 100"),
    (#"{"mlpRatio": 0}"#, "model.mlpRatio", "at least 1"),
    (#"{"dropout": 1}"#, "model.dropout", "[0, 1)"),
    (#"{"dropout": -0.1}"#, "model.dropout", "[0, 1)"),
    (#"{"initStd": 0}"#, "model.initStd", "positive"),
    (#"{"positional": "rotary", "embeddingSize": 12, "heads": 4}"#, "model.positional", "even head size"),
    (
        #"{"kind": "lstm", "hiddenSize": 256}"#, "model.tieWeights",
        "set model.hiddenSize to 0 or 128, or tieWeights to false"
    ),
    (#"{"kind": "rnn", "layers": 0}"#, "model.layers", "at least 1"),
])
func validationNamesTheKeyAndTheRule(json: String, key: String, fragment: String) throws {
    let config = try decodeModel(json)
    do {
        try config.validate()
        Issue.record("expected \(json) to be rejected")
    } catch let ConfigError.invalidValue(errorKey, rule) {
        #expect(errorKey == key)
        #expect(rule.contains(fragment), "rule was: \(rule)")
    }
}

@Test(arguments: [
    #"{"kind": "lstm", "hiddenSize": 256, "tieWeights": false}"#,
    #"{"kind": "gru", "hiddenSize": 128}"#,
    #"{"kind": "rnn", "heads": 0, "mlpRatio": 0}"#,
    #"{"positional": "rotary", "embeddingSize": 96, "heads": 6}"#,
    #"{"heads": 128}"#,
    #"{"dropout": 0.999}"#,
])
func validConfigsPass(json: String) throws {
    try decodeModel(json).validate()
}

@Test func derivedSizes() throws {
    let lstm = try decodeModel(#"{"kind": "lstm", "embeddingSize": 64}"#)
    #expect(lstm.resolvedHiddenSize == 64)
    #expect(lstm.kind.isRecurrent)
    let gpt = try decodeModel(#"{"embeddingSize": 384, "heads": 6}"#)
    #expect(gpt.headSize == 64)
    #expect(!gpt.kind.isRecurrent)
}

@Test(arguments: [(12, [1, 2, 3, 4, 6, 12]), (1, [1]), (49, [1, 7, 49]), (0, [])])
func divisorsAreSorted(n: Int, expected: [Int]) {
    #expect(divisors(of: n) == expected)
}

/// Found by `make fuzz` (fuzz-config): the heads suggestion walked to √embeddingSize, 2·10⁹ steps here.
@Test func anAbsurdWidthIsRefusedWithoutWalkingItsDivisors() throws {
    #expect(divisors(of: 3_855_555_555_555_555_555) == [1, 3, 5, 11, 15, 33, 55, 113, 165])
    let config = try decodeModel(#"{"embeddingSize": 3855555555555555555}"#)
    #expect(throws: ConfigError.self) { try config.validate() }
}

@Test func vocabularyComesFromTheTokenizerOrMustHoldIt() throws {
    #expect(try ModelConfig().resolved(tokenizerVocabularySize: 65).vocabSize == 65)
    var padded = ModelConfig()
    padded.vocabSize = 50304
    #expect(try padded.resolved(tokenizerVocabularySize: 50257).vocabSize == 50304)
    var small = ModelConfig()
    small.vocabSize = 50
    do {
        _ = try small.resolved(tokenizerVocabularySize: 65)
        Issue.record("expected an error")
    } catch let ConfigError.invalidValue(key, rule) {
        #expect(key == "model.vocabSize")
        #expect(rule.contains("50 is smaller than the tokenizer's 65 tokens"))
    }
    #expect(throws: ConfigError.self) { try ModelConfig().resolved(tokenizerVocabularySize: 1) }
}
