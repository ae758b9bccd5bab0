import Foundation
import SeqAutograd
import SeqNN
import SeqTensor
import SeqTraining

/// What `fit` minimises (Keras's losses; the reductions are Keras's and PyTorch's means).
public struct Loss: Codable, Sendable, Hashable {
    /// The family of the loss.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy
        case sparseCategoricalCrossentropy
    }
    /// The family.
    public var kind: Kind
    /// For the cross-entropies: whether the model's outputs are logits rather than probabilities.
    public var fromLogits: Bool

    /// A loss of `kind`.
    public init(_ kind: Kind, fromLogits: Bool = false) {
        self.kind = kind
        self.fromLogits = fromLogits
    }

    /// `mean((p − y)²)`.
    public static let meanSquaredError = Loss(.meanSquaredError)
    /// `mean(|p − y|)`.
    public static let meanAbsoluteError = Loss(.meanAbsoluteError)
    /// Binary cross-entropy of probabilities (a sigmoid output) or, with `fromLogits`, of logits; targets in [0, 1].
    public static func binaryCrossentropy(fromLogits: Bool = false) -> Loss {
        Loss(.binaryCrossentropy, fromLogits: fromLogits)
    }
    /// Cross-entropy against one-hot (or soft) targets of the output's shape.
    public static func categoricalCrossentropy(fromLogits: Bool = false) -> Loss {
        Loss(.categoricalCrossentropy, fromLogits: fromLogits)
    }
    /// Cross-entropy against whole-number class labels (one fewer axis than the output).
    public static func sparseCategoricalCrossentropy(fromLogits: Bool = false) -> Loss {
        Loss(.sparseCategoricalCrossentropy, fromLogits: fromLogits)
    }

    var isClassification: Bool { kind != .meanSquaredError && kind != .meanAbsoluteError }
}

/// A figure `fit` and `evaluate` report beside the loss.
public enum Metric: String, Codable, Sendable, CaseIterable {
    /// Share of right answers: thresholded at 0.5 (or 0 for logits) for a binary loss, the arg-max otherwise.
    case accuracy
    /// `mean(|p − y|)`, reported as `mae`.
    case meanAbsoluteError = "mae"
    /// `mean((p − y)²)`, reported as `mse`.
    case meanSquaredError = "mse"
}

/// What ``Model/compile(optimizer:loss:metrics:schedule:clipNorm:)`` fixed.
public struct CompileSettings: Codable, Sendable, Equatable {
    /// The update rule and its settings (`seqtrain`'s `optimizer` section).
    public var optimizer: OptimizerConfig
    /// What is minimised.
    public var loss: Loss
    /// What is reported beside the loss.
    public var metrics: [Metric]
    /// The learning-rate curve over all the steps of a `fit` (`seqtrain`'s `schedule` section).
    public var schedule: ScheduleConfig
    /// Global gradient-norm clip; 0 = none.
    public var clipNorm: Double
}

extension OptimizerConfig {
    /// Adam as Keras sets it up: β (0.9, 0.999), ε 1e-7, no weight decay.
    public static func adam(learningRate: Double = 1e-3) -> OptimizerConfig {
        var c = OptimizerConfig()
        c.kind = .adam
        c.learningRate = learningRate
        c.epsilon = 1e-7
        c.weightDecay = 0
        return c
    }

    /// AdamW with decoupled weight decay (Keras's default 0.004) on matrices.
    public static func adamw(learningRate: Double = 1e-3, weightDecay: Double = 0.004) -> OptimizerConfig {
        var c = adam(learningRate: learningRate)
        c.kind = .adamw
        c.weightDecay = weightDecay
        return c
    }

    /// Stochastic gradient descent with optional (Nesterov) momentum.
    public static func sgd(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false)
        -> OptimizerConfig
    {
        var c = OptimizerConfig()
        c.kind = .sgd
        c.learningRate = learningRate
        c.momentum = momentum
        c.nesterov = nesterov
        c.weightDecay = 0
        return c
    }

