import Foundation
import SeqTraining
import Testing

@Suite(.serialized) struct SeqTrainCLITests {
    @Test func lossFallsAndTheRunIsRecorded() throws {
        let folder = try makeWorkspace(steps: 60)
        let result = try runTool("seqtrain", ["--config", "tiny.json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let records = try metrics(folder)
        let losses = records.compactMap { $0["loss"] as? Double }
        let first = try #require(losses.first)
        let last = try #require(losses.last)
        #expect(last < first * 0.75, "training loss \(first) → \(last)")
        let validation = records.compactMap { $0["valLoss"] as? Double }
        #expect(validation.count == 3)
        #expect(validation.last! < validation.first!)
        for file in ["latest/model.safetensors", "best/manifest.json", "loss.svg", "config.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/tiny/\(file)").path))
        }
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest)
        #expect(trained.state.step == 60)
        #expect(result.stdout.contains("validation loss"))
    }

    @Test(arguments: ["transformer", "lstm"])
    func resumedRunIsBitIdenticalToAnUninterruptedOne(kind: String) throws {
        let folder = try makeWorkspace(kind: kind, steps: 40)
        let whole = try runTool("seqtrain", ["--config", "tiny.json", "--out", "runs/whole"], in: folder)
        #expect(whole.status == 0, "\(whole.stderr)")
        let half = try runTool(
            "seqtrain", ["--config", "tiny.json", "--out", "runs/split", "--max-steps", "20"], in: folder)
        #expect(half.status == 0, "\(half.stderr)")
        let rest = try runTool("seqtrain", ["--resume", "runs/split", "--max-steps", "40"], in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("resumed"))
        for file in ["model.safetensors", "optimizer.safetensors", "state.json"] {
            let a = try Data(contentsOf: folder.appendingPathComponent("runs/whole/latest/\(file)"))
            let b = try Data(contentsOf: folder.appendingPathComponent("runs/split/latest/\(file)"))
            if file == "state.json" {
                // Everything but the wall-clock time.
                let sa = try JSONDecoder().decode(Checkpoint.State.self, from: a)
                let sb = try JSONDecoder().decode(Checkpoint.State.self, from: b)
                #expect(sa.step == sb.step && sa.rngStates == sb.rngStates && sa.dataPosition == sb.dataPosition)
                #expect(sa.bestValidationLoss == sb.bestValidationLoss)
            } else {
                #expect(a == b, "\(kind): \(file) differs after resuming")
            }
        }
    }

    @Test func earlyStoppingCountsPatienceAcrossAResume() throws {
        // A learning rate far below a Float32 step of the weights: the validation loss never improves, so
        // patience 2 with an evaluation every 5 steps stops at step 15, whether or not the run was resumed at 10.
        let folder = try makeWorkspace(steps: 100, extra: #", "patience": 2, "evalInterval": 5"#)
        let url = folder.appendingPathComponent("tiny.json")
        let config = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: #""learningRate": 0.01"#, with: #""learningRate": 1e-12"#)
            .replacingOccurrences(
                of: #""kind": "cosine", "warmupSteps": 5, "minLearningRate": 0.001, "decaySteps": 100"#,
                with: #""kind": "constant", "warmupSteps": 0, "minLearningRate": 0"#)
        try config.write(to: url, atomically: true, encoding: .utf8)
        let whole = try runTool("seqtrain", ["--config", "tiny.json", "--out", "runs/whole"], in: folder)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("early stop at step 15"), "\(whole.stdout)")
        let half = try runTool(
            "seqtrain", ["--config", "tiny.json", "--out", "runs/split", "--max-steps", "10"], in: folder)
        #expect(half.status == 0, "\(half.stderr)")
        let rest = try runTool("seqtrain", ["--resume", "runs/split", "--max-steps", "100"], in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("early stop at step 15"), "\(rest.stdout)")
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/split"), prefer: .latest)
        #expect(trained.state.step == 15 && trained.state.evaluationsWithoutImprovement == 2)
    }

    @Test func interruptSavesALoadableCheckpointAndExitsZero() throws {
        let folder = try makeWorkspace(steps: 100_000, extra: #", "checkpointInterval": 100000"#)
        let process = try makeProcess("seqtrain", ["--config", "tiny.json"], in: folder)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let metricsFile = folder.appendingPathComponent("runs/tiny/metrics.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && (try? Data(contentsOf: metricsFile).count) ?? 0 == 0 { usleep(50_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest)
        #expect(trained.state.step >= 10)
    }

    @Test func killedDuringSavesLeavesTheLastCheckpointLoadable() throws {
        // A checkpoint every step, killed at several moments: each time latest/ must verify and load.
        let folder = try makeWorkspace(steps: 100_000, extra: #", "checkpointInterval": 1, "evalInterval": 100000"#)
        var steps: [Int] = []
        for delay in [400_000, 650_000, 900_000] as [useconds_t] {
            let arguments =
                steps.isEmpty
                ? ["--config", "tiny.json"] : ["--resume", "runs/tiny", "--max-steps", "100000"]
            let process = try makeProcess("seqtrain", arguments, in: folder)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let latest = folder.appendingPathComponent("runs/tiny/latest/manifest.json")
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline && !FileManager.default.fileExists(atPath: latest.path) { usleep(20_000) }
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest)
            steps.append(trained.state.step)
        }
        #expect(steps == steps.sorted() && steps.first! > 0)
    }

    @Test func lossThatBecomesNaNStopsWithAMessageAndKeepsTheCheckpoint() throws {
        let folder = try makeWorkspace(steps: 200, extra: #", "checkpointInterval": 1, "clipNorm": 0"#)
        let result = try runTool(
            "seqtrain",
            ["--config", "tiny.json", "--set", "optimizer.learningRate=1e30", "--set", "optimizer.kind=sgd"],
            in: folder)
        #expect(result.status != 0)
        #expect(result.stderr.contains("NaN or infinite"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        _ = try Checkpoint.verify(folder.appendingPathComponent("runs/tiny/latest"))
    }

    @Test func dryRunPrintsTheSummaryAndEstimatesWithoutTraining() throws {
        let folder = try makeWorkspace()
        let result = try runTool("seqtrain", ["--config", "tiny.json", "--dry-run"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("total parameters"))
        #expect(result.stdout.contains("estimate:"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/tiny/latest").path))
    }

    @Test func initFromStartsANewRunFromTrainedWeights() throws {
        let folder = try makeWorkspace(steps: 20)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        let result = try runTool(
            "seqtrain", ["--config", "tiny.json", "--init-from", "runs/tiny", "--out", "runs/tuned"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("initialised the weights from"))
        let base = try metrics(folder).compactMap { $0["valLoss"] as? Double }.last!
        let tuned = try metrics(folder, run: "runs/tuned").compactMap { $0["valLoss"] as? Double }.first!
        #expect(tuned < base + 0.5)  // starts where the first run ended, not from scratch
    }
}

/// Every user mistake: one line on stderr that names the problem, a non-zero exit, no crash.
@Suite struct SeqTrainErrorTests {
    nonisolated(unsafe) static let cases:
        [(name: String, setup: (URL) throws -> Void, arguments: [String], expected: String)] = [
            (
                "malformed JSON",
                {
                    try "{ \"model\": ".write(
                        to: $0.appendingPathComponent("tiny.json"), atomically: true, encoding: .utf8)
                },
                ["--config", "tiny.json"], "tiny.json:1:12: the file ends where a value should be"
            ),
            (
                "unknown key", { _ in }, ["--config", "tiny.json", "--set", "training.batchsize=4"],
                "did you mean 'batchSize'"
            ),
            (
                "negative learning rate", { _ in }, ["--config", "tiny.json", "--set", "optimizer.learningRate=-1"],
                "optimizer.learningRate"
            ),
            (
                "heads do not divide the width", { _ in }, ["--config", "tiny.json", "--set", "model.heads=3"],
                "model.heads"
            ),
            (
                "context longer than the corpus", { _ in },
                ["--config", "tiny.json", "--set", "model.contextLength=5000"],
                "model.contextLength"
            ),
            ("missing config", { _ in }, ["--config", "nope.json"], "nope.json"),
            (
                "missing corpus", { _ in }, ["--config", "tiny.json", "--set", #"data.corpus=["missing.txt"]"#],
                "missing.txt does not exist"
            ),
            (
                "empty corpus", { try Data().write(to: $0.appendingPathComponent("empty.txt")) },
                ["--config", "tiny.json", "--set", #"data.corpus=["empty.txt"]"#], "holds no text"
            ),
            (
                "invalid UTF-8",
                {
                    try Data("hello \u{e9}".utf8.dropLast() + [0xFF, 0x41]).write(
                        to: $0.appendingPathComponent("bad.txt"))
                },
                ["--config", "tiny.json", "--set", #"data.corpus=["bad.txt"]"#], "offset"
            ),
            ("resume from nothing", { _ in }, ["--resume", "runs/none"], "does not exist"),
            (
                "a flag value that is not a number", { _ in }, ["--config", "tiny.json", "--max-steps", "many"],
                "'many' is not a valid value for --max-steps"
            ),
            ("an abbreviated flag", { _ in }, ["--config", "tiny.json", "--max", "5"], "did you mean '--max-steps'?"),
            (
                "a thread count no machine has", { _ in }, ["--config", "tiny.json", "--threads", "100000"],
                "--threads must be in 0...1024"
            ),
            (
                "a thread count no machine has, in the config", { _ in },
                ["--config", "tiny.json", "--set", "run.threads=100000"], "must be at most 1024"
            ),
            (
                "resume from a foreign folder",
                {
                    try FileManager.default.createDirectory(
                        at: $0.appendingPathComponent("runs/foreign"), withIntermediateDirectories: true)
                },
                ["--resume", "runs/foreign"], "is not a SeqKit checkpoint"
            ),
        ]

    @Test(arguments: 0..<cases.count)
    func mistakeGetsOneLineAndNonZeroExit(index: Int) throws {
        let c = Self.cases[index]
        let folder = try makeWorkspace()
        try c.setup(folder)
        let result = try runTool("seqtrain", c.arguments, in: folder)
        #expect(result.reason == .exit && result.status != 0, "\(c.name): exit \(result.status)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(c.name): \(result.stderr)")
        #expect(result.stderr.contains(c.expected), "\(c.name): \(result.stderr)")
    }

    @Test func damagedOrChangedCheckpointsAreRefused() throws {
        let folder = try makeWorkspace(steps: 20)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        // A truncated model file no longer matches the manifest.
        let model = folder.appendingPathComponent("runs/tiny/latest/model.safetensors")
        let bytes = try Data(contentsOf: model)
        try bytes.prefix(bytes.count / 2).write(to: model)
        var result = try runTool("seqtrain", ["--resume", "runs/tiny", "--max-steps", "40"], in: folder)
        #expect(result.status != 0 && result.stderr.contains("model.safetensors"), "\(result.stderr)")
        try bytes.write(to: model)
        // A changed corpus is refused by the manifest hash.
        try (trainingText() + "EXTRA:\nmore words\n").write(
            to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        result = try runTool("seqtrain", ["--resume", "runs/tiny", "--max-steps", "40"], in: folder)
        #expect(result.status != 0 && result.stderr.contains("corpus differs"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
