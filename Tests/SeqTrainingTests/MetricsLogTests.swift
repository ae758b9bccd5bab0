import Foundation
import Testing

@testable import SeqTraining

private func temporaryFile() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("metrics.jsonl")
}

private func record(_ step: Int, val: Double? = nil) -> MetricsLog.Record {
    MetricsLog.Record(
        step: step, loss: 4 - Double(step) / 100, valLoss: val, lr: 1e-3, tokensPerSecond: 18_200,
        elapsed: Double(step) / 10)
}

@Test func eachRecordIsOneJSONLineOnDiskAtOnce() throws {
    let url = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let log = try MetricsLog(url: url)
    try log.append(
        MetricsLog.Record(step: 10, loss: 2.5, valLoss: nil, lr: 0.001, tokensPerSecond: 1500, elapsed: 1.25))
    // Visible to another reader before the log is closed.
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text == #"{"elapsed":1.25,"loss":2.5,"lr":0.001,"step":10,"tokensPerSecond":1500,"valLoss":null}"# + "\n")
    try log.append(record(20, val: 2.25))
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[1].contains(#""valLoss":2.25"#))
    #expect(
        try MetricsLog.read(url) == [
            MetricsLog.Record(step: 10, loss: 2.5, valLoss: nil, lr: 0.001, tokensPerSecond: 1500, elapsed: 1.25),
            record(20, val: 2.25),
        ])
}

@Test func aDivergedLossIsStillWritten() throws {
    let url = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let log = try MetricsLog(url: url)
    try log.append(MetricsLog.Record(step: 5, loss: .nan, valLoss: .infinity, lr: 1, tokensPerSecond: 1, elapsed: 1))
    let back = try MetricsLog.read(url)
    #expect(back.count == 1)
    #expect(back[0].loss.isNaN)
    #expect(back[0].valLoss == .infinity)
}

@Test func reopeningAppendsAndResumingDropsLaterRecordsAndATruncatedLine() throws {
    let url = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    do {
        let log = try MetricsLog(url: url)
        for step in stride(from: 10, through: 50, by: 10) { try log.append(record(step)) }
    }
    // A killed run: half a line at the end.
    let handle = try FileHandle(forWritingTo: url)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(#"{"elapsed":6,"loss":3.4"#.utf8))
    try handle.close()
    #expect(try MetricsLog.read(url).map(\.step) == [10, 20, 30, 40, 50])

    // The last checkpoint was at step 30: records 40 and 50 will be written again.
    let resumed = try MetricsLog(url: url, resumingAt: 30)
    #expect(try MetricsLog.read(url).map(\.step) == [10, 20, 30])
    try resumed.append(record(40))
    #expect(try MetricsLog.read(url).map(\.step) == [10, 20, 30, 40])

    // Plain reopening keeps everything.
    let again = try MetricsLog(url: url)
    try again.append(record(50))
    #expect(try MetricsLog.read(url).map(\.step) == [10, 20, 30, 40, 50])
}

@Test func aDamagedLineInTheMiddleIsAnError() throws {
    let url = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let good = try MetricsLog.line(record(10))
    try Data((good + "garbage\n" + good).utf8).write(to: url)
    do {
        _ = try MetricsLog.read(url)
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.description.contains("line 2 is not a metrics record"))
    }
}

@Test func anUnopenableLogIsAFileError() throws {
    let url = URL(fileURLWithPath: "/nonexistent-seqkit/run/metrics.jsonl")
    #expect(throws: FileError.self) { try MetricsLog(url: url) }
    #expect(throws: FileError.self) { try MetricsLog.read(url) }
}
