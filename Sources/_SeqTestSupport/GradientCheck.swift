import SeqAutograd
import SeqTensor

/// One tensor whose gradient a check compares: the value is perturbed in place, and `gradient`
/// reads the analytic gradient after `backward()`.
public struct GradientCheckTarget {
    /// Label used in failure messages.
    public let name: String
    /// The value to perturb (a view: writes change what the forward pass reads).
    public let value: Tensor
    /// The analytic gradient after back-propagation (nil counts as zero).
    public let gradient: () -> Tensor?

    /// A target from any tensor and gradient reader.
    public init(name: String, value: Tensor, gradient: @escaping () -> Tensor?) {
        self.name = name
        self.value = value
        self.gradient = gradient
    }

    /// A leaf variable as a target.
    public init(_ variable: Variable, name: String) {
        self.init(name: name, value: variable.value, gradient: { variable.grad })
    }

    /// Every slot of a parameter arena as targets.
    public static func parameters(of arena: ParameterArena) -> [GradientCheckTarget] {
        arena.slots.map { slot in
            GradientCheckTarget(name: slot.name, value: arena.value(of: slot), gradient: { arena.gradient(of: slot) })
        }
    }
}

/// The result of a gradient check for one target.
public struct GradientCheckResult: CustomStringConvertible {
    /// The target's label.
    public let name: String
    /// `‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖)` over the checked coordinates.
    public let relativeError: Double
    /// Number of coordinates compared.
    public let checked: Int
    /// `‖numeric‖`, to tell a vanishing gradient from a correct one.
    public let numericNorm: Double

    public var description: String {
        "\(name): relative error \(relativeError) over \(checked) coordinates (|numeric| = \(numericNorm))"
    }
}

/// Central-difference gradient check. The scalar checked is `L = Σ forward() ⊙ P` for a fixed random
/// probe `P`, so every output element matters; the numeric side evaluates `L` in `Double` from
/// `forward()` at `x ± step`, the analytic side back-propagates `L` once. At most
/// `maxCoordinates` coordinates per target are sampled (seeded).
///
/// ```swift
/// let x = Variable(Tensor(randomNormal: [3, 5], using: &rng), requiresGrad: true)
/// let results = checkGradients([GradientCheckTarget(x, name: "x")]) { x.tanh() }
/// #expect(results.allSatisfy { $0.relativeError < 1e-2 })
/// ```
public func checkGradients(
    _ targets: [GradientCheckTarget], step: Float = 1e-2, maxCoordinates: Int = 64, seed: UInt64 = 12345,
    zeroGradients: () -> Void = {}, forward: () -> Variable
) -> [GradientCheckResult] {
    var rng = SeededGenerator(seed: seed)
    // Analytic gradients, from zero.
    zeroGradients()
    for target in targets { target.gradient()?.fill(0) }
    let output = forward()
    let probe = Tensor(randomNormal: output.shape, using: &rng)
    (output * Variable(probe)).sum().backward()
    let analytic = targets.map { $0.gradient()?.toArray() ?? [Float](repeating: 0, count: $0.value.count) }

    func loss() -> Double {
        let y = withoutGradients { forward() }.value
        var s: Double = 0
        for i in 0..<y.count { s += Double(y.pointer[i]) * Double(probe.pointer[i]) }
        return s
    }

    var results: [GradientCheckResult] = []
    for (target, exact) in zip(targets, analytic) {
        let n = target.value.count
        var coordinates = Array(0..<n)
        if n > maxCoordinates {
            coordinates.shuffle(using: &rng)
            coordinates = Array(coordinates.prefix(maxCoordinates))
        }
        var diff: Double = 0
        var normA: Double = 0
        var normN: Double = 0
        for i in coordinates {
            let p = target.value.pointer + i
            let saved = p.pointee
            p.pointee = saved + step
            let plus = loss()
            p.pointee = saved - step
            let minus = loss()
            p.pointee = saved
            // The actual perturbation in Float, not the requested one.
            let h = Double(saved + step) - Double(saved - step)
            let numeric = (plus - minus) / h
            let a = Double(exact[i])
            diff += (a - numeric) * (a - numeric)
            normA += a * a
            normN += numeric * numeric
        }
        let denominator = max(normA.squareRoot(), normN.squareRoot())
        results.append(
            GradientCheckResult(
                name: target.name, relativeError: denominator == 0 ? 0 : diff.squareRoot() / denominator,
                checked: coordinates.count, numericNorm: normN.squareRoot()))
    }
    return results
}

/// `‖a − b‖ / max(‖a‖, ‖b‖)` (0 when both are zero).
///
/// `relativeError([1, 2], [1, 2.02]) ≈ 0.009`
public func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) elements")
    var diff: Double = 0
    var na: Double = 0
    var nb: Double = 0
    for i in 0..<a.count {
        let (x, y) = (Double(a[i]), Double(b[i]))
        diff += (x - y) * (x - y)
        na += x * x
        nb += y * y
    }
    let d = max(na.squareRoot(), nb.squareRoot())
    return d == 0 ? 0 : diff.squareRoot() / d
}

/// The largest element-wise `|a − b| / max(|b|, floor)`.
///
/// `maxRelativeError([1, 2], [1, 2.002], floor: 1e-3) ≈ 0.001`
public func maxRelativeError(_ a: [Float], _ b: [Float], floor: Double = 1e-6) -> Double {
    precondition(a.count == b.count, "maxRelativeError: \(a.count) vs \(b.count) elements")
    var worst: Double = 0
    for i in 0..<a.count {
        let e = abs(Double(a[i]) - Double(b[i])) / max(abs(Double(b[i])), floor)
        worst = max(worst, e)
    }
    return worst
}
