import ArgumentParser
import Foundation
import SeqCheckpoint
import SeqCommandLine
import SeqLayers
import SeqSampling
import SeqTensor
import SeqTokenizers

@main
struct SeqSample: ParsableCommand {
    static func main() { mainReportingOneLine() }

    static let configuration = CommandConfiguration(
        commandName: "seqsample",
        abstract: "Generate text from a trained checkpoint, or score a text under it.",
        discussion: """
            Examples:
              seqsample --checkpoint runs/tiny-gpt --prompt "ROMEO:"
              seqsample --checkpoint runs/tiny-gpt --prompt "ROMEO:" --temperature 0.8 --top-k 40 --seed 7
              seqsample --checkpoint runs/char-lstm --greedy --max-tokens 100 --stop "\\n\\n"
              seqsample --checkpoint runs/tiny-gpt --beams 4 --no-repeat-ngram 4 --prompt "JULIET:"
              seqsample --checkpoint runs/tiny-gpt --num-samples 3 --json
              seqsample --checkpoint runs/tiny-gpt --score heldout.txt
              seqsample --checkpoint runs/shakespeare-genres --classify "O, I am fortune's fool!"
            --prompt and --stop read \\n \\t \\r \\0 \\\\ \\" \\' \\uXXXX and \\u{1F44D}.
            --raw takes them literally; --prompt-file is read as it is.
            Beam search gives the likely continuation: for short completions, not creative text.
            --checkpoint takes a run directory (its best/, else latest/) or a checkpoint directory.
            """)

    @Option(name: .long, help: "Run directory or checkpoint directory written by seqtrain.")
    var checkpoint: String

    @Option(name: .long, help: "Text to continue (default: a newline); escapes such as \\n are read unless --raw.")
    var prompt: String?

    @Option(name: .long, help: "Read the prompt from this file.")
    var promptFile: String?

    @Option(name: .long, help: "New tokens per sample.")
    var maxTokens = 256

    @Option(name: .long, help: "Divide the logits by this (> 0); 1 = the model's distribution.")
    var temperature: Double?

    @Option(name: .long, help: "Keep only the k most likely tokens.")
    var topK: Int?

    @Option(name: .long, help: "Keep the smallest set of tokens whose probability reaches p (nucleus).")
    var topP: Double?

    @Option(name: .long, help: "Drop tokens less likely than min-p times the most likely one.")
    var minP: Double?

    @Option(name: .long, help: "Penalise tokens seen in the last 64 tokens (> 1 discourages repeats).")
    var repetitionPenalty: Double?

    @Option(name: .long, help: "Subtract this from the logit of each token seen in the last 64 (> 0 discourages).")
    var presencePenalty: Double?

    @Option(name: .long, help: "Subtract this per occurrence in the last 64 tokens (> 0 discourages repeats).")
    var frequencyPenalty: Double?

    @Option(name: .long, help: "Never repeat a run of N tokens (prompt included), sampling or beams; 0 = off.")
    var noRepeatNgram = 0

    @Option(name: .long, help: "Seed of the sampler: same checkpoint, prompt and seed give the same text.")
    var seed: UInt64 = 1337

    @Option(name: .long, help: "Independent samples, generated side by side.")
    var numSamples = 1

    @Option(name: .long, help: "Stop a sample when this text appears; it is not printed (repeatable; \\n read).")
    var stop: [String] = []

    @Flag(name: .long, help: "Take --prompt and --stop literally: a backslash is just a backslash.")
    var raw = false

    @Flag(name: .long, help: "Always take the most likely token.")
    var greedy = false

    @Option(name: .long, help: "Beam search with this many beams.")
    var beams = 1

    @Option(name: .long, help: "Beam search length penalty: scores are Σ log p / length^penalty.")
    var lengthPenalty = 1.0

    @Flag(name: .long, help: "Print one JSON object per sample: text, token ids, per-token log-probabilities.")
    var json = false

    @Option(name: .long, help: "Print the mean negative log-likelihood, perplexity and bits per character of FILE.")
    var score: String?

    @Option(
        name: .long,
        help: "With a classifier run (seqtrain \"task\": \"classify\"): print each label's probability for TEXT.")
    var classify: String?

