import Foundation
import SeqCheckpoint

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing.
///
/// `CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283`
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes`.
    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked form TFRecord stores, so a CRC of data that itself holds CRCs stays well distributed.
    static func masked<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// The few protocol-buffer fields of TensorFlow's `Event`, `Summary`, `SummaryMetadata` and `TensorProto` that
/// scalars and text need; field numbers are those of `tensorflow/core/util/event.proto` and `summary.proto`.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, wire: Int) { varint(UInt64(field << 3 | wire)) }

    mutating func int64(_ field: Int, _ value: Int64) {
        tag(field, wire: 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        tag(field, wire: 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        tag(field, wire: 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, wire: 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }
}

/// One `Summary.Value`: a scalar (`simple_value`) or a text (a string tensor for the `text` plugin).
public struct TensorBoardValue: Equatable, Sendable {
    /// The tag TensorBoard groups by, e.g. `train/loss`.
    public var tag: String
    /// The scalar, for scalar values.
    public var scalar: Float?
    /// The text (Markdown), for text values.
    public var text: String?

    /// A scalar value.
    public static func scalar(_ tag: String, _ value: Double) -> Self { Self(tag: tag, scalar: Float(value)) }
    /// A text value for the text plugin.
    public static func text(_ tag: String, _ value: String) -> Self { Self(tag: tag, text: value) }

    var encoded: [UInt8] {
        var value = ProtobufWriter()
        value.string(1, tag)  // Summary.Value.tag
        if let scalar { value.float(2, scalar) }  // simple_value
        if let text {
            var plugin = ProtobufWriter()
            plugin.string(1, "text")  // PluginData.plugin_name
            var metadata = ProtobufWriter()
            metadata.bytes(1, plugin.bytes)  // SummaryMetadata.plugin_data
            var tensor = ProtobufWriter()
            tensor.int64(1, 7)  // TensorProto.dtype = DT_STRING; no tensor_shape: a scalar string
            tensor.bytes(8, Array(text.utf8))  // string_val
            value.bytes(9, metadata.bytes)  // metadata
            value.bytes(8, tensor.bytes)  // tensor
        }
        return value.bytes
    }
}

/// One `Event`: the file-version header or a summary at a step.
public struct TensorBoardEvent: Equatable, Sendable {
    /// Seconds since 1970.
    public var wallTime: Double
    /// The training step.
    public var step: Int
    /// `brain.Event:2` on the first event of a file, else nil.
    public var fileVersion: String?
    /// The summary values (empty for the header).
    public var values: [TensorBoardValue]

    var encoded: [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        if step != 0 { event.int64(2, Int64(step)) }  // proto3 leaves a default out
        if let fileVersion { event.string(3, fileVersion) }
        if !values.isEmpty {
            var summary = ProtobufWriter()
            for value in values { summary.bytes(1, value.encoded) }  // Summary.value (repeated)
            event.bytes(5, summary.bytes)
        }
        return event.bytes
    }
}

/// TFRecord framing: little-endian UInt64 length, masked CRC-32C of those 8 bytes, the payload, masked CRC-32C
/// of the payload.
enum TFRecord {
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var length = [UInt8]()
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { length.append(contentsOf: $0) }
        var out = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
        out += payload
        withUnsafeBytes(of: CRC32C.masked(payload).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    static func littleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
        bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    /// The payloads of `data`; throws at a truncated record or a CRC that does not match.
    static func records(_ data: [UInt8], path: String) throws -> [[UInt8]] {
        var records = [[UInt8]]()
        var offset = 0
        func corrupt(_ what: String) -> FileError {
            FileError(
                path: path, problem: "is not a valid event file (\(what) in the record at byte \(offset))",
                fix: "delete it; seqtrain writes a new one on the next run")
        }
        while offset < data.count {
            guard offset + 12 <= data.count else { throw corrupt("truncated header") }
            let lengthBytes = data[offset..<offset + 8]
            let length = Int(littleEndian(lengthBytes, as: UInt64.self))
            guard littleEndian(data[offset + 8..<offset + 12], as: UInt32.self) == CRC32C.masked(lengthBytes) else {
                throw corrupt("length CRC mismatch")
            }
            let start = offset + 12
            guard length >= 0, start + length + 4 <= data.count else { throw corrupt("truncated payload") }
            let payload = data[start..<start + length]
            let stored = littleEndian(data[start + length..<start + length + 4], as: UInt32.self)
            guard stored == CRC32C.masked(payload) else { throw corrupt("payload CRC mismatch") }
            records.append(Array(payload))
            offset = start + length + 4
        }
        return records
    }
}

/// Reads protocol-buffer fields back: enough to decode what ``TensorBoardEvent`` writes (for tests and tools).
struct ProtobufReader {
    enum Field {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])
    }

    struct Malformed: Error {}

    static func fields(_ bytes: [UInt8]) throws -> [(Int, Field)] {
        var out = [(Int, Field)]()
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw Malformed() }
            defer { i += n }
            return bytes[i..<i + n]
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1: out.append((field, .fixed64(TFRecord.littleEndian(try take(8), as: UInt64.self))))
            case 5: out.append((field, .fixed32(TFRecord.littleEndian(try take(4), as: UInt32.self))))
            case 2: out.append((field, .bytes(Array(try take(Int(try varint()))))))
            default: throw Malformed()
            }
        }
        return out
    }
}

extension TensorBoardValue {
    init(decoding bytes: [UInt8]) throws {
        self.init(tag: "")
        var pluginName: String?
        var strings = [String]()
        for (field, value) in try ProtobufReader.fields(bytes) {
            switch (field, value) {
            case (1, .bytes(let b)): tag = String(decoding: b, as: UTF8.self)
            case (2, .fixed32(let f)): scalar = Float(bitPattern: f)
            case (9, .bytes(let metadata)):
                for case (1, .bytes(let plugin)) in try ProtobufReader.fields(metadata) {
                    for case (1, .bytes(let name)) in try ProtobufReader.fields(plugin) {
                        pluginName = String(decoding: name, as: UTF8.self)
                    }
                }
            case (8, .bytes(let tensor)):
                for case (8, .bytes(let s)) in try ProtobufReader.fields(tensor) {
                    strings.append(String(decoding: s, as: UTF8.self))
                }
            default: break
            }
        }
        if pluginName == "text" { text = strings.joined() }
    }
}

extension TensorBoardEvent {
    init(decoding bytes: [UInt8]) throws {
        self.init(wallTime: 0, step: 0, fileVersion: nil, values: [])
        for (field, value) in try ProtobufReader.fields(bytes) {
            switch (field, value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int(Int64(bitPattern: v))
            case (3, .bytes(let b)): fileVersion = String(decoding: b, as: UTF8.self)
            case (5, .bytes(let summary)):
                for case (1, .bytes(let v)) in try ProtobufReader.fields(summary) {
                    values.append(try TensorBoardValue(decoding: v))
                }
            default: break
            }
        }
    }
}

/// An `events.out.tfevents.*` file that TensorBoard reads: `tensorboard --logdir runs` shows every run.
///
/// ```swift
/// let events = try TensorBoardEventFile(folder: run.url)
/// try events.write(step: 100, [.scalar("train/loss", 1.92), .text("samples", "ROMEO: ...")])
/// let back = try TensorBoardEventFile.read(events.url)  // CRCs verified
/// ```
public final class TensorBoardEventFile {
    /// The file, `events.out.tfevents.<seconds>.<host>` in the folder.
    public let url: URL
    private let handle: FileHandle

