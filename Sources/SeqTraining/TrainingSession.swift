import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqConfig
import SeqDistributed
import SeqModels
import SeqNN
import SeqTensor
import SeqTokenizers

/// One run's state: data, tokenizer, model, optimizer, generators and records.
final class Session {
    let config: TrainingConfig
    let options: TrainerOptions
    let log: (String) -> Void
    /// The processes sharing each step; rank 0 alone prints and writes.
    let communicator: any Communicator
    /// Rows of each step this process trains on: `training.batchSize` (the global batch) / processes.
    let rankBatch: Int
    let closingLog: (String) -> Void
    let runDirectory: RunDirectory
    let corpus: Corpus
    let tokenizer: any Tokenizer
    let tokenizerJSON: Data
    let tokenizerSHA256: String
    let data: TokenizedCorpus
    let model: any LanguageModel
    let optimizer: Optimizer
    var sampler: BatchSampler
    let context: ForwardContext
    var carried: CarriedState?
    var step = 0
    var tokensSeen = 0
    var bestValidationLoss: Double?
    var lastValidationLoss: Double?
    var evaluationsWithoutImprovement = 0
    var elapsedBefore = 0.0
    var lastCheckpoint: String?
    /// The lock on the run folder, held for the session's life (nil for a dry run).
    let lock: RunLock?
    /// True while a run that `--overwrite` moved aside waits for this run's first checkpoint.
    var replacing = false
    /// Why the loop stops after the current step, once an observer or a signal has decided it.
    var stopRequest: TrainingOutcome.Reason?

