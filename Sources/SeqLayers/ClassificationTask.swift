import Foundation
import SeqCheckpoint
import SeqTensor
import SeqTokenizers
import SeqTraining

/// What a classification run reached.
public struct ClassificationOutcome: Sendable {
    /// The labels, in the order of the confusion matrix.
    public var classes: [String]
    /// Epochs run (fewer than configured when early stopping ended the fit).
    public var epochs: Int
    /// Every figure of every epoch.
    public var history: History
    /// Accuracy on `data.test`, if there is a test file.
    public var testAccuracy: Double?
    /// Counts of (true label, predicted label) on `data.test`: `confusion[t][p]`.
    public var confusion: [[Int]]?
    /// The run folder written.
    public var folder: URL
}

/// Trains the text classifier a ``ClassificationConfig`` describes (what `seqtrain` runs for
/// `"task": "classify"`), writes its run folder and reports accuracy and the confusion matrix on the test texts.
///
/// The run folder (`model/`, `classifier.json`, `tokenizer.json`, `metrics.json`) is written beside and swapped
/// in whole at the end, so an interrupted or failed run leaves the previous one as it was.
public enum ClassificationTask {
    /// Runs `config`. An existing classifier folder at `run.out` is replaced only with `overwrite`; with `dryRun`
    /// the data are read and the model built and summarised, and nothing is written.
    public static func run(
        _ config: ClassificationConfig, overwrite: Bool = false, dryRun: Bool = false, quiet: Bool = false
    ) throws -> ClassificationOutcome? {
        let out = URL(fileURLWithPath: config.run.out)
        let fm = FileManager.default
        if !dryRun && !overwrite && fm.fileExists(atPath: out.path) {
            let entries = (try? fm.contentsOfDirectory(atPath: out.path)) ?? []
            if !entries.isEmpty {
                throw FileError(
                    path: out.path, problem: "already holds a run",
                    fix: "give --overwrite to replace it, or another --out")
            }
        }
        var options = RuntimeOptions()
        options.threads = config.run.threads
        Threads.apply(options)

        var train = try LabeledTexts(contentsOf: URL(fileURLWithPath: config.data.train))
        let classes = train.classes
        guard classes.count >= 2 else {
            throw ModelError.badArgument(
                config.data.train, "has only the label '\(classes[0])'; a classifier needs two or more")
        }
        let test = try config.data.test.map { try LabeledTexts(contentsOf: URL(fileURLWithPath: $0)) }
        var rng = SeededGenerator(seed: config.run.seed)
        var order = Array(train.texts.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        train = LabeledTexts(texts: order.map { train.texts[$0] }, labels: order.map { train.labels[$0] })
        let held = Int(Double(train.texts.count) * config.data.validationFraction)
        let fitted = LabeledTexts(texts: Array(train.texts.dropLast(held)), labels: Array(train.labels.dropLast(held)))
        let validation = LabeledTexts(texts: Array(train.texts.suffix(held)), labels: Array(train.labels.suffix(held)))

        let (model, classifier) = try build(config, classes: classes, trainingTexts: fitted.texts)
        try model.compile(
            optimizer: config.optimizer, loss: .sparseCategoricalCrossentropy(), metrics: [.accuracy],
            schedule: config.schedule, clipNorm: config.training.gradientClip)
        let x = try classifier.tokenMatrix(fitted.texts)
        let y = try fitted.labelTensor(classes: classes)
        if !quiet {
            print(try model.summary())
            print(
                "classes: \(classes.joined(separator: ", ")) | train \(fitted.texts.count) | validation \(held)"
                    + (test.map { " | test \($0.texts.count)" } ?? ""))
        }
        if dryRun { return nil }
        var callbacks: [Callback] = []
        if config.training.patience > 0 && held > 0 {
            callbacks.append(
                EarlyStopping(monitor: "val_loss", patience: config.training.patience, restoreBestWeights: true))
        }
        let history = try model.fit(
            x: x, y: y, epochs: config.training.epochs, batchSize: config.training.batchSize,
            validationData: held > 0
                ? (try classifier.tokenMatrix(validation.texts), try validation.labelTensor(classes: classes)) : nil,
            shuffle: true, callbacks: callbacks, seed: config.run.seed, verbose: !quiet)

        var outcome = ClassificationOutcome(
            classes: classes, epochs: history.epochs, history: history, testAccuracy: nil, confusion: nil,
            folder: out)
        if let test {
            let truth = try test.labelTensor(classes: classes)
            let p = try classifier.probabilities(test.texts)
            var confusion = Array(repeating: Array(repeating: 0, count: classes.count), count: classes.count)
            for (r, row) in p.enumerated() {
                let predicted = row.indices.max { row[$0] < row[$1] }!
                confusion[Int(truth.pointer[r])][predicted] += 1
            }
            outcome.confusion = confusion
            outcome.testAccuracy =
                Double(classes.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(test.texts.count)
        }
        try write(outcome, classifier: classifier, config: config, to: out)
        if !quiet { print(report(outcome)) }
        return outcome
    }

    /// The model and the way texts reach it.
    static func build(_ config: ClassificationConfig, classes: [String], trainingTexts: [String]) throws -> (
        Model, TextClassifier
    ) {
        let t = config.data.maxTokens
        let trunk = config.trunk
        let dropout = Float(config.head.dropout)
        let head = Dense(classes.count, activation: .softmax, name: "classifier")
        if trunk.kind == .pretrained {
            let encoder = try PretrainedEncoder(
                path: URL(fileURLWithPath: trunk.path!), trainable: trunk.trainable,
                inputLength: nil, name: "encoder")
            let length = min(t, encoder.maxTokens ?? t)
            let model = Sequential([encoder, Dropout(dropout), head], name: "classifier", seed: config.run.seed)
            model.adoptInputShape([length])
            let description = TextClassifier.Description(classes: classes, maxTokens: length, padID: -1, tokenizer: nil)
            return (model, TextClassifier(model: model, description: description, tokenizer: nil))
        }
        let tokenizer = try trainTokenizer(config.tokenizer, corpus: Array(trainingTexts.joined(separator: "\n").utf8))
        let pad = tokenizer.vocabularySize
        var layers: [Layer] = [Embedding(inputDim: pad + 1, outputDim: trunk.embeddingSize, inputShape: [t])]
        let pooled = config.head.pooling != .last
        switch trunk.kind {
        case .lstm, .gru:
            for k in 0..<trunk.layers {
                let sequences = k < trunk.layers - 1 || pooled
                layers.append(
                    trunk.kind == .lstm
                        ? LSTM(trunk.hiddenSize, returnSequences: sequences, bidirectional: trunk.bidirectional)
                        : GRU(trunk.hiddenSize, returnSequences: sequences, bidirectional: trunk.bidirectional))
            }
        case .transformer:
            let model = try transformer(config, classes: classes, vocabulary: pad + 1)
            let description = TextClassifier.Description(
                classes: classes, maxTokens: t, padID: pad, tokenizer: "tokenizer.json")
            return (model, TextClassifier(model: model, description: description, tokenizer: tokenizer))
        case .pretrained:
            break
        }
        switch config.head.pooling {
        case .mean: layers.append(GlobalAveragePooling1D())
        case .max: layers.append(GlobalMaxPooling1D())
        case .last: break
        }
        layers += [Dropout(dropout), head]
        let model = Sequential(layers, name: "classifier", seed: config.run.seed)
        let description = TextClassifier.Description(
            classes: classes, maxTokens: t, padID: pad, tokenizer: "tokenizer.json")
        return (model, TextClassifier(model: model, description: description, tokenizer: tokenizer))
    }

    /// Embedding + positions, then pre-norm blocks of self-attention and a GELU MLP, each with a residual path.
    static func transformer(_ config: ClassificationConfig, classes: [String], vocabulary: Int) throws -> Model {
        let (t, c, trunk) = (config.data.maxTokens, config.trunk.embeddingSize, config.trunk)
        let input = Input(shape: [t], name: "tokens")
        var x = PositionEmbedding()(Embedding(inputDim: vocabulary, outputDim: c)(input))
        for _ in 0..<trunk.layers {
            let attended = MultiHeadAttention(heads: trunk.heads, keyDim: c / trunk.heads)(LayerNormalization()(x))
            x = Add()([x, attended])
            let hidden = Dense(trunk.hiddenSize, activation: .gelu)(LayerNormalization()(x))
            x = Add()([x, Dense(c)(hidden)])
        }
        x = LayerNormalization()(x)
        x = config.head.pooling == .max ? GlobalMaxPooling1D()(x) : GlobalAveragePooling1D()(x)
        let output = Dense(classes.count, activation: .softmax, name: "classifier")(
            Dropout(Float(config.head.dropout))(x))
        return try Model(inputs: [input], outputs: output, name: "classifier", seed: config.run.seed)
    }

    static func write(
        _ outcome: ClassificationOutcome, classifier: TextClassifier, config: ClassificationConfig, to out: URL
    )
        throws
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        struct Metrics: Encodable {
            var classes: [String]
            var epochs: Int
            var history: [String: [Double]]
            var testAccuracy: Double?
            var confusion: [[Int]]?
        }
        let metrics = Metrics(
            classes: outcome.classes, epochs: outcome.epochs, history: outcome.history.metrics,
            testAccuracy: outcome.testAccuracy, confusion: outcome.confusion)
        try RunDirectory.commitFolder(out) { folder in
            try classifier.model.save(to: folder.appendingPathComponent(TextClassifier.modelFolder))
            if let tokenizer = classifier.tokenizer, let name = classifier.description.tokenizer {
                try tokenizer.save(to: folder.appendingPathComponent(name))
            }
            try encoder.encode(classifier.description).write(
                to: folder.appendingPathComponent(TextClassifier.descriptionFile))
            try encoder.encode(metrics).write(to: folder.appendingPathComponent("metrics.json"))
            try encoder.encode(config).write(to: folder.appendingPathComponent("config.json"))
        }
    }

    /// The closing lines: test accuracy and the confusion matrix (rows: true label, columns: predicted).
    public static func report(_ outcome: ClassificationOutcome) -> String {
        var lines: [String] = []
        guard let accuracy = outcome.testAccuracy, let confusion = outcome.confusion else {
            return "saved \(outcome.folder.path) after \(outcome.epochs) epochs (no data.test for an accuracy)"
        }
        let total = confusion.reduce(0) { $0 + $1.reduce(0, +) }
        lines.append("test: \(total) texts | accuracy \(String(format: "%.4f", accuracy))")
        lines.append("confusion (rows: true label, columns: predicted)")
        let width = max(outcome.classes.map(\.count).max() ?? 0, 6) + 2
        func cell(_ s: String) -> String { String(repeating: " ", count: max(width - s.count, 0)) + s }
        lines.append(String(repeating: " ", count: width) + outcome.classes.map(cell).joined())
        for (i, row) in confusion.enumerated() {
            lines.append(cell(outcome.classes[i]) + row.map { cell(String($0)) }.joined())
        }
        lines.append("saved \(outcome.folder.path) after \(outcome.epochs) epochs")
        return lines.joined(separator: "\n")
    }
}
