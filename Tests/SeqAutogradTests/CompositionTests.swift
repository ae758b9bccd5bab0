import SeqAutograd
import SeqTensor
import Testing
import _SeqTestSupport

/// The fused primitives against compositions of simpler ones: values and gradients to 1e-5.

@Test func fusedCrossEntropyMatchesLogSoftmaxComposition() {
    var rng = SeededGenerator(seed: 21)
    let (rows, v) = (7, 11)
    let logits = Variable(Tensor(randomNormal: [rows, v], std: 3, using: &rng), requiresGrad: true)
    let targets = [3, 0, 10, -100, 5, 5, 1]
    let fused = crossEntropy(logits, targets: targets)
    fused.backward()
    let fusedGrad = logits.grad!.toArray()
    logits.zeroGradient()

    var onehot = [Float](repeating: 0, count: rows * v)
    for (r, t) in targets.enumerated() where t >= 0 { onehot[r * v + t] = 1 }
    let counted = Float(targets.filter { $0 >= 0 }.count)
    let composed = (logits.logSoftmax() * Variable(Tensor(shape: [rows, v], values: onehot))).sum() * (-1 / counted)
    composed.backward()
    #expect(abs(fused.value.item - composed.value.item) / abs(composed.value.item) < 1e-5)
    #expect(relativeError(fusedGrad, logits.grad!.toArray()) < 1e-5)
}

@Test func fusedLayerNormMatchesComposition() {
    var rng = SeededGenerator(seed: 22)
    let (rows, n) = (5, 9)
    let x = Variable(Tensor(randomNormal: [rows, n], mean: 0.5, std: 2, using: &rng), requiresGrad: true)
    let w = Variable(Tensor(randomNormal: [n], mean: 1, std: 0.3, using: &rng), requiresGrad: true)
    let b = Variable(Tensor(randomNormal: [n], using: &rng), requiresGrad: true)
    let probe = Variable(Tensor(randomNormal: [rows, n], using: &rng))

    let fused = layerNorm(x, weight: w, bias: b, epsilon: 1e-5)
    (fused * probe).sum().backward()
    let grads = [x, w, b].map { $0.grad!.toArray() }
    [x, w, b].forEach { $0.zeroGradient() }

    let mu = x.mean(axis: 1).reshaped([rows, 1])
    let centered = x - mu
    let variance = (centered * centered).mean(axis: 1).reshaped([rows, 1])
    let rstd = (variance + Variable(Tensor(scalar: 1e-5))).power(-0.5)
    let composed = centered * rstd * w + b
    (composed * probe).sum().backward()

    #expect(relativeError(fused.value.toArray(), composed.value.toArray()) < 1e-5)
    for (g, v) in zip(grads, [x, w, b]) { #expect(relativeError(g, v.grad!.toArray()) < 1e-5) }
}