    init(trainer: Trainer) throws {
        var config = trainer.config
        options = trainer.options
        communicator = trainer.communicator
        let isRoot = communicator.rank == 0
        // --quiet: only the closing line (``closingLog``) and errors; ranks other than 0 print nothing.
        log = isRoot && (trainer.options.verbosity != .quiet || trainer.options.dryRun) ? trainer.log : { _ in }
        closingLog = isRoot ? trainer.log : { _ in }
        // The run folder: nothing is created for a dry run; another writer is refused before any work, and so is,
        // for a new run, a run already there.
        let runURL = URL(fileURLWithPath: config.run.out)
        var runLock: RunLock?
        var isDirectory: ObjCBool = false
        if isRoot && !options.dryRun && FileManager.default.fileExists(atPath: runURL.path, isDirectory: &isDirectory)
            && isDirectory.boolValue
        {
            runLock = try RunLock(runURL)
        }
        let resumeDirectory = try options.resume.map { try TrainedCheckpoint.locate($0, prefer: .latest) }
        // A Hugging Face GPT-2 folder is fine-tuned with its own architecture: the model section comes from its
        // config.json (the run's dropout kept), its weights from its model.safetensors.
        let pretrained = try options.initFrom.flatMap {
            HuggingFaceGPT2.isModel(at: $0) ? try HuggingFaceGPT2(folder: $0) : nil
        }
        if let pretrained {
            let dropout = config.model.dropout
            config.model = pretrained.config
            config.model.dropout = dropout
        }
        let initDirectory = try options.initFrom.map {
            pretrained == nil ? try TrainedCheckpoint.locate($0, prefer: .best) : $0
        }
        if let resumeDirectory {
            // A resumed run continues with its own resolved config; what may change without breaking the run
            // (schedule, length, intervals, threads) comes from the command line, anything else is refused.
            let saved = try TrainingConfig.load(
                from: resumeDirectory.appendingPathComponent(Checkpoint.configFile), resolvingPaths: false,
                checkpoint: true)
            config = try saved.resumed(with: config)
            try config.validate()
        }
        if isRoot && !options.dryRun && resumeDirectory == nil {
            try RunDirectory.checkNewRun(at: runURL, overwrite: options.overwrite)
        }
        let prepared = try TrainingData(
            config: &config, tokenizerFrom: resumeDirectory ?? initDirectory, resuming: resumeDirectory, log: log)
        (corpus, tokenizer, tokenizerJSON, tokenizerSHA256, data) = (
            prepared.corpus, prepared.tokenizer, prepared.tokenizerJSON, prepared.tokenizerSHA256, prepared.ids
        )
        try config.validate(corpusTokenCount: data.train.count + data.validation.count)
        // A new run's training.batchSize is each process's share; the run records the global batch, which a
        // resumed run splits over the processes it has, so any number of processes continues the same run.
        let ranks = communicator.size
        if resumeDirectory == nil {
            rankBatch = config.training.batchSize
            config.training.batchSize *= ranks
        } else {
            guard config.training.batchSize % ranks == 0 else {
                throw ConfigError.invalidValue(
                    key: "training.batchSize",
                    rule: "the checkpoint's global batch of \(config.training.batchSize) rows does not split over "
                        + "\(ranks) processes; resume with a number of processes that divides it")
            }
            rankBatch = config.training.batchSize / ranks
        }
        let batch = config.training.batchSize
        let time = config.model.contextLength
        if config.model.carriesState && (data.train.count - 1) / batch < time + 1 {
            throw ConfigError.invalidValue(
                key: "training.batchSize",
                rule: "\(batch) streams of the \(data.train.count) training tokens are shorter than one window of "
                    + "\(time) + 1; lower training.batchSize or model.contextLength")
        }
        self.config = config
        runDirectory = try RunDirectory(url: runURL, create: isRoot && !options.dryRun)
        lock = options.dryRun || !isRoot ? nil : try runLock ?? RunLock(runURL)

        model = try makeModel(config.model, seed: config.run.seed)
        optimizer = Optimizer(config.optimizer, arena: model.arena)
        sampler = BatchSampler(
            ids: data.train, batch: rankBatch, time: time, mode: config.model.carriesState ? .streams : .random,
            rng: SeededGenerator(seed: config.run.seed &+ 1), rank: communicator.rank, ranks: ranks)
        context = ForwardContext(training: true, rng: SeededGenerator(seed: config.run.seed &+ 2))

        if let resumeDirectory {
            try restore(from: resumeDirectory)
            log("resumed \(resumeDirectory.path) at step \(step)")
        } else if let pretrained, let initDirectory {
            model.arena.values.base.update(from: pretrained.model.arena.values.base, count: model.arena.count)
            log("initialised the weights from the Hugging Face GPT-2 model in \(initDirectory.path)")
        } else if let initDirectory {
            try model.load(from: initDirectory.appendingPathComponent(Checkpoint.modelFile))
            log("initialised the weights from \(initDirectory.path)")
            // The weights load whatever GELU the config names; a form other than the one they were trained with
            // shifts every MLP output by up to about 1e-3, so say so.
            let source = try TrainingConfig.load(
                from: initDirectory.appendingPathComponent(Checkpoint.configFile), resolvingPaths: false,
                checkpoint: true)
            if config.model.usesActivation && source.model.activation != config.model.activation {
                log(
                    "note: \(initDirectory.path) was trained with model.activation \(source.model.activation.rawValue); "
                        + "this run uses \(config.model.activation.rawValue). Set model.activation to "
                        + "\(source.model.activation.rawValue) to keep the activation the weights learned with")
            }
        }
        if isRoot && options.overwrite && resumeDirectory == nil && !options.dryRun {
            replacing = try runDirectory.moveRunAside()
            if replacing {
                log("moved the previous run in \(runURL.path) aside; it is removed once this run saves a checkpoint")
            }
        }
    }

    /// The observers of a run, in the order they are asked: console, records, early stopping, checkpoints.
    /// Ranks other than 0 print and record nothing; they keep the stopping rule, which every rank must follow
    /// alike, and the checkpoint observer, whose save gathers the carried state from every rank.
    func makeObservers(_ samples: EvaluationSamples = EvaluationSamples()) -> [any TrainingObserver] {
        guard communicator.rank == 0 else { return [EarlyStoppingObserver(), CheckpointObserver()] }
        var observers: [any TrainingObserver] = [
            ConsoleObserver(config, quiet: options.verbosity == .quiet, samples: samples), RecordsObserver(),
            EarlyStoppingObserver(), CheckpointObserver(), ReportObserver(samples: samples),
        ]
        if config.run.tensorboard { observers.append(TensorBoardObserver(samples: samples)) }
        return observers
    }

