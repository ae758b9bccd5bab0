import Foundation
import SeqTensor
import Testing
import _SeqTestSupport

/// `Kernels.attendQuery` against softmax attention written out in Double: head sizes on and off the vector
/// width (8, 16, 32, 5), a cache row wider than the heads, one position and many (the many-position cases
/// are large enough to split the heads over the team).
@Test(arguments: [(1, 1, 8), (3, 4, 32), (64, 4, 32), (200, 6, 64), (17, 3, 5), (9, 2, 16), (1, 2, 24)])
func attendQueryMatchesSoftmaxAttentionInDouble(positions: Int, heads: Int, headSize d: Int) {
    var rng = SeededGenerator(seed: UInt64(positions * 100 + heads * 10 + d))
    let stride = heads * d + 7
    let q = Tensor(randomNormal: [heads * d], using: &rng)
    let keys = Tensor(randomNormal: [positions, stride], using: &rng)
    let values = Tensor(randomNormal: [positions, stride], using: &rng)
    let scores = Tensor(zeros: [heads * positions])
    let y = Tensor(zeros: [heads * d])
    Kernels.attendQuery(
        y.pointer, q.pointer, keys: keys.pointer, values: values.pointer, positions: positions, heads: heads,
        headSize: d, rowStride: stride, scores: scores.pointer)
    let (qv, kv, vv) = (q.toArray(), keys.toArray(), values.toArray())
    var expected = [Float](repeating: 0, count: heads * d)
    for h in 0..<heads {
        var logits = [Double](repeating: 0, count: positions)
        for j in 0..<positions {
            var s = 0.0
            for i in 0..<d { s += Double(qv[h * d + i]) * Double(kv[j * stride + h * d + i]) }
            logits[j] = s / Double(d).squareRoot()
        }
        let top = logits.max()!
        let weights = logits.map { Foundation.exp($0 - top) }
        let total = weights.reduce(0, +)
        for i in 0..<d {
            var acc = 0.0
            for j in 0..<positions { acc += weights[j] * Double(vv[j * stride + h * d + i]) }
            expected[h * d + i] = Float(acc / total)
        }
    }
    #expect(relativeError(y.toArray(), expected) < 1e-5, "T=\(positions) heads=\(heads) d=\(d)")
}

/// The GELU epilogue of the batch-1 product, in either form, equals the product followed by that GELU kernel,
/// exactly; and the two forms differ (so the epilogue does apply the one asked for).
@Test(arguments: [(512, 128), (130, 33)])
func gemvWithGELUEqualsGemvThenGELU(m: Int, n: Int) {
    var rng = SeededGenerator(seed: UInt64(m + n))
    let a = Tensor(randomNormal: [m, n], using: &rng)
    let x = Tensor(randomNormal: [n], using: &rng)
    var results: [[Float]] = []
    for form in GELU.allCases {
        let fused = Tensor(zeros: [m])
        let separate = Tensor(zeros: [m])
        Kernels.gemv(fused.pointer, a.pointer, x.pointer, m: m, n: n, gelu: form)
        Kernels.gemv(separate.pointer, a.pointer, x.pointer, m: m, n: n)
        Kernels.gelu(separate.pointer, separate.pointer, m, form)
        #expect(fused.toArray() == separate.toArray(), "\(form)")
        results.append(fused.toArray())
    }
    #expect(results[0] != results[1])
}
