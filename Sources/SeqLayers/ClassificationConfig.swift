import Foundation
import SeqCheckpoint
import SeqConfig
import SeqTokenizers
import SeqTraining

/// A `seqtrain` config with `"task": "classify"`: a text classifier trained on labelled texts.
///
/// ```json
/// { "task": "classify",
///   "data": { "train": "../Corpora/shakespeare-genres/train.jsonl", "test": "../Corpora/shakespeare-genres/test.jsonl",
///             "maxTokens": 64 },
///   "tokenizer": { "kind": "bpe", "vocabularySize": 2000, "specialTokens": [] },
///   "trunk": { "kind": "lstm", "embeddingSize": 64, "hiddenSize": 64 },
///   "head": { "pooling": "max", "dropout": 0.2 },
///   "training": { "epochs": 10, "batchSize": 32, "patience": 2 } }
/// ```
/// Every section but `data` is optional; unknown keys are refused with the nearest known one.
public struct ClassificationConfig: Codable, Sendable, Equatable {
    /// Always `classify`.
    public var task = "classify"
    /// Where the labelled texts are.
    public var data = DataSection()
    /// The tokenizer trained on the training texts (not used with a pretrained trunk, which brings its own).
    public var tokenizer = TokenizerOptions(kind: .bpe, vocabularySize: 2000, specialTokens: [])
    /// What reads the tokens.
    public var trunk = TrunkSection()
    /// What turns the trunk's states into class probabilities.
    public var head = HeadSection()
    /// The update rule (`seqtrain`'s optimizer section; default Adam at 1e-3 without weight decay).
    public var optimizer = OptimizerConfig.adam(learningRate: 1e-3)
    /// The learning-rate curve over all steps (default constant).
    public var schedule = ScheduleConfig.constant
    /// How long and in what batches.
    public var training = TrainingSection()
    /// Where the run goes.
    public var run = RunSection()

