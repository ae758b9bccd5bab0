import SeqTensor
import Testing

// A whole batch through the recurrent kernels (B·T ≥ 256 rows: input projections through the panel kernel on
// the worker team, the time loop split into batch chunks) against the same sequences one at a time (T rows:
// BLAS input projections, one chunk), forward and backward. Odd widths exercise the panels' zero padding.

private func uniform(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
}

/// A copy of `values` in memory the test owns (freed by the caller).
private func buffer(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
    p.initialize(repeating: 0, count: max(values.count, 1))
    for (i, v) in values.enumerated() { p[i] = v }
    return p
}

/// Forward then backward over `batch` sequences at once; returns y for every step, hT, cT, then the gradients
/// dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh.
private func run(
    _ kind: RecurrentKind, batch bs: Int, steps ts: Int, input: Int, hidden hs: Int, x: [Float], h0: [Float],
    c0: [Float], dy: [Float], w: [[Float]]
) -> [[Float]] {
    let gw = kind.gateCount * hs
    let saved = RecurrentActivations(kind, RecurrentSizes(batch: bs, steps: ts, input: input, hidden: hs))
    let counts = [bs * ts * hs, bs * hs, bs * hs, bs * ts * input, bs * hs, bs * hs, gw * input, gw * hs, gw, gw]
    let out = counts.map { buffer([Float](repeating: 0, count: $0)) }
    let inputs = ([x, h0, c0, dy] + w).map(buffer)
    defer { for p in out + inputs { p.deallocate() } }
    let lstm = kind == .lstm
    let weights = RecurrentWeights(weightIH: inputs[4], weightHH: inputs[5], biasIH: inputs[6], biasHH: inputs[7])
    Kernels.recurrentSequence(
        output: out[0], hT: out[1], cT: lstm ? out[2] : nil, saved: saved, x: inputs[0], h0: inputs[1],
        c0: lstm ? inputs[2] : nil, weights: weights)
    let grads = RecurrentGradients(
        input: out[3], h0: out[4], c0: lstm ? out[5] : nil, weightIH: out[6], weightHH: out[7], biasIH: out[8],
        biasHH: out[9])
    Kernels.recurrentSequenceBackward(
        grads, dOutput: inputs[3], dhT: nil, dcT: nil, saved: saved, x: inputs[0], weights: weights)
    return zip(out, counts).map { Array(UnsafeBufferPointer(start: $0, count: $1)) }
}

@Test(arguments: RecurrentKind.allCases)
func batchedRecurrentPassMatchesOneSequenceAtATime(kind: RecurrentKind) {
    let (bs, ts, input, hs) = (20, 16, 5, 13)  // 320 rows; chunks of 7, 7, 6 sequences
    let gw = kind.gateCount * hs
    var rng = SeededGenerator(seed: 77)
    let x = uniform(bs * ts * input, &rng)
    let h0 = uniform(bs * hs, &rng, scale: 0.5)
    let c0 = uniform(bs * hs, &rng, scale: 0.5)
    let dy = uniform(bs * ts * hs, &rng)
    let w = [gw * input, gw * hs, gw, gw].map { uniform($0, &rng, scale: 0.4) }
    let all = run(kind, batch: bs, steps: ts, input: input, hidden: hs, x: x, h0: h0, c0: c0, dy: dy, w: w)
    // Per-sequence outputs side by side (y, hT, cT, dx, dh0, dc0), summed weight gradients.
    var expected = all.map { [Float](repeating: 0, count: $0.count) }
    for b in 0..<bs {
        func rows(_ a: [Float], _ width: Int) -> [Float] { Array(a[(b * width)..<((b + 1) * width)]) }
        let one = run(
            kind, batch: 1, steps: ts, input: input, hidden: hs, x: rows(x, ts * input), h0: rows(h0, hs),
            c0: rows(c0, hs), dy: rows(dy, ts * hs), w: w)
        for (i, width) in [ts * hs, hs, hs, ts * input, hs, hs].enumerated() {
            for j in 0..<width { expected[i][b * width + j] = one[i][j] }
        }
        for i in 6..<10 { for j in 0..<one[i].count { expected[i][j] += one[i][j] } }
    }
    let names = ["output", "hT", "cT", "dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh"]
    for (i, name) in names.enumerated() {
        let worst = zip(all[i], expected[i]).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
        #expect(worst < 2e-5, "\(kind) \(name): worst difference \(worst)")
    }
}
