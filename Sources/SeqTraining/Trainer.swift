import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqDistributed
import SeqModels
import SeqNN
import SeqTensor
import SeqTokenizers

/// What a run does besides training from scratch.
public struct TrainerOptions: Sendable {
    /// Continue the run in this directory (its `latest/` checkpoint, or a checkpoint directory).
    public var resume: URL?
    /// Start a new run from the weights and tokenizer of this checkpoint (fresh optimizer and schedule).
    public var initFrom: URL?
    /// Print the resolved config, the model summary and an estimate of memory and time per step, then stop,
    /// creating nothing.
    public var dryRun = false
    /// Start a new run in a folder that holds one: the old run is moved aside and removed once the new run has
    /// saved its first checkpoint (put back if the new run fails before). Without it such a folder is refused.
    public var overwrite = false
    /// How much the console shows.
    public var verbosity = Verbosity.normal
    /// Stop after this many seconds of training (`seqtrain --compare --budget`): the step that reaches it is the
    /// last, evaluated and saved as the run's end; the schedule still follows `training.maxSteps`.
    public var budgetSeconds: Double?

    /// What the console shows of a run.
    public enum Verbosity: Sendable {
        /// Errors and the closing line only.
        case quiet
        /// The model summary, the progress line, each evaluation with a sample, the closing line.
        case normal
        /// Also the resolved config (always in `config.json`).
        case verbose
    }

    /// Options for a fresh run.
    public init(
        resume: URL? = nil, initFrom: URL? = nil, dryRun: Bool = false, overwrite: Bool = false,
        verbosity: Verbosity = .normal
    ) {
        self.resume = resume
        self.initFrom = initFrom
        self.dryRun = dryRun
        self.overwrite = overwrite
        self.verbosity = verbosity
    }
}

/// How a run ended.
public struct TrainingOutcome: Sendable {
    /// Optimizer steps completed.
    public let step: Int
    /// The last validation loss measured, if any.
    public let validationLoss: Double?
    /// The lowest validation loss of the run.
    public let bestValidationLoss: Double?
    /// Why the loop stopped.
    public let reason: Reason
    /// Training tokens of the run (batch × context × accumulation × steps).
    public var tokensSeen = 0
    /// Seconds of training up to the last step, across resumes.
    public var elapsed = 0.0
    /// The last evaluation's sample ("" when none was drawn).
    public var sample = ""
    /// Trainable parameters of the model.
    public var parameters = 0
    /// The last validation loss in bits per character (char tokenizer) or per byte, and that unit's name.
    public var validationBits: (value: Double, unit: String)?

    /// Why the loop stopped.
    public enum Reason: String, Sendable {
        /// `training.maxSteps` reached.
        case finished
        /// No better validation loss for `training.patience` evaluations.
        case earlyStopped
        /// Ctrl-C: a checkpoint was saved at the step boundary.
        case interrupted
        /// `--dry-run`.
        case dryRun
    }
}

/// A training failure that is not a config or file mistake.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A checkpoint left in place by a failed run, and the step it holds.
    public struct KeptCheckpoint: Equatable, Sendable {
        /// The checkpoint directory, e.g. `runs/x/latest`.
        public var path: String
        /// The step its `state.json` records.
        public var step: Int
    }

    /// The loss, the weights or the optimizer state (`subject`, e.g. "the loss") became NaN or infinite at
    /// `step`; nothing from that step was saved, and the checkpoints in `kept` are finite.
    case nonFinite(subject: String, step: Int, kept: [KeptCheckpoint])
    /// `--resume` with a corpus or tokenizer that differs from the checkpoint's.
    case changedInput(what: String, checkpoint: String)

    public var description: String {
        switch self {
        case .nonFinite(let subject, let step, let kept):
            "\(subject) became NaN or infinite at step \(step), so nothing from that step was saved; "
                + (kept.isEmpty
                    ? "no checkpoint was written; "
                    : "the last good checkpoint"
                        + (kept.count > 1 ? "s are " : " is ")
                        + kept.map { "\($0.path) (step \($0.step))" }.joined(separator: " and ") + "; ")
                + "lower optimizer.learningRate or set training.clipNorm"
        case .changedInput(let what, let checkpoint):
            "the \(what) differs from the one \(checkpoint) was trained on (manifest.json hash); "
                + "resume with the same \(what), or start a new run with --init-from \(checkpoint)"
        }
    }
}

/// Next-token training as a config describes it: data, model, optimizer, schedule, evaluation,
/// checkpoints and records.
///
/// ```swift
/// let config = try TrainingConfig.load(from: URL(fileURLWithPath: "Configs/tiny-gpt.json"))
/// let outcome = try Trainer(config: config).run()
/// ```
public final class Trainer {
    var config: TrainingConfig
    let options: TrainerOptions
    let log: (String) -> Void
    /// The processes of a data-parallel run (`mpirun`); one process unless set.
    package var communicator: any Communicator = SingleProcess()

    /// A trainer; `log` receives every line the run prints (progress lines excepted).
    public init(
        config: TrainingConfig, options: TrainerOptions = TrainerOptions(),
        log: @escaping (String) -> Void = { print($0) }
    ) {
        self.config = config
        self.options = options
        self.log = log
    }

    /// Runs to the end, to early stopping, or to Ctrl-C; throws one-line errors for user mistakes.
    public func run() throws -> TrainingOutcome {
        try config.validate()
        let warmup = config.schedule.fittedWarmupSteps(maxSteps: config.training.maxSteps)
        if warmup != config.schedule.warmupSteps && options.resume == nil {
            if options.verbosity != .quiet {
                log(
                    "note: schedule.warmupSteps \(config.schedule.warmupSteps) does not fit a run of "
                        + "\(config.training.maxSteps) steps; warming up over \(warmup) steps (a tenth of the run)")
            }
            config.schedule.warmupSteps = warmup
        }
        var runtime = RuntimeOptions.environment
        if config.run.threads > 0 { runtime.threads = config.run.threads }
        Threads.apply(runtime)
        return try Threads.withDenormalsFlushed {
            let session = try Session(trainer: self)
            do {
                return try session.run()
            } catch {
                // A run that failed before its first checkpoint gives the folder back to the run it replaced.
                if session.replacing { try? session.runDirectory.restoreReplacedRunIfUnsaved() }
                throw error
            }
        }
    }
}
