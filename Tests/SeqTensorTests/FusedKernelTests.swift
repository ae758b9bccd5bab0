import CSeqKernels
import Foundation
import SeqTensor
import Testing

// The fused row kernels (AVX2 with a scalar tail, or scalar throughout) against double-precision
// references written out here from the cell equations. Widths 8 and 64 run the vector path only, 13 and
// 3 its scalar tail too.

private let widths = [3, 8, 13, 64]

private func uniform(_ n: Int, _ range: ClosedRange<Float>, _ rng: inout SeededGenerator) -> [Float] {
    (0..<n).map { _ in Float.random(in: range, using: &rng) }
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

/// Largest |a − e| / max(|e|, floor).
private func worst(_ a: [Float], _ e: [Double], floor: Double = 1e-3) -> Double {
    zip(a, e).map { abs(Double($0) - $1) / max(abs($1), floor) }.max() ?? 0
}

@Test(arguments: widths)
func lstmForwardRowMatchesCellEquations(hs: Int) {
    var rng = SeededGenerator(seed: UInt64(100 + hs))
    var gate = uniform(4 * hs, -6...6, &rng)
    gate[0] = 40  // saturated gates
    gate[hs] = -100
    let rec = uniform(4 * hs, -2...2, &rng)
    let cPrev = uniform(hs, -3...3, &rng)
    let input = gate
    var cNext = [Float](repeating: .nan, count: hs)
    var tanhC = cNext
    var h = cNext
    seqkit_lstm_forward_row(hs, &gate, rec, cPrev, &cNext, &tanhC, &h)
    var eGate = [Double](repeating: 0, count: 4 * hs)
    var eC = [Double](repeating: 0, count: hs)
    var eTanh = eC
    var eH = eC
    for j in 0..<hs {
        func pre(_ k: Int) -> Double { Double(input[k * hs + j]) + Double(rec[k * hs + j]) }
        let (i, f, g, o) = (sigmoid(pre(0)), sigmoid(pre(1)), Foundation.tanh(pre(2)), sigmoid(pre(3)))
        (eGate[j], eGate[hs + j], eGate[2 * hs + j], eGate[3 * hs + j]) = (i, f, g, o)
        eC[j] = f * Double(cPrev[j]) + i * g
        eTanh[j] = Foundation.tanh(eC[j])
        eH[j] = o * eTanh[j]
    }
    #expect(worst(gate, eGate) < 2e-6)
    #expect(worst(cNext, eC) < 2e-6)
    #expect(worst(tanhC, eTanh) < 2e-6)
    #expect(worst(h, eH) < 2e-6)
}

@Test(arguments: widths)
func lstmBackwardRowMatchesCellDerivatives(hs: Int) {
    var rng = SeededGenerator(seed: UInt64(200 + hs))
    let gate = uniform(4 * hs, 0.01...0.99, &rng)  // activations: σ in (0, 1), tanh in (−1, 1) is covered too
    let cPrev = uniform(hs, -2...2, &rng)
    let tanhC = uniform(hs, -0.99...0.99, &rng)
    let dy = uniform(hs, -1...1, &rng)
    let dh = uniform(hs, -1...1, &rng)
    var dc = uniform(hs, -1...1, &rng)
    let dcIn = dc
    var d = [Float](repeating: .nan, count: 4 * hs)
    seqkit_lstm_backward_row(hs, gate, cPrev, tanhC, dy, dh, &dc, &d)
    var eD = [Double](repeating: 0, count: 4 * hs)
    var eDc = [Double](repeating: 0, count: hs)
    for j in 0..<hs {
        let (i, f, g, o) = (Double(gate[j]), Double(gate[hs + j]), Double(gate[2 * hs + j]), Double(gate[3 * hs + j]))
        let tc = Double(tanhC[j])
        let dht = Double(dh[j]) + Double(dy[j])
        let dct = Double(dcIn[j]) + dht * o * (1 - tc * tc)
        eD[j] = dct * g * i * (1 - i)
        eD[hs + j] = dct * Double(cPrev[j]) * f * (1 - f)
        eD[2 * hs + j] = dct * i * (1 - g * g)
        eD[3 * hs + j] = dht * tc * o * (1 - o)
        eDc[j] = dct * f
    }
    #expect(worst(d, eD) < 1e-5)
    #expect(worst(dc, eDc) < 1e-5)
}

@Test(arguments: widths, [true, false])
func gruRowsMatchCellEquations(hs: Int, hiddenBias: Bool) {
    var rng = SeededGenerator(seed: UInt64(300 + hs))
    var gate = uniform(3 * hs, -6...6, &rng)
    let input = gate
    let rec = uniform(3 * hs, -2...2, &rng)
    let bhn = uniform(hs, -1...1, &rng)
    let hPrev = uniform(hs, -1...1, &rng)
    var hn = [Float](repeating: .nan, count: hs)
    var h = hn
    seqkit_gru_forward_row(hs, &gate, rec, hiddenBias ? bhn : nil, hPrev, &hn, &h)
    var eGate = [Double](repeating: 0, count: 3 * hs)
    var eHn = [Double](repeating: 0, count: hs)
    var eH = eHn
    for j in 0..<hs {
        let r = sigmoid(Double(input[j]) + Double(rec[j]))
        let z = sigmoid(Double(input[hs + j]) + Double(rec[hs + j]))
        eHn[j] = Double(rec[2 * hs + j]) + (hiddenBias ? Double(bhn[j]) : 0)
        // n from the kernel's own float r and W_hn h + b_hn (each checked on its own), so an r off by one
        // rounding, multiplied up near tanh's zero, does not count against tanh.
        let n = Foundation.tanh(Double(input[2 * hs + j]) + Double(gate[j]) * Double(hn[j]))
        (eGate[j], eGate[hs + j], eGate[2 * hs + j]) = (r, z, n)
        eH[j] = (1 - z) * n + z * Double(hPrev[j])
    }
    #expect(worst(gate, eGate) < 2e-6)
    #expect(worst(hn, eHn) < 2e-6)
    #expect(worst(h, eH) < 2e-6)

    // Backward from those activations.
    let dy = uniform(hs, -1...1, &rng)
    var dh = uniform(hs, -1...1, &rng)
    let dhIn = dh
    var di = [Float](repeating: .nan, count: 3 * hs)
    var dg = di
    seqkit_gru_backward_row(hs, gate, hn, hPrev, dy, &dh, &di, &dg)
    var eDi = [Double](repeating: 0, count: 3 * hs)
    var eDg = eDi
    var eDh = [Double](repeating: 0, count: hs)
    for j in 0..<hs {
        let (r, z, n) = (Double(gate[j]), Double(gate[hs + j]), Double(gate[2 * hs + j]))
        let dht = Double(dhIn[j]) + Double(dy[j])
        let dpn = dht * (1 - z) * (1 - n * n)
        let dpr = dpn * Double(hn[j]) * r * (1 - r)
        let dpz = dht * (Double(hPrev[j]) - n) * z * (1 - z)
        (eDi[j], eDi[hs + j], eDi[2 * hs + j]) = (dpr, dpz, dpn)
        (eDg[j], eDg[hs + j], eDg[2 * hs + j]) = (dpr, dpz, dpn * r)
        eDh[j] = dht * z
    }
    #expect(worst(di, eDi) < 1e-5)
    #expect(worst(dg, eDg) < 1e-5)
    #expect(worst(dh, eDh) < 1e-5)
}

/// σ and tanh as the fused LSTM row computes them, over a dense grid (gate i and g of a row with zero
/// hidden projection), including where 1 − e^−2|x| cancels and where e^x leaves float range.
@Test func fusedGateFunctionsAreAccurateOverTheirRange() {
    var points: [Float] = stride(from: -12, through: 12, by: 0.001_3).map { Float($0) }
    points += [0, 1e-30, -1e-20, 1e-8, 3e-4, 0.1249, 0.125, 0.1251, 20, -20, 40, -40, 100, -100]
    points += [Float](repeating: 0.5, count: (8 - points.count % 8) % 8)
    let hs = points.count
    var gate = [Float](repeating: 0, count: 4 * hs)
    for (j, x) in points.enumerated() {
        gate[j] = x
        gate[2 * hs + j] = x
    }
    let zeros = [Float](repeating: 0, count: 4 * hs)
    var c = [Float](repeating: 0, count: hs)
    var tanhC = c
    var h = c
    seqkit_lstm_forward_row(hs, &gate, zeros, zeros, &c, &tanhC, &h)
    var worstLogistic: Double = 0
    var worstTanh: Double = 0
    for (j, x) in points.enumerated() {
        let logistic = sigmoid(Double(x))
        let tanh = Foundation.tanh(Double(x))
        if logistic > 1e-30 { worstLogistic = max(worstLogistic, abs(Double(gate[j]) - logistic) / logistic) }
        worstTanh = max(worstTanh, abs(Double(gate[2 * hs + j]) - tanh) / max(abs(tanh), 1e-38))
    }
    #expect(worstLogistic < 1e-6)
    #expect(worstTanh < 1e-6)
    #expect(gate[points.firstIndex(of: -100)!] < 1e-37)
    #expect(gate[2 * hs + points.firstIndex(of: -100)!] == -1)
}

@Test(arguments: [1, 8, 37, 40_001], [true, false])
func adamUpdateMatchesTheFormula(n: Int, decoupled: Bool) {
    var rng = SeededGenerator(seed: UInt64(400 + n))
    var p = uniform(n, -1...1, &rng)
    let g = uniform(n, -0.1...0.1, &rng)
    var m = uniform(n, -0.01...0.01, &rng)
    var v = uniform(n, 0...0.001, &rng)
    let (p0, m0, v0) = (p, m, v)
    let (lr, b1, b2, eps, c1, c2, wd): (Double, Double, Double, Double, Double, Double, Double) = (
        1e-2, 0.9, 0.99, 1e-8, 1 / (1 - 0.9 * 0.9), 1 / (1 - 0.99 * 0.99), 0.1
    )
    // The kernel's (1 − β₂) is 1 − Float(0.99), 1e-6 away from 0.01 in relative terms; the reference uses the
    // betas the kernel was given, or that alone would exceed the tolerance (it did, once in 40,001 draws).
    let (fb1, fb2) = (Double(Float(b1)), Double(Float(b2)))
    p.withUnsafeMutableBufferPointer { pp in
        m.withUnsafeMutableBufferPointer { mp in
            v.withUnsafeMutableBufferPointer { vp in
                Kernels.adamUpdate(
                    pp.baseAddress!, g, mp.baseAddress!, vp.baseAddress!, n, learningRate: Float(lr),
                    beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), correction1: Float(c1),
                    correction2: Float(c2), coupledDecay: decoupled ? 0 : Float(wd),
                    decoupledDecay: decoupled ? Float(lr * wd) : 0)
            }
        }
    }
    for i in 0..<n {
        var grad = Double(g[i])
        var param = Double(p0[i])
        if decoupled { param -= lr * wd * param } else { grad += wd * param }
        let mi = fb1 * Double(m0[i]) + (1 - fb1) * grad
        let vi = fb2 * Double(v0[i]) + (1 - fb2) * grad * grad
        param -= lr * (mi * c1) / ((vi * c2).squareRoot() + eps)
        // Float rounding of β₁m + (1−β₁)g is relative to its terms, not to the (possibly cancelled) sum.
        #expect(abs(Double(m[i]) - mi) <= 1e-6 * (b1 * abs(Double(m0[i])) + (1 - b1) * abs(grad)), "m[\(i)]")
        #expect(abs(Double(v[i]) - vi) <= 1e-6 * vi, "v[\(i)]")
        #expect(abs(Double(p[i]) - param) <= 1e-6, "p[\(i)]: \(p[i]) vs \(param)")
    }
}

