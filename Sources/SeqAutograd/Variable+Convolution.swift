import SeqTensor

/// Padding of a 1-D convolution or pooling window (Keras's `padding`).
public enum WindowPadding: String, Codable, Sendable, CaseIterable {
    /// No padding: `⌊(T − K)/s⌋ + 1` outputs.
    case valid
    /// `⌈T/s⌉` outputs; the padding is split with the smaller half before step 0 (TensorFlow's rule).
    case same

    /// Output length and steps of padding before step 0 for `length` steps, windows of `kernel`, `stride` apart.
    ///
    /// `WindowPadding.same.plan(length: 10, kernel: 3, stride: 2) == (outLength: 5, padLeft: 0)`
    public func plan(length: Int, kernel: Int, stride: Int) -> (outLength: Int, padLeft: Int) {
        switch self {
        case .valid:
            return (length >= kernel ? (length - kernel) / stride + 1 : 0, 0)
        case .same:
            let out = (length + stride - 1) / stride
            let total = max((out - 1) * stride + kernel - length, 0)
            return (out, total / 2)
        }
    }
}

/// Im2col of a 1-D convolution: x (B, T, C) → (B, T_out, kernel·C), row o holding the `kernel` steps from
/// `o·stride − padLeft` (zeros in the padding). A convolution is this times a (kernel·C, F) kernel.
///
/// `let cols = unfold1D(x, kernel: 3, stride: 1, padding: .same)   // (B, T, 3C)`
public func unfold1D(_ x: Variable, kernel: Int, stride: Int, padding: WindowPadding) -> Variable {
    let window = windows(x, kernel: kernel, stride: stride, padding: padding, "unfold1D")
    let y = Tensor(uninitialized: [window.b, window.outLength, kernel * window.c])  // (B, T_out, K·C)
    Kernels.unfold1D(y.pointer, x.value.pointer, window)
    return Variable(y, parents: [x]) { [node = x.node] g in
        Kernels.unfold1DBackward(node.gradientStorage(), g.pointer, window)
    }
}

/// Max pooling over time: x (B, T, C) → (B, T_out, C), each output the largest of its window's steps.
///
/// `let y = maxPool1D(x, size: 2, stride: 2, padding: .valid)   // (B, T/2, C)`
public func maxPool1D(_ x: Variable, size: Int, stride: Int, padding: WindowPadding) -> Variable {
    let window = windows(x, kernel: size, stride: stride, padding: padding, "maxPool1D")
    let y = Tensor(uninitialized: [window.b, window.outLength, window.c])  // (B, T_out, C)
    var argmax = [Int32](repeating: 0, count: y.count)
    argmax.withUnsafeMutableBufferPointer {
        Kernels.maxPool1D(y.pointer, argmax: $0.baseAddress!, x.value.pointer, window)
    }
    return Variable(y, parents: [x]) { [node = x.node] g in
        argmax.withUnsafeBufferPointer {
            Kernels.maxPool1DBackward(node.gradientStorage(), g.pointer, argmax: $0.baseAddress!, window)
        }
    }
}

/// The windows of a scan over x (B, T, C): `kernel` steps every `stride`, padded as `padding` says.
private func windows(_ x: Variable, kernel: Int, stride: Int, padding: WindowPadding, _ op: String) -> Kernels.Window1D
{
    precondition(x.shape.count == 3, "\(op): input must be (B, T, C), got \(x.shape)")
    precondition(kernel > 0 && stride > 0, "\(op): window and stride must be positive")
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    let (out, pad) = padding.plan(length: t, kernel: kernel, stride: stride)
    return Kernels.Window1D(b: b, t: t, c: c, kernel: kernel, stride: stride, padLeft: pad, outLength: out)
}
