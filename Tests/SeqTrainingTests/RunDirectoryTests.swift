import Foundation
import Testing

@testable import SeqTraining

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes a complete fake checkpoint whose state records `generation` as its step.
private func writeCheckpoint(generation: Int, in folder: URL) throws {
    let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: generation), count: 4096 + generation)
    try Data("{\"generation\": \(generation)}".utf8).write(to: folder.appendingPathComponent(Checkpoint.configFile))
    try Data("{\"model\": {}}".utf8).write(to: folder.appendingPathComponent(Checkpoint.tokenizerFile))
    try Data(bytes).write(to: folder.appendingPathComponent(Checkpoint.modelFile))
    try Data(bytes.reversed()).write(to: folder.appendingPathComponent(Checkpoint.optimizerFile))
    let state = Checkpoint.State(
        step: generation, tokensSeen: generation * 768, rngStates: [UInt64(generation), UInt64.max],
        dataPosition: generation * 3, bestValidationLoss: generation == 1 ? nil : 1.5, elapsedSeconds: 2.25)
    try Checkpoint.write(state, in: folder)
    try Checkpoint.writeManifest(
        in: folder, corpusSHA256: SHA256.hex(of: Array("corpus".utf8)),
        tokenizerSHA256: SHA256.hex(of: Array("{\"model\": {}}".utf8)))
}

/// The generation of the complete checkpoint at `folder` (its manifest verified), or nil when there is none.
private func generation(at folder: URL) throws -> Int? {
    guard FileManager.default.fileExists(atPath: folder.path) else { return nil }
    try Checkpoint.verify(folder)
    return try Checkpoint.readState(in: folder).step
}

private func entries(_ folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
}

@Test func commitCreatesAndThenReplacesACheckpoint() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try RunDirectory(url: root.appendingPathComponent("runs/probe"))
    #expect(!run.hasCheckpoint(.latest))
    try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 1, in: $0) }
    #expect(try generation(at: run.checkpointURL(.latest)) == 1)
    try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 2, in: $0) }
    try run.commitCheckpoint(.best) { try writeCheckpoint(generation: 3, in: $0) }
    #expect(try generation(at: run.checkpointURL(.latest)) == 2)
    #expect(try generation(at: run.checkpointURL(.best)) == 3)
    #expect(try entries(run.url) == ["best", "latest"])
    #expect(run.metricsURL.lastPathComponent == "metrics.jsonl")
    #expect(run.lossChartURL.lastPathComponent == "loss.svg")
    #expect(run.checkpointURL(.best).path == root.appendingPathComponent("runs/probe/best").path)
}

@Test(arguments: [RunDirectory.SwapStrategy.exchange, .renameAside])
func bothStrategiesReplaceCleanly(strategy: RunDirectory.SwapStrategy) throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    var run = try RunDirectory(url: root)
    run.strategy = strategy
    for g in 1...3 {
        try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: g, in: $0) }
        #expect(try generation(at: run.checkpointURL(.latest)) == g)
        #expect(try entries(root) == ["latest"])
    }
}

@Test func aFailingWriterLeavesTheOldCheckpoint() throws {
    struct DiskFull: Error {}
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try RunDirectory(url: root)
    try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 1, in: $0) }
    #expect(throws: DiskFull.self) {
        try run.commitCheckpoint(.latest) { folder in
            try Data("half".utf8).write(to: folder.appendingPathComponent(Checkpoint.modelFile))
            throw DiskFull()
        }
    }
    #expect(try generation(at: run.checkpointURL(.latest)) == 1)
    #expect(try entries(root) == ["latest"])
}

