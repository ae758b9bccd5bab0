import CSeqKernels
import RealModule

/// Which GELU a kernel, a layer or a model computes. PyTorch's `nn.GELU()` and nanoGPT use the exact form;
/// GPT-2 (and `nn.GELU(approximate="tanh")`) the tanh approximation, which is within about 1e-3 of it.
///
/// `Kernels.gelu(y, x, n, .exact)`
public enum GELU: Sendable, Equatable, CaseIterable {
    /// `x·Φ(x) = ½x(1 + erf(x/√2))`, Φ the standard normal CDF.
    case exact
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    case tanh
}

extension Kernels {
    /// `x[i] *= s` in place.
    package static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ s: Float) {
        for i in 0..<n { x[i] *= s }
    }

    /// `y[i] = s · x[i]`.
    package static func scale(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ s: Float) {
        for i in 0..<n { y[i] = s * x[i] }
    }

    /// `y[i] += s · x[i]` (the backward of ``scale(_:_:_:_:)``, and SAXPY).
    package static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ s: Float) {
        for i in 0..<n { y[i] += s * x[i] }
    }

    /// `Σ x[i]`, reordered freely so it vectorizes.
    package static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s = Relaxed.sum(s, x[i]) }
        return s
    }

    /// `Σ x[i]·y[i]`, reordered freely so it vectorizes.
    package static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s = Relaxed.multiplyAdd(x[i], y[i], s) }
        return s
    }

    // MARK: Activations. Forward: y = f(x). Backward: dx += dy · f'(·).

    /// `y = tanh(x)`, within about 3e-7 relative (`seqkit_tanh`: 8 lanes of AVX2 where the CPU has it).
    package static func tanh(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        seqkit_tanh(n, y, x)
    }

    /// `dx += dy · (1 − y²)`, from the forward output `y`.
    package static func tanhBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { dx[i] += dy[i] * (1 - y[i] * y[i]) }
    }

    /// `y = 1 / (1 + e^−x)` (`seqkit_sigmoid`: 8 lanes of AVX2 where the CPU has it).
    package static func sigmoid(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        seqkit_sigmoid(n, y, x)
    }

    /// `dx += dy · y · (1 − y)`, from the forward output `y`.
    package static func sigmoidBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { dx[i] += dy[i] * y[i] * (1 - y[i]) }
    }

    /// `y = max(x, 0)`.
    package static func relu(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = x[i] > 0 ? x[i] : 0 }
    }

    /// `dx += dy · [y > 0]`, from the forward output `y`.
    package static func reluBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int
    ) {
        for i in 0..<n where y[i] > 0 { dx[i] += dy[i] }
    }

    /// `y = gelu(x)` in the given form (8 lanes of AVX2 where the CPU has it):
    /// `.exact` is `x·Φ(x) = ½x(1 + erf(x/√2))` (`seqkit_gelu_exact`, within about 3e-7 relative),
    /// `.tanh` is `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (`seqkit_gelu`, the tanh within about 3e-7 relative).
    package static func gelu(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ form: GELU) {
        Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in
            switch form {
            case .exact: seqkit_gelu_exact(r.count, y + r.lowerBound, x + r.lowerBound)
            case .tanh: seqkit_gelu(r.count, y + r.lowerBound, x + r.lowerBound)
            }
        }
    }

    /// `dx += dy · gelu'(x)` in the given form, from the forward input `x`; the exact form's derivative is
    /// `Φ(x) + x·φ(x)` with φ the standard normal density.
    package static func geluBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
        _ form: GELU
    ) {
        Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in
            switch form {
            case .exact: seqkit_gelu_exact_backward(r.count, dx + r.lowerBound, dy + r.lowerBound, x + r.lowerBound)
            case .tanh: seqkit_gelu_backward(r.count, dx + r.lowerBound, dy + r.lowerBound, x + r.lowerBound)
            }
        }
    }

    /// `y = xᵖ` (for positive `x` when `p` is not a whole number).
    package static func power(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ p: Float) {
        for i in 0..<n { y[i] = Float.pow(x[i], p) }
    }

    /// `dx += dy · p · xᵖ⁻¹`, from the forward input `x`.
    package static func powerBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ p: Float
    ) {
        for i in 0..<n { dx[i] += dy[i] * p * Float.pow(x[i], p - 1) }
    }
}
