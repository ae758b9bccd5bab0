/// What went wrong building, fitting, saving or loading a composed model, in one line that names the
/// argument, layer or file and says what to do.
public enum ModelError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A layer cannot take what the layer before it gives.
    case shapeMismatch(layer: String, need: String, got: String, from: String)
    /// An argument of `fit`, `evaluate` or `predict` is unusable: `x has 100 rows but y has 99`.
    case badArgument(String, String)
    /// The model has no input shape yet: neither its first layer nor the data gave one.
    case unbuilt(String)
    /// `fit` or `evaluate` before `compile`.
    case notCompiled
    /// A saved model that cannot be read back.
    case malformedModel(String)
    /// A model graph that is not well formed (a layer used twice, an output not reached from the inputs).
    case invalidGraph(String)
    /// Fitting stopped because the loss stopped being a number.
    case diverged(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let layer, let need, let got, let from):
            "layer \(layer) \(need), but \(from) gives \(got)"
        case .badArgument(let argument, let problem):
            "\(argument): \(problem)"
        case .unbuilt(let model):
            "model '\(model)' has no input shape: give the first layer inputShape: […] or call fit/predict first"
        case .notCompiled:
            "the model is not compiled: call compile(optimizer:loss:metrics:) before fit or evaluate"
        case .malformedModel(let problem):
            "saved model: \(problem)"
        case .invalidGraph(let problem):
            "model graph: \(problem)"
        case .diverged(let problem):
            "fit stopped: \(problem)"
        }
    }
}