/// GELU (tanh form) forward and backward, tanh and σ over a grid (its length not a multiple of 8, so the scalar tail
/// runs too, and long enough that GELU is split over the worker team) against double precision.
@Test func vectorActivationsMatchDoublePrecision() {
    let xs: [Float] = stride(from: -9, through: 9, by: 0.001).map { Float($0) } + [0, 1e-8, -3e-4, 30, -30]
    let n = xs.count
    #expect(n % 8 != 0)
    var y = [Float](repeating: .nan, count: n)
    let k = (2 / Double.pi).squareRoot()
    func geluParts(_ x: Double) -> (value: Double, slope: Double) {
        let t = Foundation.tanh(k * (x + 0.044715 * x * x * x))
        let dt = (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
        return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * dt)
    }
    // A float tanh is good to a few 1e-7 absolute, so ½x(1 + t) to a few 1e-7·|x| (and far below that in
    // relative terms where 1 + t cancels, for x ≪ 0, exactly as in PyTorch's float formula).
    Kernels.gelu(&y, xs, n, .tanh)
    for (x, (a, e)) in zip(xs, zip(y, xs.map { geluParts(Double($0)).value })) {
        #expect(abs(Double(a) - e) <= 5e-7 * Double(abs(x)) + 1e-12, "gelu(\(x)) = \(a), expected \(e)")
    }
    let dy = xs.indices.map { Float(($0 % 7) - 3) / 3 }
    var dx = [Float](repeating: 0.25, count: n)
    Kernels.geluBackward(&dx, dy, xs, n, .tanh)
    for i in 0..<n {
        let x = Double(xs[i])
        let e = 0.25 + Double(dy[i]) * geluParts(x).slope
        #expect(abs(Double(dx[i]) - e) <= 1e-6 * (1 + x * x), "gelu'(\(x)): \(dx[i]), expected \(e)")
    }
    Kernels.tanh(&y, xs, n)
    #expect(worst(y, xs.map { Foundation.tanh(Double($0)) }, floor: 1e-30) < 1e-6)
    Kernels.sigmoid(&y, xs, n)
    #expect(worst(y, xs.map { sigmoid(Double($0)) }, floor: 1e-30) < 1e-6)
}

