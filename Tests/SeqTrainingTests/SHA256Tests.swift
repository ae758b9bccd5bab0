import Foundation
import Testing

@testable import SeqTraining

/// FIPS 180-2 appendix B examples and the NIST one-million-"a" vector.
@Test(arguments: [
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
])
func fipsExamples(message: String, digest: String) {
    #expect(SHA256.hex(of: Array(message.utf8)) == digest)
    #expect(SHA256.hex(of: Data(message.utf8)) == digest)
}

@Test func oneMillionA() {
    let digest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    #expect(SHA256.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == digest)
    // The same message fed in uneven pieces.
    var hasher = SHA256()
    var left = 1_000_000
    var piece = 1
    while left > 0 {
        let n = min(piece, left)
        hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
        left -= n
        piece = piece * 7 % 1000 + 1
    }
    #expect(hexString(hasher.finalize()) == digest)
}

/// Deterministic bytes (a 64-bit LCG) so the files need no committed fixture.
private func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

@Test func filesMatchSha256sumAtEveryPaddingBoundary() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-sha-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1_048_575, 1_048_576, 1_048_577, 3_000_001]
    var urls: [URL] = []
    for (index, length) in lengths.enumerated() {
        let url = folder.appendingPathComponent("f\(index).bin")
        try Data(pseudoRandomBytes(length, seed: UInt64(index + 1))).write(to: url)
        urls.append(url)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = urls.map(\.path)
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let expected = output.split(separator: "\n").map { String($0.prefix(64)) }
    try #require(expected.count == urls.count)
    for (index, url) in urls.enumerated() {
        #expect(try SHA256.hex(ofFileAt: url) == expected[index], "length \(lengths[index])")
        let bytes = pseudoRandomBytes(lengths[index], seed: UInt64(index + 1))
        #expect(SHA256.hex(of: bytes) == expected[index], "length \(lengths[index]) in memory")
    }
}

@Test func missingFileIsAFileError() {
    let url = URL(fileURLWithPath: "/nonexistent/seqkit/corpus.txt")
    do {
        _ = try SHA256.hex(ofFileAt: url)
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.path == url.path)
        #expect(error.description.contains("No such file or directory"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

/// Timing means something only in an optimized build (`swift test -c release -Xswiftc -enable-testing`).
@Test(.enabled(if: !_isDebugAssertConfiguration(), "timed in release builds only"))
func fiveMegabytesHashQuickly() {
    let bytes = pseudoRandomBytes(5 << 20, seed: 99)
    let start = Date()
    _ = SHA256.hex(of: bytes)
    let seconds = Date().timeIntervalSince(start)
    // Measured at about 0.045 s on the 2-core CI machine.
    #expect(seconds < 0.5, "5 MiB took \(seconds) s")
}

@Test func severalFilesHashAsTheirConcatenation() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-sha-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let a = folder.appendingPathComponent("a.txt")
    let b = folder.appendingPathComponent("b.txt")
    try Data("abcdbcdecdefdefgefghfghighijhijk".utf8).write(to: a)
    try Data("ijkljklmklmnlmnomnopnopq".utf8).write(to: b)
    // Together they are the FIPS 448-bit example.
    #expect(try SHA256.hex(ofFilesAt: [a, b]) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(try SHA256.hex(ofFilesAt: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(throws: FileError.self) { try SHA256.hex(ofFilesAt: [a, folder.appendingPathComponent("c.txt")]) }
}
