import Foundation
import Testing

@testable import SeqTraining

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `body` must throw a one-line ``FileError`` containing `fragment`.
func expectFileError(_ fragment: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error containing \(fragment)")
    } catch let error as FileError {
        #expect(error.description.contains(fragment), "was: \(error)")
        #expect(!error.description.contains("\n"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func stateRoundTripsExactly() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let states = [
        Checkpoint.State(
            step: 250, tokensSeen: 192_000, rngStates: [0, 1, UInt64.max, 0x9e37_79b9_7f4a_7c15],
            dataPosition: 77, bestValidationLoss: 1.4719238281, elapsedSeconds: 63.5,
            evaluationsWithoutImprovement: 2),
        Checkpoint.State(
            step: 0, tokensSeen: 0, rngStates: [], dataPosition: 0, bestValidationLoss: nil, elapsedSeconds: 0),
    ]
    for state in states {
        try Checkpoint.write(state, in: folder)
        #expect(try Checkpoint.readState(in: folder) == state)
    }
}

@Test func stateWithoutPatienceCountReadsAsZero() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let older = #"{"dataPosition": 5, "elapsedSeconds": 1.5, "rngStates": [1, 2], "step": 10, "tokensSeen": 640}"#
    try Data(older.utf8).write(to: folder.appendingPathComponent(Checkpoint.stateFile))
    let state = try Checkpoint.readState(in: folder)
    #expect(state.step == 10 && state.bestValidationLoss == nil)
    #expect(state.evaluationsWithoutImprovement == 0)
}

@Test func manifestListsAndVerifiesEveryFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in Checkpoint.requiredFiles { try Data().write(to: folder.appendingPathComponent(name)) }
    try Data("abc".utf8).write(to: folder.appendingPathComponent(Checkpoint.modelFile))
    try Data().write(to: folder.appendingPathComponent("notes.txt"))  // not a checkpoint file: not listed
    let written = try Checkpoint.writeManifest(in: folder, corpusSHA256: "c0", tokenizerSHA256: "t0")
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    #expect(
        written.files == [
            Checkpoint.FileEntry(name: "config.json", size: 0, sha256: empty),
            Checkpoint.FileEntry(
                name: "model.safetensors", size: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            Checkpoint.FileEntry(name: "optimizer.safetensors", size: 0, sha256: empty),
            Checkpoint.FileEntry(name: "state.json", size: 0, sha256: empty),
            Checkpoint.FileEntry(name: "tokenizer.json", size: 0, sha256: empty),
        ])
    #expect(written.formatVersion == Checkpoint.formatVersion)
    #expect(written.seqkitVersion == Checkpoint.seqkitVersion)
    #expect(try Checkpoint.readManifest(in: folder) == written)
    #expect(try Checkpoint.verify(folder) == written)
}

@Test func readersNameTheFileAndTheFix() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    expectFileError(
        "\(folder.path) is not a SeqKit checkpoint (no manifest.json); pass a directory written by seqtrain"
    ) {
        _ = try Checkpoint.readManifest(in: folder)
    }
    expectFileError("is not a SeqKit checkpoint (no state.json)") { _ = try Checkpoint.readState(in: folder) }
    expectFileError("is not a directory; pass a checkpoint directory") {
        _ = try Checkpoint.readManifest(in: folder.appendingPathComponent("missing"))
    }

    let manifestURL = folder.appendingPathComponent(Checkpoint.manifestFile)
    try Data(#"{"formatVersion": 1, "seqkitVersion": "0.1.0", "corpusSH"#.utf8).write(to: manifestURL)
    expectFileError("\(manifestURL.path) is truncated or not JSON") { _ = try Checkpoint.readManifest(in: folder) }
    try Data().write(to: manifestURL)
    expectFileError("is truncated or not JSON (0 bytes)") { _ = try Checkpoint.readManifest(in: folder) }

    try Data(#"{"architectures": ["GPT2LMHeadModel"]}"#.utf8).write(to: manifestURL)
    expectFileError("is not a SeqKit manifest.json (no '") { _ = try Checkpoint.readManifest(in: folder) }
    try Data(
        #"{"formatVersion": "one", "seqkitVersion": "x", "corpusSHA256": "", "tokenizerSHA256": "", "files": []}"#.utf8
    ).write(to: manifestURL)
    expectFileError("is not a SeqKit manifest.json (a field has the wrong type)") {
        _ = try Checkpoint.readManifest(in: folder)
    }
    try Data(
        #"{"formatVersion": 9, "seqkitVersion": "3.0.0", "corpusSHA256": "", "tokenizerSHA256": "", "files": []}"#.utf8
    ).write(to: manifestURL)
    expectFileError("has checkpoint format 9, newer than this SeqKit reads") {
        _ = try Checkpoint.readManifest(in: folder)
    }

    let stateURL = folder.appendingPathComponent(Checkpoint.stateFile)
    try Data(#"{"step": 3, "tokensSeen": 1"#.utf8).write(to: stateURL)
    expectFileError("\(stateURL.path) is truncated or not JSON") { _ = try Checkpoint.readState(in: folder) }
    try Data(#"{"step": 3}"#.utf8).write(to: stateURL)
    expectFileError("is not a SeqKit state.json (no '") { _ = try Checkpoint.readState(in: folder) }
}

@Test func verifyCatchesAChangedAShortenedAndAMissingFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in Checkpoint.requiredFiles { try Data().write(to: folder.appendingPathComponent(name)) }
    let model = folder.appendingPathComponent(Checkpoint.modelFile)
    let bytes = [UInt8](repeating: 7, count: 1000)
    try Data(bytes).write(to: model)
    try Checkpoint.writeManifest(in: folder, corpusSHA256: "c", tokenizerSHA256: "t")

    var changed = bytes
    changed[500] = 8
    try Data(changed).write(to: model)
    expectFileError("\(model.path) does not match manifest.json") { try Checkpoint.verify(folder) }

    try Data(bytes.prefix(999)).write(to: model)
    expectFileError("has 999 bytes but manifest.json records 1000") { try Checkpoint.verify(folder) }

    try FileManager.default.removeItem(at: model)
    expectFileError("is listed in manifest.json but missing") { try Checkpoint.verify(folder) }
}
