import ArgumentParser
import Foundation
import SeqCommandLine
import SeqConfig
import SeqTokenizers

/// `seqtok`: train, apply, inspect and convert tokenizers, in the spirit of sentencepiece's spm_train / spm_encode.
@main
struct SeqTok: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seqtok",
        abstract: "Train, apply, inspect and convert SeqKit tokenizers (tokenizer.json).",
        subcommands: [Train.self, Encode.self, Decode.self, Inspect.self, Convert.self])

    /// Parse errors are one line, like every other mistake.
    static func main() { mainReportingOneLine() }
}

/// Invalid UTF-8 in what seqtok reads, said with the flag that accepts it (the library's message names the
/// config key instead).
struct InvalidInput: Error, CustomStringConvertible {
    /// The file, or "standard input".
    let source: String
    /// Byte offset of the first invalid byte in `source`.
    let offset: Int

    var description: String {
        "\(source): invalid UTF-8 at byte offset \(offset); fix the input or pass --replace-invalid to substitute U+FFFD"
    }
}

/// Prints one line to standard error and exits with status 1.
func failing(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("seqtok: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// The `"tokenizer"` object of a training config, or the whole JSON when it has none.
func tokenizerSection(_ data: Data) -> Data {
    guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let section = root["tokenizer"] as? [String: Any],
        let bytes = try? JSONSerialization.data(withJSONObject: section)
    else { return data }
    return bytes
}

/// Reads a whole file (a device or pipe such as `/dev/null` too), or standard input for `nil` or `-`.
func readInput(_ path: String?) throws -> [UInt8] {
    guard let path, path != "-" else { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw TokenizerError.io(path: path, reason: "does not exist; check the path")
    }
    if isDirectory.boolValue { throw TokenizerError.io(path: path, reason: "is a directory; give a file") }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw TokenizerError.io(path: path, reason: "cannot be opened for reading; check its permissions")
    }
    defer { try? handle.close() }
    do {
        return [UInt8](try handle.readToEnd() ?? Data())
    } catch {
        throw TokenizerError.io(path: path, reason: "cannot be read (\(error.localizedDescription))")
    }
}

/// The name `readInput` reads from, for messages.
func inputName(_ path: String?) -> String {
    guard let path, path != "-" else { return "standard input" }
    return path
}

/// Splits bytes into lines at `\n` (a final newline ends the last line rather than starting an empty one).
func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var out = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    if bytes.last == 0x0A { out.removeLast() }
    if bytes.isEmpty { return [] }
    return out
}

func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