    /// RMSProp as Keras sets it up: ρ 0.9, ε 1e-7.
    public static func rmsprop(learningRate: Double = 1e-3, momentum: Double = 0) -> OptimizerConfig {
        var c = OptimizerConfig()
        c.kind = .rmsprop
        c.learningRate = learningRate
        c.alpha = 0.9
        c.epsilon = 1e-7
        c.momentum = momentum
        c.weightDecay = 0
        return c
    }
}

extension ScheduleConfig {
    /// The learning rate stays at the optimizer's (Keras's default).
    public static var constant: ScheduleConfig {
        var s = ScheduleConfig()
        s.kind = .constant
        s.warmupSteps = 0
        return s
    }
}

/// Every figure of every epoch of a `fit`: `history["val_loss"]`.
public struct History: Sendable, Equatable {
    /// The figures by name (`loss`, `mae`, `val_loss`, `val_mae`, `accuracy`, …), one value per epoch.
    public var metrics: [String: [Double]] = [:]
    /// Epochs run (fewer than asked when a callback stopped the fit).
    public var epochs: Int { metrics["loss"]?.count ?? 0 }

    /// The values of one figure: `history["loss"]`.
    public subscript(name: String) -> [Double]? { metrics[name] }
}

extension Model {
    /// Fixes what fitting minimises and how: builds the model (if it can) and sets up the optimizer over its
    /// trainable layers. Compile again after changing a layer's ``Layer/trainable``.
    ///
    /// `try model.compile(optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError, metrics: [.meanAbsoluteError])`
    public func compile(
        optimizer: OptimizerConfig = .adam(), loss: Loss, metrics: [Metric] = [], schedule: ScheduleConfig = .constant,
        clipNorm: Double = 0
    ) throws {
        guard optimizer.learningRate > 0 && optimizer.learningRate.isFinite else {
            throw ModelError.badArgument("optimizer", "learning rate must be positive, got \(optimizer.learningRate)")
        }
        compiled = CompileSettings(
            optimizer: optimizer, loss: loss, metrics: metrics, schedule: schedule, clipNorm: clipNorm)
        optimizers = []
        if isBuilt || (try? build()) != nil { makeOptimizer() }
    }

    func makeOptimizer() {
        guard let compiled else { return }
        let frozen = Set(layers.filter { !$0.trainable && $0.ownArena == nil }.flatMap { $0.parameters.map(\.name) })
        optimizers = [Optimizer(compiled.optimizer, arena: arena) { !frozen.contains($0.name) }]
        for layer in layers where layer.trainable {
            if let own = layer.ownArena { optimizers.append(Optimizer(compiled.optimizer, arena: own)) }
        }
    }

    /// Fits the model to `x` and `y` (batch axis first) for `epochs` passes in batches of `batchSize`, and
    /// returns every figure of every epoch.
    ///
    /// The last `validationSplit` of the rows (taken before shuffling, as Keras does) or `validationData` is held
    /// out and reported as `val_…`. One line per epoch with `verbose` (`epoch 3/50 | loss 0.0123 | … | ETA 4s`).
    /// The same `seed` gives the same shuffles, dropout and result. Bad data is a thrown
    /// ``ModelError/badArgument(_:_:)`` naming `x` or `y`.
    @discardableResult
    public func fit(
        x: Tensor, y: Tensor, epochs: Int = 1, batchSize: Int = 32, validationSplit: Double = 0,
        validationData: (x: Tensor, y: Tensor)? = nil, shuffle: Bool = true, callbacks: [Callback] = [],
        seed: UInt64 = 0, verbose: Bool = true
    ) throws -> History {
        try fit(
            x: [x], y: y, epochs: epochs, batchSize: batchSize, validationSplit: validationSplit,
            validationData: validationData.map { ([$0.x], $0.y) }, shuffle: shuffle, callbacks: callbacks, seed: seed,
            verbose: verbose)
    }