    /// Creates a new event file in `folder` and writes its header; a resumed run adds a new file beside the old
    /// ones, which TensorBoard reads as one run.
    public init(folder: URL, now: Date = Date()) throws {
        let seconds = Int(now.timeIntervalSince1970)
        let host = ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName
        var candidate = folder.appendingPathComponent("events.out.tfevents.\(seconds).\(host)")
        var suffix = 1
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = folder.appendingPathComponent("events.out.tfevents.\(seconds).\(host).\(suffix)")
            suffix += 1
        }
        url = candidate
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: url)
        else {
            throw FileError(
                path: url.path, problem: "cannot be created",
                fix: "check the permissions of \(folder.path), or set run.tensorboard to false")
        }
        self.handle = handle
        try append(
            TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: 0, fileVersion: "brain.Event:2", values: []))
    }

    deinit { try? handle.close() }

    /// Appends one event of `values` at `step`.
    public func write(step: Int, _ values: [TensorBoardValue], now: Date = Date()) throws {
        try append(TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: step, fileVersion: nil, values: values))
    }

    private func append(_ event: TensorBoardEvent) throws {
        do {
            try handle.write(contentsOf: TFRecord.frame(event.encoded))
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be written (\(error.localizedDescription))",
                fix: "check free space, or set run.tensorboard to false")
        }
    }

    /// The events of an event file, every CRC checked; throws a ``FileError`` at the first bad record.
    public static func read(_ url: URL) throws -> [TensorBoardEvent] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError(path: url.path, problem: "cannot be read", fix: "pass an events.out.tfevents.* file")
        }
        return try TFRecord.records(Array(data), path: url.path).map { payload in
            do { return try TensorBoardEvent(decoding: payload) } catch {
                throw FileError(
                    path: url.path, problem: "holds a record that is not an Event message",
                    fix: "delete it; seqtrain writes a new one on the next run")
            }
        }
    }
}

/// `events.out.tfevents.*` in the run directory (`run.tensorboard`): the scalars of every record and
/// evaluation, a seeded sample as text at each evaluation, the resolved config as text at the start.
final class TensorBoardObserver: TrainingObserver {
    var file: TensorBoardEventFile?
    let samples: EvaluationSamples

    init(samples: EvaluationSamples) { self.samples = samples }

    func started(_ session: Session) throws {
        let events = try TensorBoardEventFile(folder: session.runDirectory.url)
        file = events
        try events.write(step: session.step, [.text("config", "```\n" + session.config.resolvedJSON() + "\n```")])
    }

    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws {
        var values: [TensorBoardValue] = [
            .scalar("train/loss", record.loss), .scalar("lr", record.lr),
            .scalar("tokens_per_second", record.tokensPerSecond),
            .scalar("grad_norm", Double(session.optimizer.lastGradientNorm)),
        ]
        if let evaluation {
            let (perUnit, unit) = session.bitsPerUnit(evaluation.loss)
            values.append(.scalar("val/loss", evaluation.loss))
            values.append(.scalar(unit == "bits/char" ? "val/bits_per_char" : "val/bits_per_byte", perUnit))
            // Markdown would fold the sample's line breaks; a code block keeps them.
            values.append(.text("samples", "```\n" + samples.text(session, step: record.step) + "\n```"))
        }
        try file?.write(step: record.step, values)
    }
}
