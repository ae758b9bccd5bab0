import Foundation
import SeqConfig
import SeqModels
import SeqTokenizers

/// Everything one training run needs, read from one JSON file: model, data, optimizer, schedule, loop and run.
///
/// Every field has a default, so a file needs only what differs:
/// ```json
/// { "model": { "kind": "lstm", "layers": 2 }, "data": { "corpus": ["Corpora/shakespeare.txt"] } }
/// ```
/// ```swift
/// let config = try TrainingConfig.load(from: url, overrides: ["training.maxSteps=100"])
/// print(config.resolvedJSON())
/// ```
public struct TrainingConfig: Codable, Sendable, Equatable {
    /// The model's shape (see ``ModelConfig``).
    public var model = ModelConfig()
    /// How text becomes token ids (see `TokenizerOptions`); trained on the corpus unless resuming.
    public var tokenizer = TokenizerOptions()
    /// Where the text comes from and how it is split.
    public var data = DataConfig()
    /// The update rule and its hyperparameters.
    public var optimizer = OptimizerConfig()
    /// How the learning rate moves over the run.
    public var schedule = ScheduleConfig()
    /// Batch size, step counts and the intervals of evaluation, checkpoints and logs.
    public var training = TrainingLoopConfig()
    /// Output folder, seed and threads.
    public var run = RunConfig()

    /// The defaults of every section.
    public init() {}

    /// The top-level sections.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, tokenizer, data, optimizer, schedule, training, run
    }

    /// Decodes a whole config; a missing section or key keeps its default, an unknown key names the nearest one.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(ModelConfig.self, forKey: .model) ?? model
        tokenizer = try c.decodeIfPresent(TokenizerOptions.self, forKey: .tokenizer) ?? tokenizer
        data = try c.decodeIfPresent(DataConfig.self, forKey: .data) ?? data
        optimizer = try c.decodeIfPresent(OptimizerConfig.self, forKey: .optimizer) ?? optimizer
        schedule = try c.decodeIfPresent(ScheduleConfig.self, forKey: .schedule) ?? schedule
        training = try c.decodeIfPresent(TrainingLoopConfig.self, forKey: .training) ?? training
        run = try c.decodeIfPresent(RunConfig.self, forKey: .run) ?? run
    }
}

extension TrainingConfig {
    /// Tokens consumed by one optimizer step: `batchSize · gradientAccumulation · model.contextLength`.
    ///
    /// tiny-gpt: `12 · 1 · 64 = 768`.
    public var tokensPerStep: Int { training.batchSize * training.gradientAccumulation * model.contextLength }

    /// Worker threads to use: `run.threads`, or the number of active cores when it is 0.
    public var resolvedThreads: Int { run.threads > 0 ? run.threads : ProcessInfo.processInfo.activeProcessorCount }
}

/// The `data` section: which files make the corpus and how much of it is held out.
///
/// `"data": { "corpus": ["Corpora/*.txt"], "validationFraction": 0.05 }`
public struct DataConfig: Codable, Sendable, Equatable {
    /// Files, folders (every file inside, recursively) or globs (`*`, `?`), relative to the working directory.
    public var corpus: [String] = []
    /// Fraction of the token stream, taken from its end, held out for validation; in (0, 1).
    public var validationFraction: Double = 0.1
    /// Keep the tokenized corpus in a cache file, keyed by the corpus and tokenizer hashes.
    public var cacheTokens: Bool = true
    /// Folder of the token cache; empty = `$XDG_CACHE_HOME/seqkit`, else `~/.cache/seqkit`.
    public var cacheDir: String = ""

    /// No corpus, 10% held out, token cache on.
    public init() {}

    /// The keys of the `data` section.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case corpus, validationFraction, cacheTokens, cacheDir
    }

    /// Decodes the section; missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        corpus = try c.decodeIfPresent([String].self, forKey: .corpus) ?? corpus
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? validationFraction
        cacheTokens = try c.decodeIfPresent(Bool.self, forKey: .cacheTokens) ?? cacheTokens
        cacheDir = try c.decodeIfPresent(String.self, forKey: .cacheDir) ?? cacheDir
    }

    /// `cacheDir` as a folder (a leading `~` is the home folder), or nil for the default.
    public var cacheDirectory: URL? {
        cacheDir.isEmpty ? nil : URL(fileURLWithPath: (cacheDir as NSString).expandingTildeInPath, isDirectory: true)
    }
}