    /// ``fit(x:y:epochs:batchSize:validationSplit:validationData:shuffle:callbacks:seed:verbose:)`` for a model
    /// with several inputs: one tensor per input, each with the same number of rows.
    @discardableResult
    public func fit(
        x: [Tensor], y: Tensor, epochs: Int = 1, batchSize: Int = 32, validationSplit: Double = 0,
        validationData: (x: [Tensor], y: Tensor)? = nil, shuffle: Bool = true, callbacks: [Callback] = [],
        seed: UInt64 = 0, verbose: Bool = true
    ) throws -> History {
        guard epochs > 0 else { throw ModelError.badArgument("epochs", "must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ModelError.badArgument("batchSize", "must be positive, got \(batchSize)") }
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ModelError.badArgument("validationSplit", "must be in [0, 1), got \(validationSplit)")
        }
        try prepare(x)
        guard let settings = compiled else { throw ModelError.notCompiled }
        if optimizers.isEmpty { makeOptimizer() }
        let n = try checkData(x: x, y: y, names: ("x", "y"))
        var (trainRows, heldOut) = (Array(0..<n), [Int]())
        if validationData == nil && validationSplit > 0 {
            let held = Int((Double(n) * validationSplit).rounded(.down))
            guard held > 0 && held < n else {
                throw ModelError.badArgument(
                    "validationSplit", "\(validationSplit) of \(n) rows leaves no rows to fit or none to validate")
            }
            trainRows = Array(0..<(n - held))
            heldOut = Array((n - held)..<n)
        }
        var validation: (x: [Tensor], y: Tensor)?
        if let validationData {
            _ = try checkData(x: validationData.x, y: validationData.y, names: ("validationData.x", "validationData.y"))
            validation = validationData
        } else if !heldOut.isEmpty {
            validation = (x.map { gatherRows($0, heldOut[...]) }, gatherRows(y, heldOut[...]))
        }

        var rng = SeededGenerator(seed: seed)
        let stepsPerEpoch = (trainRows.count + batchSize - 1) / batchSize
        let totalSteps = epochs * stepsPerEpoch
        var history = History()
        stopTraining = false
        learningRate = settings.optimizer.learningRate
        for callback in callbacks { try callback.trainBegan(model: self) }
        let started = Date()
        var step = 0
        for epoch in 0..<epochs {
            for callback in callbacks { try callback.epochBegan(epoch, model: self) }
            var order = trainRows
            if shuffle {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            }
            var totals = Totals()
            let epochStart = Date()
            var lastRate: Float = 0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = order[start..<min(start + batchSize, order.count)]
                let xb = x.map { gatherRows($0, rows) }
                let yb = gatherRows(y, rows)
                for arena in arenas { arena.zeroGradients() }
                let context = ForwardContext(training: true, seed: rng.next())
                let prediction = self(xb.map { Variable($0) }, context: context)
                let loss = lossVariable(prediction, yb, settings.loss)
                let value = Double(loss.value.pointer[0])
                guard value.isFinite else {
                    throw ModelError.diverged(
                        "the loss became \(value) at epoch \(epoch + 1): lower the learning rate or check x for extreme values"
                    )
                }
                loss.backward()
                if settings.clipNorm > 0 {
                    for optimizer in optimizers { optimizer.clipGradients(maxNorm: Float(settings.clipNorm)) }
                }
                lastRate = SeqTraining.learningRate(
                    at: step, peak: learningRate, schedule: settings.schedule, maxSteps: totalSteps)
                for optimizer in optimizers { optimizer.step(learningRate: lastRate) }
                step += 1
                totals.add(loss: value, prediction.value, yb, settings, rows: rows.count)
            }
            var logs = totals.figures
            if let validation {
                for (name, value) in try evaluateFigures(x: validation.x, y: validation.y, batchSize: batchSize) {
                    logs["val_" + name] = value
                }
            }
            for (name, value) in logs { history.metrics[name, default: []].append(value) }
            if verbose {
                let elapsed = Date().timeIntervalSince(started)
                let rate = Double(trainRows.count) / max(Date().timeIntervalSince(epochStart), 1e-9)
                let eta = elapsed / Double(epoch + 1) * Double(epochs - epoch - 1)
                print(
                    epochLine(
                        epoch: epoch + 1, of: epochs, logs: logs, order: figureOrder(settings, validation != nil),
                        samplesPerSecond: rate, learningRate: Double(lastRate), etaSeconds: eta))
                fflush(nil)
            }
            for callback in callbacks { try callback.epochEnded(epoch, logs: logs, model: self) }
            if stopTraining { break }
        }
        for callback in callbacks { try callback.trainEnded(model: self) }
        return history
    }

