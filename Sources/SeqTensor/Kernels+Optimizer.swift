import CSeqKernels

extension Kernels {
    /// One Adam or AdamW update of `n` parameters in a single fused pass (AVX2 where the CPU has it):
    ///
    ///     g' = g + λ_coupled·p;  p ← p − λ_decoupled·p;  m ← β₁m + (1−β₁)g';  v ← β₂v + (1−β₂)g'²
    ///     p ← p − η·(m·c₁)/(√(v·c₂) + ε)
    ///
    /// Adam passes its weight decay as `coupledDecay`, AdamW `η·λ` as `decoupledDecay`; `c₁`, `c₂` are the
    /// bias corrections `1/(1 − β^t)`. `p`, `m`, `v` are updated in place; `g` is read.
    ///
    /// `Kernels.adamUpdate(p, g, m, v, n, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, correction1: 10, correction2: 1000, coupledDecay: 0, decoupledDecay: 1e-4)`
    package static func adamUpdate(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, _ n: Int, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
        correction1: Float, correction2: Float, coupledDecay: Float, decoupledDecay: Float
    ) {
        let settings = seqkit_adam_settings(
            learning_rate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, correction1: correction1,
            correction2: correction2, coupled_decay: coupledDecay, decoupled_decay: decoupledDecay)
        Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in
            let o = r.lowerBound
            var local = settings  // each part passes its own copy
            seqkit_adam_update(r.count, p + o, g + o, m + o, v + o, &local)
        }
    }

    /// Whether the fused kernels (recurrent cells, Adam) run their AVX2+FMA versions on this CPU.
    package static var vectorKernels: Bool { seqkit_vector_kernels() != 0 }
}
