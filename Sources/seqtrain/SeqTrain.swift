import ArgumentParser
import Foundation
import SeqCommandLine
import SeqDistributed
import SeqLayers
import SeqTensor
import SeqTraining

@main
struct SeqTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seqtrain",
        abstract:
            "Train a next-token language model, or a text classifier (\"task\": \"classify\"), from a JSON config.",
        discussion: """
            Examples:
              seqtrain --config Configs/tiny-gpt.json
              seqtrain --config Configs/char-lstm.json --max-steps 500 --set optimizer.learningRate=3e-3
              seqtrain --resume runs/tiny-gpt --max-steps 4000  continue a run from its latest checkpoint
              seqtrain --config Configs/tiny-gpt.json --overwrite  start runs/tiny-gpt again
              seqtrain --config Configs/tiny-gpt.json --init-from runs/tiny-gpt --out runs/finetune
              seqtrain --compare Configs/char-lstm.json Configs/tiny-gpt.json --budget 5m  one budget, one table
            Ctrl-C, SIGTERM or SIGHUP saves a checkpoint at the next step and exits 0.
            Built with `--traits MPI`, `mpirun -np N seqtrain ...` trains on N processes (global batch N × batchSize).
            """)

    /// Parse errors are one line, like every other mistake.
    static func main() { mainReportingOneLine() }

    @Option(name: .long, help: "The training config (JSON). Optional with --resume.")
    var config: String?

    @Option(name: .long, help: "Stop after this many optimizer steps (training.maxSteps).")
    var maxSteps: Int?

    @Option(name: .long, help: "Seed of every random choice (run.seed).")
    var seed: UInt64?

    @Option(name: .long, help: "Run directory for checkpoints and records (run.out).")
    var out: String?

    @Option(name: .long, help: "Threads for OpenBLAS and SeqKit's loops, 0 = automatic (run.threads).")
    var threads: Int?

    @Option(name: .customLong("set"), help: "Override any key: --set key.path=value (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "Continue the run in this directory from its latest checkpoint.")
    var resume: String?

    @Option(name: .long, help: "Start from the weights and tokenizer of this checkpoint (new optimizer and schedule).")
    var initFrom: String?

    @Flag(name: .long, help: "Print the resolved config, the model summary and estimates, then stop; creates nothing.")
    var dryRun = false

    @Flag(
        name: .long,
        help: "Start again in a run directory that holds a run; the old run is removed once the new one has saved.")
    var overwrite = false

    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Train each config on one corpus for one budget into OUT/<name>/, then OUT/report.html (OUT: --out).")
    var compare: [String] = []

    @Option(name: .long, help: "Wall-clock training budget of each --compare run: 90s, 5m, 1h.")
    var budget: String?

    @Option(name: .long, help: "Training-token budget of each --compare run.")
    var budgetTokens: Int?

    @Option(name: .long, help: "With --compare: train every config on this corpus file (data.corpus).")
    var corpus: [String] = []

    @Flag(name: .long, help: "Print only errors and the closing line.")
    var quiet = false

    @Flag(name: .long, help: "Also print the resolved config (always written to the run's config.json).")
    var verbose = false

    /// Contradictory or out-of-range flags: one line on stderr, exit 64 (ArgumentParser's own `validate()`
    /// would add the usage text).
    func checkOptions() throws {
        if config == nil && resume == nil { throw OptionError("give --config FILE (or --resume RUN_DIR)") }
        if resume != nil && initFrom != nil { throw OptionError("--resume and --init-from exclude each other") }
        if resume != nil && overwrite {
            throw OptionError("--resume continues the run and --overwrite starts it again; give one of them")
        }
        if quiet && verbose { throw OptionError("--quiet and --verbose exclude each other; give one of them") }
        if let maxSteps, maxSteps <= 0 { throw OptionError("--max-steps must be positive") }
        if let threads, threads < 0 || threads > Threads.maximumCount {
            throw OptionError("--threads must be in 0...\(Threads.maximumCount) (0 = one per core); got \(threads)")
        }
    }

    /// `90s`, `5m`, `1h` or plain seconds, in seconds; nil when it is none of them.
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let unit = text.last.flatMap({ units[$0] }), let value = Double(text.dropLast()), value > 0 {
            return value * unit
        }
        return Double(text).flatMap { $0 > 0 ? $0 : nil }
    }

    func runComparison() throws {
        if config != nil || resume != nil || initFrom != nil || dryRun {
            throw OptionError("--compare takes its configs itself; drop --config, --resume, --init-from, --dry-run")
        }
        if compare.count < 2 { throw OptionError("--compare needs two or more config files") }
        if (budget == nil) == (budgetTokens == nil) {
            throw OptionError("--compare needs one budget: --budget 5m (wall clock) or --budget-tokens N")
        }
        var seconds: Double?
        if let budget {
            guard let value = Self.seconds(budget) else {
                throw OptionError("--budget must be a positive duration like 90s, 5m or 1h; got \(budget)")
            }
            seconds = value
        }
        if let budgetTokens, budgetTokens <= 0 { throw OptionError("--budget-tokens must be positive") }
        let list = TrainingConfig.overrideList(maxSteps: maxSteps, threads: threads, set: overrides)
        let comparison = RunComparison(
            configs: compare.map { URL(fileURLWithPath: $0) }, budgetSeconds: seconds, budgetTokens: budgetTokens,
            corpus: corpus.isEmpty ? nil : corpus.map { URL(fileURLWithPath: $0).path },
            out: URL(fileURLWithPath: out ?? "compare"), overrides: list)
        let rows = try comparison.run(log: { if !quiet { print($0) } })
        print(RunComparison.table(rows), terminator: "")
        for row in rows {
            print("\(row.name) sample: \(row.sample.replacingOccurrences(of: "\n", with: "⏎").prefix(100))")
        }
        print("report: \(comparison.out.appendingPathComponent("report.html").path)")
    }

    func run() throws {
        let world = makeWorldCommunicator()
        do {
            if !compare.isEmpty {
                if quiet && verbose { throw OptionError("--quiet and --verbose exclude each other; give one of them") }
                return try runComparison()
            }
            if budget != nil || budgetTokens != nil || !corpus.isEmpty {
                throw OptionError("--budget, --budget-tokens and --corpus go with --compare A.json B.json …")
            }
            try checkOptions()
            if let config, let data = FileManager.default.contents(atPath: config),
                ClassificationConfig.isClassification(data)
            {
                return try runClassification(URL(fileURLWithPath: config))
            }
            let list = TrainingConfig.overrideList(
                maxSteps: maxSteps, seed: seed, out: out ?? resume, threads: threads, set: overrides)
            let file =
                try config.map { URL(fileURLWithPath: $0) }
                ?? TrainedCheckpoint.locate(
                    URL(fileURLWithPath: resume!), prefer: .latest
                ).appendingPathComponent("config.json")
            // A checkpoint's config.json records absolute corpus paths (older ones: relative to where it ran).
            let loaded = try TrainingConfig.load(
                from: file, overrides: list, resolvingPaths: config != nil, checkpoint: config == nil)
            let options = TrainerOptions(
                resume: resume.map { URL(fileURLWithPath: $0) }, initFrom: initFrom.map { URL(fileURLWithPath: $0) },
                dryRun: dryRun, overwrite: overwrite, verbosity: quiet ? .quiet : verbose ? .verbose : .normal)
            let trainer = Trainer(config: loaded, options: options)
            trainer.communicator = world
            let outcome = try trainer.run()
            if outcome.reason == .interrupted && world.size > 1 {
                // Open MPI's mpirun, on Ctrl-C, sends every rank SIGTERM and tears the job down, so a rank that
                // waited in MPI_Finalize would hang until the SIGKILL that follows; the checkpoint is saved, leave.
                fflush(nil)
                Foundation.exit(0)
            }
            world.finish()
        } catch let error as OptionError {
            fail(world, "\(error)", code: ExitCode.validationFailure.rawValue)
            throw ExitCode.validationFailure
        } catch {
            fail(world, "\(error)", code: ExitCode.failure.rawValue)
            throw ExitCode.failure
        }
    }

    /// A `"task": "classify"` config: trains a text classifier (``ClassificationTask``).
    func runClassification(_ file: URL) throws {
        if maxSteps != nil || !overrides.isEmpty || verbose {
            throw OptionError("--max-steps, --set and --verbose are for next-token configs; edit the classify config")
        }
        var loaded = try ClassificationConfig.load(from: file)
        if let out { loaded.run.out = out }
        if let seed { loaded.run.seed = seed }
        if let threads { loaded.run.threads = threads }
        if let initFrom {
            loaded.trunk.kind = .pretrained
            loaded.trunk.path = URL(fileURLWithPath: initFrom).standardizedFileURL.path
        }
        try loaded.validate(file: file.path)
        _ = try ClassificationTask.run(loaded, overwrite: overwrite, dryRun: dryRun, quiet: quiet)
    }

    /// Prints the one-line error; with other ranks running, ends them all (they would wait for this one forever)
    /// once this rank has said why. Rank 0 writes checkpoints atomically, so `latest/` stays the last good one.
    func fail(_ world: any Communicator, _ message: String, code: Int32) {
        let rank = world.size > 1 ? " (rank \(world.rank) of \(world.size))" : ""
        FileHandle.standardError.write(Data("seqtrain: error\(rank): \(message)\n".utf8))
        if world.size > 1 { world.abort(code: code) }
        world.finish()
    }
}

/// A flag combination that cannot work, said in one line.
struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
