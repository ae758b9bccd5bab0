import Foundation
import SeqConfig
import SeqModels
import Testing

@testable import SeqTraining

private func decode(_ json: String, overrides: [String] = []) throws -> TrainingConfig {
    try TrainingConfig.decode(Data(json.utf8), file: "run.json", overrides: overrides)
}

/// A config that passes validation, for tests that change one field.
private func validConfig() -> TrainingConfig {
    var config = TrainingConfig()
    config.data.corpus = ["Corpora/shakespeare.txt"]
    return config
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func emptyFileGivesTheDocumentedDefaults() throws {
    let config = try decode("{}")
    #expect(config == TrainingConfig())
    #expect(config.data.corpus == [])
    #expect(config.data.validationFraction == 0.1)
    #expect(config.data.cacheTokens)
    #expect(config.optimizer.kind == .adamw)
    #expect(config.optimizer.learningRate == 1e-3)
    #expect(config.optimizer.beta1 == 0.9)
    #expect(config.optimizer.beta2 == 0.999)
    #expect(config.optimizer.epsilon == 1e-8)
    #expect(config.optimizer.weightDecay == 0.1)
    #expect(config.optimizer.momentum == 0)
    #expect(!config.optimizer.nesterov)
    #expect(config.optimizer.alpha == 0.99)
    #expect(!config.optimizer.decayAll)
    #expect(config.schedule.kind == .cosine)
    #expect(config.schedule.warmupSteps == 100)
    #expect(config.schedule.minLearningRate == 1e-4)
    #expect(config.schedule.stepSize == 1000)
    #expect(config.schedule.gamma == 0.1)
    #expect(config.schedule.decaySteps == 0)
    #expect(config.training.batchSize == 12)
    #expect(config.training.maxSteps == 2000)
    #expect(config.training.gradientAccumulation == 1)
    #expect(config.training.clipNorm == 1.0)
    #expect(config.training.evalInterval == 250)
    #expect(config.training.evalWindows == 200)
    #expect(config.training.patience == 0)
    #expect(config.training.checkpointInterval == 250)
    #expect(config.training.logInterval == 10)
    #expect(config.run.out == "")
    #expect(config.run.seed == 1337)
    #expect(config.run.threads == 0)
    #expect(config.model == ModelConfig())
}

@Test func everySectionIsReadAndMissingKeysKeepDefaults() throws {
    let config = try decode(
        """
        {"model": {"kind": "gru", "layers": 2},
         "data": {"corpus": ["a.txt", "texts/"], "validationFraction": 0.05, "cacheTokens": false},
         "optimizer": {"kind": "sgd", "learningRate": 0.5, "momentum": 0.9, "nesterov": true, "weightDecay": 0,
                       "decayAll": true, "alpha": 0.9, "epsilon": 1e-6, "beta1": 0.8, "beta2": 0.95},
         "schedule": {"kind": "step", "warmupSteps": 0, "stepSize": 300, "gamma": 0.5, "minLearningRate": 0,
                      "decaySteps": 900},
         "training": {"batchSize": 32, "maxSteps": 900, "gradientAccumulation": 4, "clipNorm": 0,
                      "evalInterval": 100, "evalWindows": 50, "patience": 3, "checkpointInterval": 0,
                      "logInterval": 1},
         "run": {"out": "runs/x", "seed": 18446744073709551615, "threads": 2}}
        """)
    #expect(config.model.kind == .gru)
    #expect(config.model.layers == 2)
    #expect(config.model.embeddingSize == 128)
    #expect(config.data.corpus == ["a.txt", "texts/"])
    #expect(config.data.validationFraction == 0.05)
    #expect(!config.data.cacheTokens)
    #expect(config.optimizer.kind == .sgd)
    #expect(config.optimizer.learningRate == 0.5)
    #expect(config.optimizer.momentum == 0.9)
    #expect(config.optimizer.nesterov)
    #expect(config.optimizer.weightDecay == 0)
    #expect(config.optimizer.decayAll)
    #expect(config.optimizer.alpha == 0.9)
    #expect(config.optimizer.epsilon == 1e-6)
    #expect(config.optimizer.beta1 == 0.8)
    #expect(config.optimizer.beta2 == 0.95)
    #expect(config.schedule.kind == .step)
    #expect(config.schedule.warmupSteps == 0)
    #expect(config.schedule.stepSize == 300)
    #expect(config.schedule.gamma == 0.5)
    #expect(config.schedule.minLearningRate == 0)
    #expect(config.schedule.decaySteps == 900)
    #expect(config.training.batchSize == 32)
    #expect(config.training.maxSteps == 900)
    #expect(config.training.gradientAccumulation == 4)
    #expect(config.training.clipNorm == 0)
    #expect(config.training.evalInterval == 100)
    #expect(config.training.evalWindows == 50)
    #expect(config.training.patience == 3)
    #expect(config.training.checkpointInterval == 0)
    #expect(config.training.logInterval == 1)
    #expect(config.run.out == "runs/x")
    #expect(config.run.seed == UInt64.max)
    #expect(config.run.threads == 2)
    try config.validate()
}

/// Unknown keys at every nesting level, with the suggestion the error must carry.
@Test(
    arguments: [
        (#"{"modle": {}}"#, "", "modle", "model"),
        (#"{"optimiser": {}}"#, "", "optimiser", "optimizer"),
        (#"{"model": {"hidenSize": 4}}"#, "model", "hidenSize", "hiddenSize"),
        (#"{"data": {"corpuss": []}}"#, "data", "corpuss", "corpus"),
        (#"{"optimizer": {"learningrate": 1}}"#, "optimizer", "learningrate", "learningRate"),
        (#"{"schedule": {"warmup": 1}}"#, "schedule", "warmup", "warmupSteps"),
        (#"{"schedule": {"length": 1}}"#, "schedule", "length", nil),
        (#"{"schedule": {"warmupStep": 1}}"#, "schedule", "warmupStep", "warmupSteps"),
        (#"{"training": {"batch_size": 1}}"#, "training", "batch_size", "batchSize"),
        (#"{"run": {"seeds": 1}}"#, "run", "seeds", "seed"),
    ] as [(String, String, String, String?)])
func unknownKeysAreRejectedAtEveryLevel(json: String, path: String, key: String, suggestion: String?) {
    #expect(throws: ConfigError.unknownKey(path: path, key: key, suggestion: suggestion)) { try decode(json) }
}

@Test(arguments: [
    (#"{"optimizer": {"kind": "Adam"}}"#, "optimizer.kind", "sgd, adam, adamw, rmsprop"),
    (#"{"schedule": {"kind": "exponential"}}"#, "schedule.kind", "constant, linear, step, cosine"),
    (#"{"model": {"kind": "mamba"}}"#, "model.kind", "rnn, lstm, gru, transformer"),
])
func badEnumValuesNameTheKeyAndListTheChoices(json: String, key: String, choices: String) throws {
    do {
        _ = try decode(json)
        Issue.record("expected an error")
    } catch let ConfigError.invalidValue(errorKey, rule) {
        #expect(errorKey == key)
        #expect(rule.contains("must be one of \(choices)"))
    }
}

/// Each row changes one field of a valid config; the error must name `key` and contain `fragment`.
@Test(arguments: [
    (#"{"data": {"corpus": []}}"#, "data.corpus", "list at least one"),
    (#"{"data": {"corpus": ["a.txt", " "]}}"#, "data.corpus", "entry 1 is empty"),
    (#"{"data": {"validationFraction": 0}}"#, "data.validationFraction", "(0, 1)"),
    (#"{"data": {"validationFraction": 1}}"#, "data.validationFraction", "(0, 1)"),
    (#"{"optimizer": {"learningRate": -0.001}}"#, "optimizer.learningRate", "positive"),
    (#"{"optimizer": {"learningRate": 0}}"#, "optimizer.learningRate", "positive"),
    (#"{"optimizer": {"beta1": 1}}"#, "optimizer.beta1", "[0, 1)"),
    (#"{"optimizer": {"beta2": -0.1}}"#, "optimizer.beta2", "[0, 1)"),
    (#"{"optimizer": {"epsilon": 0}}"#, "optimizer.epsilon", "positive"),
    (#"{"optimizer": {"weightDecay": -1}}"#, "optimizer.weightDecay", "0 (off) or positive"),
    (#"{"optimizer": {"momentum": 1.5}}"#, "optimizer.momentum", "[0, 1)"),
    (#"{"optimizer": {"alpha": 1}}"#, "optimizer.alpha", "[0, 1)"),
    (#"{"optimizer": {"nesterov": true, "momentum": 0.9}}"#, "optimizer.nesterov", "sgd only"),
    (#"{"optimizer": {"kind": "sgd", "nesterov": true}}"#, "optimizer.nesterov", "needs momentum"),
    (#"{"training": {"batchSize": 0}}"#, "training.batchSize", "at least 1"),
    (#"{"training": {"maxSteps": 0}}"#, "training.maxSteps", "at least 1"),
    (#"{"training": {"gradientAccumulation": 0}}"#, "training.gradientAccumulation", "at least 1"),
    (#"{"training": {"clipNorm": -1}}"#, "training.clipNorm", "0 (off) or positive"),
    (#"{"training": {"evalInterval": 0}}"#, "training.evalInterval", "at least 1"),
    (#"{"training": {"evalWindows": 0}}"#, "training.evalWindows", "at least 1"),
    (#"{"training": {"patience": -1}}"#, "training.patience", "0 (off)"),
    (#"{"training": {"checkpointInterval": -5}}"#, "training.checkpointInterval", "0 (only at the end)"),
    (#"{"training": {"logInterval": 0}}"#, "training.logInterval", "at least 1"),
    (#"{"schedule": {"warmupSteps": -1}}"#, "schedule.warmupSteps", "0 (none) or positive"),
    (#"{"schedule": {"warmupSteps": -1}}"#, "schedule.warmupSteps", "got -1"),
    (#"{"schedule": {"minLearningRate": 0.01}}"#, "schedule.minLearningRate", "[0, optimizer.learningRate]"),
    (#"{"schedule": {"minLearningRate": -1}}"#, "schedule.minLearningRate", "[0, optimizer.learningRate]"),
    (#"{"schedule": {"decaySteps": -1}}"#, "schedule.decaySteps", "0 (= training.maxSteps)"),
    (#"{"schedule": {"decaySteps": 50}}"#, "schedule.decaySteps", "must end after warmup"),
    (
        #"{"schedule": {"kind": "linear", "warmupSteps": 500, "decaySteps": 400}}"#, "schedule.decaySteps",
        "must end after warmup"
    ),
    (#"{"schedule": {"kind": "step", "stepSize": 0}}"#, "schedule.stepSize", "at least 1"),
    (#"{"schedule": {"kind": "step", "gamma": 0}}"#, "schedule.gamma", "(0, 1]"),
    (#"{"schedule": {"kind": "step", "gamma": 2}}"#, "schedule.gamma", "(0, 1]"),
    (#"{"run": {"threads": -1}}"#, "run.threads", "0 (automatic)"),
    (#"{"model": {"heads": 5}}"#, "model.heads", "128 % 5 = 3"),
    (#"{"model": {"dropout": 1}}"#, "model.dropout", "[0, 1)"),
])
func validationNamesTheKeyAndTheRule(patch: String, key: String, fragment: String) throws {
    var tree = try #require(try JSONSerialization.jsonObject(with: Data(patch.utf8)) as? [String: Any])
    var data = tree["data"] as? [String: Any] ?? [:]
    if data["corpus"] == nil { data["corpus"] = ["Corpora/shakespeare.txt"] }
    tree["data"] = data
    let json = String(decoding: try JSONSerialization.data(withJSONObject: tree), as: UTF8.self)
    let config = try decode(json)
    do {
        try config.validate()
        Issue.record("expected \(patch) to be rejected")
    } catch let ConfigError.invalidValue(errorKey, rule) {
        #expect(errorKey == key)
        #expect(rule.contains(fragment), "rule was: \(rule)")
    }
}

@Test func constantAndStepSchedulesNeedNoDecayAfterWarmup() throws {
    var config = validConfig()
    config.schedule.kind = .constant
    config.schedule.warmupSteps = config.training.maxSteps
    try config.validate()
    config.schedule.kind = .step
    try config.validate()
}

@Test(arguments: [
    (1000, 64, 0.1, false),  // 100 validation tokens ≥ 65
    (640, 64, 0.1, true),  // 64 validation tokens < 65
    (100, 8, 0.5, false),
    (17, 8, 0.5, true),  // 8 + 9 tokens
    (18, 8, 0.5, false),  // 9 + 9 tokens
])
func contextMustFitInBothSplits(tokens: Int, context: Int, fraction: Double, rejected: Bool) throws {
    var config = validConfig()
    config.model.contextLength = context
    config.data.validationFraction = fraction
    if rejected {
        do {
            try config.validate(corpusTokenCount: tokens)
            Issue.record("expected \(tokens) tokens to be too few")
        } catch let ConfigError.invalidValue(key, rule) {
            #expect(key == "model.contextLength")
            #expect(rule.contains("corpus has \(tokens) tokens"))
        }
    } else {
        try config.validate(corpusTokenCount: tokens)
    }
}

@Test func overridesApplyBeforeDecoding() throws {
    let config = try decode(
        #"{"training": {"maxSteps": 500}, "model": {"kind": "lstm"}}"#,
        overrides: [
            "training.maxSteps=100", "optimizer.learningRate=3e-4", "model.bias=false", "run.out=runs/probe",
            "data.corpus=[\"a.txt\",\"b.txt\"]", "schedule.kind=linear", "run.seed=7", "model.dropout=0.5",
        ])
    #expect(config.training.maxSteps == 100)
    #expect(config.optimizer.learningRate == 3e-4)
    #expect(!config.model.bias)
    #expect(config.model.kind == .lstm)
    #expect(config.run.out == "runs/probe")
    #expect(config.data.corpus == ["a.txt", "b.txt"])
    #expect(config.schedule.kind == .linear)
    #expect(config.run.seed == 7)
    #expect(config.model.dropout == 0.5)
}

@Test func laterOverridesWin() throws {
    let config = try decode("{}", overrides: ["run.threads=1", "run.threads=2"])
    #expect(config.run.threads == 2)
}

@Test(arguments: [
    (
        "optimizer.learningrate=1",
        ConfigError.unknownKey(path: "optimizer", key: "learningrate", suggestion: "learningRate")
    ),
    ("optimiser.learningRate=1", ConfigError.unknownKey(path: "", key: "optimiser", suggestion: "optimizer")),
    ("seed=1", ConfigError.unknownKey(path: "", key: "seed", suggestion: nil)),
    ("run.seeds=1", ConfigError.unknownKey(path: "run", key: "seeds", suggestion: "seed")),
])
func overrideOfAnUnknownPathIsTheUnknownKeyError(override: String, expected: ConfigError) {
    #expect(throws: expected) { try decode("{}", overrides: [override]) }
}

@Test(arguments: ["maxSteps", "training.", ".seed", "=3", "training..maxSteps=3"])
func malformedOverridesAreRejected(override: String) {
    do {
        _ = try decode("{}", overrides: [override])
        Issue.record("expected \(override) to be rejected")
    } catch let ConfigError.invalidValue(key, rule) {
        #expect(key == override)
        #expect(rule.contains("key.path=value"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func overrideBelowAValueIsRejected() {
    do {
        _ = try decode(#"{"run": {"seed": 3}}"#, overrides: ["run.seed.low=1"])
        Issue.record("expected an error")
    } catch let ConfigError.invalidValue(key, rule) {
        #expect(key == "run.seed")
        #expect(rule.contains("not a section"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func overrideWithAWrongTypeIsAMalformedError() {
    do {
        _ = try decode("{}", overrides: ["training.maxSteps=lots"])
        Issue.record("expected an error")
    } catch {
        #expect(
            "\(error)"
                == "--set training.maxSteps=lots: training.maxSteps takes a whole number; write --set 'training.maxSteps=12'"
        )
    }
}

@Test func commandLineOptionsBecomeOverrides() throws {
    let list = TrainingConfig.overrideList(
        maxSteps: 50, seed: 9, out: "runs/a \"b\"", threads: 1, set: ["model.layers=2"])
    #expect(
        list == [
            "training.maxSteps=50", "run.seed=9", #"run.out="runs/a \"b\"""#, "run.threads=1", "model.layers=2",
        ])
    let config = try decode("{}", overrides: list)
    #expect(config.training.maxSteps == 50)
    #expect(config.run.seed == 9)
    #expect(config.run.out == #"runs/a "b""#)
    #expect(config.run.threads == 1)
    #expect(config.model.layers == 2)
    // A numeric --out stays a string.
    #expect(try decode("{}", overrides: TrainingConfig.overrideList(out: "2024")).run.out == "2024")
}

@Test func resolvedJSONRoundTripsAndHoldsEveryField() throws {
    var config = validConfig()
    config.model.kind = .lstm
    config.model.hiddenSize = 256
    config.model.tieWeights = false
    config.optimizer.learningRate = 3e-4
    config.schedule.kind = .step
    config.run.out = "runs/x/y"
    config.run.seed = UInt64.max
    let text = config.resolvedJSON()
    #expect(text.contains("\"out\" : \"runs/x/y\""))
    #expect(try decode(text) == config)
    let tree = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(Set(tree.keys) == Set(TrainingConfig.CodingKeys.allCases.map(\.stringValue)))
    let sections: [(String, [String])] = [
        ("model", ModelConfig.CodingKeys.allCases.map(\.stringValue)),
        ("data", DataConfig.CodingKeys.allCases.map(\.stringValue)),
        ("optimizer", OptimizerConfig.CodingKeys.allCases.map(\.stringValue)),
        ("schedule", ScheduleConfig.CodingKeys.allCases.map(\.stringValue)),
        ("training", TrainingLoopConfig.CodingKeys.allCases.map(\.stringValue)),
        ("run", RunConfig.CodingKeys.allCases.map(\.stringValue)),
    ]
    for (name, keys) in sections {
        let section = try #require(tree[name] as? [String: Any])
        #expect(Set(section.keys) == Set(keys), "section \(name)")
    }
    // Sorted keys: "data" comes before "model", which comes before "optimizer".
    let data = try #require(text.range(of: "\"data\""))
    let model = try #require(text.range(of: "\"model\""))
    let optimizer = try #require(text.range(of: "\"optimizer\""))
    #expect(data.lowerBound < model.lowerBound && model.lowerBound < optimizer.lowerBound)
}

@Test func loadReadsValidatesAndNamesTheRun() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("probe.json")
    try Data(#"{"data": {"corpus": ["x.txt"]}, "training": {"maxSteps": 300}}"#.utf8).write(to: file)
    let config = try TrainingConfig.load(from: file, overrides: ["run.seed=5"])
    #expect(config.training.maxSteps == 300)
    #expect(config.run.seed == 5)
    #expect(config.run.out == "runs/probe")
    let explicit = try TrainingConfig.load(from: file, overrides: ["run.out=elsewhere"])
    #expect(explicit.run.out == "elsewhere")
    #expect(throws: ConfigError.self) { try TrainingConfig.load(from: file, overrides: ["training.maxSteps=0"]) }
}

@Test func loadErrorsNameThePathAndSayWhatToDo() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = folder.appendingPathComponent("nope.json")
    do {
        _ = try TrainingConfig.load(from: missing)
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.path == missing.path)
        #expect(error.description.contains("does not exist; check the path"))
    }
    do {
        _ = try TrainingConfig.load(from: folder)
        Issue.record("expected an error")
    } catch let error as FileError {
        #expect(error.description.contains("is a folder"))
    }
    let broken = folder.appendingPathComponent("broken.json")
    try Data(#"{"model": {"layers": 2"#.utf8).write(to: broken)
    do {
        _ = try TrainingConfig.load(from: broken)
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.description == "\(broken.path):1:23: the file ends inside an object; a '}' is missing")
    }
    let list = folder.appendingPathComponent("list.json")
    try Data("[1, 2]".utf8).write(to: list)
    #expect(throws: ConfigError.self) { try TrainingConfig.load(from: list, overrides: ["run.seed=1"]) }
    #expect(throws: ConfigError.self) { try TrainingConfig.load(from: list) }
    if geteuid() != 0 {
        let locked = folder.appendingPathComponent("locked.json")
        try Data("{}".utf8).write(to: locked)
        chmod(locked.path, 0)
        do {
            _ = try TrainingConfig.load(from: locked)
            Issue.record("expected an error")
        } catch let error as FileError {
            #expect(error.description.contains("cannot be read"))
        }
    }
}

/// Foundation on Linux reports these as "not valid JSON" with no key; the config names the key.
@Test(arguments: [
    (#"{"model": {"layers": 2.5}}"#, "model.layers", "got 2.5"),
    (#"{"run": {"seed": -1}}"#, "run.seed", "from 0 to 18446744073709551615; got -1.0"),
    (#"{"training": {"maxSteps": 1e30}}"#, "training.maxSteps", "must be a whole number"),
])
func fractionsAndOutOfRangeNumbersNameTheKey(json: String, key: String, fragment: String) {
    do {
        _ = try decode(json)
        Issue.record("expected an error")
    } catch let ConfigError.invalidValue(errorKey, rule) {
        #expect(errorKey == key)
        #expect(rule.contains(fragment), "rule was: \(rule)")
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func overrideMistakesAreReportedAgainstTheOverrides() {
    do {
        _ = try decode("{}", overrides: ["training.batchSize=many"])
        Issue.record("expected an error")
    } catch let ConfigError.override(text, reason) {
        #expect(text == "training.batchSize=many")
        #expect(reason.hasPrefix("training.batchSize takes a whole number"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
    // A mistake in the file is still the file's, even with overrides.
    #expect(throws: ConfigError.wrongType(file: "run.json", key: "training.batchSize", expected: "a whole number")) {
        try decode(#"{"training": {"batchSize": "x"}}"#, overrides: ["run.seed=1"])
    }
}

@Test func aListKeySetToOneStringSaysHowToWriteAList() {
    #expect(
        throws: ConfigError.override(
            text: "data.corpus=x.txt", reason: #"data.corpus takes a list; write --set 'data.corpus=["x.txt"]'"#)
    ) {
        try decode("{}", overrides: ["data.corpus=x.txt"])
    }
    let message = ConfigError.override(text: "data.corpus=x.txt", reason: "r").description
    #expect(message == "--set data.corpus=x.txt: r")
}

@Test func anAbbreviatedOverrideKeyIsSuggested() {
    #expect(throws: ConfigError.unknownKey(path: "optimizer", key: "lr", suggestion: "learningRate")) {
        try decode("{}", overrides: ["optimizer.lr=3e-4"])
    }
    #expect(throws: ConfigError.unknownKey(path: "training", key: "batch", suggestion: "batchSize")) {
        try decode("{}", overrides: ["training.batch=3"])
    }
}

@Test func aDuplicatedKeyInTheFileIsRefusedWithItsPath() {
    #expect(
        throws: ConfigError.syntax(
            file: "run.json", line: 1, column: 25,
            problem: "'model.layers' appears twice in the same object; keep one of them")
    ) {
        try decode(#"{"model": {"layers": 2, "layers": 8}}"#)
    }
    #expect(throws: ConfigError.self) {
        try decode(#"{"model": {"layers": 2, "layers": 8}}"#, overrides: ["run.seed=1"])
    }
}

@Test func derivedRunQuantities() {
    var config = TrainingConfig()
    config.training.batchSize = 12
    config.training.gradientAccumulation = 2
    config.model.contextLength = 64
    #expect(config.tokensPerStep == 1536)
    config.run.threads = 3
    #expect(config.resolvedThreads == 3)
    config.run.threads = 0
    #expect(config.resolvedThreads == ProcessInfo.processInfo.activeProcessorCount)
}

/// A warmup that would not end within the run is cut to a tenth of it instead of being refused; one that fits stays.
@Test func aWarmupLongerThanTheRunIsFittedToIt() throws {
    var schedule = ScheduleConfig()
    schedule.warmupSteps = 100
    #expect(schedule.fittedWarmupSteps(maxSteps: 2000) == 100)
    #expect(schedule.fittedWarmupSteps(maxSteps: 20) == 2)
    #expect(schedule.fittedWarmupSteps(maxSteps: 100) == 10)  // cosine over 100 steps must start after warmup
    schedule.kind = .constant
    #expect(schedule.fittedWarmupSteps(maxSteps: 100) == 100)
    #expect(schedule.fittedWarmupSteps(maxSteps: 99) == 9)
    try schedule.validate(peak: 1e-3, maxSteps: 20)
}

@Test func validateRefusesATrainingRunTooLargeForTheMachine() throws {
    var config = try decode("{}")
    config.data.corpus = ["c.txt"]
    config.training.batchSize = 100_000_000
    #expect(throws: ConfigError.self) { try config.validate() }
    // Reading a checkpoint to sample skips the training estimate; building the model checks its own.
    try config.validate(checkingMemory: false)
    config.training.batchSize = 12
    try config.validate()
    // tokenizer.vocabularySize stands in for a vocabSize of 0: a 1e9-entry BPE vocabulary is refused up front.
    config.tokenizer.vocabularySize = 1_000_000_000
    do {
        try config.checkMemory(available: 20_100_000_000)
        Issue.record("expected a refusal")
    } catch let error as ConfigError {
        #expect("\(error)".contains("largest: logits of batchSize 12 × contextLength 64 × vocabSize 1000000000"))
    }
}
