import Foundation
import SeqCheckpoint

/// `metrics.jsonl`: one JSON object per logged step, appended and handed to the kernel at once.
///
/// ```
/// {"elapsed":12.5,"loss":2.3141,"lr":0.001,"step":120,"tokensPerSecond":18200,"valLoss":null}
/// ```
/// ```swift
/// let log = try MetricsLog(url: run.metricsURL, resumingAt: state.step)
/// try log.append(MetricsLog.Record(step: 120, loss: 2.3141, valLoss: nil, lr: 1e-3, tokensPerSecond: 18200, elapsed: 12.5))
/// ```
public final class MetricsLog {
    /// One line of the log.
    public struct Record: Codable, Equatable, Sendable {
        /// Optimizer steps completed.
        public var step: Int
        /// Training loss (mean cross-entropy in nats per token) of the last step or log interval.
        public var loss: Double
        /// Validation loss when this step evaluated, else nil (written as `null`).
        public var valLoss: Double?
        /// Learning rate used for this step.
        public var lr: Double
        /// Training throughput since the previous record.
        public var tokensPerSecond: Double
        /// Wall-clock seconds since the run started, across resumes.
        public var elapsed: Double

        /// A record from its fields.
        public init(step: Int, loss: Double, valLoss: Double?, lr: Double, tokensPerSecond: Double, elapsed: Double) {
            self.step = step
            self.loss = loss
            self.valLoss = valLoss
            self.lr = lr
            self.tokensPerSecond = tokensPerSecond
            self.elapsed = elapsed
        }

        enum CodingKeys: String, CodingKey { case step, loss, valLoss, lr, tokensPerSecond, elapsed }

        /// Writes every key, `valLoss` as `null` when absent.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(step, forKey: .step)
            try c.encode(loss, forKey: .loss)
            try c.encode(valLoss, forKey: .valLoss)
            try c.encode(lr, forKey: .lr)
            try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
            try c.encode(elapsed, forKey: .elapsed)
        }
    }

    /// The log file.
    public let url: URL
    private let descriptor: Int32
    private let encoder: JSONEncoder

    /// Opens `url` for appending, creating it if needed.
    ///
    /// With `resumingAt: step`, records after `step` (written by a run killed after its last checkpoint) and a
    /// truncated last line are dropped first, so the resumed run's records continue the file without repeats.
    public init(url: URL, resumingAt step: Int? = nil) throws {
        self.url = url
        if let step, FileManager.default.fileExists(atPath: url.path) {
            let kept = try MetricsLog.read(url).filter { $0.step <= step }
            let text = try kept.map { try MetricsLog.line($0) }.joined()
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
            } catch {
                throw FileError(
                    path: url.path, problem: "cannot be rewritten (\(error.localizedDescription))",
                    fix: "check free space and permissions of the run folder")
            }
        }
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw FileError(
                path: url.path, problem: "cannot be opened for appending (\(errnoText(code)))",
                fix: "check free space and permissions of the run folder")
        }
        encoder = MetricsLog.makeEncoder()
    }

    deinit { close(descriptor) }

    /// Appends one record as one line with a single `write(2)`.
    public func append(_ record: Record) throws {
        var bytes = try encoder.encode(record)
        bytes.append(UInt8(ascii: "\n"))
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileError(
                    path: url.path, problem: "cannot be appended to (\(errnoText(code)))", fix: "check free space")
            }
            written += count
        }
    }

    /// Reads every complete record of a log; a truncated or unreadable last line (a killed run) is skipped.
    ///
    /// A damaged line in the middle is an error naming its line number.
    public static func read(_ url: URL) throws -> [Record] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be read (\(error.localizedDescription))",
                fix: "check that the run folder holds metrics.jsonl")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var records: [Record] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(Record.self, from: Data(line)))
            } catch {
                let isLast = lines[(index + 1)...].allSatisfy(\.isEmpty)
                if isLast { break }
                throw FileError(
                    path: url.path, problem: "line \(index + 1) is not a metrics record",
                    fix: "remove or repair that line")
            }
        }
        return records
    }

    static func line(_ record: Record) throws -> String {
        String(decoding: try makeEncoder().encode(record), as: UTF8.self) + "\n"
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}