    /// The loss and metrics on `x` and `y`, by name (`loss`, `mae`, `accuracy`), averaged over every row.
    ///
    /// `let figures = try model.evaluate(x: testX, y: testY)   // ["loss": 0.0007, "mae": 0.021]`
    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        try evaluate(x: [x], y: y, batchSize: batchSize)
    }

    /// ``evaluate(x:y:batchSize:)`` for a model with several inputs.
    public func evaluate(x: [Tensor], y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        try prepare(x)
        guard compiled != nil else { throw ModelError.notCompiled }
        _ = try checkData(x: x, y: y, names: ("x", "y"))
        return try evaluateFigures(x: x, y: y, batchSize: batchSize)
    }

    /// The model's outputs for `x`, in batches, without dropout: (N, …output shape).
    ///
    /// `let yHat = try model.predict(Tensor(shape: [3, 1], values: [-0.5, 0, 0.5]))`
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor { try predict([x], batchSize: batchSize) }

    /// ``predict(_:batchSize:)`` for a model with several inputs.
    public func predict(_ x: [Tensor], batchSize: Int = 32) throws -> Tensor {
        guard batchSize > 0 else { throw ModelError.badArgument("batchSize", "must be positive, got \(batchSize)") }
        try prepare(x)
        let n = try checkInputs(x, name: "x")
        let shape = try outputShape()
        let out = Tensor(uninitialized: [n] + shape)
        let width = shape.reduce(1, *)
        try withoutGradients {
            for start in stride(from: 0, to: n, by: batchSize) {
                let rows = start..<min(start + batchSize, n)
                let xb = x.map { gatherRows($0, Array(rows)[...]) }
                let y = self(xb.map { Variable($0) }, context: .evaluation())
                guard y.value.count == rows.count * width else {
                    throw ModelError.invalidGraph("output \(y.shape) does not match \(describeShape(shape))")
                }
                (out.pointer + start * width).update(from: y.value.pointer, count: y.value.count)
            }
        }
        return out
    }

    func evaluateFigures(x: [Tensor], y: Tensor, batchSize: Int) throws -> [String: Double] {
        let settings = compiled!
        let n = x[0].shape[0]
        var totals = Totals()
        withoutGradients {
            for start in stride(from: 0, to: n, by: max(batchSize, 1)) {
                let rows = Array(start..<min(start + batchSize, n))[...]
                let p = self(x.map { Variable(gatherRows($0, rows)) }, context: .evaluation())
                let yb = gatherRows(y, rows)
                let loss = lossVariable(p, yb, settings.loss)
                totals.add(loss: Double(loss.value.pointer[0]), p.value, yb, settings, rows: rows.count)
            }
        }
        return totals.figures
    }

    /// Builds a Sequential from the data's shape when no layer declared one.
    func prepare(_ x: [Tensor]) throws {
        guard !x.isEmpty else { throw ModelError.badArgument("x", "is empty") }
        if let chain = self as? Sequential, !isBuilt, x[0].shape.count >= 1 {
            chain.adoptInputShape(Array(x[0].shape.dropFirst()))
        }
        let wasBuilt = isBuilt
        try build()
        if !wasBuilt && compiled != nil { makeOptimizer() }
    }

    /// Checks the inputs: one tensor per model input, the model's shapes, finite values, valid ids; returns the rows.
    func checkInputs(_ x: [Tensor], name: String) throws -> Int {
        let shapes = try inputShapes()
        guard x.count == shapes.count else {
            throw ModelError.badArgument(name, "gives \(x.count) inputs but the model has \(shapes.count)")
        }
        let n = x[0].shape.first ?? 0
        guard n > 0 else { throw ModelError.badArgument(name, "has no rows") }
        for (i, (t, shape)) in zip(x, shapes).enumerated() {
            let label = x.count == 1 ? name : "\(name)[\(i)]"
            guard Array(t.shape.dropFirst()) == shape else {
                throw ModelError.badArgument(
                    label,
                    "has rows of shape \(describeShape(Array(t.shape.dropFirst()))) but the model takes \(describeShape(shape))"
                )
            }
            guard t.shape[0] == n else {
                throw ModelError.badArgument(label, "has \(t.shape[0]) rows but \(name)[0] has \(n)")
            }
            if let bad = firstNonFinite(t) {
                throw ModelError.badArgument(
                    label, "element \(bad.index) is \(bad.value): remove or replace NaN and infinite values")
            }
        }
        for node in nodes {
            for source in node.sources {
                if case .input(let i) = source {
                    try node.layer.validateInput(x[i], argument: x.count == 1 ? name : "\(name)[\(i)]")
                }
            }
        }
        return n
    }

    /// Checks inputs and targets together: as many target rows as input rows, targets that fit the loss.
    func checkData(x: [Tensor], y: Tensor, names: (x: String, y: String)) throws -> Int {
        let n = try checkInputs(x, name: names.x)
        guard y.shape.first == n else {
            throw ModelError.badArgument(names.y, "has \(y.shape.first ?? 0) rows but \(names.x) has \(n)")
        }
        if let bad = firstNonFinite(y) {
            throw ModelError.badArgument(names.y, "element \(bad.index) is \(bad.value): targets must be finite")
        }
        let output = try outputShape()
        let rowShape = Array(y.shape.dropFirst())
        let loss = compiled!.loss
        switch loss.kind {
        case .sparseCategoricalCrossentropy:
            let classes = output.last ?? 1
            guard rowShape == Array(output.dropLast()) || rowShape == Array(output.dropLast()) + [1] else {
                throw ModelError.badArgument(
                    names.y,
                    "holds class labels of shape \(describeShape(rowShape)); the output \(describeShape(output)) needs \(describeShape(Array(output.dropLast())))"
                )
            }
            let p = y.pointer
            for i in 0..<y.count where p[i] != p[i].rounded() || p[i] < 0 || p[i] >= Float(classes) {
                throw ModelError.badArgument(
                    names.y, "label \(p[i]) at element \(i) is not one of the \(classes) classes 0..<\(classes)")
            }
        default:
            guard rowShape == output else {
                throw ModelError.badArgument(
                    names.y, "has rows of shape \(describeShape(rowShape)) but the model gives \(describeShape(output))"
                )
            }
            if loss.kind == .binaryCrossentropy {
                let p = y.pointer
                for i in 0..<y.count where p[i] < 0 || p[i] > 1 {
                    throw ModelError.badArgument(names.y, "target \(p[i]) at element \(i) is outside [0, 1]")
                }
            }
        }
        return n
    }
}