/// The update rule of ``OptimizerConfig``.
///
/// `adamw`: `m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; θ -= lr·(m̂/(√v̂+ε) + λ·θ)`.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// `θ -= lr·(g + λθ)`, with optional (Nesterov) momentum.
    case sgd
    /// Adam with L2 weight decay added to the gradient.
    case adam
    /// Adam with decoupled weight decay (Loshchilov & Hutter).
    case adamw
    /// `v = α·v + (1-α)·g²; θ -= lr·g/(√v+ε)`.
    case rmsprop

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// The `optimizer` section.
///
/// `"optimizer": { "kind": "adamw", "learningRate": 1e-3, "beta2": 0.99, "weightDecay": 0.1 }`
public struct OptimizerConfig: Codable, Sendable, Equatable {
    /// Update rule: sgd, adam, adamw or rmsprop.
    public var kind: OptimizerKind = .adamw
    /// Peak learning rate (the schedule scales it); positive.
    public var learningRate: Double = 1e-3
    /// Adam's first-moment decay β1, in [0, 1).
    public var beta1: Double = 0.9
    /// Adam's second-moment decay β2, in [0, 1).
    public var beta2: Double = 0.999
    /// Added to the denominator of adam, adamw and rmsprop; positive.
    public var epsilon: Double = 1e-8
    /// Weight decay λ (decoupled for adamw, L2 for the others); 0 = none.
    public var weightDecay: Double = 0.1
    /// Momentum of sgd and rmsprop, in [0, 1); 0 = none.
    public var momentum: Double = 0
    /// Nesterov momentum for sgd (needs momentum > 0).
    public var nesterov: Bool = false
    /// RMSProp's smoothing constant α, in [0, 1).
    public var alpha: Double = 0.99
    /// Decay every tensor; false = no weight decay on 1-D tensors (biases, norms) and embeddings.
    public var decayAll: Bool = false

    /// AdamW, lr 1e-3, betas (0.9, 0.999), weight decay 0.1 on matrices only.
    public init() {}

    /// The keys of the `optimizer` section.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, learningRate, beta1, beta2, epsilon, weightDecay, momentum, nesterov, alpha, decayAll
    }

    /// Decodes the section; missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(OptimizerKind.self, forKey: .kind) ?? kind
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? learningRate
        beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? beta2
        epsilon = try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? epsilon
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? weightDecay
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? momentum
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? nesterov
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? alpha
        decayAll = try c.decodeIfPresent(Bool.self, forKey: .decayAll) ?? decayAll
    }
}

/// The shape of the learning-rate curve after warmup (see ``learningRate(at:peak:schedule:maxSteps:)``).
public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
    /// `lr = peak`.
    case constant
    /// Straight line from peak to minLearningRate over the decay steps.
    case linear
    /// `lr = peak · gamma^⌊(step − warmup) / stepSize⌋`, never below minLearningRate.
    case step
    /// Half a cosine from peak to minLearningRate over the decay steps (nanoGPT's get_lr).
    case cosine

    /// Decodes from a lowercase string; anything else is an error listing the choices.
    public init(from decoder: any Decoder) throws { self = try decodeChoice(Self.self, from: decoder) }
}

/// The `schedule` section: warmup, then a constant, linear, step or cosine curve.
///
/// `"schedule": { "kind": "cosine", "warmupSteps": 100, "minLearningRate": 1e-4 }`
public struct ScheduleConfig: Codable, Sendable, Equatable {
    /// Curve after warmup: constant, linear, step or cosine.
    public var kind: ScheduleKind = .cosine
    /// Steps of linear warmup from 0 to the peak learning rate; 0 = none.
    public var warmupSteps: Int = 100
    /// Floor that linear and cosine decay to (and step never goes below); at most the peak.
    public var minLearningRate: Double = 1e-4
    /// Steps between two multiplications by gamma (step kind).
    public var stepSize: Int = 1000
    /// Factor applied every stepSize steps (step kind), in (0, 1].
    public var gamma: Double = 0.1
    /// Step at which linear and cosine reach minLearningRate; 0 = training.maxSteps.
    public var decaySteps: Int = 0

    /// Cosine from the peak to 1e-4 over the whole run, after 100 warmup steps.
    public init() {}

