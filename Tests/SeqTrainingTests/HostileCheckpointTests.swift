import Foundation
import SeqAutograd
import SeqModels
import Testing

@testable import SeqTraining

/// A folder with every required checkpoint file (small stand-ins) and a manifest that lists them.
private func checkpointFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for name in Checkpoint.requiredFiles {
        try Data("contents of \(name)".utf8).write(to: url.appendingPathComponent(name))
    }
    try Checkpoint.writeManifest(in: url, corpusSHA256: "c", tokenizerSHA256: "t")
    return url
}

/// Rewrites the manifest's file list with `edit`.
private func editManifest(_ folder: URL, _ edit: (inout [[String: Any]]) -> Void) throws {
    let url = folder.appendingPathComponent(Checkpoint.manifestFile)
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    var files = try #require(object["files"] as? [[String: Any]])
    edit(&files)
    object["files"] = files
    try JSONSerialization.data(withJSONObject: object).write(to: url)
}

@Test func aManifestNameOutsideTheFolderIsRefusedWithoutOpeningIt() throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // A FIFO outside the checkpoint: opening it for reading would block the test, hashing it never ends.
    let outside = folder.deletingLastPathComponent().appendingPathComponent("seqkit-fifo-\(UUID().uuidString)")
    #expect(mkfifo(outside.path, 0o600) == 0)
    defer { try? FileManager.default.removeItem(at: outside) }
    try editManifest(folder) { files in
        files.append([
            "name": "../\(outside.lastPathComponent)", "size": 0, "sha256": String(repeating: "0", count: 64),
        ])
    }
    expectFileError("which is not a file name inside the checkpoint folder") { _ = try Checkpoint.verify(folder) }

    try editManifest(folder) { files in
        files.removeLast()
        files.append(["name": "notes.txt", "size": 0, "sha256": String(repeating: "0", count: 64)])
    }
    expectFileError("'notes.txt', which is not a file of a SeqKit checkpoint") { _ = try Checkpoint.verify(folder) }
}

@Test func aManifestThatLeavesOutAFileIsRefused() throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try editManifest(folder) { files in files.removeAll { $0["name"] as? String == Checkpoint.modelFile } }
    expectFileError("does not list model.safetensors") { _ = try Checkpoint.verify(folder) }
    try editManifest(folder) { files in files.removeAll() }
    expectFileError("does not list") { _ = try Checkpoint.verify(folder) }
}

@Test func aManifestListingAFileTwiceIsRefused() throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try editManifest(folder) { files in files.append(files[0]) }
    expectFileError("twice") { _ = try Checkpoint.verify(folder) }
}

@Test func linksDevicesAndPipesAreNotRead() throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = folder.appendingPathComponent(Checkpoint.modelFile)
    try FileManager.default.removeItem(at: model)
    try FileManager.default.createSymbolicLink(atPath: model.path, withDestinationPath: "/dev/zero")
    expectFileError("is a symbolic link") { _ = try Checkpoint.verify(folder) }
    expectFileError("is a symbolic link") { _ = try TrainedCheckpoint(path: folder) }

    try FileManager.default.removeItem(at: model)
    #expect(mkfifo(model.path, 0o600) == 0)
    expectFileError("is not a regular file") { _ = try Checkpoint.verify(folder) }
}

@Test func aFileLargerThanItsManifestSaysIsRefusedUnread() throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let handle = try FileHandle(forWritingTo: folder.appendingPathComponent(Checkpoint.modelFile))
    try handle.truncate(atOffset: 1 << 40)  // a sparse terabyte: reading it would take hours
    try handle.close()
    expectFileError("has 1099511627776 bytes but manifest.json records") { _ = try Checkpoint.verify(folder) }
}

@Test(arguments: [
    ("step", "-5", "'step' -5"), ("dataPosition", "-1", "'dataPosition' -1"),
    ("tokensSeen", "-3", "'tokensSeen' -3"), ("elapsedSeconds", "-1.5", "'elapsedSeconds' -1.5"),
    ("evaluationsWithoutImprovement", "99", "'evaluationsWithoutImprovement' 99"),
])
func impossibleStateValuesAreRefusedByName(key: String, value: String, fragment: String) throws {
    let folder = try checkpointFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var fields = [
        "step": "10", "tokensSeen": "640", "dataPosition": "5", "elapsedSeconds": "1.5", "rngStates": "[1, 2]",
        "evaluationsWithoutImprovement": "0",
    ]
    fields[key] = value
    let json = "{" + fields.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    try Data(json.utf8).write(to: folder.appendingPathComponent(Checkpoint.stateFile))
    expectFileError(fragment) { _ = try Checkpoint.readState(in: folder) }
}

@Test func nonFiniteWeightsAreNeitherLoadedNorNamedWrongly() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-nan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = ModelConfig()
    config.kind = .transformer
    config.vocabSize = 11
    config.contextLength = 8
    config.embeddingSize = 16
    config.layers = 1
    config.heads = 2
    let model = try makeModel(config, seed: 3)
    let slot = try #require(model.arena.slots.last)
    model.arena.values.base[slot.offset + 1] = .nan
    model.arena.values.base[slot.offset + 2] = .infinity
    let url = folder.appendingPathComponent(Checkpoint.modelFile)
    try model.save(to: url)
    let fresh = try makeModel(config, seed: 4)
    let before = Array(UnsafeBufferPointer(start: fresh.arena.values.base, count: fresh.arena.count))
    #expect(throws: ParameterLoadError.nonFinite(file: Checkpoint.modelFile, name: slot.name, count: 2)) {
        try fresh.load(from: url)
    }
    // Nothing of the file reached the model.
    #expect(Array(UnsafeBufferPointer(start: fresh.arena.values.base, count: fresh.arena.count)) == before)
}
