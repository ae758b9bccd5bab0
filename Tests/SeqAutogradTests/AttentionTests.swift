import Foundation
import SeqAutograd
import SeqTensor
import Testing
import _SeqTestSupport

/// Attention written out with simpler primitives: split, transpose, matmul, mask, softmax.
private func composedAttention(_ qkv: Variable, heads: Int, causal: Bool) -> Variable {
    let (b, t, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3
    let d = c / heads
    let parts = qkv.split(axis: 2, sizes: [c, c, c]).map {
        $0.reshaped([b, t, heads, d]).transposed(1, 2)  // (B, H, T, d)
    }
    var scores = matmul(parts[0], parts[1], transposeB: true) * (1 / Float(d).squareRoot())  // (B, H, T, T)
    if causal { scores = causalMask(scores) }
    let y = matmul(scores.softmax(), parts[2])  // (B, H, T, d)
    return y.transposed(1, 2).reshaped([b, t, c])
}

/// The fused attention equals attention written out with simpler primitives, values and gradients; at T = 70
/// the causal training attention runs two row blocks (64 + 6 rows).
@Test(arguments: [(true, 5), (false, 5), (true, 70)])
func fusedAttentionMatchesComposition(causal: Bool, time: Int) {
    #expect(time < 64 || Kernels.attentionRowBlock < time)
    var rng = SeededGenerator(seed: 31)
    let qkv = Variable(Tensor(randomNormal: [2, time, 3 * 6], using: &rng), requiresGrad: true)
    let probe = Variable(Tensor(randomNormal: [2, time, 6], using: &rng))
    let fused = attention(qkv, heads: 3, causal: causal)
    (fused * probe).sum().backward()
    let fusedGrad = qkv.grad!.toArray()
    qkv.zeroGradient()
    let composed = composedAttention(qkv, heads: 3, causal: causal)
    (composed * probe).sum().backward()
    #expect(relativeError(fused.value.toArray(), composed.value.toArray()) < 1e-5)
    #expect(relativeError(fusedGrad, qkv.grad!.toArray()) < 1e-5)
}

@Test(arguments: [(true, Float(0)), (false, Float(0)), (true, Float(0.3))])
func attentionGradients(causal: Bool, dropout: Float) {
    var rng = SeededGenerator(seed: 32)
    let qkv = Variable(Tensor(randomNormal: [2, 7, 3 * 8], using: &rng), requiresGrad: true)
    let results = checkGradients([GradientCheckTarget(qkv, name: "qkv")]) {
        var local = SeededGenerator(seed: 5)  // one dropout mask for every evaluation
        return attention(qkv, heads: 2, causal: causal, dropout: dropout, rng: &local)
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
}

@Test func causalAttentionIgnoresTheFuture() {
    var rng = SeededGenerator(seed: 33)
    let a = Tensor(randomNormal: [1, 4, 12], using: &rng)
    let b = a.copy()
    for j in 0..<12 { b[0, 3, j] += 5 }  // change only the last position
    let ya = attention(Variable(a), heads: 2, causal: true).value
    let yb = attention(Variable(b), heads: 2, causal: true).value
    for t in 0..<3 { for j in 0..<4 { #expect(ya[0, t, j] == yb[0, t, j]) } }
    #expect(ya[0, 3, 0] != yb[0, 3, 0])
}

@Test func rotaryGradientsAndNormPreservation() {
    var rng = SeededGenerator(seed: 34)
    let qkv = Variable(Tensor(randomNormal: [2, 5, 3 * 8], using: &rng), requiresGrad: true)
    let results = checkGradients([GradientCheckTarget(qkv, name: "qkv")]) { rotary(qkv, heads: 2, positionOffset: 3) }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
    // A rotation keeps each pair's length, position 0 is the identity, and v is untouched.
    let y = rotary(qkv, heads: 2).value
    for j in 0..<24 { #expect(abs(y[0, 0, j] - qkv.value[0, 0, j]) < 1e-6) }
    let x = qkv.value
    let (a, b) = (x[1, 4, 0], x[1, 4, 2])  // head 0, pair (0, 2) of a 4-wide head
    let (ra, rb) = (y[1, 4, 0], y[1, 4, 2])
    #expect(abs((a * a + b * b) - (ra * ra + rb * rb)) < 1e-4)
    for j in 16..<24 { #expect(y[1, 3, j] == x[1, 3, j]) }
}

/// The training forward (log-sum-exp per row, bit mask) gives the inference forward's output (saved P,
/// byte mask), and each row's log-sum-exp is log Σⱼ e^(Sᵢⱼ) over the unmasked scores, in double precision.
@Test(arguments: [true, false])
func logSumExpAttentionMatchesSavedProbabilities(causal: Bool) {
    var rng = SeededGenerator(seed: 35)
    let (b, t, h, d) = (2, 9, 3, 4)
    let c = h * d
    let s = AttentionShape(batch: b, time: t, width: c, heads: h, causal: causal)
    let qkv = Tensor(randomNormal: [b, t, 3 * c], using: &rng)
    let n = s.probabilityCount
    var bytes = [UInt8](repeating: 0, count: n)
    var bits = [UInt8](repeating: 0, count: (n + 7) / 8)
    for e in 0..<n where rng.nextUniform() >= 0.25 {
        bytes[e] = 1
        bits[e >> 3] |= 1 << UInt8(e & 7)
    }
    for dropout in [false, true] {
        let keepScale: Float = dropout ? 4 / 3 : 1
        let (y0, y1) = (Tensor(uninitialized: [b, t, c]), Tensor(uninitialized: [b, t, c]))
        let probabilities = Tensor(uninitialized: [b, h, t, t])
        let lse = Tensor(uninitialized: [b, h, t])
        bytes.withUnsafeBufferPointer { bytes in
            Kernels.attention(
                y0.pointer, probabilities: probabilities.pointer, keep: dropout ? bytes.baseAddress : nil,
                keepScale: keepScale, qkv: qkv.pointer, shape: s)
        }
        bits.withUnsafeBufferPointer { bits in
            Kernels.attention(
                y1.pointer, logSumExp: lse.pointer, keep: dropout ? bits.baseAddress : nil, keepScale: keepScale,
                qkv: qkv.pointer, shape: s)
        }
        #expect(relativeError(y1.toArray(), y0.toArray()) < 1e-6)
        for batch in 0..<b {
            for head in 0..<h {
                for i in 0..<t {
                    var sum = 0.0
                    for j in 0..<(causal ? i + 1 : t) {
                        var score = 0.0
                        for k in 0..<d {
                            score += Double(qkv[batch, i, head * d + k]) * Double(qkv[batch, j, c + head * d + k])
                        }
                        sum += exp(score / Double(d).squareRoot())
                    }
                    #expect(abs(Double(lse[batch, head, i]) - log(sum)) < 1e-5)
                }
            }
        }
    }
}

/// The attention-then-projection primitive equals attention followed by a matmul, values and gradients,
/// with and without dropout (the same seed draws the same mask), and passes a gradient check.
@Test(arguments: [Float(0), Float(0.3)])
func attentionMatmulMatchesComposition(dropout: Float) {
    var rng = SeededGenerator(seed: 36)
    let qkv = Variable(Tensor(randomNormal: [2, 7, 3 * 8], using: &rng), requiresGrad: true)
    let w = Variable(Tensor(randomNormal: [5, 8], std: 0.5, using: &rng), requiresGrad: true)
    let probe = Variable(Tensor(randomNormal: [2, 7, 5], using: &rng))
    var values: [[Float]] = []
    var gradients: [[[Float]]] = []
    for fused in [true, false] {
        qkv.zeroGradient()
        w.zeroGradient()
        var local = SeededGenerator(seed: 6)
        let y =
            fused
            ? attentionMatmul(qkv, heads: 2, causal: true, dropout: dropout, rng: &local, w)
            : matmul(attention(qkv, heads: 2, causal: true, dropout: dropout, rng: &local), w, transposeB: true)
        (y * probe).sum().backward()
        values.append(y.value.toArray())
        gradients.append([qkv.grad!.toArray(), w.grad!.toArray()])
    }
    #expect(relativeError(values[0], values[1]) < 1e-5)
    for (a, b) in zip(gradients[0], gradients[1]) { #expect(relativeError(a, b) < 1e-5) }
    let results = checkGradients([GradientCheckTarget(qkv, name: "qkv"), GradientCheckTarget(w, name: "w")]) {
        var local = SeededGenerator(seed: 5)
        return attentionMatmul(qkv, heads: 2, causal: true, dropout: dropout, rng: &local, w)
    }
    for r in results { #expect(r.relativeError < 1e-2, "\(r)") }
}

/// Causal attention in row blocks skips the scores right of each block: with blocks of 4 rows over 11
/// positions (a short last block) it gives the outputs, log-sum-exps and q/k/v gradients of one block of all
/// rows, with and without a dropout mask.
@Test(arguments: [false, true])
func causalRowBlocksMatchOneBlock(dropout: Bool) {
    var rng = SeededGenerator(seed: 77)
    let (b, t, h, d) = (2, 11, 2, 4)
    let c = h * d
    let s = AttentionShape(batch: b, time: t, width: c, heads: h, causal: true)
    let qkv = Tensor(randomNormal: [b, t, 3 * c], using: &rng)
    let dy = Tensor(randomNormal: [b, t, c], using: &rng)
    var bits = [UInt8](repeating: 0, count: (s.probabilityCount + 7) / 8)
    bits.withUnsafeMutableBufferPointer { rng.fillKeepBits($0.baseAddress!, count: s.probabilityCount, dropping: 0.3) }
    var results: [[Float]] = []
    for rowBlock in [4, t] {
        let y = Tensor(uninitialized: [b, t, c])
        let lse = Tensor(uninitialized: [b, h, t])
        let dqkv = Tensor(zeros: [b, t, 3 * c])
        bits.withUnsafeBufferPointer { bits in
            let keep = dropout ? bits.baseAddress : nil
            let scale: Float = dropout ? 1 / 0.7 : 1
            Kernels.attention(
                y.pointer, logSumExp: lse.pointer, keep: keep, keepScale: scale, qkv: qkv.pointer, shape: s,
                rowBlock: rowBlock)
            Kernels.attentionBackward(
                dqkv.pointer, dy: dy.pointer, qkv: qkv.pointer, logSumExp: lse.pointer, keep: keep, keepScale: scale,
                shape: s, rowBlock: rowBlock)
        }
        results.append(y.toArray() + lse.toArray() + dqkv.toArray())
    }
    #expect(relativeError(results[0], results[1]) < 1e-5)
}
