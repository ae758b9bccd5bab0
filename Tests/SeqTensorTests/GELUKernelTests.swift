import CSeqKernels
import Foundation
import SeqTensor
import Testing

// The exact GELU's kernels: its erf against libm's erff, the GELU and its derivative against double precision,
// the AVX2 path against the portable one. Grids are not a multiple of 8 long, so the scalar tail runs too.

/// A dense grid over [lower, upper] plus the points where the approximation changes branch (|z| = 0.75) or
/// gives way to 0 (z² = 87.3), from both sides.
private func grid(_ lower: Double, _ upper: Double, step: Double, scale: Double) -> [Float] {
    var points: [Float] = stride(from: lower, through: upper, by: step).map { Float($0) }
    for edge in [0.75, 87.3.squareRoot()] {
        for sign in [-1.0, 1.0] {
            let p = Float(sign * edge * scale)
            points += [p.nextDown, p, p.nextUp]
        }
    }
    return points + [0, -0.0, 1e-30, -1e-30, 3e-8]
}

/// x·Φ(x) and its derivative Φ(x) + x·φ(x) in double; Φ from erfc so the negative tail keeps its digits.
private func exactGELU(_ x: Double) -> (value: Double, slope: Double) {
    let cdf = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
    let density = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    return (x * cdf, cdf + x * density)
}

@Test func erfMatchesLibmErff() {
    let zs = grid(-10, 10, step: 1e-4, scale: 1)
    let n = zs.count
    #expect(n % 8 != 0)
    var vector = [Float](repeating: .nan, count: n)
    var portable = [Float](repeating: .nan, count: n)
    seqkit_erf(n, &vector, zs)
    seqkit_erf_portable(n, &portable, zs)
    for (name, y) in [("vector", vector), ("portable", portable)] {
        var worst = (error: 0.0, at: Float(0))
        for (z, value) in zip(zs, y) {
            let libm = Double(erff(z))
            let error = abs(Double(value) - libm) / max(abs(libm), 1e-37)
            if error > worst.error { worst = (error, z) }
        }
        #expect(worst.error < 3e-7, "\(name) erf: relative error \(worst.error) at \(worst.at)")
    }
}

@Test func exactGELUMatchesDoublePrecision() {
    let xs = grid(-14, 14, step: 3e-4, scale: 2.0.squareRoot())
    let n = xs.count
    #expect(n % 8 != 0)
    let dy = xs.indices.map { Float(($0 % 7) - 3) / 3 }
    var y = [Float](repeating: .nan, count: n)
    var portable = y
    Kernels.gelu(&y, xs, n, .exact)
    seqkit_gelu_exact_portable(n, &portable, xs)
    var dx = [Float](repeating: 0.25, count: n)
    var dxPortable = dx
    Kernels.geluBackward(&dx, dy, xs, n, .exact)
    seqkit_gelu_exact_backward_portable(n, &dxPortable, dy, xs)
    for (name, values, slopes) in [("vector", y, dx), ("portable", portable, dxPortable)] {
        var worst = (value: 0.0, slope: 0.0)
        for i in 0..<n {
            let x = Double(xs[i])
            let (e, slope) = exactGELU(x)
            // Relative while Φ(x) is a normal float: x·Φ(x) keeps its digits far into the tail. Past that Φ is
            // denormal, which a thread that flushes denormals to zero (every team worker) makes 0.
            if abs(e / x) >= Double(Float.leastNormalMagnitude) {
                worst.value = max(worst.value, abs(Double(values[i]) - e) / abs(e))
            } else {
                #expect(abs(Double(values[i])) <= abs(e) * 1.01 + 1e-44, "\(name) gelu(\(x)) = \(values[i]), not \(e)")
            }
            // The derivative crosses 0 near x = −0.75, so it is held to an absolute bound.
            worst.slope = max(worst.slope, abs(Double(slopes[i]) - (0.25 + Double(dy[i]) * slope)))
        }
        #expect(worst.value < 4e-7, "\(name) gelu: worst relative error \(worst.value)")
        #expect(worst.slope < 3e-7, "\(name) gelu': worst absolute error \(worst.slope)")
    }
    // Two ways to the same numbers: the AVX2 lanes and the scalar formulas differ by rounding alone, except deep in
    // the tail, where Φ(x) is subnormal: a flushing worker thread makes it 0, so x·Φ(x) (|x| < 14 here) becomes 0
    // on one path while the other keeps a value below 14 times the smallest normal float.
    let tail = 14 * Float.leastNormalMagnitude
    let mismatch = (0..<n).first { abs(y[$0] - portable[$0]) > 4e-7 * abs(portable[$0]) + tail }
    #expect(
        mismatch == nil,
        "gelu(\(mismatch.map { xs[$0] } ?? 0)): \(mismatch.map { (y[$0], portable[$0]) }.debugDescription)")
}

/// The two forms differ by up to about 1e-3 (what the `activation` key exists for), and each kernel computes
/// its own: the tanh form's own test is `vectorActivationsMatchDoublePrecision`.
@Test func exactAndTanhFormsDiffer() {
    let xs: [Float] = stride(from: -4, through: 4, by: 0.01).map { Float($0) }
    var exact = [Float](repeating: 0, count: xs.count)
    var tanh = exact
    Kernels.gelu(&exact, xs, xs.count, .exact)
    Kernels.gelu(&tanh, xs, xs.count, .tanh)
    let gap = zip(exact, tanh).map { Double(abs($0 - $1)) }.max() ?? 0
    #expect(gap > 1e-4 && gap < 1e-3, "largest gap \(gap)")
}

/// Far into either tail and at the extremes of float: the exact GELU is x or 0 (signed), its slope 1 or 0, on
/// the vector path (the first 8) and the portable one.
@Test func exactGELUTails() {
    let xs: [Float] = [20, 1e10, .greatestFiniteMagnitude, -20, -1e10, -.greatestFiniteMagnitude, .infinity, -14]
    let ones = [Float](repeating: 1, count: xs.count)
    var y = [Float](repeating: .nan, count: xs.count)
    var dx = [Float](repeating: 0, count: xs.count)
    Kernels.gelu(&y, xs, xs.count, .exact)
    Kernels.geluBackward(&dx, ones, xs, xs.count, .exact)
    var portable = [Float](repeating: .nan, count: xs.count)
    var dxPortable = [Float](repeating: 0, count: xs.count)
    seqkit_gelu_exact_portable(xs.count, &portable, xs)
    seqkit_gelu_exact_backward_portable(xs.count, &dxPortable, ones, xs)
    for (value, slope) in [(y, dx), (portable, dxPortable)] {
        #expect(Array(value[0..<3]) == Array(xs[0..<3]) && value[6] == .infinity)
        #expect(value[3...5].allSatisfy { $0 == 0 } && abs(value[7]) < 1e-36)
        #expect(Array(slope[0..<3]) == [1, 1, 1] && slope[3...5].allSatisfy { $0 == 0 })
    }
}