    /// The keys of the `schedule` section.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, warmupSteps, minLearningRate, stepSize, gamma, decaySteps
    }

    /// Decodes the section; missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(ScheduleKind.self, forKey: .kind) ?? kind
        warmupSteps = try c.decodeWholeIfPresent(Int.self, forKey: .warmupSteps) ?? warmupSteps
        minLearningRate = try c.decodeIfPresent(Double.self, forKey: .minLearningRate) ?? minLearningRate
        stepSize = try c.decodeWholeIfPresent(Int.self, forKey: .stepSize) ?? stepSize
        gamma = try c.decodeIfPresent(Double.self, forKey: .gamma) ?? gamma
        decaySteps = try c.decodeWholeIfPresent(Int.self, forKey: .decaySteps) ?? decaySteps
    }
}

/// The `training` section: how big a step is, how many there are, and how often to evaluate, save and log.
///
/// Tokens per optimizer step = `batchSize · gradientAccumulation · model.contextLength`.
public struct TrainingLoopConfig: Codable, Sendable, Equatable {
    /// Windows per forward/backward pass.
    public var batchSize: Int = 12
    /// Optimizer steps in the run.
    public var maxSteps: Int = 2000
    /// Forward/backward passes whose gradients are summed before one optimizer step.
    public var gradientAccumulation: Int = 1
    /// Largest global gradient norm before clipping; 0 = off.
    public var clipNorm: Double = 1.0
    /// Steps between two validation-loss evaluations.
    public var evalInterval: Int = 250
    /// Random validation windows averaged per evaluation.
    public var evalWindows: Int = 200
    /// Evaluations without a new best validation loss before stopping early; 0 = off.
    public var patience: Int = 0
    /// Steps between two saves of latest/; 0 = only at the end (best/ is saved on every new best).
    public var checkpointInterval: Int = 250
    /// Steps between two log lines and metrics records.
    public var logInterval: Int = 10

    /// nanoGPT's CPU settings: batch 12, 2000 steps, clip 1.0, eval every 250 steps on 200 windows.
    public init() {}

    /// The keys of the `training` section.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize, maxSteps, gradientAccumulation, clipNorm, evalInterval, evalWindows, patience
        case checkpointInterval, logInterval
    }

    /// Decodes the section; missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decodeWholeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        maxSteps = try c.decodeWholeIfPresent(Int.self, forKey: .maxSteps) ?? maxSteps
        gradientAccumulation =
            try c.decodeWholeIfPresent(Int.self, forKey: .gradientAccumulation) ?? gradientAccumulation
        clipNorm = try c.decodeIfPresent(Double.self, forKey: .clipNorm) ?? clipNorm
        evalInterval = try c.decodeWholeIfPresent(Int.self, forKey: .evalInterval) ?? evalInterval
        evalWindows = try c.decodeWholeIfPresent(Int.self, forKey: .evalWindows) ?? evalWindows
        patience = try c.decodeWholeIfPresent(Int.self, forKey: .patience) ?? patience
        checkpointInterval = try c.decodeWholeIfPresent(Int.self, forKey: .checkpointInterval) ?? checkpointInterval
        logInterval = try c.decodeWholeIfPresent(Int.self, forKey: .logInterval) ?? logInterval
    }
}

/// The `run` section: where results go, the seed, and the thread count.
///
/// `"run": { "out": "runs/shakespeare-lstm", "seed": 42 }`
public struct RunConfig: Codable, Sendable, Equatable {
    /// Run directory; empty = `runs/NAME` where NAME is the config file's name without `.json`.
    public var out: String = ""
    /// Seed of every random generator of the run (initialisation, dropout, batches).
    public var seed: UInt64 = 1337
    /// Worker threads; 0 = automatic (one per core).
    public var threads: Int = 0
    /// Write `events.out.tfevents.*` into the run directory for TensorBoard.
    public var tensorboard: Bool = true

    /// Output beside the config's name, seed 1337, automatic threads.
    public init() {}

    /// The keys of the `run` section.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case out, seed, threads, tensorboard
    }

    /// Decodes the section; missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        out = try c.decodeIfPresent(String.self, forKey: .out) ?? out
        seed = try c.decodeWholeIfPresent(UInt64.self, forKey: .seed) ?? seed
        threads = try c.decodeWholeIfPresent(Int.self, forKey: .threads) ?? threads
        tensorboard = try c.decodeIfPresent(Bool.self, forKey: .tensorboard) ?? tensorboard
    }
}