func jsonString(_ s: String) -> String {
    let data =
        (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
}

extension SeqTok {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a tokenizer on corpus files and write tokenizer.json.")

        @Argument(help: "UTF-8 corpus files, concatenated in order.")
        var corpus: [String]

        @Option(name: .shortAndLong, help: "Where to write tokenizer.json.")
        var output: String = "tokenizer.json"

        @Option(help: "A JSON file of tokenizer options, or a training config whose \"tokenizer\" section holds them.")
        var config: String?

        @Option(help: "char or bpe.")
        var kind: TokenizerOptions.Kind?

        @Option(help: "Char units: scalar or grapheme.")
        var unit: TokenizerOptions.CharUnit?

        @Option(name: .customLong("vocab-size"), help: "Target vocabulary size, special tokens included.")
        var vocabularySize: Int?

        @Option(name: .customLong("min-pair-frequency"), help: "Stop merging below this pair count.")
        var minPairFrequency: Int?

        @Option(
            help:
                "Comma-separated steps: nfc, nfd, nfkc, nfkd, casefold, lowercase, stripAccents, whitespace; '' for none."
        )
        var normalization: String?

        @Option(name: .customLong("special"), help: "A special token (repeat the option for several).")
        var specials: [String] = []

        @Flag(name: .customLong("no-special"), help: "Train without special tokens.")
        var noSpecial = false

        @Option(help: "Char tokenizer out-of-vocabulary policy: unk or byteFallback.")
        var unknown: TokenizerOptions.UnknownPolicy?

        @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 with U+FFFD instead of failing.")
        var replaceInvalid = false

        func options() throws -> TokenizerOptions {
            var options = TokenizerOptions()
            if let config {
                guard let data = FileManager.default.contents(atPath: config) else {
                    throw TokenizerError.io(path: config, reason: "no such readable file")
                }
                options = try decodeConfig(TokenizerOptions.self, from: tokenizerSection(data), file: config)
            }
            if let kind { options.kind = kind }
            if let unit { options.unit = unit }
            if let vocabularySize { options.vocabularySize = vocabularySize }
            if let minPairFrequency { options.minPairFrequency = minPairFrequency }
            if let unknown { options.unknown = unknown }
            if let normalization {
                options.normalization = try normalization.split(separator: ",").map { name in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let step = Normalization(rawValue: trimmed) else {
                        let valid = Normalization.allCases.map(\.rawValue)
                        throw ConfigError.unknownKey(
                            path: "normalization", key: trimmed, suggestion: nearestKey(to: trimmed, in: valid))
                    }
                    return step
                }
            }
            if noSpecial { options.specialTokens = [] }
            if !specials.isEmpty { options.specialTokens = specials }
            if replaceInvalid { options.invalidUTF8 = .replace }
            return options
        }

        func run() throws {
            try failing {
                let options = try options()
                var bytes = [UInt8]()
                var ends: [Int] = []  // where each corpus file ends in `bytes`
                for path in corpus {
                    bytes += try readInput(path)
                    ends.append(bytes.count)
                }
                let start = Date()
                let tokenizer: any Tokenizer
                do {
                    tokenizer = try trainTokenizer(options, corpus: bytes)
                } catch TokenizerError.invalidUTF8(let offset) {
                    let file = ends.firstIndex(where: { offset < $0 }) ?? max(0, ends.count - 1)
                    throw InvalidInput(source: corpus[file], offset: offset - (file > 0 ? ends[file - 1] : 0))
                }
                try tokenizer.save(to: URL(fileURLWithPath: output))
                let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
                FileHandle.standardError.write(
                    Data(
                        "trained \(options.kind.rawValue) with \(tokenizer.vocabularySize) ids in \(seconds) s → \(output)\n"
                            .utf8))
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode text (a file or standard input), one JSON array of ids per input line.")

        @Option(name: .shortAndLong, help: "The tokenizer.json to use.")
        var tokenizer: String

        @Argument(help: "Input file; standard input when absent or '-'.")
        var input: String?

        @Flag(help: "Print pieces (as tokenizer.json shows them) instead of ids.")
        var pieces = false

        @Flag(help: "Print [id, start, end] with byte offsets into the line instead of ids.")
        var offsets = false

        @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 with U+FFFD instead of failing.")
        var replaceInvalid = false

        @Flag(
            name: .customLong("whole-characters"),
            help: "With --offsets, widen a token inside a character to the whole character, as Hugging Face does.")
        var wholeCharacters = false

        func validate() throws {
            if pieces && offsets { throw ValidationError("choose one of --pieces and --offsets") }
            if wholeCharacters && !offsets { throw ValidationError("--whole-characters goes with --offsets") }
        }

        func run() throws {
            try failing {
                let model = try loadTokenizer(
                    from: URL(fileURLWithPath: tokenizer), invalidUTF8: replaceInvalid ? .replace : .error,
                    offsets: wholeCharacters ? .wholeCharacters : .exactBytes)
                let bytes = try readInput(input)
                var out = ""
                var base = 0
                for line in lines(bytes) {
                    defer { base += line.count + 1 }
                    let lineBytes = Array(line)
                    if offsets {
                        let spans: [TokenSpan]
                        do {
                            spans = try model.encodeWithOffsets(bytes: lineBytes)
                        } catch TokenizerError.invalidUTF8(let offset) {
                            throw InvalidInput(source: inputName(input), offset: base + offset)
                        }
                        out += "[" + spans.map { "[\($0.id), \($0.start), \($0.end)]" }.joined(separator: ", ") + "]\n"
                    } else {
                        let ids: [Int]
                        do {
                            ids = try model.encode(bytes: lineBytes)
                        } catch TokenizerError.invalidUTF8(let offset) {
                            throw InvalidInput(source: inputName(input), offset: base + offset)
                        }
                        if pieces {
                            out +=
                                "[" + (try ids.map { jsonString(try model.piece(for: $0)) }).joined(separator: ", ")
                                + "]\n"
                        } else {
                            // Written id by id, so a line of millions of ids never holds them all as strings.
                            out += "["
                            for (k, id) in ids.enumerated() {
                                if k > 0 { out += ", " }
                                out += String(id)
                                if out.utf8.count > 1 << 20 {
                                    write(out)
                                    out = ""
                                }
                            }
                            out += "]\n"
                        }
                    }
                    if out.utf8.count > 1 << 20 {
                        write(out)
                        out = ""
                    }
                }
                write(out)
            }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode ids (one JSON array, or whitespace-separated ids, per line) to text lines.")

        @Option(name: .shortAndLong, help: "The tokenizer.json to use.")
        var tokenizer: String

        @Argument(help: "Input file; standard input when absent or '-'.")
        var input: String?

        func run() throws {
            try failing {
                let model = try loadTokenizer(from: URL(fileURLWithPath: tokenizer))
                var out = ""
                for (number, line) in lines(try readInput(input)).enumerated() {
                    var ids = [Int]()
                    let text = String(decoding: line, as: UTF8.self)
                    let fields = text.split(whereSeparator: { " \t\r,[]".contains($0) })
                    for field in fields {
                        guard let id = Int(field) else {
                            throw ValidationError("line \(number + 1): '\(field)' is not a token id")
                        }
                        ids.append(id)
                    }
                    out += try model.decode(ids) + "\n"
                }
                write(out)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a tokenizer's kind, vocabulary size, normalizer, special tokens and first merges.")

        @Argument(help: "The tokenizer.json to inspect.")
        var tokenizer: String

        @Option(help: "How many merges to show.")
        var merges: Int = 10

        func run() throws {
            try failing {
                let model = try loadTokenizer(from: URL(fileURLWithPath: tokenizer))
                write(inspect(model, merges: merges) + "\n")
            }
        }
    }
}

extension SeqTok {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load any tokenizer.json seqtok reads and write it back as SeqKit saves it.",
            discussion:
                "Writes what a checkpoint would hold for the tokenizer, e.g. to check that a file SeqKit writes loads "
                + "in the Hugging Face tokenizers library with the same ids.")

        @Option(name: .shortAndLong, help: "The tokenizer.json to read.")
        var tokenizer: String

        @Option(name: .shortAndLong, help: "Where to write the tokenizer.json SeqKit saves.")
        var output: String

        func run() throws {
            try failing {
                let model = try loadTokenizer(from: URL(fileURLWithPath: tokenizer))
                try model.save(to: URL(fileURLWithPath: output))
            }
        }
    }
}

extension TokenizerOptions.Kind: ExpressibleByArgument {}
extension TokenizerOptions.CharUnit: ExpressibleByArgument {}
extension TokenizerOptions.UnknownPolicy: ExpressibleByArgument {}