/// A diverged run must stay visibly diverged: NaN in, NaN out, in the vector lanes and the scalar tail.
@Test(arguments: [8, 13])
func fusedKernelsPropagateNaN(hs: Int) {
    var gate = [Float](repeating: 0.5, count: 4 * hs)
    for k in 0..<4 { gate[k * hs] = .nan }  // unit 0: every gate's input
    gate[2 * hs + hs - 1] = .nan  // the last unit's g (in the scalar tail when hs = 13)
    let zeros = [Float](repeating: 0, count: 4 * hs)
    var c = [Float](repeating: 0, count: hs)
    var tanhC = c
    var h = c
    seqkit_lstm_forward_row(hs, &gate, zeros, zeros, &c, &tanhC, &h)
    #expect(h[0].isNaN && c[0].isNaN)
    #expect(h[hs - 1].isNaN)
    #expect(!h[1].isNaN)
    var x = [Float](repeating: 1, count: hs)
    x[0] = .nan
    x[hs - 1] = .nan
    var y = x
    for form in GELU.allCases {
        y = x
        Kernels.gelu(&y, x, hs, form)
        #expect(y[0].isNaN && y[hs - 1].isNaN && !y[1].isNaN)
        var dx = [Float](repeating: 0, count: hs)
        Kernels.geluBackward(&dx, [Float](repeating: 1, count: hs), x, hs, form)
        #expect(dx[0].isNaN && dx[hs - 1].isNaN && !dx[1].isNaN)
    }
    Kernels.sigmoid(&y, x, hs)
    #expect(y[0].isNaN && y[hs - 1].isNaN)
    Kernels.tanh(&y, x, hs)
    #expect(y[0].isNaN && y[hs - 1].isNaN)
}

