import Foundation
import Testing

@testable import SeqConfig

private struct Section: Decodable, Equatable {
    var learningRate = 1e-3
    var steps = 10
    enum CodingKeys: String, CodingKey, CaseIterable { case learningRate, steps }
    init() {}
    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? learningRate
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? steps
    }
}

private struct Root: Decodable {
    var training = Section()
    enum CodingKeys: String, CodingKey, CaseIterable { case training }
    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        training = try c.decodeIfPresent(Section.self, forKey: .training) ?? training
    }
}

@Test func missingKeysKeepDefaults() throws {
    let root = try decodeConfig(Root.self, from: Data(#"{"training": {"steps": 5}}"#.utf8), file: "c.json")
    #expect(root.training.steps == 5)
    #expect(root.training.learningRate == 1e-3)
}

@Test func unknownKeyNamesTheNearestValidKey() {
    #expect(throws: ConfigError.unknownKey(path: "training", key: "learningrate", suggestion: "learningRate")) {
        try decodeConfig(Root.self, from: Data(#"{"training": {"learningrate": 1}}"#.utf8), file: "c.json")
    }
    let error = ConfigError.unknownKey(path: "training", key: "learningrate", suggestion: "learningRate")
    #expect(error.description == "unknown config key 'training.learningrate'; did you mean 'learningRate'?")
}

@Test func farOffKeyHasNoSuggestion() {
    #expect(throws: ConfigError.unknownKey(path: "", key: "zzzzzzzzzz", suggestion: nil)) {
        try decodeConfig(Root.self, from: Data(#"{"zzzzzzzzzz": 1}"#.utf8), file: "c.json")
    }
}

@Test func wrongTypeAndBadJSONAreOneLineErrors() throws {
    do {
        _ = try decodeConfig(Root.self, from: Data(#"{"training": {"steps": "ten"}}"#.utf8), file: "c.json")
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.description.contains("'training.steps' should be a whole number"))
        #expect(!error.description.contains("\n"))
    }
    do {
        _ = try decodeConfig(Root.self, from: Data(#"{"training": "#.utf8), file: "c.json")
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.description.hasPrefix("c.json is not a valid config"))
        #expect(!error.description.contains("\n"))
    }
}

@Test(arguments: [("kitten", "sitting", 3), ("", "abc", 3), ("same", "same", 0), ("flaw", "lawn", 2)])
func editDistanceIsLevenshtein(a: String, b: String, expected: Int) {
    #expect(editDistance(Array(a.utf8), Array(b.utf8)) == expected)
}