    /// Contradictory or out-of-range flags: one line on stderr, exit 64 (ArgumentParser's own `validate()`
    /// would add the usage text).
    func checkOptions() throws {
        if prompt != nil && promptFile != nil { throw OptionError("give --prompt or --prompt-file, not both") }
        if greedy && temperature != nil { throw OptionError("--greedy and --temperature contradict each other") }
        if greedy && (topK != nil || topP != nil || minP != nil) {
            throw OptionError("--greedy takes the most likely token; drop --top-k, --top-p and --min-p")
        }
        let penalties = [repetitionPenalty, presencePenalty, frequencyPenalty].contains { $0 != nil }
        if beams > 1 && (temperature != nil || topK != nil || topP != nil || minP != nil || numSamples > 1 || penalties)
        {
            throw OptionError(
                "--beams searches deterministically; drop the sampling options, the penalties and --num-samples")
        }
        if maxTokens < 1 { throw OptionError("--max-tokens must be at least 1") }
        if numSamples < 1 { throw OptionError("--num-samples must be at least 1") }
        if score != nil && (prompt != nil || promptFile != nil) {
            throw OptionError("--score reads its own text; drop --prompt")
        }
        if !raw {
            do {
                _ = try prompt.map { try unescape($0, flag: "--prompt") }
                _ = try stop.map { try unescape($0, flag: "--stop") }
            } catch let error as EscapeError {
                throw OptionError(error.description)
            }
        }
    }