    /// `data`: JSONL (`{"text", "label"}`) or `text<TAB>label` files.
    public struct DataSection: Codable, Sendable, Equatable {
        /// The training texts (required).
        public var train = ""
        /// Held-out texts for the final accuracy and confusion matrix (optional).
        public var test: String?
        /// The share of the training texts (taken after a seeded shuffle) held out for validation each epoch.
        public var validationFraction = 0.1
        /// Tokens per text: longer texts keep their first maxTokens.
        public var maxTokens = 64
        public init() {}
        public enum CodingKeys: String, CodingKey, CaseIterable { case train, test, validationFraction, maxTokens }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            train = try c.decodeIfPresent(String.self, forKey: .train) ?? train
            test = try c.decodeIfPresent(String.self, forKey: .test)
            validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? validationFraction
            maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? maxTokens
        }
    }

    /// The kinds of trunk.
    public enum TrunkKind: String, Codable, Sendable, CaseIterable { case lstm, gru, transformer, pretrained }

    /// `trunk`: trained from scratch (`lstm`, `gru`, `transformer`) or `pretrained` (a `seqtrain` checkpoint or a
    /// Hugging Face BERT folder at `path`, fine-tuned when `trainable`).
    public struct TrunkSection: Codable, Sendable, Equatable {
        public var kind = TrunkKind.lstm
        public var embeddingSize = 64
        public var hiddenSize = 64
        public var layers = 1
        public var heads = 4
        public var bidirectional = false
        public var path: String?
        public var trainable = false
        public init() {}
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, embeddingSize, hiddenSize, layers, heads, bidirectional, path, trainable
        }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decodeIfPresent(TrunkKind.self, forKey: .kind) ?? kind
            embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? embeddingSize
            hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
            layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? layers
            heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? heads
            bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? bidirectional
            path = try c.decodeIfPresent(String.self, forKey: .path)
            trainable = try c.decodeIfPresent(Bool.self, forKey: .trainable) ?? trainable
        }
    }

    /// How the trunk's states become one vector per text.
    public enum Pooling: String, Codable, Sendable, CaseIterable { case mean, max, last }

    /// `head`: pooling (not for a pretrained trunk, which averages its tokens), dropout, then a softmax layer.
    public struct HeadSection: Codable, Sendable, Equatable {
        public var pooling = Pooling.max
        public var dropout = 0.1
        public init() {}
        public enum CodingKeys: String, CodingKey, CaseIterable { case pooling, dropout }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? pooling
            dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? dropout
        }
    }

    /// `training`: epochs, batch size and early stopping on the validation loss.
    public struct TrainingSection: Codable, Sendable, Equatable {
        public var epochs = 10
        public var batchSize = 32
        /// Epochs without a better validation loss before stopping (the best epoch's weights are kept); 0 = never.
        public var patience = 2
        /// Global gradient-norm clip; 0 = none.
        public var gradientClip = 1.0
        public init() {}
        public enum CodingKeys: String, CodingKey, CaseIterable { case epochs, batchSize, patience, gradientClip }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
            patience = try c.decodeIfPresent(Int.self, forKey: .patience) ?? patience
            gradientClip = try c.decodeIfPresent(Double.self, forKey: .gradientClip) ?? gradientClip
        }
    }

    /// `run`: the output folder, the seed and the threads.
    public struct RunSection: Codable, Sendable, Equatable {
        /// Empty: `runs/<config name>`.
        public var out = ""
        public var seed: UInt64 = 1
        /// 0 = one per core.
        public var threads = 0
        public init() {}
        public enum CodingKeys: String, CodingKey, CaseIterable { case out, seed, threads }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            out = try c.decodeIfPresent(String.self, forKey: .out) ?? out
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
            threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        }
    }

    /// Defaults everywhere.
    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case task, data, tokenizer, trunk, head, optimizer, schedule, training, run
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decodeIfPresent(String.self, forKey: .task) ?? task
        data = try c.decodeIfPresent(DataSection.self, forKey: .data) ?? data
        tokenizer = try c.decodeIfPresent(TokenizerOptions.self, forKey: .tokenizer) ?? tokenizer
        trunk = try c.decodeIfPresent(TrunkSection.self, forKey: .trunk) ?? trunk
        head = try c.decodeIfPresent(HeadSection.self, forKey: .head) ?? head
        optimizer = try c.decodeIfPresent(OptimizerConfig.self, forKey: .optimizer) ?? optimizer
        schedule = try c.decodeIfPresent(ScheduleConfig.self, forKey: .schedule) ?? schedule
        training = try c.decodeIfPresent(TrainingSection.self, forKey: .training) ?? training
        run = try c.decodeIfPresent(RunSection.self, forKey: .run) ?? run
    }

    /// Whether a config file asks for this task (`"task": "classify"` at the top level); false for anything that
    /// is not a JSON object.
    public static func isClassification(_ data: Data) -> Bool {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return root["task"] as? String == "classify"
    }

    /// Reads a config file: relative data and trunk paths are taken from the file's folder; an empty `run.out`
    /// becomes `runs/<file name>`. Every value is checked (``validate()``).
    public static func load(from url: URL) throws -> ClassificationConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigError.malformed(file: url.path, reason: "cannot be read; check the path")
        }
        var config = try decodeConfig(ClassificationConfig.self, from: data, file: url.path)
        let folder = url.deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : folder.appendingPathComponent(path).standardizedFileURL.path
        }
        if !config.data.train.isEmpty { config.data.train = resolve(config.data.train) }
        config.data.test = config.data.test.map(resolve)
        config.trunk.path = config.trunk.path.map(resolve)
        if config.run.out.isEmpty { config.run.out = "runs/" + url.deletingPathExtension().lastPathComponent }
        try config.validate(file: url.path)
        return config
    }

    /// Checks every value; a bad one is a ``ConfigError`` naming the key and the rule.
    public func validate(file: String = "config") throws {
        func bad(_ key: String, _ rule: String) -> ConfigError {
            .malformed(file: file, reason: "'\(key)' \(rule)")
        }
        guard task == "classify" else { throw bad("task", "must be \"classify\" for a classification config") }
        guard !data.train.isEmpty else { throw bad("data.train", "is missing: give the labelled training texts") }
        guard data.validationFraction >= 0 && data.validationFraction < 0.5 else {
            throw bad("data.validationFraction", "must be in [0, 0.5)")
        }
        guard data.maxTokens > 0 else { throw bad("data.maxTokens", "must be positive") }
        guard trunk.embeddingSize > 0, trunk.hiddenSize > 0, trunk.layers > 0, trunk.heads > 0 else {
            throw bad("trunk", "sizes, layers and heads must be positive")
        }
        if trunk.kind == .transformer && trunk.embeddingSize % trunk.heads != 0 {
            throw bad("trunk.heads", "must divide trunk.embeddingSize (\(trunk.embeddingSize))")
        }
        if trunk.kind == .pretrained && trunk.path == nil {
            throw bad("trunk.path", "is missing: give a seqtrain run or a Hugging Face BERT folder (or --init-from)")
        }
        if trunk.kind != .pretrained && trunk.path != nil {
            throw bad("trunk.path", "is only for \"kind\": \"pretrained\"")
        }
        guard head.dropout >= 0 && head.dropout < 1 else { throw bad("head.dropout", "must be in [0, 1)") }
        guard training.epochs > 0, training.batchSize > 0, training.patience >= 0, training.gradientClip >= 0 else {
            throw bad("training", "epochs and batchSize must be positive, patience and gradientClip not negative")
        }
        guard optimizer.learningRate > 0 else { throw bad("optimizer.learningRate", "must be positive") }
        guard run.threads >= 0 else { throw bad("run.threads", "must be 0 (automatic) or positive") }
    }
}
