import Foundation
import SeqCheckpoint

/// One optimizer step as the loop reports it to observers.
struct StepReport {
    /// Steps done, this one included.
    var step: Int
    /// Mean training loss since the last record (the figure `metrics.jsonl` stores at the next record).
    var meanLoss: Double
    /// The learning rate of this step.
    var learningRate: Double
    /// Training tokens per second since the last record.
    var tokensPerSecond: Double
    /// Seconds left at this session's pace; nil before the first step.
    var etaSeconds: Double?
    /// Seconds of training, earlier sessions of a resumed run included.
    var elapsed: Double
    /// Whether this is the run's last step (`training.maxSteps`).
    var isLast: Bool
}

/// A validation pass, reported before the record that carries it.
struct EvaluationReport {
    /// The mean validation loss (nats per token).
    var loss: Double
    /// Whether it is below every earlier evaluation of the run (the first always is).
    var improved: Bool
}

/// Watches the training loop: the console, the records, the charts, the checkpoints and the stopping rules are
/// observers, so the loop itself only trains, evaluates and asks them in order.
///
/// Per step the loop calls ``stepped(_:_:)``; at a record step (every `training.logInterval`, each evaluation
/// and the last step) ``recorded(_:_:evaluation:)``; then ``stepEnded(_:_:stopping:)`` once whether the run stops
/// after this step is known; at the end ``finished(_:_:)``. An observer that throws stops the run with its error.
protocol TrainingObserver: AnyObject {
    func started(_ session: Session) throws
    func stepped(_ session: Session, _ report: StepReport) throws
    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws
    func stepEnded(_ session: Session, _ report: StepReport, stopping: TrainingOutcome.Reason?) throws
    func finished(_ session: Session, _ outcome: TrainingOutcome) throws
}

extension TrainingObserver {
    func started(_ session: Session) throws {}
    func stepped(_ session: Session, _ report: StepReport) throws {}
    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws {}
    func stepEnded(_ session: Session, _ report: StepReport, stopping: TrainingOutcome.Reason?) throws {}
    func finished(_ session: Session, _ outcome: TrainingOutcome) throws {}
}

/// The console: the progress line every step, a line per evaluation, the closing line.
final class ConsoleObserver: TrainingObserver {
    let progress: ProgressLine
    let quiet: Bool
    let samples: EvaluationSamples

    init(_ config: TrainingConfig, quiet: Bool = false, samples: EvaluationSamples = EvaluationSamples()) {
        progress = ProgressLine(maxSteps: config.training.maxSteps, logInterval: config.training.logInterval)
        self.quiet = quiet
        self.samples = samples
    }

    /// Ends an in-place progress line before other output.
    func lineBreak() {
        if !progress.lineBreak.isEmpty { FileHandle.standardOutput.write(Data(progress.lineBreak.utf8)) }
    }

    func stepped(_ session: Session, _ report: StepReport) {
        guard !quiet else { return }
        progress.emit(
            step: report.step, loss: report.meanLoss, tokensPerSecond: report.tokensPerSecond,
            learningRate: report.learningRate, etaSeconds: report.etaSeconds)
    }

    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) {
        guard let evaluation, !quiet else { return }
        lineBreak()
        let (perUnit, unit) = session.bitsPerUnit(evaluation.loss)
        session.log(
            "step \(record.step): validation loss \(String(format: "%.4f", evaluation.loss)), perplexity "
                + "\(String(format: "%.2f", exp(evaluation.loss))), \(String(format: "%.3f", perUnit)) \(unit)")
        session.log("  sample: " + EvaluationSamples.oneLine(samples.text(session, step: record.step)))
    }

    func stepEnded(_ session: Session, _ report: StepReport, stopping: TrainingOutcome.Reason?) {
        if stopping == .interrupted && !quiet { lineBreak() }
    }

    func finished(_ session: Session, _ outcome: TrainingOutcome) {
        let folder = session.runDirectory.url.path
        switch outcome.reason {
        case .interrupted:
            session.closingLog(
                "interrupted by \(Interrupt.signalName ?? "a signal") at step \(outcome.step); saved "
                    + "\(session.runDirectory.checkpointURL(.latest).path); continue with --resume \(folder)")
        case .earlyStopped:
            session.closingLog(
                "early stop at step \(outcome.step): no better validation loss in \(session.config.training.patience) "
                    + "evaluations")
            fallthrough
        default:
            session.closingLog(
                "done at step \(outcome.step): validation loss "
                    + (outcome.validationLoss.map { String(format: "%.4f", $0) } ?? "n/a") + ", best "
                    + (outcome.bestValidationLoss.map { String(format: "%.4f", $0) } ?? "n/a")
                    + "; checkpoints in \(folder)"
                    + (outcome.reason == .dryRun ? "" : "; report \(folder)/report.html"))
        }
    }
}

/// `metrics.jsonl`, one line per record, and `loss.svg`, redrawn from it at each evaluation.
final class RecordsObserver: TrainingObserver {
    var metrics: MetricsLog?

    func started(_ session: Session) throws {
        metrics = try MetricsLog(url: session.runDirectory.metricsURL, resumingAt: session.step)
    }

    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws {
        try metrics?.append(record)
        if evaluation != nil {
            try LossChart(
                records: try MetricsLog.read(session.runDirectory.metricsURL), title: "\(session.config.run.out) loss"
            )
            .write(to: session.runDirectory.lossChartURL)
        }
    }
}

/// `best/` at each better validation loss; `latest/` every `training.checkpointInterval` steps (0: only at the
/// end), at the last step and whenever the run stops early.
final class CheckpointObserver: TrainingObserver {
    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws {
        if evaluation?.improved == true { try session.save(.best, elapsed: record.elapsed) }
    }

    func stepEnded(_ session: Session, _ report: StepReport, stopping: TrainingOutcome.Reason?) throws {
        let interval = session.config.training.checkpointInterval
        if stopping != nil || report.isLast || (interval > 0 && report.step % interval == 0) {
            try session.save(.latest, elapsed: report.elapsed)
        }
    }
}

/// `training.patience`: stops the run after that many evaluations without a better validation loss (0: never).
/// Runs before ``CheckpointObserver`` so a `best/` checkpoint saves the count it resets.
final class EarlyStoppingObserver: TrainingObserver {
    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) {
        guard let evaluation else { return }
        session.evaluationsWithoutImprovement = evaluation.improved ? 0 : session.evaluationsWithoutImprovement + 1
        let patience = session.config.training.patience
        if patience > 0 && session.evaluationsWithoutImprovement >= patience { session.stopRequest = .earlyStopped }
    }
}
