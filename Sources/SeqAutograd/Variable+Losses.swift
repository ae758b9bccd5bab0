import SeqTensor

/// Mean squared error between predictions and targets of the same shape, as a scalar.
///
/// `let loss = meanSquaredError(model(x), y)   // mean((p − y)²)`
public func meanSquaredError(_ p: Variable, _ y: Tensor) -> Variable { elementLoss(.squaredError, p, y) }

/// Mean absolute error between predictions and targets of the same shape, as a scalar (gradient 0 where equal).
public func meanAbsoluteError(_ p: Variable, _ y: Tensor) -> Variable { elementLoss(.absoluteError, p, y) }

/// Binary cross-entropy with targets in [0, 1], averaged over every element: from probabilities clipped to
/// [1e-7, 1 − 1e-7] as Keras does, or, with `fromLogits`, from logits in the stable form
/// `max(x, 0) − x·y + log(1 + e^−|x|)` (PyTorch's `BCEWithLogitsLoss`).
///
/// `let loss = binaryCrossEntropy(logits, labels, fromLogits: true)`
public func binaryCrossEntropy(_ p: Variable, _ y: Tensor, fromLogits: Bool) -> Variable {
    elementLoss(fromLogits ? .binaryCrossEntropyFromLogits : .binaryCrossEntropy, p, y)
}

private func elementLoss(_ kind: LossKind, _ p: Variable, _ y: Tensor) -> Variable {
    precondition(p.shape == y.shape, "loss: predictions \(p.shape) and targets \(y.shape) differ in shape")
    let n = p.count
    let value = Kernels.elementLoss(kind, p.value.pointer, y.pointer, n)
    let out = Tensor(shape: [], values: [value])  // scalar
    return Variable(out, parents: [p]) { [node = p.node, pv = p.value] g in
        Kernels.elementLossBackward(kind, node.gradientStorage(), pv.pointer, y.pointer, n, g.pointer[0])
    }
}

/// Categorical cross-entropy of (N, K) predictions against (N, K) target distributions (one-hot for hard
/// labels), averaged over the N rows: from logits (`−Σ y log softmax(x)`) or, as Keras's default, from
/// probabilities (each row divided by its sum and clipped to [1e-7, 1 − 1e-7]).
///
/// `let loss = categoricalCrossEntropy(probabilities, oneHot, fromLogits: false)`
public func categoricalCrossEntropy(_ p: Variable, _ y: Tensor, fromLogits: Bool) -> Variable {
    precondition(p.shape == y.shape && p.shape.count >= 1, "loss: predictions \(p.shape) and targets \(y.shape)")
    let k = p.shape.last!
    let rows = p.count / max(k, 1)
    let value = Kernels.categoricalLoss(p.value.pointer, y.pointer, rows: rows, k: k, fromLogits: fromLogits)
    let out = Tensor(shape: [], values: [value])  // scalar
    return Variable(out, parents: [p]) { [node = p.node, pv = p.value] g in
        Kernels.categoricalLossBackward(
            node.gradientStorage(), pv.pointer, y.pointer, rows: rows, k: k, fromLogits: fromLogits, g.pointer[0])
    }
}