    /// The whole loop: train a step, evaluate when due, and tell the observers, which print, record, save and
    /// decide to stop early.
    func run() throws -> TrainingOutcome {
        // The config is in config.json; the console shows it only when asked (or for a dry run, which writes none).
        if options.verbosity == .verbose || options.dryRun { log("config:\n" + config.resolvedJSON()) }
        if options.verbosity != .quiet || options.dryRun {
            log(model.summary(batch: rankBatch).description)
            if communicator.size > 1 {
                log(
                    "data parallel: \(communicator.size) processes × \(rankBatch) rows = \(config.training.batchSize) "
                        + "rows per step; gradients of \(model.arena.count * 4) bytes averaged each step")
            }
            log(
                "data: \(corpus.files.count) file(s), \(corpus.bytes.count) bytes, \(data.train.count) training and "
                    + "\(data.validation.count) validation tokens")
        }
        if options.dryRun { return try dryRun() }
        if options.resume != nil && step >= config.training.maxSteps {
            log(
                "\(runDirectory.url.path) is already at step \(step), its training.maxSteps; nothing to train. "
                    + "Pass --max-steps N with N above \(step) to train further")
            return TrainingOutcome(
                step: step, validationLoss: nil, bestValidationLoss: bestValidationLoss, reason: .finished)
        }
        if communicator.rank == 0 { try runDirectory.saveConfig(config) }
        let samples = EvaluationSamples()
        let observers = makeObservers(samples)
        for observer in observers { try observer.started(self) }
        Interrupt.install()
        defer { Interrupt.uninstall() }

        let started = Date()
        let startStep = step
        var windowStart = Date()
        var windowTokens = 0
        var lossSum = 0.0
        var lossCount = 0
        var trainedSeconds = elapsedBefore
        let tokensPerStep =
            config.training.batchSize * config.model.contextLength * config.training.gradientAccumulation

        while step < config.training.maxSteps {
            let lr = learningRate(
                at: schedulePosition(step: step, started: started), peak: config.optimizer.learningRate,
                schedule: config.schedule, maxSteps: config.training.maxSteps)
            let loss = trainStep(learningRate: lr)
            guard loss.isFinite else {
                (observers.first as? ConsoleObserver)?.lineBreak()
                throw nonFinite("the loss", at: step + 1)
            }
            step += 1
            tokensSeen += tokensPerStep
            windowTokens += tokensPerStep
            lossSum += loss
            lossCount += 1
            let seconds = Date().timeIntervalSince(windowStart)
            let report = StepReport(
                step: step, meanLoss: lossSum / Double(lossCount), learningRate: Double(lr),
                tokensPerSecond: seconds > 0 ? Double(windowTokens) / seconds : 0,
                etaSeconds: ProgressLine.eta(
                    elapsed: Date().timeIntervalSince(started), stepsDone: step - startStep,
                    stepsLeft: config.training.maxSteps - step),
                elapsed: elapsedBefore + Date().timeIntervalSince(started),
                isLast: step == config.training.maxSteps || budgetReached(started: started, steps: step - startStep))
            trainedSeconds = report.elapsed  // up to the last step: the final evaluation and save are not training
            for observer in observers { try observer.stepped(self, report) }

            let evaluate = step % config.training.evalInterval == 0 || report.isLast
            if step % config.training.logInterval == 0 || evaluate {
                var evaluation: EvaluationReport?
                if evaluate {
                    let loss = evaluateValidation()
                    evaluation = EvaluationReport(loss: loss, improved: bestValidationLoss.map { loss < $0 } ?? true)
                    lastValidationLoss = loss
                    if evaluation!.improved { bestValidationLoss = loss }
                }
                let record = MetricsLog.Record(
                    step: step, loss: report.meanLoss, valLoss: evaluation?.loss, lr: report.learningRate,
                    tokensPerSecond: report.tokensPerSecond, elapsed: elapsedBefore + Date().timeIntervalSince(started))
                for observer in observers { try observer.recorded(self, record, evaluation: evaluation) }
                (lossSum, lossCount, windowTokens, windowStart) = (0, 0, 0, Date())
            }
            // A signal may reach the ranks at different steps: any rank's request stops them all at this one.
            let interrupted =
                communicator.size == 1
                ? Interrupt.isRequested : communicator.allreduceSum([Interrupt.isRequested ? 1 : 0])[0] > 0
            if interrupted { stopRequest = .interrupted }
            for observer in observers { try observer.stepEnded(self, report, stopping: stopRequest) }
            if stopRequest != nil || report.isLast { break }
        }
        var outcome = TrainingOutcome(
            step: step, validationLoss: lastValidationLoss, bestValidationLoss: bestValidationLoss,
            reason: stopRequest ?? .finished)
        outcome.tokensSeen = tokensSeen
        outcome.elapsed = trainedSeconds
        outcome.sample = samples.last
        outcome.parameters = model.arena.count
        outcome.validationBits = lastValidationLoss.map { bitsPerUnit($0) }
        for observer in observers { try observer.finished(self, outcome) }
        return outcome
    }

