import Foundation
import SeqAutograd

/// Code `fit` runs at the start and end of the fit and of every epoch. Every method does nothing by default.
///
/// ```swift
/// final class PrintLoss: Callback {
///     func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws { print(logs["loss"]!) }
/// }
/// ```
public protocol Callback: AnyObject {
    /// Before the first epoch.
    func trainBegan(model: Model) throws
    /// Before epoch `epoch` (0-based).
    func epochBegan(_ epoch: Int, model: Model) throws
    /// After epoch `epoch` with its figures (`loss`, `val_loss`, …); set ``Model/stopTraining`` to end the fit.
    func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws
    /// After the last epoch.
    func trainEnded(model: Model) throws
}

extension Callback {
    public func trainBegan(model: Model) throws {}
    public func epochBegan(_ epoch: Int, model: Model) throws {}
    public func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws {}
    public func trainEnded(model: Model) throws {}
}

/// Whether a monitored figure is better when lower (losses, errors) or higher (accuracy).
public enum MonitorMode: String, Sendable {
    case min, max

    /// `max` for figures with `acc` in their name, `min` otherwise (Keras's `auto`).
    public static func inferred(for monitor: String) -> MonitorMode { monitor.contains("acc") ? .max : .min }

    func improves(_ value: Double, on best: Double?, by delta: Double) -> Bool {
        guard let best else { return true }
        return self == .min ? value < best - delta : value > best + delta
    }
}

/// Ends `fit` when `monitor` has not improved by more than `minDelta` for `patience` epochs; with
/// `restoreBestWeights`, the model ends the fit holding the weights of its best epoch.
///
/// `EarlyStopping(monitor: "val_loss", patience: 5, restoreBestWeights: true)`
public final class EarlyStopping: Callback {
    /// The figure watched.
    public let monitor: String
    /// The epochs without improvement tolerated.
    public let patience: Int
    /// The change that counts as an improvement.
    public let minDelta: Double
    /// Whether the best epoch's weights are put back at the end.
    public let restoreBestWeights: Bool
    /// Lower or higher is better.
    public let mode: MonitorMode
    /// The best value seen and its epoch (0-based).
    public private(set) var best: (value: Double, epoch: Int)?
    /// The epoch (0-based) after which the fit was stopped, if it was.
    public private(set) var stoppedEpoch: Int?
    private var wait = 0
    private var bestWeights: [[Float]]?

    /// Stops after `patience` epochs without improvement of `monitor`.
    public init(
        monitor: String = "val_loss", patience: Int = 0, minDelta: Double = 0, restoreBestWeights: Bool = false,
        mode: MonitorMode? = nil
    ) {
        self.monitor = monitor
        self.patience = max(patience, 0)
        self.minDelta = abs(minDelta)
        self.restoreBestWeights = restoreBestWeights
        self.mode = mode ?? .inferred(for: monitor)
    }

    public func trainBegan(model: Model) throws {
        (best, stoppedEpoch, wait, bestWeights) = (nil, nil, 0, nil)
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws {
        guard let value = logs[monitor] else {
            throw ModelError.badArgument(
                "EarlyStopping(monitor:)",
                "'\(monitor)' is not reported; the figures are \(logs.keys.sorted().joined(separator: ", "))")
        }
        if mode.improves(value, on: best?.value, by: minDelta) {
            best = (value, epoch)
            wait = 0
            if restoreBestWeights { bestWeights = model.weightsSnapshot() }
        } else {
            wait += 1
            if wait >= max(patience, 1) {
                stoppedEpoch = epoch
                model.stopTraining = true
            }
        }
    }

    public func trainEnded(model: Model) throws {
        guard restoreBestWeights, let bestWeights else { return }
        model.restoreWeights(bestWeights)
    }
}

/// Saves the model (``Model/save(to:)``: `model.json` and `model.safetensors`, swapped in atomically as
/// `seqtrain` swaps its checkpoints) after every epoch, or only when `monitor` improved with `saveBestOnly`.
///
/// `ModelCheckpoint(URL(fileURLWithPath: "models/squares"), monitor: "val_loss", saveBestOnly: true)`
public final class ModelCheckpoint: Callback {
    /// The folder the model is saved to.
    public let url: URL
    /// The figure that decides what is best.
    public let monitor: String
    /// Whether only improvements are saved.
    public let saveBestOnly: Bool
    /// Lower or higher is better.
    public let mode: MonitorMode
    /// The epochs (0-based) that were saved.
    public private(set) var savedEpochs: [Int] = []
    private var best: Double?

    /// A checkpoint into the folder `url`.
    public init(_ url: URL, monitor: String = "val_loss", saveBestOnly: Bool = false, mode: MonitorMode? = nil) {
        self.url = url
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.mode = mode ?? .inferred(for: monitor)
    }

    public func trainBegan(model: Model) throws {
        best = nil
        savedEpochs = []
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws {
        if saveBestOnly {
            guard let value = logs[monitor] else {
                throw ModelError.badArgument(
                    "ModelCheckpoint(monitor:)",
                    "'\(monitor)' is not reported; the figures are \(logs.keys.sorted().joined(separator: ", "))")
            }
            guard mode.improves(value, on: best, by: 0) else { return }
            best = value
        }
        try model.save(to: url)
        savedEpochs.append(epoch)
    }
}

/// Sets the learning rate at the start of every epoch from the epoch (0-based) and the current rate.
///
/// `LearningRateScheduler { epoch, rate in epoch < 10 ? rate : rate * 0.9 }`
public final class LearningRateScheduler: Callback {
    private let schedule: (Int, Double) -> Double

    /// A scheduler calling `schedule(epoch, currentRate)`.
    public init(_ schedule: @escaping (Int, Double) -> Double) { self.schedule = schedule }

    public func epochBegan(_ epoch: Int, model: Model) throws {
        let rate = schedule(epoch, model.learningRate)
        guard rate > 0 && rate.isFinite else {
            throw ModelError.badArgument(
                "LearningRateScheduler", "gave \(rate) for epoch \(epoch); rates must be positive")
        }
        model.learningRate = rate
    }
}
