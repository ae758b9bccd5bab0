import Foundation
import SeqConfig
import SeqModels
import SeqTensor

extension TrainingConfig {
    /// Checks every rule that needs no corpus or tokenizer; the first broken rule is thrown with its key.
    ///
    /// `optimizer.learningRate: -1` → `invalid value for 'optimizer.learningRate': must be a positive number; got -1.0`
    ///
    /// With `checkingMemory` (the default), a config whose training memory (``trainingMemory``) exceeds what the
    /// machine has available is refused too; reading a checkpoint only to sample skips that, as building the model
    /// checks what sampling needs.
    public func validate(checkingMemory: Bool = true) throws {
        try model.validateForLanguageModel()
        try tokenizer.validate()
        try data.validate()
        try optimizer.validate()
        try training.validate()
        try schedule.validate(peak: optimizer.learningRate, maxSteps: training.maxSteps)
        try run.validate()
        if checkingMemory { try checkMemory(available: availableMemory()) }
    }

    /// Throws ``ConfigError/tooLarge(needed:largest:available:fix:)`` when ``trainingMemory`` exceeds
    /// `available` bytes, so a size the machine cannot hold is refused before anything is allocated.
    ///
    /// `--set training.batchSize=100000000` → `the config needs about 1.3 TB (largest: activations of
    /// batchSize 100000000 × contextLength 64 × 4 layers) but 20.1 GB is available; lower training.batchSize …`
    public func checkMemory(available: Int) throws {
        try trainingMemory.check(available: available)
    }

    /// The estimate of ``ModelConfig/trainingMemory(batch:optimizerMoments:)`` for this run: the model with
    /// the tokenizer's target vocabulary when `model.vocabSize` is 0, this batch size and this optimizer.
    public var trainingMemory: MemoryEstimate {
        var resolved = model
        if resolved.vocabSize == 0 { resolved.vocabSize = tokenizer.vocabularySize }
        let moments: Int
        switch optimizer.kind {
        case .adam, .adamw: moments = 2
        case .sgd: moments = optimizer.momentum > 0 ? 1 : 0
        case .rmsprop: moments = optimizer.momentum > 0 ? 2 : 1
        }
        return resolved.trainingMemory(batch: training.batchSize, optimizerMoments: moments)
    }

    /// Checks the rules that need the corpus size: both splits must hold at least one window plus its target.
    ///
    /// With `contextLength = 64`, each split needs ≥ 65 tokens:
    /// `validationTokens = ⌊tokens · validationFraction⌋`, `trainTokens = tokens − validationTokens`.
    public func validate(corpusTokenCount tokens: Int) throws {
        try data.validate()
        let validation = (Double(max(tokens, 0)) * data.validationFraction).rounded(.down)
        let train = Double(max(tokens, 0)) - validation
        let needed = Double(model.contextLength) + 1
        if train < needed || validation < needed {
            let minimum = (needed / min(data.validationFraction, 1 - data.validationFraction)).rounded(.up)
            throw ConfigError.invalidValue(
                key: "model.contextLength",
                rule: "a window of \(model.contextLength) tokens plus its target must fit in both splits, but the "
                    + "corpus has \(tokens) tokens (\(Int(train)) train, \(Int(validation)) validation); lower "
                    + "model.contextLength or use a corpus of at least \(String(format: "%.0f", minimum)) tokens")
        }
    }
}

/// `ConfigError.invalidValue` for `section.key`.
private func invalid<Key: CodingKey>(_ section: String, _ key: Key, _ rule: String) -> ConfigError {
    ConfigError.invalidValue(key: "\(section).\(key.stringValue)", rule: rule)
}

/// True when `x` is finite and `lower ≤ x < upper`.
private func inHalfOpen(_ x: Double, _ lower: Double, _ upper: Double) -> Bool { x >= lower && x < upper }

extension DataConfig {
    /// The corpus list is non-empty and has no empty entry; the validation fraction is in (0, 1).
    public func validate() throws {
        if corpus.isEmpty {
            throw invalid(
                "data", CodingKeys.corpus,
                "list at least one file, folder or glob, e.g. \"corpus\": [\"Corpora/shakespeare.txt\"]")
        }
        if let index = corpus.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw invalid("data", CodingKeys.corpus, "entry \(index) is empty; give a file, folder or glob")
        }
        if !cacheDir.isEmpty && cacheDir.trimmingCharacters(in: .whitespaces).isEmpty {
            throw invalid(
                "data", CodingKeys.cacheDir, "is blank; leave it out for ~/.cache/seqkit or give a folder path")
        }
        if cacheDir.utf8.contains(0) {
            throw invalid("data", CodingKeys.cacheDir, "contains a NUL character; give a folder path")
        }
        if !(validationFraction > 0 && validationFraction < 1) {
            throw invalid(
                "data", CodingKeys.validationFraction, "must be in (0, 1), e.g. 0.1; got \(validationFraction)")
        }
    }
}

