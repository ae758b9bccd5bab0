// seqbench: release-mode benchmarks of SeqKit (Benchmarks/README.md says what each number means).
//
//   swift build -c release --product seqbench
//   .build/release/seqbench train  --config Configs/tiny-gpt.json [--warmup 3] [--steps N | --seconds 5]
//   .build/release/seqbench sample --config Configs/char-lstm.json [--tokens 255] [--runs 5] [--save-weights F]
//   .build/release/seqbench embed  --config Configs/tiny-gpt.json [--batch 32] [--length 64]
//   .build/release/seqbench matmul [--threads 1,2]
//   .build/release/seqbench peak   [--size 2048]
//   .build/release/seqbench ceiling --config Configs/gpt-10m.json
//   .build/release/seqbench all    every workload above, each in a child process of its own
//
// Every workload takes --threads N (0 = SEQKIT_THREADS or the core count) and --json FILE, and reports
// its process's peak resident memory (VmHWM), so each runs in a process of its own.
import ArgumentParser
import Foundation

/// The `seqbench` command: one subcommand per workload.
@main
struct SeqBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seqbench",
        abstract: "Training, sampling and embedding throughput, peak memory and matmul GFLOP/s of SeqKit.",
        discussion: """
            Examples:
              seqbench train --config Configs/tiny-gpt.json --threads 2 --json train.json
              seqbench sample --config Configs/char-lstm.json
              seqbench embed --config Configs/tiny-gpt.json --batch 32
              seqbench all --threads 2 --json bench.json
            Models are built from the config's model section with random weights and trained or run on random \
            tokens (no corpus needed). Build with `swift build -c release` first: debug numbers mean nothing.
            """,
        subcommands: [
            TrainCommand.self, SampleCommand.self, EmbedCommand.self, MatmulCommand.self, PeakCommand.self,
            CeilingCommand.self,
            AllCommand.self,
        ])
}

/// Options every model workload shares.
struct ModelOptions: ParsableArguments {
    @Option(help: "A training config (JSON), e.g. Configs/tiny-gpt.json.")
    var config: String

    @Option(help: "Vocabulary of the random tokens (default: model.vocabSize, or 65 when it is 0 as in Configs/).")
    var vocab: Int?

    @Option(help: "Threads for OpenBLAS and SeqKit's loops, 0 = SEQKIT_THREADS or the core count.")
    var threads = 0

    @Option(help: "Seed of the weights and the random tokens.")
    var seed: UInt64 = 1337

    @Option(help: "Also write the result as JSON to this file.")
    var json: String?

    /// Checks the numbers a user can get wrong.
    func check() throws {
        if threads < 0 { throw OptionError("--threads must be 0 (automatic) or more") }
        if let vocab, vocab < 2 { throw OptionError("--vocab must be at least 2") }
    }
}

/// A flag combination that cannot work, said in one line.
struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, turning any error into one line on stderr and a non-zero exit.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as OptionError {
        FileHandle.standardError.write(Data("seqbench: error: \(error)\n".utf8))
        throw ExitCode.validationFailure
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("seqbench: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// `seqbench train`: training tokens/s of a config's model on random tokens.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Training tokens/s: the trainer's step (forward, cross-entropy, backward, clip, AdamW) on random tokens.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Untimed steps first (buffers, caches, OpenBLAS threads).")
    var warmup = 3

    @Option(help: "Timed steps; 0 = as many as fit in --seconds (at least 3).")
    var steps = 0

    @Option(help: "Length of the timed window when --steps is 0.")
    var seconds = 5.0

    func run() throws {
        try reportingErrors {
            try model.check()
            if warmup < 0 { throw OptionError("--warmup must be 0 or more") }
            if steps < 0 { throw OptionError("--steps must be 0 (timed window) or more") }
            if !(seconds > 0) { throw OptionError("--seconds must be positive") }
            let bench = try BenchModel(model)
            let record = try bench.train(warmup: warmup, steps: steps, seconds: seconds)
            try emit(record, json: model.json)
        }
    }
}

/// `seqbench sample`: sampling tokens/s and time to the first token.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sampling tokens/s: new tokens after a prompt, --batch samples side by side, KV cache or state.")

    @OptionGroup var model: ModelOptions

    @Option(help: "New tokens per generation.")
    var tokens = 255

    @Option(help: "Timed generations (the median is reported) after one untimed.")
    var runs = 5

    @Option(help: "Samples generated side by side, decoded as one batch (--num-samples).")
    var batch = 1

    @Option(help: "Tokens of the prompt, read in one prefill pass before the first new token.")
    var promptLength = 1

    @Option(help: "Also save the model's weights to this safetensors file (for compare-pytorch.py's check).")
    var saveWeights: String?

    func run() throws {
        try reportingErrors {
            try model.check()
            if tokens < 1 { throw OptionError("--tokens must be at least 1") }
            if runs < 1 { throw OptionError("--runs must be at least 1") }
            if batch < 1 { throw OptionError("--batch must be at least 1") }
            if promptLength < 1 { throw OptionError("--prompt-length must be at least 1") }
            let bench = try BenchModel(model)
            let record = try bench.sample(
                tokens: tokens, runs: runs, batch: batch, promptLength: promptLength, weights: saveWeights)
            try emit(record, json: model.json)
        }
    }
}

/// `seqbench embed`: sentence embeddings per second from a transformer trunk.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embedding sentences/s: a transformer trunk without gradients, mean-pooled over the tokens.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Sentences per forward pass.")
    var batch = 1

    @Option(help: "Tokens per sentence (at most the config's contextLength; default: contextLength).")
    var length: Int?

    @Option(help: "Length of the timed window.")
    var seconds = 3.0

    func run() throws {
        try reportingErrors {
            try model.check()
            if batch < 1 { throw OptionError("--batch must be at least 1") }
            if let length, length < 1 { throw OptionError("--length must be at least 1") }
            if !(seconds > 0) { throw OptionError("--seconds must be positive") }
            let bench = try BenchModel(model)
            try emit(try bench.embed(batch: batch, length: length, seconds: seconds), json: model.json)
        }
    }
}

/// `seqbench peak`: the sgemm peak that MFU is measured against.
struct PeakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "The machine's sgemm peak: GFLOP/s of one raw cblas_sgemm of size³ (the MFU denominator).")

    @Option(help: "Side of the square matrices.")
    var size = 2048

    @Option(help: "OpenBLAS threads, 0 = SEQKIT_THREADS or the core count.")
    var threads = 0

    @Option(help: "Also write the result as JSON to this file.")
    var json: String?

    func run() throws {
        try reportingErrors {
            if size < 1 { throw OptionError("--size must be at least 1") }
            if threads < 0 { throw OptionError("--threads must be 0 (automatic) or more") }
            try emit(sgemmPeak(size: size, threads: threads), json: json)
        }
    }
}
