import CSeqKernels

extension Kernels {
    /// GRU over a sequence in PyTorch's formulation, gates r, z, n stacked in the weights:
    ///
    ///     r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
    ///     n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),   h' = (1 − z)⊙n + z⊙h
    ///
    /// The hidden part of n, `W_hn h + b_hn`, is kept apart (saved in `saved.auxiliary`), as PyTorch does.
    /// `x` is (B, T, I), `h0` (B, H); writes `output` (B, T, H) and `hT` (B, H), which may alias `h0`.
    public static func gruSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, saved: RecurrentActivations,
        x: UnsafePointer<Float>, h0: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .gru, "gruSequence needs GRU activations, got \(saved.kind)")
        if emptySequence(saved, hT: hT, cT: nil, h0: h0, c0: nil) { return }
        let s = saved.sizes
        let (ts, hs) = (s.steps, s.hidden)
        let gw = 3 &* hs
        // b_hr and b_hz fold into the input projection; b_hn stays inside r⊙(…).
        beginSequence(saved, x: x, h0: h0, c0: nil, weights: weights, foldedHiddenBias: 2 &* hs)
        let bhn = weights.biasHH.map { $0 + 2 &* hs }
        splitBatch(saved) { rows in
            chunkInputProjection(saved, x: x, weights: weights, foldedHiddenBias: 2 &* hs, sequences: rows)
            for t in 0..<ts {
                hiddenProjection(saved, step: t, rows: rows, weightHH: weights.weightHH)
                for b in rows {
                    let row = b &* ts &+ t
                    let gate = saved.gates + row &* gw  // input projection in, activations out
                    let rec = saved.projection + b &* gw
                    let hn = saved.auxiliary + row &* hs
                    let hPrev = saved.hiddenBefore + row &* hs
                    let h = output + row &* hs
                    seqkit_gru_forward_row(hs, gate, rec, bhn, hPrev, hn, h)
                    if t &+ 1 < ts { (saved.hiddenBefore + (row &+ 1) &* hs).update(from: h, count: hs) }
                }
            }
        }
        endSequence(saved, output: output, hT: hT, cT: nil)
    }

    /// Backward of ``gruSequence(output:hT:saved:x:h0:weights:)`` through time, t from T − 1 to 0:
    ///
    ///     dn = dh·(1 − z);  dz = dh·(h_{t−1} − n);  dpre_n = dn·(1 − n²);  d(W_hn h + b_hn) = dpre_n·r
    ///     dr = dpre_n·(W_hn h + b_hn);  dh_{t−1} = dh·z + dgates_hh W_hh
    ///
    /// The input side and the hidden side see different n-gate gradients, so W_ih/b_ih and W_hh/b_hh
    /// each get their own stacked gradient. Accumulates into `grads` from `dOutput` (B, T, H) and `dhT`.
    public static func gruSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .gru, "gruSequenceBackward needs GRU activations, got \(saved.kind)")
        let s = saved.sizes
        let (ts, hs) = (s.steps, s.hidden)
        let gw = 3 &* hs
        let scratch = BackwardScratch(saved, weights: weights, dhT: dhT, dcT: nil, separateHidden: true)
        splitBatch(saved) { rows in
            for t in stride(from: ts &- 1, through: 0, by: -1) {
                for b in rows {
                    let row = b &* ts &+ t
                    let gate = saved.gates + row &* gw
                    let hn = saved.auxiliary + row &* hs
                    let hPrev = saved.hiddenBefore + row &* hs
                    let dy = dOutput + row &* hs
                    let dh = scratch.dh + b &* hs
                    let di = scratch.dInput + row &* gw
                    let dg = scratch.dHidden + row &* gw
                    seqkit_gru_backward_row(hs, gate, hn, hPrev, dy, dh, di, dg)  // dh becomes dh·z, the direct path
                }
                recurrentGradient(saved, scratch, step: t, rows: rows, accumulate: true)
            }
            chunkInputGradient(grads, saved, scratch, sequences: rows)
        }
        finishBackward(grads, saved, scratch, x: x, weights: weights)
    }
}
