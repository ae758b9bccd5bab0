import Foundation
import Testing

@testable import SeqTraining

private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-tb-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

@Test func crc32cMatchesTheStandardCheckValue() {
    // The check value of CRC-32C (iSCSI, RFC 3720) for the ASCII digits 1-9.
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4, 32 zero bytes
}

@Test func theHeaderEventIsTheBytesTensorFlowWrites() {
    // Event{wall_time: 1.5, step: 0, file_version: "brain.Event:2"} framed as TFRecord, as written by
    // tensorboard's own EventFileWriter (Python, tensorboard 2.x) for the same message.
    let event = TensorBoardEvent(wallTime: 1.5, step: 0, fileVersion: "brain.Event:2", values: [])
    #expect(hex(event.encoded) == "09000000000000f83f1a0d627261696e2e4576656e743a32")
    #expect(
        hex(TFRecord.frame(event.encoded))
            == "1800000000000000" + "a37f4b22" + "09000000000000f83f1a0d627261696e2e4576656e743a32"
            + "2a28646c")
}

@Test func anEventFileReadsBackScalarsAndText() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = try TensorBoardEventFile(folder: folder)
    try file.write(step: 10, [.scalar("train/loss", 2.5), .scalar("lr", 0.001)])
    try file.write(step: 20, [.text("samples", "ROMEO: café ✓"), .scalar("val/loss", 1.75)])
    #expect(file.url.lastPathComponent.hasPrefix("events.out.tfevents."))
    let events = try TensorBoardEventFile.read(file.url)
    #expect(events.count == 3)
    #expect(events[0].fileVersion == "brain.Event:2" && events[0].values.isEmpty)
    #expect(events[1].step == 10)
    #expect(events[1].values == [.scalar("train/loss", 2.5), .scalar("lr", 0.001)])
    #expect(events[2].step == 20)
    #expect(events[2].values == [.text("samples", "ROMEO: café ✓"), .scalar("val/loss", 1.75)])
}

@Test(arguments: [3, 10, 14, 30])
func aFlippedByteIsDetected(position: Int) throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = try TensorBoardEventFile(folder: folder)
    try file.write(step: 1, [.scalar("train/loss", 2.5)])
    var bytes = Array(try Data(contentsOf: file.url))
    bytes[position] ^= 0x01
    try Data(bytes).write(to: file.url)
    #expect {
        try TensorBoardEventFile.read(file.url)
    } throws: { error in
        let text = "\(error)"
        return text.contains("CRC mismatch") || text.contains("truncated")
    }
}

@Test func aTrainingRunWritesEveryScalarAndTheConfig() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var text = ""
    for i in 0..<200 { text += "ROMEO \(i % 7): what light through yonder window breaks\n" }
    try text.write(to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
    let json = """
        {
          "model": { "kind": "lstm", "contextLength": 16, "embeddingSize": 16, "hiddenSize": 16, "layers": 1 },
          "tokenizer": { "kind": "char", "normalization": [], "specialTokens": [] },
          "data": { "corpus": ["corpus.txt"], "validationFraction": 0.1 },
          "optimizer": { "kind": "adamw", "learningRate": 0.01 },
          "training": { "batchSize": 2, "maxSteps": 4, "evalInterval": 2, "evalWindows": 2, "logInterval": 1 },
          "run": { "seed": 7 }
        }
        """
    try json.write(to: folder.appendingPathComponent("tb.json"), atomically: true, encoding: .utf8)
    for enabled in [true, false] {
        let out = folder.appendingPathComponent("runs/\(enabled)").path
        let config = try TrainingConfig.load(
            from: folder.appendingPathComponent("tb.json"), overrides: ["run.out=\(out)", "run.tensorboard=\(enabled)"])
        _ = try Trainer(config: config, log: { _ in }).run()
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter {
            $0.hasPrefix("events.out.tfevents.")
        }
        guard enabled else {
            #expect(files.isEmpty)
            continue
        }
        #expect(files.count == 1)
        let events = try TensorBoardEventFile.read(URL(fileURLWithPath: out).appendingPathComponent(files[0]))
        let values = events.flatMap { event in event.values.map { (event.step, $0) } }
        func scalars(_ tag: String) -> [Int: Float] {
            Dictionary(values.compactMap { $0.1.tag == tag ? ($0.0, $0.1.scalar!) : nil }, uniquingKeysWith: { $1 })
        }
        #expect(values.contains { $0.1.tag == "config" && $0.1.text?.contains("\"lstm\"") == true })
        // A sample at each evaluation, starting with the prompt: the first tokens of the validation text.
        let samples = values.filter { $0.1.tag == "samples" }
        #expect(samples.map(\.0) == [2, 4])
        #expect(samples.allSatisfy { $0.1.text?.hasPrefix("```\nROME") == true && $0.1.text!.count > 30 })
        let records = try MetricsLog.read(URL(fileURLWithPath: out).appendingPathComponent("metrics.jsonl"))
        #expect(records.map(\.step) == [1, 2, 3, 4])
        for record in records {
            #expect(scalars("train/loss")[record.step] == Float(record.loss))
            #expect(scalars("lr")[record.step] == Float(record.lr))
            #expect(scalars("tokens_per_second")[record.step] == Float(record.tokensPerSecond))
            #expect((scalars("grad_norm")[record.step] ?? 0) > 0)
        }
        #expect(scalars("val/loss").keys.sorted() == [2, 4])
        #expect(scalars("val/loss")[4] == Float(records[3].valLoss!))
        let bits = try #require(scalars("val/bits_per_char")[4])
        #expect(abs(Double(bits) - records[3].valLoss! / log(2.0)) < 1e-4)
    }
}
