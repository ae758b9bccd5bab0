import Foundation
import SeqModels
import Testing

@testable import SeqTraining

/// The repository's `Configs/` folder, found from this file's path.
private let configsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Configs")

/// The next-token configs (a `"task": "classify"` config is SeqLayers' and tested there).
private func configFiles() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: configsFolder.path)) ?? []
    return names.filter { name in
        guard name.hasSuffix(".json"),
            let data = FileManager.default.contents(atPath: configsFolder.appendingPathComponent(name).path),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return root["task"] == nil
    }.sorted()
}

@Test func theShippedConfigsAreThere() {
    let names = Set(configFiles())
    for expected in [
        "tiny-gpt.json", "char-lstm.json", "char-rnn.json", "char-gru.json", "bpe-gpt.json", "gpt-10m.json",
    ] {
        #expect(names.contains(expected), "Configs/\(expected) is missing")
    }
}

@Test(arguments: configFiles())
func everyShippedConfigDecodesAndValidates(name: String) throws {
    let config = try TrainingConfig.load(from: configsFolder.appendingPathComponent(name))
    #expect(config.run.out == "runs/\(name.replacingOccurrences(of: ".json", with: ""))")
    // Relative to the config's folder, whatever the working directory.
    let corpus = configsFolder.deletingLastPathComponent().appendingPathComponent("Corpora/shakespeare.txt")
    #expect(config.data.corpus == [corpus.standardizedFileURL.path])
    // No shipped config fixes the decay: it follows --max-steps.
    #expect(config.schedule.decaySteps == 0)
}

@Test func tinyGPTIsNanoGPTsCPUConfig() throws {
    let config = try TrainingConfig.load(from: configsFolder.appendingPathComponent("tiny-gpt.json"))
    #expect(config.model.kind == .transformer)
    #expect(config.model.layers == 4 && config.model.heads == 4 && config.model.embeddingSize == 128)
    #expect(config.model.contextLength == 64)
    #expect(config.model.dropout == 0 && !config.model.bias && config.model.tieWeights)
    #expect(config.training.batchSize == 12 && config.training.maxSteps == 2000)
    #expect(config.optimizer.kind == .adamw && config.optimizer.learningRate == 1e-3)
    #expect(config.optimizer.beta2 == 0.99 && config.optimizer.weightDecay == 0.1)
    #expect(config.schedule.kind == .cosine && config.schedule.warmupSteps == 100)
    #expect(config.schedule.minLearningRate == 1e-4)
    #expect(config.training.clipNorm == 1.0)
    #expect(config.training.evalInterval == 250 && config.training.evalWindows == 200)
}

@Test func recurrentConfigsShareCharRNNsShape() throws {
    for (name, kind) in [("char-lstm.json", ModelKind.lstm), ("char-rnn.json", .rnn), ("char-gru.json", .gru)] {
        let config = try TrainingConfig.load(from: configsFolder.appendingPathComponent(name))
        #expect(config.model.kind == kind)
        #expect(config.model.layers == 2 && config.model.resolvedHiddenSize == 128)
        #expect(config.model.embeddingSize == 128 && config.model.contextLength == 50)
        #expect(config.training.batchSize == 50 && config.training.clipNorm == 5)
        #expect(config.optimizer.learningRate == 2e-3 && config.schedule.minLearningRate == 2e-4)
        #expect(config.schedule.resolvedDecaySteps(maxSteps: config.training.maxSteps) == 2000)
    }
}

@Test func gpt10mHasItsSizes() throws {
    let config = try TrainingConfig.load(from: configsFolder.appendingPathComponent("gpt-10m.json"))
    #expect(config.model.layers == 6 && config.model.heads == 6 && config.model.embeddingSize == 384)
    #expect(config.model.contextLength == 256 && config.model.dropout == 0.2)
    #expect(config.training.batchSize == 16 && config.training.maxSteps == 5000)
}

/// `Configs/README.md` documents every key with its default; this keeps it in step with the code.
@Test func readmeTablesMatchTheKeysAndDefaults() throws {
    let readme = try String(contentsOf: configsFolder.appendingPathComponent("README.md"), encoding: .utf8)
    var documented: [String: [String: String]] = [:]
    var section: String?
    for line in readme.split(separator: "\n") {
        if line.hasPrefix("### `") { section = line.split(separator: "`").dropFirst().first.map(String.init) }
        guard let section, line.hasPrefix("| `") else { continue }
        // `\|` is a literal bar inside a cell (markdown's escape).
        let cells = line.replacingOccurrences(of: "\\|", with: "\u{0}").split(separator: "|").map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{0}", with: "|")
        }
        let key = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        documented[section, default: [:]][key] = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
    }
    let resolved = try #require(
        try JSONSerialization.jsonObject(with: Data(TrainingConfig().resolvedJSON().utf8)) as? [String: Any])
    func canonical(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
    }
    #expect(Set(documented.keys) == Set(resolved.keys))
    for (name, value) in resolved {
        let fields = try #require(value as? [String: Any])
        let rows = documented[name] ?? [:]
        #expect(Set(rows.keys) == Set(fields.keys), "section \(name)")
        for (key, actual) in fields {
            guard let text = rows[key] else { continue }
            let literal = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(try canonical(literal) == canonical(actual), "\(name).\(key): README says \(text)")
        }
    }
}
