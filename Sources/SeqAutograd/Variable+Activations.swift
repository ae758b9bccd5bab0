import SeqTensor

extension Variable {
    /// Element-wise `tanh`.
    public func tanh() -> Variable {
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.tanh(y.pointer, value.pointer, count)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.tanhBackward(node.gradientStorage(), g.pointer, y.pointer, g.count)
        }
    }

    /// Element-wise logistic sigmoid `1 / (1 + e^−x)`.
    public func sigmoid() -> Variable {
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.sigmoid(y.pointer, value.pointer, count)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.sigmoidBackward(node.gradientStorage(), g.pointer, y.pointer, g.count)
        }
    }

    /// Element-wise `max(x, 0)`.
    public func relu() -> Variable {
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.relu(y.pointer, value.pointer, count)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.reluBackward(node.gradientStorage(), g.pointer, y.pointer, g.count)
        }
    }

    /// Element-wise GELU: exact `x·Φ(x) = ½x(1 + erf(x/√2))` by default (PyTorch's `F.gelu(x)`), or the tanh
    /// approximation `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (GPT-2's, `F.gelu(x, approximate="tanh")`).
    ///
    /// `let h = c_fc(x).gelu()   // or .gelu(.tanh)`
    public func gelu(_ form: GELU = .exact) -> Variable {
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.gelu(y.pointer, value.pointer, count, form)
        return Variable(y, parents: [self]) { [node, value] g in
            Kernels.geluBackward(node.gradientStorage(), g.pointer, value.pointer, g.count, form)
        }
    }

    /// Element-wise power `xᵖ` (`x` positive unless `p` is a whole number): `(v + ε).power(-0.5)`.
    public func power(_ p: Float) -> Variable {
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.power(y.pointer, value.pointer, count, p)
        return Variable(y, parents: [self]) { [node, value] g in
            Kernels.powerBackward(node.gradientStorage(), g.pointer, value.pointer, g.count, p)
        }
    }

    /// Softmax over the last axis.
    public func softmax() -> Variable {
        let n = shape.last ?? 1
        let rows = count / max(n, 1)
        let y = Tensor(uninitialized: shape)  // same shape; rows sum to 1
        Kernels.softmax(y.pointer, value.pointer, rows: rows, n: n)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.softmaxBackward(node.gradientStorage(), g.pointer, y.pointer, rows: rows, n: n)
        }
    }

    /// Log-softmax over the last axis.
    public func logSoftmax() -> Variable {
        let n = shape.last ?? 1
        let rows = count / max(n, 1)
        let y = Tensor(uninitialized: shape)  // same shape
        Kernels.logSoftmax(y.pointer, value.pointer, rows: rows, n: n)
        return Variable(y, parents: [self]) { [node] g in
            Kernels.logSoftmaxBackward(node.gradientStorage(), g.pointer, y.pointer, rows: rows, n: n)
        }
    }

    /// Inverted dropout with keep probability `1 − p`; the identity when `p == 0` (layers pass 0 in
    /// evaluation mode). Independent of gradient recording, as in PyTorch.
    ///
    /// `let h = x.dropout(0.1, using: &rng)`
    public func dropout(_ p: Float, using rng: inout SeededGenerator) -> Variable {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        if p == 0 { return self }
        let y = Tensor(uninitialized: shape)  // same shape
        let scale = 1 / (1 - p)
        var keep = [UInt8](repeating: 0, count: (count + 7) / 8)  // same shape, a bit each: set where kept
        keep.withUnsafeMutableBufferPointer { bits in
            guard let bits = bits.baseAddress else { return }  // an empty tensor draws nothing
            rng.fillKeepBits(bits, count: count, dropping: p)
            Kernels.dropout(y.pointer, value.pointer, keepBits: bits, count, scale: scale)
        }
        return Variable(y, parents: [self]) { [node] g in
            keep.withUnsafeBufferPointer { keep in
                guard let bits = keep.baseAddress else { return }  // empty
                Kernels.dropoutBackward(node.gradientStorage(), g.pointer, keepBits: bits, g.count, scale: scale)
            }
        }
    }
}

