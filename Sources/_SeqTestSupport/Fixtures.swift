import Foundation

/// The URL of a committed fixture file: `Fixtures/<name>` beside the calling test file.
///
/// `let url = fixtureURL("lstm.safetensors")`
public func fixtureURL(_ name: String, file: StaticString = #filePath) -> URL {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures")
        .appendingPathComponent(name)
}

/// A fresh empty directory under the system temporary directory, for tests that write files.
public func makeTemporaryDirectory(_ prefix: String = "seqkit-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
