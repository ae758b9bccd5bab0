import Foundation
import Testing

@testable import SeqTraining

/// Every key of Configs/README.md, and every special or enumerated value it documents, in a run that trains: a
/// value that validation accepts must never reach a crash (`checkpointInterval: 0` once did).
private let documentedValues: [(key: String, value: String)] = [
    ("model.kind", #""rnn""#), ("model.kind", #""lstm""#), ("model.kind", #""gru""#),
    ("model.kind", #""transformer""#), ("model.vocabSize", "0"), ("model.contextLength", "8"),
    ("model.embeddingSize", "16"), ("model.hiddenSize", "0"), ("model.hiddenSize", "24"), ("model.layers", "1"),
    ("model.heads", "1"), ("model.mlpRatio", "2"), ("model.dropout", "0.1"), ("model.bias", "false"),
    ("model.tieWeights", "false"), ("model.positional", #""sinusoidal""#), ("model.positional", #""rotary""#),
    ("model.positional", #""none""#), ("model.positional", #""learned""#), ("model.nonlinearity", #""relu""#),
    ("model.nonlinearity", #""tanh""#), ("model.causal", "true"), ("model.bidirectional", "false"),
    ("model.initStd", "0.05"), ("model.activation", #""gelu""#), ("model.activation", #""gelu_tanh""#),
    ("tokenizer.kind", #""char""#), ("tokenizer.kind", #""bpe""#), ("tokenizer.unit", #""grapheme""#),
    ("tokenizer.unit", #""scalar""#), ("tokenizer.normalization", "[]"),
    (
        "tokenizer.normalization",
        #"["nfc", "nfd", "nfkc", "nfkd", "casefold", "lowercase", "stripAccents", "whitespace"]"#
    ),
    ("tokenizer.unknown", #""unk""#), ("tokenizer.unknown", #""byteFallback""#), ("tokenizer.vocabularySize", "300"),
    ("tokenizer.minPairFrequency", "3"), ("tokenizer.specialTokens", "[]"),
    ("tokenizer.specialTokens", #"["<|endoftext|>", "<pad>"]"#), ("tokenizer.invalidUTF8", #""replace""#),
    ("tokenizer.invalidUTF8", #""error""#),
    ("data.corpus", "(the corpus, by its absolute path)"), ("data.validationFraction", "0.2"),
    ("data.cacheTokens", "false"),
    ("data.cacheTokens", "true"),
    ("data.cacheDir", "(a folder of the case)"),
    ("optimizer.kind", #""sgd""#), ("optimizer.kind", #""adam""#), ("optimizer.kind", #""adamw""#),
    ("optimizer.kind", #""rmsprop""#), ("optimizer.learningRate", "0.003"), ("optimizer.beta1", "0"),
    ("optimizer.beta2", "0.95"), ("optimizer.epsilon", "1e-6"), ("optimizer.weightDecay", "0"),
    ("optimizer.momentum", "0.9"), ("optimizer.nesterov", "true"), ("optimizer.alpha", "0.9"),
    ("optimizer.decayAll", "true"),
    ("schedule.kind", #""constant""#), ("schedule.kind", #""linear""#), ("schedule.kind", #""step""#),
    ("schedule.kind", #""cosine""#), ("schedule.warmupSteps", "0"), ("schedule.warmupSteps", "100"),
    ("schedule.minLearningRate", "0"), ("schedule.stepSize", "1"), ("schedule.gamma", "1"),
    ("schedule.decaySteps", "0"), ("schedule.decaySteps", "3"),
    ("training.batchSize", "1"), ("training.maxSteps", "1"), ("training.gradientAccumulation", "2"),
    ("training.clipNorm", "0"), ("training.evalInterval", "1"), ("training.evalWindows", "1"),
    ("training.patience", "0"), ("training.patience", "1"), ("training.checkpointInterval", "0"),
    ("training.checkpointInterval", "1"), ("training.logInterval", "1"),
    ("run.out", "(the case's folder)"), ("run.seed", "0"), ("run.threads", "0"), ("run.tensorboard", "false"),
    ("run.tensorboard", "true"),
    // Threads are process-wide and other suites run beside this one: a count other than the automatic one would
    // change their partitions (and bits) mid-test, so the explicit case names the automatic count.
    ("run.threads", "\(ProcessInfo.processInfo.activeProcessorCount)"),
]

/// A small run every case starts from: two steps of a tiny transformer on about 9 KB of text.
private let baseConfig = """
    {
      "model": { "kind": "transformer", "contextLength": 16, "embeddingSize": 16, "layers": 1, "heads": 2 },
      "tokenizer": { "kind": "char", "normalization": [], "specialTokens": [] },
      "data": { "corpus": ["corpus.txt"], "validationFraction": 0.1 },
      "optimizer": { "kind": "adamw", "learningRate": 0.01 },
      "schedule": { "kind": "cosine", "warmupSteps": 1, "minLearningRate": 0.001 },
      "training": { "batchSize": 4, "maxSteps": 2, "evalInterval": 2, "evalWindows": 2, "logInterval": 1 },
      "run": { "seed": 7 }
    }
    """

@Test(arguments: 0..<documentedValues.count)
func everyDocumentedValueTrains(index: Int) throws {
    let (key, value) = documentedValues[index]
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-values-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var text = ""
    for i in 0..<200 { text += "ROMEO \(i % 7): what light through yonder window breaks, café ﬁne\n" }
    try text.write(to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
    try baseConfig.write(to: folder.appendingPathComponent("values.json"), atomically: true, encoding: .utf8)
    var overrides = ["run.out=\(folder.appendingPathComponent("runs/case").path)"]
    switch key {
    case "run.out": break  // set above, to a folder of the case
    case "data.cacheDir": overrides.append("data.cacheDir=\(folder.appendingPathComponent("cache").path)")
    case "data.corpus": overrides.append("data.corpus=[\"\(folder.appendingPathComponent("corpus.txt").path)\"]")
    default: overrides.append("\(key)=\(value)")
    }
    if key == "model.kind" && value != #""transformer""# { overrides.append("training.batchSize=2") }
    if key == "optimizer.nesterov" { overrides.append("optimizer.momentum=0.9") }
    if key == "optimizer.momentum" || key == "optimizer.nesterov" { overrides.append("optimizer.kind=\"sgd\"") }
    if key == "tokenizer.unknown" || key == "tokenizer.unit" { overrides.append("tokenizer.kind=\"char\"") }
    if key.hasPrefix("tokenizer.") && ["vocabularySize", "minPairFrequency"].contains(key.dropFirst(10)) {
        overrides.append("tokenizer.kind=\"bpe\"")
    }
    let config = try TrainingConfig.load(from: folder.appendingPathComponent("values.json"), overrides: overrides)
    let outcome = try Trainer(config: config, log: { _ in }).run()
    #expect(outcome.step == config.training.maxSteps, "\(key)=\(value)")
    let run = URL(fileURLWithPath: config.run.out)
    #expect(try TrainedCheckpoint(path: run, prefer: .latest).state.step == outcome.step, "\(key)=\(value)")
}

@Test func everyKeyOfTheConfigsREADMEHasACase() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs/README.md")
    var section = ""
    var keys: Set<String> = []
    for line in try String(contentsOf: readme, encoding: .utf8).split(separator: "\n") {
        if line.hasPrefix("### `") { section = String(line.split(separator: "`")[1]) }
        if !section.isEmpty && line.hasPrefix("| `") {
            keys.insert(section + "." + String(line.split(separator: "`")[1]))
        }
    }
    let covered = Set(documentedValues.map(\.key))
    #expect(keys.subtracting(covered).isEmpty, "no trained case for \(keys.subtracting(covered).sorted())")
}
