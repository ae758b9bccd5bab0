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

/// One trained workspace shared by the flag tests below (training is the slow part; the tests only read it).
private let sharedWorkspace = Result { try trainedWorkspace() }

/// The `text` and `tokens` of a `--json` sample.
private func jsonSample(_ result: ProcessResult) throws -> (text: String, tokens: [Int], prompt: String) {
    let object = try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    return (
        try #require(object["text"] as? String), try #require(object["tokens"] as? [Int]),
        try #require(object["prompt"] as? String)
    )
}

/// Expects exit status `status` (any non-zero when nil) and exactly one line on stderr containing `expected`.
private func expectOneLine(_ result: ProcessResult, _ expected: String, status: Int32? = nil) {
    #expect(result.reason == .exit && result.status != 0, "\(result.stderr)")
    if let status { #expect(result.status == status, "\(result.stderr)") }
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains(expected), "\(result.stderr)")
}

@Suite struct SeqSampleFlagTests {
    /// Command-line mistakes fail at parsing, before any checkpoint is read.
    @Test func flagMistakesAreOneLineWithExit64() throws {
        let folder = try makeWorkspace()
        let cases: [([String], String)] = [
            (["--temp", "0.5"], "did you mean '--temperature'?"),
            (["--max-tokens", "many"], "'many' is not a valid value for --max-tokens; it takes a whole number"),
            (["--num-samples", "2.5"], "--num-samples"),
            (["--stop", #"\q"#], #"--stop has '\q'"#),
            (["--prompt", #"ROMEO\u12"#], "--raw"),
            (["--prompt", #"ROMEO\"#], "backslash at the end"),
        ]
        for (arguments, expected) in cases {
            expectOneLine(
                try runTool("seqsample", ["--checkpoint", "runs/none"] + arguments, in: folder), expected, status: 64)
        }
    }

    @Test func stopAndPromptReadEscapesUnlessRaw() throws {
        let folder = try sharedWorkspace.get()
        let base = ["--checkpoint", "runs/tiny", "--greedy", "--max-tokens", "60", "--json", "--prompt", "ROMEO:"]
        let plain = try jsonSample(try runTool("seqsample", base, in: folder))
        let newline = try #require(plain.text.firstIndex(of: "\n"), "the greedy text should have a newline")
        // The two characters backslash and n stop at the first newline.
        let stopped = try jsonSample(try runTool("seqsample", base + ["--stop", #"\n"#], in: folder))
        #expect(stopped.text == String(plain.text[..<newline]))
        // With --raw they are a backslash and an n, which the text never has.
        let raw = try jsonSample(try runTool("seqsample", base + ["--stop", #"\n"#, "--raw"], in: folder))
        #expect(raw.text == plain.text)
        // Escapes in the prompt: \u0020 is a space, \t a tab (which the vocabulary lacks: an error naming it).
        let prompt = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--max-tokens", "3", "--json", "--prompt", #"ROMEO:\u0020"#],
            in: folder)
        #expect(try jsonSample(prompt).prompt == "ROMEO: ")
        let tab = try runTool("seqsample", ["--checkpoint", "runs/tiny", "--prompt", #"a\tb"#], in: folder)
        expectOneLine(tab, "vocabulary lacks")
    }

    @Test func countsThatCannotFitAreOneLineAndFast() throws {
        let folder = try sharedWorkspace.get()
        let cases: [([String], String)] = [
            (["--num-samples", "100000000"], "samples = 100000000 needs"),
            (["--beams", "100000000"], "beams = 100000000 needs"),
            (["--max-tokens", "100000000000000"], "max tokens = 100000000000000 needs"),
            (["--num-samples", "100000000", "--max-tokens", "100000000000000"], "needs"),
        ]
        for (arguments, expected) in cases {
            let start = Date()
            let result = try runTool("seqsample", ["--checkpoint", "runs/tiny"] + arguments, in: folder)
            expectOneLine(result, expected)
            #expect(result.stderr.contains("is available"), "\(result.stderr)")
            #expect(Date().timeIntervalSince(start) < 20, "\(arguments) took too long")
        }
    }

    @Test func invalidUTF8FilesNameTheFileAndByteOffset() throws {
        let folder = try sharedWorkspace.get()
        try Data([0x52, 0x4F, 0x4D, 0xC3, 0xA9, 0xFF, 0x45, 0x4F]).write(to: folder.appendingPathComponent("bad.txt"))
        for flag in ["--prompt-file", "--score"] {
            let result = try runTool("seqsample", ["--checkpoint", "runs/tiny", flag, "bad.txt"], in: folder)
            expectOneLine(result, "bad.txt: invalid UTF-8 at byte offset 5; fix the file")
        }
    }

    @Test func presenceAndFrequencyPenaltiesAreApplied() throws {
        let folder = try sharedWorkspace.get()
        let base = ["--checkpoint", "runs/tiny", "--greedy", "--max-tokens", "12", "--json"]
        // A huge penalty on every recent token: greedy decoding can then never pick a token twice.
        for flag in ["--presence-penalty", "--frequency-penalty"] {
            let sample = try jsonSample(try runTool("seqsample", base + [flag, "1000"], in: folder))
            #expect(sample.tokens.count == 12 && Set(sample.tokens).count == 12, "\(flag): \(sample.tokens)")
            expectOneLine(
                try runTool("seqsample", ["--checkpoint", "runs/tiny", flag, "inf"], in: folder), "must be finite")
            expectOneLine(
                try runTool("seqsample", ["--checkpoint", "runs/tiny", "--beams", "2", flag, "1"], in: folder),
                "--beams", status: 64)
        }
    }

    @Test func beamsWithNoRepeatNgramRepeatNoFourGram() throws {
        let folder = try sharedWorkspace.get()
        let result = try runTool(
            "seqsample",
            ["--checkpoint", "runs/tiny", "--beams", "4", "--no-repeat-ngram", "4", "--max-tokens", "60", "--json"],
            in: folder)
        let tokens = try jsonSample(result).tokens
        #expect(tokens.count == 60)
        var seen = Set<[Int]>()
        for i in 0...(tokens.count - 4) {
            #expect(seen.insert(Array(tokens[i..<(i + 4)])).inserted, "repeated 4-gram at \(i): \(tokens)")
        }
        expectOneLine(
            try runTool("seqsample", ["--checkpoint", "runs/tiny", "--no-repeat-ngram=-1"], in: folder), "no-repeat")
    }
}
