import ArgumentParser
import Foundation
import SeqTensor

/// `seqbench all`: every workload in a child process of its own, then one table.
struct AllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every workload, each in a child process of its own (so peak RSS is per workload), then a table.",
        discussion: """
            Runs `train` and `sample` for every config, `embed` at batch 1 and 32 on the embedding config, `peak` \
            and `matmul`, with the same thread count, and prints one table.
            """)

    @Option(help: "Configs to run, by name in --config-dir, comma-separated.")
    var configs = "tiny-gpt,char-lstm,char-rnn,char-gru,gpt-10m"

    @Option(help: "Folder of the config files.")
    var configDir = "Configs"

    @Option(help: "Config of the embedding workload (a transformer).")
    var embedConfig = "Configs/tiny-gpt.json"

    @Option(help: "Threads for every workload, 0 = SEQKIT_THREADS or the core count.")
    var threads = 0

    @Option(help: "Length of each training run's timed window, seconds.")
    var seconds = 5.0

    @Option(help: "Timed generations per sampling workload.")
    var runs = 5

    @Option(help: "Also write every result as JSON to this file.")
    var json: String?

    func run() throws {
        try reportingErrors {
            if threads < 0 { throw OptionError("--threads must be 0 (automatic) or more") }
            if !(seconds > 0) { throw OptionError("--seconds must be positive") }
            let names = configs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let paths = names.map { "\(configDir)/\($0).json" }
            if let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
                throw OptionError("\(missing) does not exist; check --configs and --config-dir")
            }
            let common = ["--threads", "\(threads)"]
            var records: [Record] = []
            for path in paths {
                records.append(try child(["train", "--config", path, "--seconds", "\(seconds)"] + common))
            }
            for path in paths {
                records.append(try child(["sample", "--config", path, "--runs", "\(runs)"] + common))
            }
            for batch in [1, 32] {
                records.append(try child(["embed", "--config", embedConfig, "--batch", "\(batch)"] + common))
            }
            records.append(try child(["peak"] + common))
            let matmulThreads =
                threads > 0
                ? threads
                : RuntimeOptions.environment.threads > 0
                    ? RuntimeOptions.environment.threads : ProcessInfo.processInfo.activeProcessorCount
            let matmulJSON = temporaryPath("matmul")
            defer { try? FileManager.default.removeItem(atPath: matmulJSON) }
            try launch(["matmul", "--threads", "\(matmulThreads)", "--json", matmulJSON])
            let matmul = try JSONDecoder().decode(
                [MatmulRecord].self, from: Data(contentsOf: URL(fileURLWithPath: matmulJSON)))
            print()
            printTable(records)
            if let json { try writeJSON(AllResults(workloads: records, matmul: matmul), to: json) }
        }
    }
}

/// What `seqbench all --json` writes.
struct AllResults: Codable {
    var workloads: [Record]
    var matmul: [MatmulRecord]
}

/// A fresh path in the temporary folder.
func temporaryPath(_ stem: String) -> String {
    NSTemporaryDirectory() + "seqbench-\(stem)-\(getpid())-\(UUID().uuidString).json"
}

/// This executable, for re-launching it.
func executablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Runs this executable with `arguments` (its output goes to ours) and fails when it does.
func launch(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executablePath())
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw OptionError("seqbench \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
}

/// Runs one workload in a child process and reads back its record.
func child(_ arguments: [String]) throws -> Record {
    let path = temporaryPath(arguments[0])
    defer { try? FileManager.default.removeItem(atPath: path) }
    try launch(arguments + ["--json", path])
    return try JSONDecoder().decode(Record.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The summary table of `all`.
func printTable(_ records: [Record]) {
    func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        s.count >= n
            ? s
            : right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count)
    }
    print(
        pad("workload", 9) + pad("config", 14) + pad("rate", 12, right: true) + "  " + pad("unit", 12)
            + pad("per CPU s", 11, right: true) + pad("peak RSS", 12, right: true) + "  notes")
    for r in records {
        var notes = ""
        if r.workload == "train", let gflops = r.details["model_gflops"], let flops = r.details["flops_per_step"] {
            notes = String(
                format: "%.2f GFLOP/step, %.1f GFLOP/s, loss %.3f", flops / 1e9, gflops, r.details["last_loss"] ?? 0)
        } else if r.workload == "embed", let tokens = r.details["tokens_per_s"] {
            notes = String(format: "%.0f tokens/s", tokens)
        }
        print(
            pad(r.workload, 9) + pad(r.config, 14) + pad(format(r.rate.rounded()), 12, right: true) + "  "
                + pad(r.unit, 12) + pad(format(r.cpuRate.rounded()), 11, right: true)
                + pad(String(format: "%.1f MiB", r.peakRSSMiB), 12, right: true) + "  " + notes)
    }
}