/// A commit killed at each point: the final path must hold a complete checkpoint right away (exchange) or after
/// reopening (both), and reopening must leave no temporaries.
@Test(arguments: [
    (RunDirectory.SwapStrategy.exchange, RunDirectory.CommitStep.written, 1),
    (.exchange, .synced, 1),
    (.exchange, .swapped, 2),
    (.renameAside, .written, 1),
    (.renameAside, .synced, 1),
    (.renameAside, .movedAside, 1),
    (.renameAside, .swapped, 2),
])
func killedCommitIsRecoveredOnOpen(strategy: RunDirectory.SwapStrategy, step: RunDirectory.CommitStep, expected: Int)
    throws
{
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    var run = try RunDirectory(url: root)
    run.strategy = strategy
    try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 1, in: $0) }
    run.crash = step
    #expect(throws: RunDirectory.SimulatedCrash.self) {
        try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 2, in: $0) }
    }
    let final = run.checkpointURL(.latest)
    if strategy == .exchange {
        // The swap is one rename: the final path never lacks a complete checkpoint.
        #expect(try generation(at: final) == expected)
        if step == .swapped {
            // The exchange left the old checkpoint where the new one was written.
            #expect(try generation(at: run.temporaryURL(.latest)) == 1)
        }
    }
    if step == .movedAside {
        #expect(try generation(at: final) == nil)
        #expect(try generation(at: run.asideURL(.latest)) == 1)
    }
    #expect(try entries(root) != ["latest"])  // the killed commit left something behind

    let reopened = try RunDirectory(url: root)
    #expect(try generation(at: reopened.checkpointURL(.latest)) == expected)
    #expect(try entries(root) == ["latest"])
    // And the run goes on.
    try reopened.commitCheckpoint(.latest) { try writeCheckpoint(generation: 3, in: $0) }
    #expect(try generation(at: reopened.checkpointURL(.latest)) == 3)
}

@Test func firstCommitKilledLeavesNoCheckpoint() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    var run = try RunDirectory(url: root)
    run.crash = .synced
    #expect(throws: RunDirectory.SimulatedCrash.self) {
        try run.commitCheckpoint(.best) { try writeCheckpoint(generation: 1, in: $0) }
    }
    #expect(try entries(root) == [".best.tmp"])
    let reopened = try RunDirectory(url: root)
    #expect(!reopened.hasCheckpoint(.best))
    #expect(try entries(root) == [])
}

@Test func leftoversOfAKilledProcessAreCleanedOrRestored() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try RunDirectory(url: root)
    try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 4, in: $0) }
    let fm = FileManager.default
    // latest: a half-written temporary beside a good checkpoint.
    try fm.createDirectory(at: run.temporaryURL(.latest), withIntermediateDirectories: true)
    try Data("trunc".utf8).write(to: run.temporaryURL(.latest).appendingPathComponent(Checkpoint.modelFile))
    // best: only the renamed-aside old checkpoint survived, plus a stale aside for latest.
    try fm.createDirectory(at: run.asideURL(.best), withIntermediateDirectories: true)
    try writeCheckpoint(generation: 5, in: run.asideURL(.best))
    try fm.createDirectory(at: run.asideURL(.latest), withIntermediateDirectories: true)
    try writeCheckpoint(generation: 3, in: run.asideURL(.latest))

    let reopened = try RunDirectory(url: root)
    #expect(try generation(at: reopened.checkpointURL(.latest)) == 4)
    #expect(try generation(at: reopened.checkpointURL(.best)) == 5)
    #expect(try entries(root) == ["best", "latest"])
}

@Test func anUnwritableLocationIsRefusedWithTheFix() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let file = root.appendingPathComponent("not-a-folder")
    try Data("x".utf8).write(to: file)
    do {
        _ = try RunDirectory(url: file.appendingPathComponent("run"))
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.path == file.appendingPathComponent("run").path)
        #expect(error.problem.hasPrefix("cannot be created"))
        #expect(error.description.contains("choose another folder with --out"))
    }
    do {
        _ = try RunDirectory(url: file)
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.problem.hasPrefix("cannot be created"))
    }
    // Permission bits stop only a non-root user.
    if geteuid() != 0 {
        let locked = root.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        chmod(locked.path, 0o500)
        defer { chmod(locked.path, 0o700) }
        #expect(throws: FileError.self) { try RunDirectory(url: locked) }
        #expect(throws: FileError.self) { try RunDirectory(url: locked.appendingPathComponent("run")) }
    }
}

@Test func aWriteIntoAVanishedRunFolderIsAFileError() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try RunDirectory(url: root.appendingPathComponent("run"))
    try FileManager.default.removeItem(at: run.url)
    try Data("x".utf8).write(to: run.url)  // a file where the folder was
    do {
        try run.commitCheckpoint(.latest) { try writeCheckpoint(generation: 1, in: $0) }
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.path.hasSuffix(".latest.tmp"))
        #expect(error.problem.hasPrefix("cannot be created"))
    }
}

@Test func theResolvedConfigIsSavedWithTheRun() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try RunDirectory(url: root)
    var config = TrainingConfig()
    config.data.corpus = ["x.txt"]
    config.run.out = root.path
    try run.saveConfig(config)
    let saved = try Data(contentsOf: run.configURL)
    #expect(try TrainingConfig.decode(saved, file: "config.json") == config)
    #expect(String(decoding: saved, as: UTF8.self) == config.resolvedJSON() + "\n")
}
