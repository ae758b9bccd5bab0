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
        #expect(error.description == "c.json:1:14: the file ends where a value should be")
        #expect(!error.description.contains("\n"))
    }
}

@Test(arguments: [("kitten", "sitting", 3), ("", "abc", 3), ("same", "same", 0), ("flaw", "lawn", 2)])
func editDistanceIsLevenshtein(a: String, b: String, expected: Int) {
    #expect(editDistance(Array(a.utf8), Array(b.utf8)) == expected)
}

@Test(arguments: [
    (
        #"{"training": {"steps": 1, "steps": 2}}"#, 1, 27,
        "'training.steps' appears twice in the same object; keep one of them"
    ),
    (#"{"a": {"b": 1}, "a": {"b": 2}}"#, 1, 17, "'a' appears twice in the same object; keep one of them"),
    ("{\n  \"training\": {\n    \"steps\": 5,\n  }\n}", 4, 3, "trailing comma before '}'; remove the comma"),
    ("[1, 2,]", 1, 7, "trailing comma before ']'; remove the comma"),
    ("{\"training\": {\"steps\": 5} // five\n}", 1, 27, "comments are not allowed in JSON; remove them"),
    ("{'training': {}}", 1, 2, "strings and keys need double quotes, not single quotes"),
    (
        "{\"training\": {\"steps\": 5 \"learningRate\": 1}}", 1, 26,
        "expected ',' or '}' after the value of 'training.steps', found '\"'"
    ),
    (
        "{\"é\": NaN}", 1, 7,
        "expected a value (a string, number, object, list, true, false or null); text needs double quotes (NaN and Infinity are not JSON)"
    ),
    ("{\"training\": {\"steps\": 07}}", 1, 24, "a number cannot start with 0 (write 7, not 07)"),
    ("{} {}", 1, 4, "unexpected text after the end of the top-level value; remove it"),
    ("", 1, 1, "the file is empty; a config is an object such as {}"),
    ("\u{FEFF}{\"training\": {\"steps\": 1,}}", 1, 26, "trailing comma before '}'; remove the comma"),
])
func syntaxMistakesGiveFileLineAndColumn(json: String, line: Int, column: Int, problem: String) {
    #expect(throws: ConfigError.syntax(file: "c.json", line: line, column: column, problem: problem)) {
        try decodeConfig(Root.self, from: Data(json.utf8), file: "c.json")
    }
    #expect(
        ConfigError.syntax(file: "c.json", line: line, column: column, problem: problem).description
            == "c.json:\(line):\(column): \(problem)")
}

@Test func deepNestingIsRefusedNotACrash() {
    let json = String(repeating: "[", count: 100_000)
    #expect(throws: ConfigError.self) { try decodeConfig(Root.self, from: Data(json.utf8), file: "c.json") }
}

@Test func byteOrderMarkNullAndEscapedKeysAreAccepted() throws {
    let bom = try decodeConfig(Root.self, from: Data("\u{FEFF}{\"training\": {\"steps\": 5}}".utf8), file: "c.json")
    #expect(bom.training.steps == 5)
    // null means "keep the default", as a missing key does.
    let null = try decodeConfig(Root.self, from: Data(#"{"training": {"steps": null}}"#.utf8), file: "c.json")
    #expect(null.training.steps == 10)
    let escaped = try decodeConfig(Root.self, from: Data(#"{"training": {"st\u0065ps": 4}}"#.utf8), file: "c.json")
    #expect(escaped.training.steps == 4)
    // An escaped spelling of the same key is still the same key.
    #expect(throws: ConfigError.self) {
        try decodeConfig(Root.self, from: Data(#"{"training": {"steps": 1, "st\u0065ps": 4}}"#.utf8), file: "c.json")
    }
}

@Test func wrongTypesAreNamedInWordsNotSwiftTypes() {
    struct Lists: Decodable { var names: [String] }
    do {
        _ = try decodeConfig(Lists.self, from: Data(#"{"names": "a"}"#.utf8), file: "c.json")
        Issue.record("expected an error")
    } catch {
        #expect(error as? ConfigError == .wrongType(file: "c.json", key: "names", expected: "a list"))
        #expect(!"\(error)".contains("Array"))
    }
}

@Test func otherNumericTypesAreNamedInWords() {
    struct Seeded: Decodable { var seed: UInt64; var scale: Float; var table: [String: Int] }
    #expect(throws: ConfigError.wrongType(file: "c.json", key: "seed", expected: "a whole number")) {
        try decodeConfig(Seeded.self, from: Data(#"{"seed": "x", "scale": 1, "table": {}}"#.utf8), file: "c.json")
    }
    #expect(throws: ConfigError.wrongType(file: "c.json", key: "table", expected: "an object { ... }")) {
        try decodeConfig(Seeded.self, from: Data(#"{"seed": 1, "scale": 1, "table": []}"#.utf8), file: "c.json")
    }
}

@Test(arguments: [("lr", "learningRate"), ("learn", "learningRate"), ("steps", "steps"), ("q", nil)])
func abbreviationsSuggestTheKeyTheyShorten(key: String, expected: String?) {
    #expect(nearestKey(to: key, in: ["learningRate", "steps", "seed"]) == expected)
}
