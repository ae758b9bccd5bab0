import Foundation
import SeqTraining
import Testing

/// Checkpoints under a diverging run, a reader racing the trainer, and a scheduler's SIGTERM.
@Suite(.serialized) struct CheckpointIntegrityCLITests {
    /// 1e30 diverges at the first step, before any checkpoint; 1e3 after a few, with `latest/` and `best/` saved.
    @Test(arguments: [("1e30", false), ("1e3", true)])
    func aDivergingRunKeepsFiniteCheckpointsAndSaysWhichStepTheyHold(learningRate: String, saves: Bool) throws {
        let folder = try makeWorkspace(
            steps: 300, extra: #", "checkpointInterval": 1, "evalInterval": 1, "clipNorm": 0"#)
        let result = try runTool(
            "seqtrain",
            [
                "--config", "tiny.json", "--set", "optimizer.kind=sgd", "--set",
                "optimizer.learningRate=\(learningRate)",
                "--set", "schedule.warmupSteps=0",
            ], in: folder)
        #expect(result.reason == .exit && result.status == 1, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("became NaN or infinite at step"), "\(result.stderr)")
        let run = folder.appendingPathComponent("runs/tiny")
        var loaded = 0
        for slot in CheckpointSlot.allCases
        where FileManager.default.fileExists(atPath: run.appendingPathComponent(slot.rawValue).path) {
            // TrainedCheckpoint refuses non-finite weights, so loading is the finiteness check.
            let trained = try TrainedCheckpoint(path: run, prefer: slot)
            #expect(result.stderr.contains("\(slot.rawValue) (step \(trained.state.step))"), "\(result.stderr)")
            loaded += 1
        }
        #expect(saves ? loaded == 2 : result.stderr.contains("no checkpoint was written"), "\(result.stderr)")
        if loaded > 0 {
            let sample = try runTool(
                "seqsample", ["--checkpoint", "runs/tiny", "--max-tokens", "5", "--greedy"], in: folder)
            #expect(sample.status == 0, "\(sample.stderr)")
        }
    }

    @Test func readersOfLatestNeverSeeAHalfSwappedCheckpoint() throws {
        let folder = try makeWorkspace(
            steps: 100_000, extra: #", "checkpointInterval": 1, "evalInterval": 100000, "logInterval": 100000"#)
        let trainer = try startTrainer(
            ["--config", "tiny.json"], in: folder, waitingFor: "runs/tiny/latest/state.json")
        defer {
            if trainer.isRunning { kill(trainer.processIdentifier, SIGKILL) }
            trainer.waitUntilExit()
        }
        let latest = folder.appendingPathComponent("runs/tiny/latest")
        var steps: [Int] = []
        var failures: [String] = []
        for _ in 0..<300 {
            do {
                steps.append(try TrainedCheckpoint(path: latest).state.step)
            } catch {
                failures.append("\(error)")
            }
        }
        // seqsample reads the same way, in its own process.
        for _ in 0..<3 {
            let sample = try runTool(
                "seqsample", ["--checkpoint", "runs/tiny/latest", "--max-tokens", "3", "--greedy"], in: folder)
            if sample.status != 0 { failures.append(sample.stderr) }
        }
        #expect(trainer.isRunning, "the trainer ended early")
        #expect(failures.isEmpty, "\(failures.count) of 303 loads failed; first: \(failures.first ?? "")")
        #expect(Set(steps).count > 1, "the reader saw only step \(steps.first ?? -1); the trainer was not saving")
    }

    @Test(arguments: [SIGTERM, SIGHUP])
    func aSchedulersSignalSavesExitsZeroAndResumesBitIdentically(signalNumber: Int32) throws {
        let folder = try makeWorkspace(steps: 200, extra: #", "checkpointInterval": 100000"#)
        let whole = try runTool("seqtrain", ["--config", "tiny.json", "--out", "runs/whole"], in: folder)
        #expect(whole.status == 0, "\(whole.stderr)")

        let process = try makeProcess("seqtrain", ["--config", "tiny.json", "--out", "runs/split"], in: folder)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let metricsFile = folder.appendingPathComponent("runs/split/metrics.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && (try? Data(contentsOf: metricsFile).count) ?? 0 == 0 { usleep(20_000) }
        kill(process.processIdentifier, signalNumber)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let stopped = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/split"), prefer: .latest)
        #expect(stopped.state.step >= 10 && stopped.state.step < 200, "stopped at \(stopped.state.step)")
        #expect(printed.contains("interrupted by SIG"), "\(printed.suffix(300))")

        let rest = try runTool("seqtrain", ["--resume", "runs/split"], in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        for file in ["model.safetensors", "optimizer.safetensors"] {
            let a = try Data(contentsOf: folder.appendingPathComponent("runs/whole/latest/\(file)"))
            let b = try Data(contentsOf: folder.appendingPathComponent("runs/split/latest/\(file)"))
            #expect(a == b, "\(file) differs after a resume from step \(stopped.state.step)")
        }
    }
}