    /// One optimizer step (with gradient accumulation); returns the mean training loss.
    /// Whether a wall-clock budget (`--compare --budget`) ends the run at this step: when the next step would
    /// end further past the budget than this one falls short of it, so the run stops at the step boundary
    /// nearest the budget (within half a step) rather than always one step past it.
    func budgetReached(started: Date, steps: Int) -> Bool {
        guard let budget = options.budgetSeconds else { return false }
        let elapsed = Date().timeIntervalSince(started)
        let perStep = elapsed / Double(max(steps, 1))
        return elapsed + perStep / 2 >= budget
    }

    /// The step the learning-rate schedule reads. Without a time budget, the step itself. With one, past the warmup
    /// the share of the budget spent: a run of a `--compare` decays its learning rate fully within its budget, as it
    /// would over `maxSteps`, however many steps the budget holds (a slow model is not cut off at its peak rate).
    func schedulePosition(step: Int, started: Date) -> Int {
        guard let budget = options.budgetSeconds else { return step }
        let warmup = config.schedule.warmupSteps
        if step < warmup { return step }
        let share = min(Date().timeIntervalSince(started) / budget, 1)
        return max(step, warmup + Int(share * Double(config.training.maxSteps - warmup)))
    }

    func trainStep(learningRate lr: Float) -> Double {
        context.training = true
        return optimizerStep(
            model: model, optimizer: optimizer, context: context, batch: rankBatch, communicator: communicator,
            accumulation: config.training.gradientAccumulation, clipNorm: config.training.clipNorm,
            learningRate: lr, carried: &carried, nextWindow: { sampler.next() })
    }

    /// A validation loss in bits per character (char tokenizer) or per byte of text, and the unit's name.
    func bitsPerUnit(_ loss: Double) -> (value: Double, unit: String) {
        let bits = loss / Foundation.log(2.0)
        return config.tokenizer.kind == .char ? (bits, "bits/char") : (bits / data.bytesPerToken, "bits/byte")
    }
}

/// The trainer's optimizer step, shared by `seqtrain` and the `seqbench train` benchmark: zero the gradients;
/// for each of `accumulation` windows from `nextWindow` (restarting the carried recurrent state when a window
/// says so) forward, cross-entropy, backward scaled by 1/accumulation, carry the detached state on; average the
/// gradients over the processes of `communicator` (`g ← (1/N) Σ_r g_r`, so clipping and the update see the
/// gradient of the global batch); clip to `clipNorm` (0 = off); one optimizer update at `lr`. Returns the mean
/// loss of the windows over every process.
package func optimizerStep(
    model: any LanguageModel, optimizer: Optimizer, context: ForwardContext, batch: Int,
    communicator: any Communicator = SingleProcess(), accumulation: Int,
    clipNorm: Double, learningRate lr: Float, carried: inout CarriedState?,
    nextWindow: () -> (inputs: [Int], targets: [Int], restart: Bool)
) -> Double {
    model.arena.zeroGradients()
    var total = 0.0
    for _ in 0..<accumulation {
        let window = nextWindow()
        if window.restart { carried = nil }
        let (logits, next) = model.forward(window.inputs, batch: batch, state: carried, context: context)
        let loss = crossEntropy(logits, targets: window.targets)  // (B·T, V) → scalar
        total += Double(loss.value.item)
        (accumulation == 1 ? loss : loss * (1 / Float(accumulation))).backward()
        carried = next?.detached()
    }
    if communicator.size > 1 {
        // One reduction of the whole contiguous gradient arena after the backward pass.
        communicator.allreduceAverage(model.arena.gradients.base, count: model.arena.count)
        total = communicator.allreduceSum([total])[0] / Double(communicator.size)
    }
    // Also without clipping (0 scales nothing): the norm is one pass over the arena and observers log it.
    optimizer.clipGradients(maxNorm: Float(clipNorm))
    optimizer.step(learningRate: lr)
    return total / Double(accumulation)
}
