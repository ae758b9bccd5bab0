import Foundation
import Testing

/// Sizes in a config that used to trap or allocate until the system killed the process: each is one line on
/// stderr, a non-zero exit and no signal, within seconds.
@Suite struct ConfigSizeCLITests {
    @Test(arguments: [
        ["--set", "model.embeddingSize=4611686018427387904", "--set", "model.heads=1"],
        ["--set", "training.batchSize=100000000"],
        ["--set", "training.batchSize=4611686018427387904"],
        ["--set", "model.mlpRatio=4611686018427387904"],
        ["--set", "model.layers=10000000"],
        ["--set", "tokenizer.kind=\"bpe\"", "--set", "tokenizer.vocabularySize=1000000000"],
    ])
    func oversizedConfigIsOneLineRefusal(flags: [String]) throws {
        let folder = try makeWorkspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        for dryRun in [true, false] {
            let start = Date()
            let result = try runTool(
                "seqtrain", ["--config", "tiny.json"] + flags + (dryRun ? ["--dry-run"] : []), in: folder)
            #expect(result.reason == .exit, "killed by signal \(result.status)")
            #expect(result.status != 0 && ![132, 133, 134, 137].contains(result.status))
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("the config needs"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("is available; lower "), "stderr: \(result.stderr)")
            #expect(Date().timeIntervalSince(start) < 20)
        }
        // Nothing was started: no run folder.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/tiny").path))
    }

    @Test func configSyntaxMistakeAndDuplicateKeyNameLineAndColumn() throws {
        let folder = try makeWorkspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "{\n  \"model\": {\"layers\": 2,\n             \"layers\": 8}\n}\n".write(
            to: folder.appendingPathComponent("dup.json"), atomically: true, encoding: .utf8)
        let dup = try runTool("seqtrain", ["--config", "dup.json", "--dry-run"], in: folder)
        #expect(dup.status == 1)
        #expect(
            dup.stderr
                == "seqtrain: error: dup.json:3:14: 'model.layers' appears twice in the same object; keep one of them\n"
        )
        let list = try runTool("seqtrain", ["--config", "tiny.json", "--set", "data.corpus=x.txt"], in: folder)
        #expect(list.status == 1)
        #expect(list.stderr.contains(#"data.corpus takes a list; write --set 'data.corpus=["x.txt"]'"#))
        let lr = try runTool("seqtrain", ["--config", "tiny.json", "--set", "optimizer.lr=3e-4"], in: folder)
        #expect(lr.stderr.contains("did you mean 'learningRate'?"))
    }
}

/// The token cache lives outside the corpus folder, and a cache that cannot be written does not stop a run.
@Suite struct TokenCacheCLITests {
    @Test func readOnlyCorpusFolderTrainsAndTheCacheGoesToCacheDir() throws {
        let folder = try makeWorkspace(steps: 10, corpus: "texts/corpus.txt")
        defer {
            try? FileManager.default.setAttributes(
                [.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent("texts").path)
            try? FileManager.default.removeItem(at: folder)
        }
        let texts = folder.appendingPathComponent("texts")
        try FileManager.default.createDirectory(at: texts, withIntermediateDirectories: true)
        try FileManager.default.moveItem(
            at: folder.appendingPathComponent("corpus.txt"), to: texts.appendingPathComponent("corpus.txt"))
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: texts.path)
        let result = try runTool("seqtrain", ["--config", "tiny.json", "--set", "data.cacheDir=cache"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: texts.path) == ["corpus.txt"])
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("cache").path)
        #expect(cached.count == 1 && cached[0].hasSuffix(".tokens"))
    }

    @Test func unwritableCacheIsOneWarningNotAFailure() throws {
        let folder = try makeWorkspace(steps: 10)
        defer { try? FileManager.default.removeItem(at: folder) }
        // /proc refuses new folders even to root, where chmod would not stop a write.
        let result = try runTool(
            "seqtrain", ["--config", "tiny.json", "--set", "data.cacheDir=/proc/seqkit"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("token cache") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.hasPrefix("warning: cannot write the token cache /proc/seqkit/") == true)
    }
}