/// The loss node of a batch.
func lossVariable(_ p: Variable, _ y: Tensor, _ loss: Loss) -> Variable {
    switch loss.kind {
    case .meanSquaredError: meanSquaredError(p, y)
    case .meanAbsoluteError: meanAbsoluteError(p, y)
    case .binaryCrossentropy: binaryCrossEntropy(p, y, fromLogits: loss.fromLogits)
    case .categoricalCrossentropy: categoricalCrossEntropy(p, y, fromLogits: loss.fromLogits)
    case .sparseCategoricalCrossentropy:
        categoricalCrossEntropy(p, oneHot(y, classes: p.shape.last!, shape: p.shape), fromLogits: loss.fromLogits)
    }
}

/// Whole-number labels as one-hot rows of `classes`.
func oneHot(_ labels: Tensor, classes: Int, shape: [Int]) -> Tensor {
    let out = Tensor(zeros: shape)
    let (p, q) = (labels.pointer, out.pointer)
    for i in 0..<labels.count { q[i * classes + Int(p[i])] = 1 }
    return out
}

/// Rows `rows` of `t` (batch axis first) as a new tensor.
func gatherRows(_ t: Tensor, _ rows: ArraySlice<Int>) -> Tensor {
    let width = t.count / max(t.shape[0], 1)
    let out = Tensor(uninitialized: [rows.count] + Array(t.shape.dropFirst()))
    for (k, r) in rows.enumerated() { (out.pointer + k * width).update(from: t.pointer + r * width, count: width) }
    return out
}

