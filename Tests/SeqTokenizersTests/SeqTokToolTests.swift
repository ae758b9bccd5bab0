import Foundation
import Testing

@testable import SeqTokenizers

/// Runs the `seqtok` executable that `swift build` puts next to the test bundle.
@Suite struct SeqTokToolTests {
    static let tool: URL? = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("seqtok")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()

    struct ToolMissing: Error, CustomStringConvertible {
        var description: String { "seqtok is not built next to the tests; run swift build first" }
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    func run(_ arguments: [String], input: [UInt8] = []) throws -> Result {
        let process = Process()
        guard let tool = Self.tool else { throw ToolMissing() }
        process.executableURL = tool
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            error: String(decoding: err, as: UTF8.self))
    }

    /// seqtok encodes, decodes and inspects each kind of Hugging Face file as the library does.
    @Test(arguments: ["unigram_t5", "bpe_llama", "bytelevel_llama3", "pre_split_behaviors"])
    func hfKindsEncodeDecodeInspect(kind: String) throws {
        let file = Fixtures.url("kind_\(kind).json").path
        let cases = try Fixtures.json("kind_\(kind)_cases.json", as: HFKindTests.Cases.self).cases
        let sample = cases.filter { !$0.text.isEmpty && !$0.text.contains("\n") && !$0.text.contains("\r") }
            .prefix(20)
        let input = sample.map(\.text).joined(separator: "\n") + "\n"
        let encoded = try run(["encode", "-t", file], input: Array(input.utf8))
        #expect(encoded.status == 0, "\(encoded.error)")
        let lines = encoded.output.split(separator: "\n").map(String.init)
        #expect(lines.count == sample.count)
        for (line, c) in zip(lines, sample) {
            #expect(line.replacingOccurrences(of: " ", with: "") == "\(c.ids)".replacingOccurrences(of: " ", with: ""))
        }
        let decoded = try run(["decode", "-t", file], input: Array(encoded.output.utf8))
        #expect(decoded.status == 0, "\(decoded.error)")
        #expect(
            decoded.output.split(separator: "\n", omittingEmptySubsequences: false).prefix(sample.count).map(
                String.init) == sample.map(\.decoded))
        let inspected = try run(["inspect", file])
        #expect(inspected.status == 0 && inspected.output.contains("Hugging Face tokenizer.json"))
    }

    @Test func trainEncodeDecodeInspect() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtok-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("tokenizer.json").path
        let corpus = Fixtures.url("corpus.txt").path
        let trained = try run(["train", corpus, "--vocab-size", "300", "-o", model])
        #expect(trained.status == 0, "\(trained.error)")

        let text = "First line, with é and 漢字.\nSecond <|endoftext|> line 👍🏽\n"
        let encoded = try run(["encode", "-t", model], input: Array(text.utf8))
        #expect(encoded.status == 0)
        let lines = encoded.output.split(separator: "\n")
        #expect(lines.count == 2)
        let library = try loadTokenizer(from: URL(fileURLWithPath: model))
        let first = try JSONDecoder().decode([Int].self, from: Data(lines[0].utf8))
        #expect(first == (try library.encode("First line, with é and 漢字.")))

        let decoded = try run(["decode", "-t", model], input: Array(encoded.output.utf8))
        #expect(decoded.output == text)

        let pieces = try run(["encode", "-t", model, "--pieces"], input: Array("the king\n".utf8))
        let names = try JSONDecoder().decode([String].self, from: Data(pieces.output.utf8))
        #expect(names.joined() == "theĠking")

        let offsets = try run(["encode", "-t", model, "--offsets"], input: Array("ab cd\n".utf8))
        let spans = try JSONDecoder().decode([[Int]].self, from: Data(offsets.output.utf8))
        #expect(spans.first?[1] == 0 && spans.last?[2] == 5)

        let summary = try run(["inspect", model, "--merges", "3"])
        #expect(summary.output.contains("vocabulary size: 300"))
        #expect(summary.output.contains("special tokens: <|endoftext|> = 299"))
        #expect(summary.output.contains("normalization: nfc"))
    }

    /// `seqtok convert` writes what `save(to:)` writes, and the written file gives the original's ids.
    @Test(arguments: ["hf_bpe", "kind_bytelevel_roberta", "kind_unigram_t5"])
    func convertWritesWhatSaveWrites(name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtok-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.url("\(name).json")
        let written = folder.appendingPathComponent("tokenizer.json")
        let converted = try run(["convert", "-t", source.path, "-o", written.path])
        #expect(converted.status == 0 && converted.output.isEmpty && converted.error.isEmpty, "\(converted.error)")
        let original = try loadTokenizer(from: source)
        #expect(try Data(contentsOf: written) == (try original.serialized()))
        let again = try loadTokenizer(from: written)
        for text in ["Hello, wörld!  e\u{301} 東京 👨‍👩‍👧 🇫🇷\tend", "<s> x </s>", ""] {
            #expect(try again.encode(text) == (try original.encode(text)), "\(text)")
        }
        let missing = try run(["convert", "-t", folder.appendingPathComponent("nope.json").path, "-o", written.path])
        #expect(missing.status == 1 && missing.error.split(separator: "\n").count == 1, "\(missing.error)")
        #expect(missing.error.contains("nope.json"), "\(missing.error)")
        let help = try run(["convert", "--help"])
        #expect(help.output.contains("--output"), "\(help.output)")
    }

    @Test func badInputFailsWithOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtok-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("tokenizer.json").path
        _ = try run(["train", Fixtures.url("corpus.txt").path, "--vocab-size", "300", "-o", model])

        let invalid = try run(["encode", "-t", model], input: [0x6F, 0x6B, 0x0A, 0x61, 0xFF, 0x0A])
        #expect(invalid.status != 0)
        // The message names the byte and seqtok's own flag, not the config key "invalidUTF8".
        #expect(
            invalid.error
                == "seqtok: standard input: invalid UTF-8 at byte offset 4; fix the input or pass --replace-invalid "
                + "to substitute U+FFFD\n")
        let file = folder.appendingPathComponent("bad.txt")
        try Data([0x61, 0x62, 0x0A, 0x63, 0xC3]).write(to: file)
        let invalidFile = try run(["encode", "-t", model, file.path])
        #expect(invalidFile.error.contains("\(file.path): invalid UTF-8 at byte offset 4"), "\(invalidFile.error)")
        let invalidCorpus = try run(["train", Fixtures.url("corpus.txt").path, file.path, "-o", model + ".2"])
        #expect(invalidCorpus.error.contains("\(file.path): invalid UTF-8 at byte offset 4"), "\(invalidCorpus.error)")

        // A device or pipe reads like a file: /dev/null is empty input.
        let empty = try run(["encode", "-t", model, "/dev/null"])
        #expect(empty.status == 0 && empty.output.isEmpty, "\(empty.error)")
        let missing = try run(["encode", "-t", model, folder.appendingPathComponent("nope.txt").path])
        #expect(missing.status != 0 && missing.error.contains("does not exist"))

        // Flag mistakes are one line, with the flag meant.
        let notANumber = try run(["train", Fixtures.url("corpus.txt").path, "--vocab-size", "many", "-o", model])
        #expect(notANumber.status == 64, "\(notANumber.error)")
        #expect(notANumber.error.split(separator: "\n").count == 1, "\(notANumber.error)")
        #expect(notANumber.error.contains("'many' is not a valid value for --vocab-size"), "\(notANumber.error)")
        let abbreviated = try run(["train", Fixtures.url("corpus.txt").path, "--vocab", "300", "-o", model])
        #expect(abbreviated.error.contains("did you mean '--vocab-size'?"), "\(abbreviated.error)")

        let replaced = try run(["encode", "-t", model, "--replace-invalid"], input: [0x61, 0xFF, 0x0A])
        #expect(replaced.status == 0)

        let broken = folder.appendingPathComponent("broken.json").path
        try Data(#"{"model": {"type": "BPE", "vocab": {}}}"#.utf8).write(to: URL(fileURLWithPath: broken))
        let loaded = try run(["inspect", broken])
        #expect(loaded.status != 0)
        #expect(loaded.error.contains("'model.merges'") || loaded.error.contains("'pre_tokenizer.type'"))
        #expect(loaded.error.split(separator: "\n").count == 1)

        let config = folder.appendingPathComponent("config.json")
        try Data(#"{"model": {"kind": "lstm"}, "tokenizer": {"kind": "char", "vocabSize": 99}}"#.utf8).write(to: config)
        let unknownKey = try run(["train", Fixtures.url("corpus.txt").path, "--config", config.path, "-o", model])
        #expect(unknownKey.status != 0)
        #expect(unknownKey.error.contains("unknown config key 'vocabSize'"))
        try Data(#"{"model": {"kind": "lstm"}, "tokenizer": {"kind": "char", "unit": "grapheme"}}"#.utf8).write(
            to: config)
        let fromConfig = try run(["train", Fixtures.url("corpus.txt").path, "--config", config.path, "-o", model])
        #expect(fromConfig.status == 0)
        #expect(try run(["inspect", model]).output.contains("kind: char (grapheme)"))

        let typo = try run(["train", Fixtures.url("corpus.txt").path, "--normalization", "nfc,lowrcase", "-o", model])
        #expect(typo.status != 0)
        #expect(typo.error.contains("did you mean 'lowercase'"))
    }
}