    /// `--classify`: every label with its probability, most likely first (`--json`: one object).
    func printClassification(_ text: String, _ folder: URL) throws {
        let text = raw ? text : (try? unescape(text, flag: "--classify")) ?? text
        let ranked = try TextClassifier(path: folder).classify(text)
        if json {
            let object = Dictionary(uniqueKeysWithValues: ranked.map { ($0.label, $0.probability) })
            let data = try JSONSerialization.data(
                withJSONObject: ["text": text, "probabilities": object], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (label, p) in ranked { print("\(String(format: "%.4f", p))  \(label)") }
        }
    }

    /// `--prompt` with its escapes read (unless `--raw`).
    var promptText: String? { raw ? prompt : prompt.map { (try? unescape($0, flag: "--prompt")) ?? $0 } }

    /// `--stop` strings with their escapes read (unless `--raw`).
    var stopStrings: [String] { raw ? stop : stop.map { (try? unescape($0, flag: "--stop")) ?? $0 } }

    func run() throws {
        do {
            try checkOptions()
            Threads.apply(RuntimeOptions.environment)
            let folder = URL(fileURLWithPath: checkpoint)
            let isClassifier = FileManager.default.fileExists(
                atPath: folder.appendingPathComponent(TextClassifier.descriptionFile).path)
            if let classify {
                guard isClassifier else {
                    throw OptionError(
                        "--classify needs a classifier run (seqtrain \"task\": \"classify\"); \(checkpoint) is not one")
                }
                return try printClassification(classify, folder)
            }
            if isClassifier {
                throw OptionError("\(checkpoint) is a classifier: give --classify TEXT (it generates no text)")
            }
            let trained = try TrainedCheckpoint(path: URL(fileURLWithPath: checkpoint), prefer: .best)
            if let score {
                try scoreFile(score, trained)
            } else {
                try generate(trained)
            }
        } catch let error as OptionError {
            FileHandle.standardError.write(Data("seqsample: error: \(error)\n".utf8))
            throw ExitCode.validationFailure
        } catch {
            FileHandle.standardError.write(Data("seqsample: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    func generate(_ trained: TrainedCheckpoint) throws {
        let tokenizer = trained.tokenizer
        var text = promptText ?? "\n"
        if let promptFile {
            text = try readText(promptFile)
        }
        let ids = try encodePrompt(text, tokenizer)
        var options = GenerationOptions()
        options.maxTokens = maxTokens
        options.temperature = temperature ?? 1
        options.topK = topK
        options.topP = topP
        options.minP = minP
        options.repetitionPenalty = repetitionPenalty ?? 1
        options.presencePenalty = presencePenalty ?? 0
        options.frequencyPenalty = frequencyPenalty ?? 0
        options.noRepeatNgram = noRepeatNgram
        options.seed = seed
        options.greedy = greedy
        options.beams = beams
        options.lengthPenalty = lengthPenalty
        options.numSamples = numSamples
        if tokenizer.vocabularySize < trained.model.config.vocabSize {
            options.allowedTokens = tokenizer.vocabularySize
        }
        if beams > 1 { options.tokenLengths = characterLengths(tokenizer) }
        // Checked before the per-sample decoders and matchers below are made, so an impossible count is
        // one line rather than an allocation failure.
        try options.validate(vocabSize: trained.model.config.vocabSize)
        try options.checkMemory(for: trained.model.config, promptLength: ids.count)
        let generator = Generator(model: trained.model)

        // Per sample: a streaming decoder (complete UTF-8 / graphemes only) and a stop-string matcher.
        let decoders = (0..<numSamples).map { _ in tokenizer.makeStreamingDecoder() }
        var matchers = try (0..<numSamples).map { _ in try StopMatcher(stops: stopStrings) }
        var texts = [String](repeating: "", count: numSamples)
        let streaming = numSamples == 1 && !json
        if streaming { write(text) }
        var failure: Error?
        let result = try generator.generate(prompt: ids, options: options) { sample, token, _ in
            do {
                let chunk = try decoders[sample].push(token)
                let (released, stopped) = matchers[sample].feed(chunk)
                texts[sample] += released
                if streaming { write(released) }
                return !stopped
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        for sample in 0..<numSamples where !matchers[sample].stopped {
            let tail = matchers[sample].feed(decoders[sample].finish())
            let rest = tail.text + (tail.stopped ? "" : matchers[sample].finish())
            texts[sample] += rest
            if streaming { write(rest) }
        }
        if streaming {
            write("\n")
            return
        }
        for (sample, generated) in result.samples.enumerated() {
            if json {
                let object: [String: Any] = [
                    "sample": sample, "prompt": text, "text": texts[sample], "tokens": generated.tokens,
                    "logProbabilities": generated.logProbabilities.map { Double($0) },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                write(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                write((sample > 0 ? "\n---\n" : "") + text + texts[sample] + "\n")
            }
        }
    }

    /// The characters (Unicode scalars) each id stands for, so beam search normalises its scores per character:
    /// a byte of UTF-8 counts 1 when it starts a scalar and 0 when it continues one, so a byte-level token
    /// holding half a character still sums correctly with its neighbours. Ids without text count 0.
    func characterLengths(_ tokenizer: any Tokenizer) -> [Int] {
        (0..<tokenizer.vocabularySize).map { id in
            let bytes = (try? tokenizer.decodeBytes([id])) ?? []
            return bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        }
    }

    /// The prompt's ids; characters the vocabulary lacks (with an `<unk>` tokenizer) are an error naming them.
    func encodePrompt(_ text: String, _ tokenizer: any Tokenizer) throws -> [Int] {
        let bytes = Array(text.utf8)
        let spans = try tokenizer.encodeWithOffsets(bytes: bytes)
        if let unknown = try spans.first(where: { try tokenizer.piece(for: $0.id) == "<unk>" }) {
            let character = String(decoding: bytes[unknown.start..<unknown.end], as: UTF8.self)
            throw SampleCLIError(
                "the prompt has '\(character)' (byte \(unknown.start)), which the model's vocabulary lacks;"
                    + " remove it or train with \"unknown\": \"byteFallback\"")
        }
        guard !spans.isEmpty else { throw SampleCLIError("the prompt encodes to no tokens; give some text") }
        return spans.map(\.id)
    }

    func scoreFile(_ path: String, _ trained: TrainedCheckpoint) throws {
        let text = try readText(path)
        let ids = try trained.tokenizer.encode(text)
        guard ids.count >= 2 else { throw SampleCLIError("\(path) has fewer than 2 tokens; score a longer text") }
        let result = try SeqSampling.score(ids, model: trained.model)
        let normalized = try trained.tokenizer.normalize(text)
        let characters = normalized.unicodeScalars.count
        let bytes = normalized.utf8.count
        write(
            String(
                format: "tokens %d | mean NLL %.4f nats/token | perplexity %.3f | %.4f bits/char | %.4f bits/byte\n",
                result.tokenCount, result.meanNLL, result.perplexity, result.bitsPerCharacter(characters: characters),
                result.totalNLL / Foundation.log(2.0) / Double(bytes)))
    }

    /// The text of the file at `path`; a missing file or invalid UTF-8 is an error naming the file (and the
    /// byte offset), since decoding would silently turn bad bytes into U+FFFD.
    func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SampleCLIError("\(path) cannot be read; check the path")
        }
        if let offset = firstInvalidUTF8Offset(data) {
            throw SampleCLIError("\(path): invalid UTF-8 at byte offset \(offset); fix the file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
}

struct SampleCLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A flag combination that cannot work, said in one line.
struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The offset of the first byte of `bytes` that does not begin a valid UTF-8 scalar, or nil when all are valid.
///
/// `firstInvalidUTF8Offset(Data([0x61, 0xC3, 0xA9, 0xFF])) == 3`
func firstInvalidUTF8Offset(_ bytes: Data) -> Int? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}
