import Foundation
import Testing

/// The folder holding the built executables (`swift build` puts them beside the test bundle).
let productsFolder: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("seqtrain").path) {
        url.deleteLastPathComponent()
    }
    return url
}()

/// What a finished process printed and returned.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
    /// How the process ended (exit or uncaught signal).
    let reason: Process.TerminationReason
}

/// Runs a built tool to completion with `arguments`, in `directory`.
@discardableResult
func runTool(_ name: String, _ arguments: [String], in directory: URL, stdin: String? = nil) throws -> ProcessResult {
    let process = try makeProcess(name, arguments, in: directory)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a chatty process cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self), reason: process.terminationReason)
}

/// A configured, not yet started process for a built tool.
func makeProcess(_ name: String, _ arguments: [String], in directory: URL) throws -> Process {
    let executable = productsFolder.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw CLITestError("\(executable.path) is not built; run `swift build` first")
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["SEQKIT_THREADS"] = "1"
    process.environment = environment
    return process
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh working folder holding a small corpus and a tiny training config.
func makeWorkspace(
    kind: String = "transformer", steps: Int = 40, extra: String = "", corpus: String = "corpus.txt"
) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try trainingText().write(to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
    // A key given in `extra` replaces its default: the config reader refuses a key written twice.
    let defaults = [("evalInterval", 20), ("evalWindows", 16), ("checkpointInterval", 20), ("logInterval", 10)]
    let intervals = defaults.filter { !extra.contains("\"\($0.0)\"") }.map { "\"\($0.0)\": \($0.1)" }
        .joined(separator: ", ")
    let config = """
        {
          "model": { "kind": "\(kind)", "contextLength": 16, "embeddingSize": 32, "layers": 1, "heads": 2 },
          "tokenizer": { "kind": "char", "normalization": [], "unknown": "unk", "specialTokens": [] },
          "data": { "corpus": ["\(corpus)"], "validationFraction": 0.1 },
          "optimizer": { "kind": "adamw", "learningRate": 0.01 },
          "schedule": { "kind": "cosine", "warmupSteps": 5, "minLearningRate": 0.001, "decaySteps": \(steps) },
          "training": {
            "batchSize": 8, "maxSteps": \(steps), \(intervals)\(extra)
          },
          "run": { "out": "runs/tiny", "seed": 7 }
        }
        """
    try config.write(to: folder.appendingPathComponent("tiny.json"), atomically: true, encoding: .utf8)
    return folder
}

/// About 9 KB of repetitive play-like text: easy to learn, so the loss falls within a few dozen steps.
func trainingText() -> String {
    let speakers = ["ROMEO", "JULIET", "NURSE", "FRIAR"]
    let lines = [
        "the night is young and the stars are bright", "what light through yonder window breaks",
        "good night good night parting is such sweet sorrow", "these violent delights have violent ends",
    ]
    var text = ""
    for i in 0..<60 {
        text += "\(speakers[i % 4]):\n\(lines[(i * 3) % 4]),\n\(lines[(i + 1) % 4].capitalized).\n\n"
    }
    return text
}

/// The metrics records of a run.
func metrics(_ folder: URL, run: String = "runs/tiny") throws -> [[String: Any]] {
    let text = try String(contentsOf: folder.appendingPathComponent("\(run)/metrics.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}
