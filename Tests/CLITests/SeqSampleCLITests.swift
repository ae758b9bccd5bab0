import Foundation
import SeqTraining
import Testing

/// A workspace with a briefly trained tiny checkpoint in `runs/tiny`.
private func trainedWorkspace(kind: String = "transformer") throws -> URL {
    let folder = try makeWorkspace(kind: kind, steps: 20)
    let result = try runTool("seqtrain", ["--config", "tiny.json"], in: folder)
    guard result.status == 0 else { throw CLITestError("training failed: \(result.stderr)") }
    return folder
}

@Suite struct SeqSampleCLITests {
    @Test(arguments: ["transformer", "gru"])
    func seededSamplingRepeatsAndStreamingEqualsTheFinalText(kind: String) throws {
        let folder = try trainedWorkspace(kind: kind)
        let arguments = ["--checkpoint", "runs/tiny", "--prompt", "ROMEO:", "--max-tokens", "60", "--seed", "11"]
        let first = try runTool("seqsample", arguments, in: folder)
        let second = try runTool("seqsample", arguments, in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.hasPrefix("ROMEO:"))
        // The streamed text equals the text of the same sample reported whole.
        let json = try runTool("seqsample", arguments + ["--json"], in: folder)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let text = try #require(object["text"] as? String)
        #expect(first.stdout == "ROMEO:" + text + "\n")
        let tokens = try #require(object["tokens"] as? [Int])
        let logProbabilities = try #require(object["logProbabilities"] as? [Double])
        #expect(tokens.count == 60 && logProbabilities.count == 60)
        #expect(logProbabilities.allSatisfy { $0 <= 0 })
        let other = try runTool("seqsample", arguments.dropLast() + ["12"], in: folder)
        #expect(other.stdout != first.stdout)
    }

    @Test func streamingNeverSplitsAMultiByteCharacter() throws {
        // A byte-fallback char tokenizer turns unseen characters into byte tokens; the prompt's "é" and
        // "€" are then several tokens each, and the output must still be whole UTF-8.
        let folder = try makeWorkspace(steps: 20)
        var config = try String(contentsOf: folder.appendingPathComponent("tiny.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: #""unknown": "unk""#, with: #""unknown": "byteFallback""#)
        try config.write(to: folder.appendingPathComponent("tiny.json"), atomically: true, encoding: .utf8)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        let result = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--prompt", "café €", "--max-tokens", "40", "--json"],
            in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        // The text streamed chunk by chunk equals the tokens decoded at once (the model may emit byte
        // sequences that are not UTF-8: both show them as U+FFFD the same way).
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tokens = try #require(object["tokens"] as? [Int])
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/tiny"))
        #expect(object["text"] as? String == (try trained.tokenizer.decode(tokens)))
    }

    @Test func stopStringsEndTheSampleBeforeThem() throws {
        let folder = try trainedWorkspace()
        let plain = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--greedy", "--max-tokens", "80", "--json"], in: folder)
        let text = try #require(
            (try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["text"] as? String)
        // Stop at the first two-character piece of the greedy text that occurs after its start.
        let characters = Array(text)
        let stop = String(characters[10..<12])
        let cut = try #require(text.range(of: stop))
        let stopped = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--greedy", "--max-tokens", "80", "--stop", stop, "--json"],
            in: folder)
        let stoppedText = try #require(
            (try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any])?["text"] as? String)
        #expect(stoppedText == String(text[..<cut.lowerBound]))
    }

    @Test func beamSearchAndSeveralSamples() throws {
        let folder = try trainedWorkspace()
        let beams = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--beams", "3", "--max-tokens", "20"], in: folder)
        #expect(beams.status == 0, "\(beams.stderr)")
        let samples = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--num-samples", "3", "--json", "--max-tokens", "10"], in: folder
        )
        #expect(samples.stdout.split(separator: "\n").count == 3)
    }

    @Test func scoringPrintsPerplexityAndBitsPerCharacter() throws {
        let folder = try trainedWorkspace()
        let result = try runTool("seqsample", ["--checkpoint", "runs/tiny", "--score", "corpus.txt"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("perplexity") && result.stdout.contains("bits/char"))
    }

    @Test func mistakesGetOneLineAndNonZeroExit() throws {
        let folder = try trainedWorkspace()
        let long = String(repeating: "the night ", count: 10)
        let cases: [([String], String)] = [
            (["--checkpoint", "runs/none"], "does not exist"),
            (["--checkpoint", "corpus.txt"], "is a file"),
            (["--checkpoint", "runs/tiny", "--prompt", "ROMEO€"], "vocabulary lacks"),
            (["--checkpoint", "runs/tiny", "--prompt", long], "context"),
            (["--checkpoint", "runs/tiny", "--greedy", "--temperature", "0.5"], "contradict"),
            (["--checkpoint", "runs/tiny", "--temperature=-1"], "temperature"),
            (["--checkpoint", "runs/tiny", "--top-p", "1.5"], "top"),
            (["--checkpoint", "runs/tiny", "--score", "missing.txt"], "missing.txt"),
        ]
        for (arguments, expected) in cases {
            let result = try runTool("seqsample", arguments, in: folder)
            #expect(result.reason == .exit && result.status != 0, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        // A damaged checkpoint: the manifest catches it.
        let model = folder.appendingPathComponent("runs/tiny/best/model.safetensors")
        try Data([1, 2, 3]).write(to: model)
        let damaged = try runTool("seqsample", ["--checkpoint", "runs/tiny"], in: folder)
        #expect(damaged.status != 0 && damaged.stderr.contains("model.safetensors"), "\(damaged.stderr)")
    }
}