/// Mean cross-entropy between `logits` (…, V) and integer `targets` (one per row), skipping rows
/// whose target is `ignoreIndex`; softmax and the loss are fused. Returns a scalar.
///
/// ```swift
/// let loss = crossEntropy(logits, targets: [3, 1, -1], ignoreIndex: -1)   // mean over 2 rows
/// ```
public func crossEntropy(_ logits: Variable, targets: [Int], ignoreIndex: Int = -100) -> Variable {
    let n = logits.shape.last ?? 1
    let rows = logits.count / max(n, 1)
    precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(logits.shape)")
    let lse = Tensor(uninitialized: [rows])  // log-sum-exp per row
    if rows == 0 { return Variable(Tensor(scalar: 0)) }
    let (loss, counted) = targets.withUnsafeBufferPointer { t in
        Kernels.crossEntropy(
            lse: lse.pointer, logits: logits.value.pointer, targets: t.baseAddress!, rows: rows, n: n,
            ignoreIndex: ignoreIndex)
    }
    let (node, value) = (logits.node, logits.value)
    return Variable(Tensor(scalar: loss), parents: [logits]) { g in
        targets.withUnsafeBufferPointer { t in
            Kernels.crossEntropyBackward(
                node.gradientStorage(), g: g.item, lse: lse.pointer, logits: value.pointer,
                targets: t.baseAddress!, rows: rows, n: n, ignoreIndex: ignoreIndex, count: counted)
        }
    }
}

/// Layer norm over the last axis: `(x − μ)/√(σ² + ε) · weight + bias`, `bias` optional.
///
/// `let h = layerNorm(x, weight: w, bias: b)   // (B, T, C) with w, b of shape (C)`
public func layerNorm(_ x: Variable, weight: Variable, bias: Variable?, epsilon: Float = 1e-5) -> Variable {
    let n = x.shape.last ?? 1
    let rows = x.count / max(n, 1)
    precondition(weight.shape == [n], "layerNorm: weight \(weight.shape) for last axis \(n) of \(x.shape)")
    precondition(bias == nil || bias!.shape == [n], "layerNorm: bias \(bias!.shape) for last axis \(n)")
    let y = Tensor(uninitialized: x.shape)  // same shape as x
    let mean = Tensor(uninitialized: [rows])
    let rstd = Tensor(uninitialized: [rows])
    Kernels.layerNorm(
        y.pointer, mean: mean.pointer, rstd: rstd.pointer, x.value.pointer, weight: weight.value.pointer,
        bias: bias?.value.pointer, rows: rows, n: n, epsilon: epsilon)
    let (nx, nw, nb) = (x.node, weight.node, bias?.node)
    let (vx, vw) = (x.value, weight.value)
    return Variable(y, parents: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        Kernels.layerNormBackward(
            dx: nx.requiresGrad ? nx.gradientStorage() : nil,
            dWeight: nw.requiresGrad ? nw.gradientStorage() : nil,
            dBias: (nb?.requiresGrad ?? false) ? nb!.gradientStorage() : nil,
            dy: g.pointer, x: vx.pointer, weight: vw.pointer, mean: mean.pointer, rstd: rstd.pointer,
            rows: rows, n: n)
    }
}

/// Embedding lookup: row `ids[i]` of `table` (V, C) for each id; the result has shape `idShape + [C]`.
///
/// `let x = embedding(ids: tokens, shape: [B, T], table: wte)   // (B, T, C)`
public func embedding(ids: [Int], shape idShape: [Int], table: Variable) -> Variable {
    precondition(table.shape.count == 2, "embedding table must be (V, C), got \(table.shape)")
    let (v, c) = (table.shape[0], table.shape[1])
    precondition(Tensor.elementCount(idShape) == ids.count, "embedding: \(ids.count) ids for shape \(idShape)")
    for id in ids { precondition(id >= 0 && id < v, "embedding: id \(id) outside the vocabulary 0..<\(v)") }
    let y = Tensor(uninitialized: idShape + [c])  // (…, C)
    if ids.isEmpty { return Variable(y) }
    ids.withUnsafeBufferPointer { p in
        Kernels.gather(y.pointer, table: table.value.pointer, ids: p.baseAddress!, rows: ids.count, n: c)
    }
    return Variable(y, parents: [table]) { [node = table.node] g in
        ids.withUnsafeBufferPointer { p in
            Kernels.scatterAdd(node.gradientStorage(), dy: g.pointer, ids: p.baseAddress!, rows: ids.count, n: c)
        }
    }
}
