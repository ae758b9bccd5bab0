import Foundation
import SeqModels

/// One workload's result, as printed and as written to JSON (`Benchmarks/compare-pytorch.py` reads it).
struct Record: Codable {
    /// train, sample, embed or peak.
    var workload: String
    /// The config's file name without `.json` (tiny-gpt), or the peak's shape.
    var config: String
    /// Threads SeqKit used.
    var threads: Int
    /// Trainable values of the model (0 for peak).
    var parameters: Int
    /// The headline: tokens/s (train, sample), sentences/s (embed) or GFLOP/s (peak), per wall-clock second.
    var rate: Double
    /// What `rate` counts.
    var unit: String
    /// The same per second of process CPU time (all threads), which other processes on the machine disturb less.
    var cpuRate: Double
    /// Peak resident memory of the whole process (VmHWM), MiB.
    var peakRSSMiB: Double
    /// Workload-specific numbers (steps, seconds, batch, flops per step, last loss, ...).
    var details: [String: Double]
    /// Sampling only: one seeded sample, which `compare-pytorch.py` rescores with its own model on the same weights.
    var check: SampleCheck? = nil

    enum CodingKeys: String, CodingKey {
        case workload, config, threads, parameters, rate, unit, details, check
        case cpuRate = "cpu_rate"
        case peakRSSMiB = "peak_rss_mib"
    }

    /// The one line a workload prints.
    var line: String {
        let extra = details.sorted { $0.key < $1.key }.map { "\($0.key)=\(format($0.value))" }.joined(separator: " ")
        return "\(workload) \(config): \(format(rate)) \(unit) (cpu \(format(cpuRate))), peak RSS "
            + String(format: "%.1f", peakRSSMiB) + " MiB; \(extra)"
    }
}

/// A seeded sample and its total log-probability under the model (temperature 1, no filters).
struct SampleCheck: Codable {
    /// The new tokens after the prompt `[0]`.
    var tokens: [Int]
    /// Σ log p(token) over `tokens`.
    var logProbability: Double

    enum CodingKeys: String, CodingKey {
        case tokens
        case logProbability = "logprob"
    }
}

/// A number with at most 4 significant decimals, no exponent for the usual sizes.
func format(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    if abs(x) >= 100 { return String(format: "%.1f", x) }
    return String(format: "%.4g", x)
}

/// Prints the record and writes it as JSON when asked.
func emit(_ record: Record, json: String?) throws {
    print(record.line)
    if let json { try writeJSON(record, to: json) }
}

/// Writes any encodable value as pretty JSON with sorted keys.
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    } catch {
        throw OptionError("cannot write \(path) (\(error.localizedDescription)); check the folder exists")
    }
}

/// Peak resident set size of this process in MiB: `VmHWM` of /proc/self/status (0 where there is no /proc).
func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kib / 1024
    }
    return 0
}

/// Wall-clock and process CPU time since creation.
struct Stopwatch {
    let wallStart = DispatchTime.now().uptimeNanoseconds
    let cpuStart = Stopwatch.cpuNow()

    static func cpuNow() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Seconds of wall-clock time elapsed.
    var wall: Double { Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9 }
    /// Seconds of CPU time the process used (all threads).
    var cpu: Double { Stopwatch.cpuNow() - cpuStart }
}

/// Model FLOPs of one training step (forward and backward), counted analytically as
/// `Benchmarks/compare-pytorch.py` counts them for both sides:
///
/// - transformer (nanoGPT's `estimate_mfu`): per token `6·N + 12·L·C·T`, N = parameters without the
///   position table (the tied `wte` counts once, as the head's matrix), L layers, width C, context T;
///   the second term is attention's `q·kᵀ` and `att·v` over the full window;
/// - recurrent: per token `6·(Σₖ G·H·(inₖ + H) + V·H)`, G = 1 (rnn), 3 (gru), 4 (lstm) gate blocks, the
///   input projection and the recurrent product of every layer plus the head; `6 = 2` (multiply-add)
///   `× 3` (forward, and backward to inputs and to weights).
///
/// Times `batch · contextLength` tokens per step (× gradient accumulation).
func trainingFLOPsPerStep(_ model: ModelConfig, parameters: Int, tokensPerStep: Int) -> Double {
    let (v, c, t, l) = (model.vocabSize, model.embeddingSize, model.contextLength, model.layers)
    let perToken: Double
    switch model.kind {
    case .transformer:
        let positions = model.positional == .learned ? t * c : 0
        perToken = 6 * Double(parameters - positions) + 12 * Double(l * c * t)
    case .rnn, .lstm, .gru:
        let gates = model.kind == .lstm ? 4 : model.kind == .gru ? 3 : 1
        let h = model.resolvedHiddenSize
        var macs = v * h
        for k in 0..<l { macs += gates * h * ((k == 0 ? c : h) + h) }
        perToken = 6 * Double(macs)
    }
    return perToken * Double(tokensPerStep)
}