func firstNonFinite(_ t: Tensor) -> (index: Int, value: Float)? {
    let p = t.pointer
    for i in 0..<t.count where !p[i].isFinite { return (i, p[i]) }
    return nil
}

/// Row-weighted sums of the loss and metrics over an epoch or an evaluation.
struct Totals {
    var rows = 0
    var sums: [String: Double] = [:]

    mutating func add(loss: Double, _ p: Tensor, _ y: Tensor, _ settings: CompileSettings, rows n: Int) {
        rows += n
        sums["loss", default: 0] += loss * Double(n)
        for metric in settings.metrics {
            sums[metric.rawValue, default: 0] += measure(metric, p, y, settings.loss) * Double(n)
        }
    }

    var figures: [String: Double] {
        sums.mapValues { $0 / Double(max(rows, 1)) }
    }
}

/// A metric's mean over a batch.
func measure(_ metric: Metric, _ p: Tensor, _ y: Tensor, _ loss: Loss) -> Double {
    let (a, b) = (p.pointer, y.pointer)
    switch metric {
    case .meanAbsoluteError, .meanSquaredError:
        guard p.count == y.count else { return .nan }
        var total = 0.0
        for i in 0..<p.count {
            let d = Double(a[i] - b[i])
            total += metric == .meanAbsoluteError ? abs(d) : d * d
        }
        return total / Double(max(p.count, 1))
    case .accuracy:
        let k = p.shape.last ?? 1
        switch loss.kind {
        case .binaryCrossentropy, .meanSquaredError, .meanAbsoluteError:
            let threshold: Float = loss.fromLogits ? 0 : 0.5
            var right = 0
            for i in 0..<p.count where (a[i] > threshold) == (b[i] > 0.5) { right += 1 }
            return Double(right) / Double(max(p.count, 1))
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            let rows = p.count / max(k, 1)
            var right = 0
            for r in 0..<rows {
                let predicted = argmax(a + r * k, k)
                let truth = loss.kind == .sparseCategoricalCrossentropy ? Int(b[r]) : argmax(b + r * k, k)
                if predicted == truth { right += 1 }
            }
            return Double(right) / Double(max(rows, 1))
        }
    }
}

func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for i in 1..<max(n, 1) where p[i] > p[best] { best = i }
    return best
}

/// The order of the figures in the epoch line: loss, metrics, then their validation twins.
func figureOrder(_ settings: CompileSettings, _ validating: Bool) -> [String] {
    let names = ["loss"] + settings.metrics.map(\.rawValue)
    return names + (validating ? names.map { "val_" + $0 } : [])
}

/// `epoch 3/50 | loss 0.0123 | mae 0.0871 | val_loss 0.0130 | 12.3k samples/s | lr 1.00e-03 | ETA 4s`: the
/// shape of `seqtrain`'s progress line, per epoch.
func epochLine(
    epoch: Int, of epochs: Int, logs: [String: Double], order: [String], samplesPerSecond: Double,
    learningRate: Double, etaSeconds: Double
) -> String {
    var parts = ["epoch \(epoch)/\(epochs)"]
    for name in order { if let v = logs[name] { parts.append("\(name) \(String(format: "%.4f", v))") } }
    parts.append("\(formatRate(samplesPerSecond)) samples/s")
    parts.append("lr \(String(format: "%.2e", learningRate))")
    parts.append("ETA \(formatDuration(etaSeconds))")
    return parts.joined(separator: " | ")
}
