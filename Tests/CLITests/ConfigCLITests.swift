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
