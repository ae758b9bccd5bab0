import CSeqKernels

extension Kernels {
    /// GRU over a sequence in PyTorch's formulation, gates r, z, n stacked in the weights:
    ///
    ///     r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
    ///     n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),   h' = (1 − z)⊙n + z⊙h
    ///
    /// The hidden part of n, `W_hn h + b_hn`, is kept apart (saved in `saved.auxiliary`), as PyTorch does.
    /// `x` is (B, T, I), `h0` (B, H); writes `output` (B, T, H) and `hT` (B, H), which may alias `h0`.
    package static func gruSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, saved: RecurrentActivations,
        x: UnsafePointer<Float>, h0: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .gru, "gruSequence needs GRU activations, got \(saved.kind)")
        let hs = saved.sizes.hidden
        let gw = 3 &* hs
        let bhn = weights.biasHH.map { $0 + 2 &* hs }
        // b_hr and b_hz fold into the input projection; b_hn stays inside r⊙(…).
        forwardThroughTime(
            output: output, hT: hT, cT: nil, saved: saved, x: x, h0: h0, c0: nil, weights: weights,
            foldedHiddenBias: 2 &* hs
        ) { b, row, _ in
            seqkit_gru_forward_row(
                hs, saved.gates + row &* gw, saved.projection + b &* gw, bhn, saved.hiddenBefore + row &* hs,
                saved.auxiliary + row &* hs, output + row &* hs)
        }
    }

    /// Backward of ``gruSequence(output:hT:saved:x:h0:weights:)`` through time, t from T − 1 to 0:
    ///
    ///     dn = dh·(1 − z);  dz = dh·(h_{t−1} − n);  dpre_n = dn·(1 − n²);  d(W_hn h + b_hn) = dpre_n·r
    ///     dr = dpre_n·(W_hn h + b_hn);  dh_{t−1} = dh·z + dgates_hh W_hh
    ///
    /// The input side and the hidden side see different n-gate gradients, so W_ih/b_ih and W_hh/b_hh
    /// each get their own stacked gradient. Accumulates into `grads` from `dOutput` (B, T, H) and `dhT`.
    package static func gruSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .gru, "gruSequenceBackward needs GRU activations, got \(saved.kind)")
        let hs = saved.sizes.hidden
        let gw = 3 &* hs
        let scratch = BackwardScratch(saved, weights: weights, dhT: dhT, dcT: nil, separateHidden: true)
        backwardThroughTime(grads, saved: saved, scratch: scratch, x: x, weights: weights, accumulateHidden: true) {
            b, row, _ in
            // dh becomes dh·z, the direct path; the hidden product adds dgates_hh W_hh to it.
            seqkit_gru_backward_row(
                hs, saved.gates + row &* gw, saved.auxiliary + row &* hs, saved.hiddenBefore + row &* hs,
                dOutput + row &* hs, scratch.dh + b &* hs, scratch.dInput + row &* gw, scratch.dHidden + row &* gw)
        }
    }
}
