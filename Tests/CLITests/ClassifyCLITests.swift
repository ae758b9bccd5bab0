import Foundation
import Testing
import _SeqTestSupport

/// seqtrain with a `"task": "classify"` config and seqsample --classify, as a user runs them.
@Suite(.serialized) struct ClassifyCLITests {
    /// Two kinds of sentence, told apart by their words: weather or food, 40 of each, in JSONL.
    static func writeData(in folder: URL) throws {
        let weather = ["rain", "wind", "snow", "storm", "cloud", "fog", "thunder", "frost"]
        let food = ["bread", "soup", "apple", "cheese", "cake", "rice", "bean", "egg"]
        var rows: [String] = []
        for i in 0..<80 {
            let words = i % 2 == 0 ? weather : food
            let text = "the \(words[i % 8]) and the \(words[(i / 2 + 3) % 8]) came at \(i % 7) o'clock"
            let object = ["text": text, "label": i % 2 == 0 ? "weather" : "food"]
            let line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            rows.append(String(decoding: line, as: UTF8.self))
        }
        try (rows.prefix(64).joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try (rows.suffix(16).joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("test.jsonl"), atomically: true, encoding: .utf8)
        let config = """
            { "task": "classify",
              "data": { "train": "train.jsonl", "test": "test.jsonl", "validationFraction": 0.125, "maxTokens": 12 },
              "tokenizer": { "kind": "char", "normalization": [] },
              "trunk": { "kind": "gru", "embeddingSize": 8, "hiddenSize": 8 },
              "head": { "pooling": "max", "dropout": 0 },
              "optimizer": { "kind": "adam", "learningRate": 0.02, "weightDecay": 0 },
              "training": { "epochs": 12, "batchSize": 8, "patience": 0 },
              "run": { "out": "runs/topics", "seed": 3 } }
            """
        try config.write(to: folder.appendingPathComponent("topics.json"), atomically: true, encoding: .utf8)
    }

    @Test func seqtrainTrainsAClassifierAndSeqsampleClassifies() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeData(in: folder)
        let trained = try runTool("seqtrain", ["--config", "topics.json"], in: folder)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(
            trained.stdout.contains("classes: food, weather | train 56 | validation 8 | test 16"), "\(trained.stdout)")
        #expect(trained.stdout.contains("epoch 12/12 | loss"))
        let accuracyLine = try #require(trained.stdout.split(separator: "\n").first { $0.hasPrefix("test: 16 texts") })
        let accuracy = try #require(Double(accuracyLine.split(separator: " ").last!))
        #expect(accuracy >= 0.75, "\(trained.stdout)")
        #expect(trained.stdout.contains("confusion (rows: true label, columns: predicted)"))
        let run = folder.appendingPathComponent("runs/topics")
        for name in [
            "classifier.json", "tokenizer.json", "metrics.json", "config.json", "model/model.json",
            "model/model.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
        }

        let classified = try runTool(
            "seqsample", ["--checkpoint", "runs/topics", "--classify", "the snow and the wind came at 2 o'clock"],
            in: folder)
        #expect(classified.status == 0, "\(classified.stderr)")
        let lines = classified.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasSuffix("  weather"), "\(classified.stdout)")
        let total = lines.compactMap { Double($0.split(separator: " ")[0]) }.reduce(0, +)
        #expect(abs(total - 1) < 1e-3)

        // A second run does not replace the first without --overwrite, and leaves it whole.
        let before = try Data(contentsOf: run.appendingPathComponent("model/model.safetensors"))
        let again = try runTool("seqtrain", ["--config", "topics.json"], in: folder)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already holds a run") && again.stderr.contains("--overwrite"), "\(again.stderr)")
        #expect(again.stderr.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: run.appendingPathComponent("model/model.safetensors")) == before)
        let generate = try runTool("seqsample", ["--checkpoint", "runs/topics", "--prompt", "x"], in: folder)
        #expect(generate.status != 0 && generate.stderr.contains("--classify"), "\(generate.stderr)")
    }

    @Test func aClassifierStartsFromASeqtrainRunWithInitFrom() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeData(in: folder)
        // A small causal LSTM language model of the same texts, then the classifier on its trunk.
        let corpus = try String(contentsOf: folder.appendingPathComponent("train.jsonl"), encoding: .utf8)
        try corpus.write(to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let lm = """
            { "model": { "kind": "lstm", "contextLength": 16, "embeddingSize": 16, "hiddenSize": 16, "layers": 1 },
              "tokenizer": { "kind": "char" }, "data": { "corpus": ["corpus.txt"] },
              "training": { "batchSize": 4, "maxSteps": 20, "evalInterval": 10, "evalWindows": 2, "logInterval": 10 },
              "run": { "out": "runs/lm", "tensorboard": false } }
            """
        try lm.write(to: folder.appendingPathComponent("lm.json"), atomically: true, encoding: .utf8)
        let pretrained = try runTool("seqtrain", ["--config", "lm.json", "--quiet"], in: folder)
        #expect(pretrained.status == 0, "\(pretrained.stderr)")
        let tuned = try runTool(
            "seqtrain", ["--config", "topics.json", "--init-from", "runs/lm", "--out", "runs/tuned"], in: folder)
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stdout.contains("encoder (PretrainedEncoder)"), "\(tuned.stdout)")
        #expect(tuned.stdout.contains("test: 16 texts | accuracy"))
        let classified = try runTool(
            "seqsample", ["--checkpoint", "runs/tuned", "--classify", "bread and soup", "--json"], in: folder)
        #expect(classified.status == 0, "\(classified.stderr)")
        #expect(classified.stdout.contains("\"probabilities\":{\"food\":"), "\(classified.stdout)")
    }

    @Test func classifyConfigMistakesAreOneLine() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeData(in: folder)
        let cases: [(String, String)] = [
            (#"{"task": "classify", "data": {"train": "train.jsonl"}, "trunk": {"kidn": "lstm"}}"#, "kind"),
            (#"{"task": "classify", "data": {"train": "missing.jsonl"}}"#, "missing.jsonl"),
            (#"{"task": "classify", "data": {"train": "train.jsonl"}, "trunk": {"kind": "pretrained"}}"#, "trunk.path"),
            (#"{"task": "classify", "data": {"train": "bad.jsonl"}}"#, "bad.jsonl:2"),
        ]
        try "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": 3}\n".write(
            to: folder.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        for (json, named) in cases {
            try json.write(to: folder.appendingPathComponent("c.json"), atomically: true, encoding: .utf8)
            let result = try runTool("seqtrain", ["--config", "c.json", "--out", "runs/c"], in: folder)
            #expect(result.status != 0 && result.reason == .exit, "\(json)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(named), "\(json): \(result.stderr)")
        }
    }
}