extension OptimizerConfig {
    /// Positive learning rate and epsilon, betas, momentum and alpha in [0, 1), non-negative weight decay,
    /// and Nesterov only for sgd with momentum.
    public func validate() throws {
        func fail(_ key: CodingKeys, _ rule: String) -> ConfigError { invalid("optimizer", key, rule) }
        if !(learningRate > 0 && learningRate.isFinite) {
            throw fail(.learningRate, "must be a positive number; got \(learningRate)")
        }
        if !inHalfOpen(beta1, 0, 1) { throw fail(.beta1, "must be in [0, 1), e.g. 0.9; got \(beta1)") }
        if !inHalfOpen(beta2, 0, 1) { throw fail(.beta2, "must be in [0, 1), e.g. 0.999; got \(beta2)") }
        if !(epsilon > 0 && epsilon.isFinite) { throw fail(.epsilon, "must be a positive number; got \(epsilon)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw fail(.weightDecay, "must be 0 (off) or positive; got \(weightDecay)")
        }
        if !inHalfOpen(momentum, 0, 1) { throw fail(.momentum, "must be in [0, 1); got \(momentum)") }
        if !inHalfOpen(alpha, 0, 1) { throw fail(.alpha, "must be in [0, 1), e.g. 0.99; got \(alpha)") }
        if nesterov && kind != .sgd {
            throw fail(.nesterov, "applies to sgd only; set optimizer.kind to sgd or nesterov to false")
        }
        if nesterov && momentum == 0 {
            throw fail(.nesterov, "needs momentum; set optimizer.momentum above 0 (e.g. 0.9) or nesterov to false")
        }
    }
}

extension TrainingLoopConfig {
    /// Positive batch, steps, accumulation, windows and intervals; non-negative clip norm, patience and
    /// checkpoint interval.
    public func validate() throws {
        func fail(_ key: CodingKeys, _ rule: String) -> ConfigError { invalid("training", key, rule) }
        if batchSize < 1 { throw fail(.batchSize, "must be at least 1; got \(batchSize)") }
        if maxSteps < 1 { throw fail(.maxSteps, "must be at least 1; got \(maxSteps)") }
        if gradientAccumulation < 1 {
            throw fail(.gradientAccumulation, "must be at least 1 (1 = no accumulation); got \(gradientAccumulation)")
        }
        if !(clipNorm >= 0 && clipNorm.isFinite) {
            throw fail(.clipNorm, "must be 0 (off) or positive; got \(clipNorm)")
        }
        if evalInterval < 1 { throw fail(.evalInterval, "must be at least 1; got \(evalInterval)") }
        if evalWindows < 1 { throw fail(.evalWindows, "must be at least 1; got \(evalWindows)") }
        if patience < 0 { throw fail(.patience, "must be 0 (off) or positive; got \(patience)") }
        if checkpointInterval < 0 {
            throw fail(.checkpointInterval, "must be 0 (only at the end) or positive; got \(checkpointInterval)")
        }
        if logInterval < 1 { throw fail(.logInterval, "must be at least 1; got \(logInterval)") }
    }
}

extension ScheduleConfig {
    /// The step at which linear and cosine reach the floor: `decaySteps`, or `maxSteps` when it is 0.
    public func resolvedDecaySteps(maxSteps: Int) -> Int { decaySteps == 0 ? maxSteps : decaySteps }

    /// The warmup a run of `maxSteps` uses: `warmupSteps`, or a tenth of the run when `warmupSteps` would not end
    /// within it (`--max-steps 20` with a config's 100 warmup steps), so a shortened run keeps the shape of the
    /// schedule instead of being refused. The trainer records the value it uses in the run's config.
    ///
    /// `schedule.fittedWarmupSteps(maxSteps: 20) == 2` for a config with `"warmupSteps": 100`
    public func fittedWarmupSteps(maxSteps: Int) -> Int {
        let decays = kind == .linear || kind == .cosine
        guard warmupSteps > maxSteps || (decays && decaySteps == 0 && warmupSteps >= maxSteps) else {
            return warmupSteps
        }
        return maxSteps / 10
    }

    /// Warmup (as fitted to the run) shorter than the decay, a floor in [0, peak], and a usable step rule.
    public func validate(peak: Double, maxSteps: Int) throws {
        func fail(_ key: CodingKeys, _ rule: String) -> ConfigError { invalid("schedule", key, rule) }
        if warmupSteps < 0 { throw fail(.warmupSteps, "must be 0 (none) or positive; got \(warmupSteps)") }
        let warmupSteps = fittedWarmupSteps(maxSteps: maxSteps)
        if !(minLearningRate >= 0 && minLearningRate <= peak) {
            throw fail(
                .minLearningRate,
                "must be in [0, optimizer.learningRate] = [0, \(peak)]; got \(minLearningRate)")
        }
        if decaySteps < 0 { throw fail(.decaySteps, "must be 0 (= training.maxSteps) or positive; got \(decaySteps)") }
        switch kind {
        case .constant:
            break
        case .linear, .cosine:
            let decay = resolvedDecaySteps(maxSteps: maxSteps)
            if decay <= warmupSteps {
                throw fail(
                    .decaySteps,
                    "the \(kind.rawValue) decay must end after warmup (decay ends at step \(decay), warmup at "
                        + "\(warmupSteps)); raise decaySteps or lower warmupSteps")
            }
        case .step:
            if stepSize < 1 { throw fail(.stepSize, "must be at least 1; got \(stepSize)") }
            if !(gamma > 0 && gamma <= 1) { throw fail(.gamma, "must be in (0, 1], e.g. 0.1; got \(gamma)") }
        }
    }
}

extension RunConfig {
    /// A thread count in 0...``Threads/maximumCount``.
    public func validate() throws {
        if threads < 0 {
            throw invalid("run", CodingKeys.threads, "must be 0 (automatic) or positive; got \(threads)")
        }
        if threads > Threads.maximumCount {
            throw invalid(
                "run", CodingKeys.threads, "must be at most \(Threads.maximumCount) (0 = one per core); got \(threads)")
        }
    }
}
