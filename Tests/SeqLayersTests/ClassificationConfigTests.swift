import Foundation
import SeqConfig
import SeqLayers
import Testing

/// The repository's `Configs/` folder, found from this file's path.
private let configsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Configs")

@Test(arguments: ["shakespeare-genres.json", "shakespeare-genres-minilm.json"])
func shippedClassifyConfigsLoad(name: String) throws {
    let url = configsFolder.appendingPathComponent(name)
    #expect(ClassificationConfig.isClassification(try Data(contentsOf: url)))
    let config = try ClassificationConfig.load(from: url)
    let genres = configsFolder.deletingLastPathComponent().appendingPathComponent("Corpora/shakespeare-genres")
    #expect(config.data.train == genres.appendingPathComponent("train.jsonl").standardizedFileURL.path)
    #expect(config.data.test == genres.appendingPathComponent("test.jsonl").standardizedFileURL.path)
    #expect(config.run.out == "runs/" + name.replacingOccurrences(of: ".json", with: ""))
}

@Test func everyClassifyKeyIsDocumented() throws {
    let text = try String(contentsOf: configsFolder.appendingPathComponent("CLASSIFY.md"), encoding: .utf8)
    let sections: [(String, [String])] = [
        ("data", ClassificationConfig.DataSection.CodingKeys.allCases.map(\.rawValue)),
        ("trunk", ClassificationConfig.TrunkSection.CodingKeys.allCases.map(\.rawValue)),
        ("head", ClassificationConfig.HeadSection.CodingKeys.allCases.map(\.rawValue)),
        ("training", ClassificationConfig.TrainingSection.CodingKeys.allCases.map(\.rawValue)),
        ("run", ClassificationConfig.RunSection.CodingKeys.allCases.map(\.rawValue)),
    ]
    for (section, keys) in sections {
        for key in keys { #expect(text.contains("`\(section).\(key)`"), "\(section).\(key) is not in CLASSIFY.md") }
    }
}

@Test func unknownAndBadKeysAreNamed() throws {
    func message(_ json: String) -> String {
        do {
            _ = try decodeConfig(ClassificationConfig.self, from: Data(json.utf8), file: "c.json").validate()
        } catch { return "\(error)" }
        return "no error"
    }
    #expect(message(#"{"task": "classify", "data": {"train": "t", "maxTokes": 3}}"#).contains("maxTokens"))
    #expect(message(#"{"task": "classify", "data": {"train": "t", "maxTokens": 0}}"#).contains("data.maxTokens"))
    #expect(message(#"{"task": "classify", "data": {"train": "t"}, "head": {"dropout": 1}}"#).contains("head.dropout"))
    #expect(
        message(#"{"task": "classify", "data": {"train": "t"}, "trunk": {"kind": "transformer", "heads": 5}}"#)
            .contains("trunk.heads"))
}