/// Softmax, log-sum-exp and the cross-entropy gradient through the vector exponentials: rows of 37 (vector
/// part and tail) with −∞ entries, which must get exactly zero weight.
@Test func shiftedExponentialsMatchDoublePrecision() {
    var rng = SeededGenerator(seed: 500)
    let n = 37
    var x = uniform(n, -20...20, &rng)
    x[3] = -.infinity
    x[35] = -.infinity
    let m = Double(x.max()!)
    let sum = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
    var y = [Float](repeating: .nan, count: n)
    Kernels.softmax(&y, x, rows: 1, n: n)
    #expect(worst(y, x.map { Foundation.exp(Double($0) - m) / sum }, floor: 1e-30) < 2e-6)
    #expect(y[3] == 0 && y[35] == 0)
    #expect(abs(Double(Kernels.logSumExp(x, n)) - (m + Foundation.log(sum))) < 2e-6)
    var lse = [Float](repeating: 0, count: 1)
    let targets = [7]
    let (loss, count) = Kernels.crossEntropy(lse: &lse, logits: x, targets: targets, rows: 1, n: n, ignoreIndex: -1)
    #expect(count == 1 && abs(Double(loss) - (m + Foundation.log(sum) - Double(x[7]))) < 2e-5)
    var dx = [Float](repeating: 0.5, count: n)
    Kernels.crossEntropyBackward(
        &dx, g: 2, lse: lse, logits: x, targets: targets, rows: 1, n: n, ignoreIndex: -1, count: 1)
    let expected = x.indices.map { 0.5 + 2 * Foundation.exp(Double(x[$0]) - m) / sum - ($0 == 7 ? 2 : 0) }
    #expect(worst(dx, expected) < 2e-6)
}

