import Foundation
import SeqTraining
import Testing

/// The bytes of every file under `folder`, by relative path.
private func snapshot(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder.path)
    while let relative = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        let path = folder.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }
    return files
}

/// Runs that must not be lost, folders that must not be shared, and the run-length flags.
@Suite(.serialized) struct RunDirectoryCLITests {
    @Test func reRunningIntoAFinishedRunIsRefusedAndLeavesItByteIdentical() throws {
        let folder = try makeWorkspace(steps: 40)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        let run = folder.appendingPathComponent("runs/tiny")
        let before = try snapshot(run)
        #expect(before["best/model.safetensors"] != nil && before["metrics.jsonl"] != nil)

        let again = try runTool("seqtrain", ["--config", "tiny.json", "--max-steps", "10"], in: folder)
        #expect(again.status == 1, "\(again.stderr)")
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        #expect(again.stderr.contains("holds a run at step 40"), "\(again.stderr)")
        #expect(again.stderr.contains("--resume") && again.stderr.contains("--overwrite"), "\(again.stderr)")
        #expect(try snapshot(run).filter { $0.key != ".lock" } == before.filter { $0.key != ".lock" })
    }

    @Test func overwriteStartsAgainAndRemovesTheOldRunOnlyOnceTheNewOneSaved() throws {
        let folder = try makeWorkspace(steps: 40)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        let run = folder.appendingPathComponent("runs/tiny")
        let before = try snapshot(run)

        // A new run that fails before its first checkpoint (its corpus is gone) gives the folder back.
        let failing = try runTool(
            "seqtrain", ["--config", "tiny.json", "--overwrite", "--set", "training.batchSize=0"], in: folder)
        #expect(failing.status != 0)
        #expect(try snapshot(run).filter { $0.key != ".lock" } == before.filter { $0.key != ".lock" })

        let replaced = try runTool(
            "seqtrain", ["--config", "tiny.json", "--overwrite", "--max-steps", "10"], in: folder)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let trained = try TrainedCheckpoint(path: run, prefer: .latest)
        #expect(trained.state.step == 10)
        #expect(try metrics(folder).last?["step"] as? Int == 10)
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent(".replaced").path))
    }

    @Test func aSecondTrainerOnTheSameRunIsRefusedWithTheHoldersPID() throws {
        let folder = try makeWorkspace(steps: 100_000, extra: #", "checkpointInterval": 10"#)
        let first = try makeProcess("seqtrain", ["--config", "tiny.json"], in: folder)
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer {
            if first.isRunning { kill(first.processIdentifier, SIGKILL) }
            first.waitUntilExit()
        }
        let metricsFile = folder.appendingPathComponent("runs/tiny/latest/manifest.json")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && (try? Data(contentsOf: metricsFile).count) ?? 0 == 0 { usleep(20_000) }

        for arguments in [["--config", "tiny.json", "--overwrite"], ["--resume", "runs/tiny"]] {
            let second = try runTool("seqtrain", arguments, in: folder)
            #expect(second.status == 1, "\(second.stderr)")
            #expect(second.stderr.split(separator: "\n").count == 1, "\(second.stderr)")
            #expect(second.stderr.contains("PID \(first.processIdentifier)"), "\(second.stderr)")
        }
        #expect(first.isRunning)
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        // Once the holder is gone the run is free again.
        let step = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest).state.step
        let resumed = try runTool("seqtrain", ["--resume", "runs/tiny", "--max-steps", "\(step + 2)"], in: folder)
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    @Test func checkpointIntervalZeroSavesOnlyAtTheEnd() throws {
        let folder = try makeWorkspace(steps: 30, extra: #", "checkpointInterval": 0, "evalInterval": 100"#)
        let result = try runTool("seqtrain", ["--config", "tiny.json"], in: folder)
        #expect(result.reason == .exit && result.status == 0, "\(result.stderr)")
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest)
        #expect(trained.state.step == 30)
    }

    @Test func maxStepsShortensTheShippedSchedule() throws {
        // The shipped configs warm up over 100 steps and decay over the whole run.
        let folder = try makeWorkspace()
        let url = folder.appendingPathComponent("tiny.json")
        let config = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: #""warmupSteps": 5"#, with: #""warmupSteps": 100"#)
            .replacingOccurrences(of: #", "decaySteps": 40"#, with: "")
        try config.write(to: url, atomically: true, encoding: .utf8)
        let result = try runTool("seqtrain", ["--config", "tiny.json", "--max-steps", "20"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("warming up over 2 steps"), "\(result.stdout)")
        let rates = try metrics(folder).compactMap { $0["lr"] as? Double }
        // Decayed to the floor (0.001) at the run's end rather than still near the 0.01 peak.
        #expect(abs(try #require(rates.last) - 0.001) < 1e-4, "\(rates)")
    }

    @Test(arguments: ["tiny-gpt.json", "char-lstm.json"])
    func maxStepsTwentyRunsWithAShippedConfig(name: String) throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Configs/\(name)")
        let folder = try makeWorkspace()
        // The shipped schedule and training settings, a smaller model so a debug build takes seconds.
        let result = try runTool(
            "seqtrain",
            [
                "--config", shipped.path, "--max-steps", "20", "--out", "runs/shipped", "--set",
                #"data.corpus=["corpus.txt"]"#, "--set", "model.layers=1", "--set", "model.embeddingSize=32",
                "--set", "model.contextLength=16", "--set", "training.batchSize=4", "--set", "training.evalWindows=4",
                "--set", "model.hiddenSize=32",
            ] + (name == "tiny-gpt.json" ? ["--set", "model.heads=2"] : []), in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("warming up over 2 steps"), "\(result.stdout.suffix(500))")
        let saved = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/shipped"), prefer: .latest)
        #expect(saved.state.step == 20 && saved.config.schedule.warmupSteps == 2)
        let rates = try metrics(folder, run: "runs/shipped").compactMap { $0["lr"] as? Double }
        #expect(abs(try #require(rates.last) - saved.config.schedule.minLearningRate) < 1e-4, "\(rates)")
    }

    @Test func aConfigElsewhereFindsItsCorpusBesideIt() throws {
        let folder = try makeWorkspace(steps: 10)
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let result = try runTool(
            "seqtrain", ["--config", folder.appendingPathComponent("tiny.json").path], in: elsewhere)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("runs/tiny/latest").path))

        try FileManager.default.removeItem(at: folder.appendingPathComponent("corpus.txt"))
        let missing = try runTool(
            "seqtrain", ["--config", folder.appendingPathComponent("tiny.json").path, "--out", "runs/b"], in: elsewhere)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains(folder.appendingPathComponent("corpus.txt").path), "\(missing.stderr)")
    }

    @Test func resumeAppliesWhatCanChangeAndRefusesTheRest() throws {
        let folder = try makeWorkspace(steps: 20)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        for (arguments, key) in [
            (["--seed", "99"], "run.seed"), (["--set", "model.layers=2"], "model.layers"),
            (["--config", "tiny.json", "--set", "training.batchSize=4"], "training.batchSize"),
        ] {
            let result = try runTool(
                "seqtrain", ["--resume", "runs/tiny", "--max-steps", "30"] + arguments, in: folder)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(
                result.stderr.contains(key) && result.stderr.contains("cannot change on a resumed run"),
                "\(result.stderr)")
        }
        let result = try runTool(
            "seqtrain",
            [
                "--resume", "runs/tiny", "--max-steps", "30", "--set", "optimizer.learningRate=0.002",
                "--set", "training.logInterval=5",
            ], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let saved = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"), prefer: .latest).config
        #expect(saved.optimizer.learningRate == 0.002 && saved.training.logInterval == 5)
        #expect(saved.training.maxSteps == 30)
        #expect(try metrics(folder).compactMap { $0["step"] as? Int }.contains(25))

        let finished = try runTool("seqtrain", ["--resume", "runs/tiny"], in: folder)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.stdout.contains("already at step 30") && finished.stdout.contains("--max-steps"))
    }

    @Test func dryRunCreatesNothing() throws {
        let folder = try makeWorkspace()
        let result = try runTool("seqtrain", ["--config", "tiny.json", "--dry-run", "--out", "runs/dry"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs").path))
    }

    @Test func theConsoleShowsTheLossMetricsRecords() throws {
        let folder = try makeWorkspace(steps: 20)
        let result = try runTool("seqtrain", ["--config", "tiny.json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let recorded = try metrics(folder).compactMap { record -> (Int, Double)? in
            guard let step = record["step"] as? Int, let loss = record["loss"] as? Double else { return nil }
            return (step, loss)
        }
        for (step, loss) in recorded {
            // Without a terminal, the progress line is printed at each log step.
            #expect(
                result.stdout.contains("step \(step)/20") && result.stdout.contains(String(format: "loss %.4f", loss)),
                "step \(step): \(loss) not in \(result.stdout.prefix(2000))")
        }
    }
}