/// Layer norm forward and backward against double precision, for a few rows (one thread) and for enough rows
/// that the rows are split over the worker team, each part summing its own weight and bias gradients.
@Test(arguments: [3, 300])
func layerNormKernelsMatchDoublePrecision(rows: Int) {
    let n = 64
    var rng = SeededGenerator(seed: UInt64(rows))
    let x = uniform(rows * n, -2...2, &rng)
    let w = uniform(n, 0.5...1.5, &rng)
    let b = uniform(n, -0.5...0.5, &rng)
    let dy = uniform(rows * n, -1...1, &rng)
    var y = [Float](repeating: .nan, count: rows * n)
    var mean = [Float](repeating: 0, count: rows)
    var rstd = mean
    Kernels.layerNorm(&y, mean: &mean, rstd: &rstd, x, weight: w, bias: b, rows: rows, n: n, epsilon: 1e-5)
    var dx = [Float](repeating: 0.5, count: rows * n)
    var dw = [Float](repeating: 0.25, count: n)
    var db = [Float](repeating: -0.25, count: n)
    Kernels.layerNormBackward(
        dx: &dx, dWeight: &dw, dBias: &db, dy: dy, x: x, weight: w, mean: mean, rstd: rstd, rows: rows, n: n)
    var (expectedW, expectedB) = ([Double](repeating: 0.25, count: n), [Double](repeating: -0.25, count: n))
    for r in 0..<rows {
        let row = (0..<n).map { Double(x[r * n + $0]) }
        let mu = row.reduce(0, +) / Double(n)
        let rs = 1 / (row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(n) + 1e-5).squareRoot()
        let xhat = row.map { ($0 - mu) * rs }
        let g = (0..<n).map { Double(dy[r * n + $0]) * Double(w[$0]) }
        let (mg, mgx) = (g.reduce(0, +) / Double(n), zip(g, xhat).map(*).reduce(0, +) / Double(n))
        for i in 0..<n {
            let e = xhat[i] * Double(w[i]) + Double(b[i])
            #expect(abs(Double(y[r * n + i]) - e) < 1e-5, "y[\(r), \(i)]")
            let ex = 0.5 + rs * (g[i] - mg - xhat[i] * mgx)
            #expect(abs(Double(dx[r * n + i]) - ex) < 1e-4, "dx[\(r), \(i)]")
            expectedW[i] += Double(dy[r * n + i]) * xhat[i]
            expectedB[i] += Double(dy[r * n + i])
        }
    }
    for i in 0..<n {
        #expect(abs(Double(dw[i]) - expectedW[i]) < 1e-4 * Double(rows), "dWeight[\(i)]")
        #expect(abs(Double(db[i]) - expectedB[i]) < 1e-4 * Double(rows), "dBias[\(i)]")
    }
}
